// The instructor's live lecture page: ask, watch the tally, close, reveal, end.
"use strict";

(() => {
  const lecture = Iclicker.lectureData();
  const $ = (id) => document.getElementById(id);
  let current = null;      // the open (or just closed) question, with `correct`
  let counts = {};
  let closed = false;
  let revealed = false;   // the projector shows the correct bar only when asked

  $("join-url").textContent = `${location.host}/join`;

  function addChoice(value = "") {
    const list = $("choices");
    if (list.children.length >= 8) return;
    const item = document.createElement("li");
    item.innerHTML = `<div class="row">
      <input class="choice-text" maxlength="200" aria-label="Choice" required>
      <label class="check"><input type="radio" name="correct"> correct</label>
      <button type="button" class="link remove">remove</button></div>`;
    item.querySelector(".choice-text").value = value;
    item.querySelector(".remove").onclick = () => {
      if (list.children.length > 2) item.remove();
    };
    list.append(item);
  }
  for (let i = 0; i < 4; i++) addChoice();
  $("add-choice").onclick = () => addChoice();

  function showCurrent() {
    $("current").hidden = !current;
    if (!current) return;
    $("current-text").textContent = current.text;
    Iclicker.drawChart($("chart"), current.choices, counts, closed && revealed ? current.correct : null);
    $("close-question").hidden = closed;
    $("reveal").hidden = !closed || current.correct === null || current.correct === undefined;
  }

  function opened(question) {
    current = question;
    counts = {};
    closed = false;
    revealed = false;
    $("answered").textContent = "0";
    showCurrent();
  }

  async function refreshResults() {
    const data = await Iclicker.api("GET", `/api/lectures/${lecture.id}/questions`);
    const box = $("results");
    if (!data.questions.length) return;
    const list = document.createElement("ol");
    list.className = "result-list";
    for (const q of data.questions) {
      const item = document.createElement("li");
      const total = Object.values(q.counts).reduce((a, b) => a + b, 0);
      const parts = q.choices.map((c) => `${c}: ${q.counts[c]}${c === q.correct ? " ✓" : ""}`);
      item.textContent = `${q.text} — ${parts.join(", ")} (${total} answers, ${q.status})`;
      list.append(item);
    }
    box.replaceChildren(list);
  }

  $("compose").onsubmit = async (event) => {
    event.preventDefault();
    const items = [...$("choices").children];
    const choices = items.map((li) => li.querySelector(".choice-text").value.trim());
    const marked = items.find((li) => li.querySelector("input[type=radio]").checked);
    const body = { text: $("question-text").value, choices };
    if (marked) body.correct = marked.querySelector(".choice-text").value.trim();
    $("compose-error").hidden = true;
    try {
      const data = await Iclicker.api("POST", `/api/lectures/${lecture.id}/questions`, body);
      opened(data.question);
      $("compose").reset();
      items.forEach((li) => { li.querySelector(".choice-text").value = ""; });
      refreshResults();
    } catch (error) {
      $("compose-error").textContent = error.message;
      $("compose-error").hidden = false;
    }
  };

  $("close-question").onclick = async () => {
    if (!current) return;
    await Iclicker.api("POST", `/api/lectures/${lecture.id}/questions/${current.id}/close`, {});
  };

  $("reveal").onclick = () => {
    revealed = true;
    showCurrent();
  };

  let endArmed = false;
  $("end-lecture").onclick = async () => {
    if (!endArmed) {
      endArmed = true;
      $("end-lecture").textContent = "Click again to end the lecture";
      setTimeout(() => { endArmed = false; $("end-lecture").textContent = "End lecture"; }, 4000);
      return;
    }
    await Iclicker.api("POST", `/api/lectures/${lecture.id}/end`, {});
  };

  refreshResults();
  if (lecture.status !== "open") {
    document.getElementById("connection").textContent = "lecture ended";
    return;
  }
  Iclicker.connect(lecture.join_code, {
    hello(message) {
      if (message.question) opened(message.question);
    },
    question(message) {
      if (!current || current.id !== message.question.id) opened(message.question);
    },
    tally(message) {
      $("present").textContent = message.present;
      if (current && message.question_id === current.id && !closed) {
        counts = message.counts;
        $("answered").textContent = message.answered;
        showCurrent();
      }
    },
    question_closed(message) {
      if (current && message.question_id === current.id) {
        counts = message.counts;
        closed = true;
        current.correct = message.correct;
        $("answered").textContent = Object.values(counts).reduce((a, b) => a + b, 0);
        showCurrent();
      }
      refreshResults();
    },
    lecture_ended() {
      $("live").hidden = true;
      refreshResults();
    },
  });
})();
