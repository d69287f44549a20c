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
    // Percentages of the people who answered (a multiple question's picks add up to more).
    const total = options.respondents ?? choices.reduce((sum, choice) => sum + (counts[choice] || 0), 0);
    const max = Math.max(1, ...choices.map((choice) => counts[choice] || 0));
    table.classList.add("bars");
    const caption = element("caption", {}, options.caption || "Answers");
    const body = element("tbody");
    for (const choice of choices) {
      const count = counts[choice] || 0;
      const isCorrect = (options.correct !== undefined && options.correct !== null && choice === options.correct) ||
        (Array.isArray(options.correctSet) && options.correctSet.includes(choice));
      const row = element("tr", { "data-choice": choice, "data-count": String(count) });
      if (isCorrect) row.classList.add("correct");
      const label = element("th", { scope: "row" });
      label.append(element("span", { class: "label" }, choice));
      if (isCorrect) label.append(element("span", { class: "badge" }, "✓ correct"));
      const mine = Array.isArray(options.mine) ? options.mine.includes(choice) : options.mine === choice;
      if (mine) label.append(element("span", { class: "badge mine" }, "(your answer)"));
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

  // -- question kinds -------------------------------------------------------

  const SVG = "http://www.w3.org/2000/svg";

  function svgElement(name, attributes = {}, text) {
    const el = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) el.setAttribute(key, String(value));
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function kindOf(question) {
    return question.kind || "single";
  }

  // An answer (or a correct answer) in words: a chosen set as "A, C".
  function answerText(question, value) {
    if (value === null || value === undefined) return "";
    if (Array.isArray(value)) return value.join(", ");
    return String(value);
  }

  function normalise(text) {
    return String(text).trim().split(/\s+/).join(" ").toLowerCase();
  }

  // Is `answer` right? null when the question has no right answer. Numeric
  // answers are judged with the tolerance that question_closed carries.
  function judge(question, answer, correct, tolerance) {
    const kind = kindOf(question);
    if (correct === null || correct === undefined || (Array.isArray(correct) && !correct.length)) return null;
    if (answer === null || answer === undefined) return false;
    if (kind === "multiple") return answer.length === correct.length && answer.every((c) => correct.includes(c));
    if (kind === "text") return correct.some((accepted) => normalise(accepted) === normalise(answer));
    if (kind === "numeric") {
      const limit = !tolerance ? 0 : ("percent" in tolerance ? Math.abs(correct) * tolerance.percent / 100 : tolerance.absolute);
      return Math.abs(Number(answer) - correct) <= limit + 1e-9 * Math.max(1, Math.abs(correct));
    }
    return answer === correct;
  }

  // A histogram of numeric answers as an SVG image whose label says it all
  // in words, with a table beside it for screen readers and keyboard users.
  function histogramSvg(histogram, correct) {
    const bins = histogram.bins;
    const width = 640, height = 320, left = 40, bottom = 48, top = 36;
    const max = Math.max(1, ...bins.map((b) => b.count));
    const barWidth = bins.length ? (width - 2 * left) / bins.length : 0;  // room for the last tick
    const words = histogram.count
      ? `Histogram of ${histogram.count} answers: median ${histogram.median}, middle half from ${histogram.q1} to ${histogram.q3}.`
      : "No answers yet.";
    const svg = svgElement("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": words, class: "histogram" });
    svg.append(svgElement("line", { x1: left, y1: height - bottom, x2: width - left, y2: height - bottom, class: "axis" }));
    bins.forEach((bin, i) => {
      const h = ((height - bottom - top) * bin.count) / max;
      const x = left + i * barWidth;
      const holdsCorrect = correct !== null && correct !== undefined && correct >= bin.from && correct < bin.to;
      svg.append(svgElement("rect", {
        x: x + 2, y: height - bottom - h, width: Math.max(1, barWidth - 4), height: h,
        class: holdsCorrect ? "bar correct" : "bar",
      }));
      if (bin.count) svg.append(svgElement("text", { x: x + barWidth / 2, y: height - bottom - h - 4, "text-anchor": "middle", class: "count" }, bin.count));
      svg.append(svgElement("text", { x, y: height - bottom + 28, "text-anchor": "middle", class: "tick" }, bin.from));
    });
    if (bins.length) {
      svg.append(svgElement("text", { x: left + bins.length * barWidth, y: height - bottom + 28, "text-anchor": "middle", class: "tick" }, bins[bins.length - 1].to));
    }
    return svg;
  }

  function histogramTable(histogram) {
    const table = element("table", { class: "visually-hidden" });
    table.append(element("caption", {}, "Answers in ranges"));
    const body = element("tbody");
    const rows = histogram.bins.map((b) => [`${b.from} to under ${b.to}`, b.count]);
    if (histogram.below) rows.unshift(["far below the rest", histogram.below]);
    if (histogram.above) rows.push(["far above the rest", histogram.above]);
    for (const [range, count] of rows) {
      const row = element("tr");
      row.append(element("th", { scope: "row" }, range), element("td", {}, String(count)));
      body.append(row);
    }
    table.append(body);
    return table;
  }

  // A word cloud: the most given words, larger the more often given, laid out
  // in centred lines (no overlap, same picture every time). Its label lists
  // the words with their counts.
  function wordCloudSvg(words) {
    const width = 640;
    const max = Math.max(1, ...words.map((w) => w.count));
    const sized = words.map((w, i) => ({ ...w, size: 16 + 40 * Math.sqrt(w.count / max), colour: i % 4 }));
    const lines = [];
    let line = [], used = 0;
    for (const word of sized) {
      const wordWidth = word.word.length * word.size * 0.62 + 18;
      if (used + wordWidth > width && line.length) {
        lines.push({ words: line, used });
        line = [];
        used = 0;
      }
      line.push({ ...word, width: wordWidth });
      used += wordWidth;
    }
    if (line.length) lines.push({ words: line, used });
    let y = 8;
    const label = words.length
      ? "Word cloud: " + words.map((w) => `${w.word} (${w.count})`).join(", ")
      : "No answers yet.";
    const svg = svgElement("svg", { role: "img", "aria-label": label, class: "word-cloud" });
    for (const row of lines) {
      const tallest = Math.max(...row.words.map((w) => w.size));
      y += tallest;
      let x = (width - row.used) / 2;
      for (const word of row.words) {
        svg.append(svgElement("text", { x: x + word.width / 2, y, "font-size": word.size.toFixed(1), "text-anchor": "middle", class: `word c${word.colour}` }, word.word));
        x += word.width;
      }
      y += tallest * 0.3;  // room for descenders
    }
    svg.setAttribute("viewBox", `0 0 ${width} ${Math.max(60, y)}`);
    return svg;
  }

  // The results of any kind of question into `figure` (a <div>): bars for
  // choices, a histogram for numbers, a word cloud for text (hidden answers
  // left out unless options.showHidden).
  function renderResults(figure, question, results, options = {}) {
    const kind = kindOf(question);
    figure.replaceChildren();
    if (kind === "single" || kind === "multiple") {
      const table = element("table");
      const correct = options.correct;
      renderChart(table, question.choices, results.counts || {}, {
        respondents: kind === "multiple" ? results.answered : undefined,
        ...options,
        correct: Array.isArray(correct) ? null : correct,
        correctSet: Array.isArray(correct) ? correct : null,
      });
      figure.append(table);
    } else if (kind === "numeric") {
      const histogram = results.histogram || { count: 0, bins: [] };
      const caption = element("p", { class: "figure-caption" }, options.caption || "Answers");
      figure.append(caption, histogramSvg(histogram, options.correct), histogramTable(histogram));
      if (histogram.count) {
        figure.append(element("p", { class: "muted" },
          `${histogram.count} answers · median ${histogram.median} · middle half ${histogram.q1} to ${histogram.q3}` +
          (histogram.below || histogram.above ? ` · ${histogram.below + histogram.above} far from the rest` : "")));
      }
    } else {
      const words = results.words || [];
      figure.append(element("p", { class: "figure-caption" }, options.caption || "Answers"), wordCloudSvg(words));
    }
  }

  // Every round of a question side by side: the earlier ones (results.rounds) and the last.
  function renderRounds(container, question, results, options = {}) {
    const all = [...results.rounds, { round: question.round || results.rounds.length + 1, ...results }];
    container.replaceChildren(...all.map((round) => {
      const panel = element("div", { class: "round" });
      renderResults(panel, question, round, { ...options, caption: `Round ${round.round}` });
      return panel;
    }));
  }

  // -- students' questions (Q&A) ------------------------------------------------

  // Most votes first; the oldest first among equals (what the server's lists do).
  function byVotes(posts) {
    return [...posts].sort((a, b) => b.votes - a.votes || a.id - b.id);
  }

  // A coalesced post_votes frame into a page's posts (a Map by id).
  function applyVotes(posts, message) {
    for (const [id, votes] of Object.entries(message.votes)) {
      const post = posts.get(Number(id));
      if (post) post.votes = votes;
    }
  }

  // The Q&A frames of a page that lists the board: keep `posts` (a Map by id) and
  // call `show` after each change.
  function postHandlers(posts, show) {
    const keep = (message) => {
      posts.set(message.post.id, message.post);
      show();
    };
    return {
      post_added: keep,
      post_changed: keep,
      post_votes(message) {
        applyVotes(posts, message);
        show();
      },
    };
  }

  // Counts down to a question's deadline from the `time_left` the server sent
  // (measured from when the frame arrived, so a wrong phone clock does not matter).
  function countdown(el, question, onZero) {
    if (el._timer) clearInterval(el._timer);
    el._timer = null;
    if (question.time_left === undefined || question.status === "closed") {
      el.hidden = true;
      return;
    }
    const end = performance.now() + question.time_left * 1000;
    let warned = false;
    const tick = () => {
      const left = Math.max(0, Math.ceil((end - performance.now()) / 1000));
      el.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")} left`;
      el.hidden = false;
      if (left <= 10 && !warned && left > 0) {
        warned = true;
        announce("10 seconds left.");
      }
      if (left === 0) {
        clearInterval(el._timer);
        el._timer = null;
        if (onZero) onZero();
      }
    };
    tick();
    el._timer = setInterval(tick, 250);
  }

  return {
    lectureData, connect, connectLecture, api, renderChart, announce, element, avatar,
    kindOf, answerText, normalise, judge, renderResults, renderRounds, countdown, byVotes, applyVotes,
    postHandlers,
  };
})();
