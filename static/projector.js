// The projector view: what the room sees. No controls; it follows the
// lecture over its own socket (as the instructor, so it hears tallies), and
// shows the correct answer only after the instructor reveals it.
"use strict";

(() => {
  const lecture = Iclicker.lectureData();
  const $ = (id) => document.getElementById(id);
  let current = null;   // the question on screen
  let counts = {};
  let closed = false;
  let asked = false;    // once a question has been asked, the code moves to a corner

  for (const el of document.querySelectorAll(".join-url")) el.textContent = `${location.host}/join`;

  function show(section) {
    for (const id of ["waiting", "question", "ended"]) $(id).hidden = id !== section;
    $("join-corner").hidden = !asked || section === "ended";
  }

  function render() {
    if (!current) {
      show("waiting");
      return;
    }
    asked = true;
    const revealed = closed && current.revealed;
    $("question-text").textContent = current.text;
    const items = current.choices.map((choice) => {
      const item = Iclicker.element("li", {}, choice);
      if (revealed && choice === current.correct) {
        item.classList.add("correct");
        item.append(" ✓ correct");
      }
      return item;
    });
    $("choices").replaceChildren(...items);
    $("chart").hidden = !closed;
    if (closed) {
      Iclicker.renderChart($("chart"), current.choices, counts, {
        correct: revealed ? current.correct : null,
        caption: "How the class answered",
      });
    }
    $("answer-line").hidden = !revealed;
    $("answer-line").textContent = revealed ? `✓ The answer: ${current.correct}` : "";
    show("question");
  }

  function total(values) {
    return Object.values(values).reduce((a, b) => a + b, 0);
  }

  Iclicker.connectLecture(lecture.join_code, {
    hello(message) {
      if (message.question) {
        current = message.question;
        counts = {};
        closed = false;
      } else if (message.results) {
        current = message.results.question;
        counts = message.results.counts;
        closed = true;
        $("answered").textContent = total(counts);
      } else {
        current = null;
      }
      render();
    },
    question(message) {
      current = message.question;
      counts = {};
      closed = false;
      $("answered").textContent = "0";
      render();
      Iclicker.announce(`New question: ${current.text}`);
    },
    tally(message) {
      $("present").textContent = message.present;
      if (current && !closed && message.question_id === current.id) {
        $("answered").textContent = message.answered;
      }
    },
    question_closed(message) {
      if (!current || message.question_id !== current.id) return;
      counts = message.counts;
      closed = true;
      current.correct = message.correct;
      $("answered").textContent = total(counts);
      render();
      Iclicker.announce("The question is closed.");
    },
    answer_revealed(message) {
      if (!current || message.question_id !== current.id) return;
      current.revealed = true;
      render();
      Iclicker.announce(`The answer: ${current.correct}`);
    },
    lecture_ended() {
      show("ended");
      Iclicker.announce("The lecture has ended.");
    },
  });
})();
