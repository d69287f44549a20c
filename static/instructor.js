// The instructor's live lecture page (laptop or phone): ask, watch the tally,
// close, reveal on the projector, end. The projector view follows on its own.
"use strict";

(() => {
  const lecture = Iclicker.lectureData();
  const $ = (id) => document.getElementById(id);
  let current = null;      // the open (or latest closed) question, with `correct`
  let counts = {};
  let closed = false;

  $("join-url").textContent = `${location.host}/join`;

  function addChoice(value = "") {
    const list = $("choices");
    if (list.children.length >= 8) return;
    const number = list.children.length + 1;
    const item = document.createElement("li");
    const row = Iclicker.element("div", { class: "row" });
    const input = Iclicker.element("input", {
      class: "choice-text", maxlength: "200", "aria-label": `Choice ${number}`,
    });
    input.value = value;
    const mark = Iclicker.element("label", { class: "check" });
    mark.append(Iclicker.element("input", { type: "radio", name: "correct", "aria-label": `Choice ${number} is correct` }), "correct");
    const remove = Iclicker.element("button", { type: "button", class: "link remove" }, "remove");
    remove.setAttribute("aria-label", `Remove choice ${number}`);
    remove.onclick = () => { if (list.children.length > 2) item.remove(); };
    row.append(input, mark, remove);
    item.append(row);
    list.append(item);
  }
  for (let i = 0; i < 4; i++) addChoice();
  $("add-choice").onclick = () => addChoice();

  function showCurrent() {
    $("current").hidden = !current;
    if (!current) return;
    $("current-text").textContent = current.text;
    $("current-state").textContent = closed ? (current.revealed ? "closed, answer shown" : "closed") : "open";
    Iclicker.renderChart($("chart"), current.choices, counts, {
      correct: current.revealed ? current.correct : null,
      caption: closed ? "Final answers" : "Answers so far",
    });
    $("close-question").hidden = closed;
    $("reveal").hidden = !closed || current.revealed || current.correct === null || current.correct === undefined;
  }

  function opened(question) {
    current = question;
    counts = {};
    closed = false;
    $("answered").textContent = "0";
    showCurrent();
  }

  function total(values) {
    return Object.values(values).reduce((a, b) => a + b, 0);
  }

  async function refreshResults() {
    const data = await Iclicker.api("GET", `/api/lectures/${lecture.id}/questions`);
    if (!data.questions.length) return;
    const list = Iclicker.element("ol", { class: "result-list" });
    for (const q of data.questions) {
      // An open question's counts change by the second: they live on the chart above.
      if (q.status === "open") {
        list.append(Iclicker.element("li", {}, `${q.text} — open: answers on the live chart`));
        continue;
      }
      const parts = q.choices.map((c) => `${c}: ${q.counts[c]}${q.revealed && c === q.correct ? " ✓" : ""}`);
      const state = q.revealed ? "closed, answer shown" : "closed";
      list.append(Iclicker.element("li", {}, `${q.text} — ${parts.join(", ")} (${total(q.counts)} answers, ${state})`));
    }
    $("results").replaceChildren(list);
  }

  function composeError(message) {
    $("compose-error").textContent = message;
    $("compose-error").hidden = false;
    $("question-text").setAttribute("aria-invalid", "true");
    $("question-text").focus();
  }

  $("compose").onsubmit = async (event) => {
    event.preventDefault();
    const items = [...$("choices").children];
    const choices = items.map((li) => li.querySelector(".choice-text").value.trim());
    const marked = items.find((li) => li.querySelector("input[type=radio]").checked);
    const body = { text: $("question-text").value, choices };
    if (marked) body.correct = marked.querySelector(".choice-text").value.trim();
    $("compose-error").hidden = true;
    $("question-text").removeAttribute("aria-invalid");
    try {
      const data = await Iclicker.api("POST", `/api/lectures/${lecture.id}/questions`, body);
      opened(data.question);
      $("compose").reset();
      items.forEach((li) => { li.querySelector(".choice-text").value = ""; });
      refreshResults();
    } catch (error) {
      composeError(error.message);
    }
  };

  $("close-question").onclick = async () => {
    if (current) await Iclicker.api("POST", `/api/lectures/${lecture.id}/questions/${current.id}/close`, {});
  };

  $("reveal").onclick = async () => {
    if (current) await Iclicker.api("POST", `/api/lectures/${lecture.id}/questions/${current.id}/reveal`, {});
  };

  let endArmed = false;
  $("end-lecture").onclick = async () => {
    if (!endArmed) {
      endArmed = true;
      $("end-lecture").textContent = "Press again to end the lecture";
      setTimeout(() => { endArmed = false; $("end-lecture").textContent = "End lecture"; }, 4000);
      return;
    }
    await Iclicker.api("POST", `/api/lectures/${lecture.id}/end`, {});
  };

  async function showBank() {
    if (!lecture.course_id) return;
    const data = await Iclicker.api("GET", `/api/courses/${lecture.course_id}/questions`);
    const items = data.questions.map((q) => {
      const item = Iclicker.element("li");
      item.append(Iclicker.element("span", {}, `${q.text} (${q.choices.join(" · ")})`));
      const button = Iclicker.element("button", { type: "button", class: "primary" }, "Ask");
      button.setAttribute("aria-label", `Ask: ${q.text}`);
      button.onclick = async () => {
        const body = { text: q.text, choices: q.choices };
        if (q.correct !== null) body.correct = q.correct;
        try {
          opened((await Iclicker.api("POST", `/api/lectures/${lecture.id}/questions`, body)).question);
          refreshResults();
        } catch (error) {
          composeError(error.message);
        }
      };
      item.append(button);
      return item;
    });
    $("bank").replaceChildren(...items);
    $("bank-section").hidden = items.length === 0;
  }

  refreshResults();
  showBank();
  if (lecture.status !== "open") {
    document.getElementById("connection").textContent = "lecture ended";
    return;
  }
  Iclicker.connectLecture(lecture.join_code, {
    hello(message) {
      if (message.question) {
        opened(message.question);
      } else if (message.results) {
        current = message.results.question;
        counts = message.results.counts;
        closed = true;
        $("answered").textContent = total(counts);
        showCurrent();
      }
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
        $("answered").textContent = total(counts);
        showCurrent();
      }
      refreshResults();
    },
    answer_revealed(message) {
      if (current && message.question_id === current.id) {
        current.revealed = true;
        showCurrent();
      }
      refreshResults();
    },
    lecture_ended() {
      $("live").hidden = true;
      Iclicker.announce("The lecture has ended.");
      refreshResults();
    },
  });
})();
