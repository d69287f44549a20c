// Shared by the pages: the reconnecting socket, the JSON API helper, the
// bar chart of the lecture pages and the screen-reader announcements.
// No framework, no CDN.
"use strict";

const Iclicker = (() => {
  const LECTURE_ENDED = 4000;
  const ACCOUNT_DISABLED = 4003;

  function lectureData() {
    return JSON.parse(document.getElementById("lecture-data").textContent);
  }

  function setConnection(state, text) {
    const el = document.getElementById("connection");
    el.textContent = text;
    el.className = "connection " + state;
    el.dataset.state = state;
  }

  // Opens a socket (path: "/ws/...") and keeps it open: on any drop it
  // reconnects with exponential backoff and jitter, and the server's fresh
  // `hello` restores the page. `endings` maps the close codes after which
  // there is nothing to reconnect to (a lecture ended, a room deleted) to
  // what the connection badge then says; handlers.opened runs on each open,
  // handlers.ended(code) once at such an end.
  function connect(path, handlers, endings = {}) {
    let socket = null;
    let attempt = 0;
    let finished = false;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const url = `${scheme}//${location.host}${path}`;

    function open() {
      socket = new WebSocket(url);
      socket.onopen = () => {
        if (attempt > 0) announce("Connected again.");
        attempt = 0;
        setConnection("online", "connected");
      };
      socket.onmessage = (event) => {
        const message = JSON.parse(event.data);
        const handler = handlers[message.type];
        if (handler) handler(message);
      };
      socket.onclose = (event) => {
        if (event.code === ACCOUNT_DISABLED && !(ACCOUNT_DISABLED in endings)) {
          // Every session of the account has ended: this page is logged out.
          finished = true;
          setConnection("ended", "account disabled");
          location.assign("/login");
          return;
        }
        if (finished || event.code in endings) {
          if (!finished && handlers.ended) handlers.ended(event.code);
          finished = true;
          setConnection("ended", endings[event.code] || "closed");
          return;
        }
        if (attempt === 0) announce("Connection lost. Reconnecting…");
        setConnection("offline", "reconnecting…");
        const delay = Math.min(10000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
        attempt += 1;
        setTimeout(open, delay);
      };
    }
    open();
    return {
      send(message) {
        if (socket && socket.readyState === WebSocket.OPEN) {
          socket.send(JSON.stringify(message));
          return true;
        }
        return false;
      },
    };
  }

  // A lecture's socket: ended for good by close code 4000.
  function connectLecture(joinCode, handlers) {
    return connect(`/ws/lectures/${encodeURIComponent(joinCode)}`, handlers, { [LECTURE_ENDED]: "lecture ended" });
  }

  async function api(method, path, body) {
    const options = { method, credentials: "same-origin", headers: {} };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    const data = response.status === 204 ? null : await response.json();
    if (!response.ok) {
      const error = new Error(data && data.error ? data.error.message : response.statusText);
      error.code = data && data.error ? data.error.code : "http_" + response.status;
      throw error;
    }
    return data;
  }

  // One polite live region per page: what a screen reader should hear of
  // the lecture (a new question, "recorded", reconnecting, the end).
  function announce(text) {
    const region = document.getElementById("announcer");
    region.textContent = "";
    setTimeout(() => { region.textContent = text; }, 50);
  }

  function element(name, attributes = {}, text) {
    const el = document.createElement(name);
    for (const [key, value] of Object.entries(attributes)) el.setAttribute(key, value);
    if (text !== undefined) el.textContent = text;
    return el;
  }

  // A person's photo, or their initial on a coloured disc; decorative, as
  // their name is always written beside it.
  function avatar(photoUrl, name) {
    if (photoUrl) return element("img", { class: "avatar", src: photoUrl, alt: "" });
    return element("span", { class: "avatar initials", "aria-hidden": "true" }, (name || "?").slice(0, 1).toUpperCase());
  }

  // A bar chart that is its own text alternative: a table with a row per
  // choice (label, bar, count). Labels wrap, so nothing collides at any
  // width; the correct choice is marked with words and a symbol, not colour.
  // options: correct (shown only when given), mine (the viewer's answer), caption.
  function renderChart(table, choices, counts, options = {}) {
    const total = choices.reduce((sum, choice) => sum + (counts[choice] || 0), 0);
    const max = Math.max(1, ...choices.map((choice) => counts[choice] || 0));
    table.classList.add("bars");
    const caption = element("caption", {}, options.caption || "Answers");
    const body = element("tbody");
    for (const choice of choices) {
      const count = counts[choice] || 0;
      const isCorrect = options.correct !== undefined && options.correct !== null && choice === options.correct;
      const row = element("tr", { "data-choice": choice, "data-count": String(count) });
      if (isCorrect) row.classList.add("correct");
      const label = element("th", { scope: "row" });
      label.append(element("span", { class: "label" }, choice));
      if (isCorrect) label.append(element("span", { class: "badge" }, "✓ correct"));
      if (options.mine === choice) label.append(element("span", { class: "badge mine" }, "(your answer)"));
      const cell = element("td");
      const meter = element("span", { class: "meter" });
      const bar = element("span", { class: "bar", "aria-hidden": "true" });
      bar.style.width = `${Math.round((85 * count) / max)}%`;
      const percent = total ? Math.round((100 * count) / total) : 0;
      meter.append(bar, element("span", { class: "count" }, `${count} (${percent}%)`));
      cell.append(meter);
      row.append(label, cell);
      body.append(row);
    }
    table.replaceChildren(caption, body);
  }

  return { lectureData, connect, connectLecture, api, renderChart, announce, element, avatar };
})();
