// Shared by the instructor and student pages: the reconnecting lecture socket,
// the JSON API helper and the SVG bar chart. No framework, no CDN.
"use strict";

const Iclicker = (() => {
  const SVG = "http://www.w3.org/2000/svg";
  const LECTURE_ENDED = 4000;

  function lectureData() {
    return JSON.parse(document.getElementById("lecture-data").textContent);
  }

  function setConnection(state, text) {
    const el = document.getElementById("connection");
    el.textContent = text;
    el.className = "connection " + state;
    el.dataset.state = state;
  }

  // Opens /ws/lectures/CODE and keeps it open: on any drop it reconnects with
  // exponential backoff and jitter, and the server's fresh `hello` restores
  // the page. Close code 4000 means the lecture ended: no reconnect.
  function connect(joinCode, handlers) {
    let socket = null;
    let attempt = 0;
    let finished = false;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const url = `${scheme}//${location.host}/ws/lectures/${encodeURIComponent(joinCode)}`;

    function open() {
      socket = new WebSocket(url);
      socket.onopen = () => { attempt = 0; setConnection("online", "connected"); };
      socket.onmessage = (event) => {
        const message = JSON.parse(event.data);
        const handler = handlers[message.type];
        if (handler) handler(message);
      };
      socket.onclose = (event) => {
        if (finished || event.code === LECTURE_ENDED) {
          finished = true;
          setConnection("ended", "lecture ended");
          return;
        }
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

  function svgElement(name, attributes, text) {
    const el = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) el.setAttribute(key, value);
    if (text !== undefined) el.textContent = text;
    return el;
  }

  // Vertical bars, one per choice, heights proportional to the counts.
  function drawChart(svg, choices, counts, correct) {
    const width = 800, height = 300, top = 24, bottom = 48;
    const max = Math.max(1, ...choices.map((c) => counts[c] || 0));
    const slot = width / choices.length;
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.replaceChildren();
    choices.forEach((choice, i) => {
      const count = counts[choice] || 0;
      const barHeight = Math.round(((height - top - bottom) * count) / max);
      const x = i * slot + slot * 0.15;
      const y = height - bottom - barHeight;
      const bar = svgElement("rect", {
        class: "bar" + (correct !== null && correct !== undefined && choice === correct ? " correct" : ""),
        x, y, width: slot * 0.7, height: barHeight,
        "data-choice": choice, "data-count": count,
      });
      svg.append(bar);
      svg.append(svgElement("text", { x: x + slot * 0.35, y: y - 6, "text-anchor": "middle" }, String(count)));
      const label = choice.length > 24 ? choice.slice(0, 23) + "…" : choice;
      svg.append(svgElement("text", { x: x + slot * 0.35, y: height - bottom + 20, "text-anchor": "middle" }, label));
    });
  }

  return { lectureData, connect, api, drawChart };
})();
