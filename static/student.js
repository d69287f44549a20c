// The student's live page: the question appears, a tap answers, "recorded"
// shows only once the server has committed the answer.
"use strict";

(() => {
  const lecture = Iclicker.lectureData();
  const $ = (id) => document.getElementById(id);
  let question = null;
  let recorded = null;

  function show(section) {
    for (const id of ["waiting", "question", "ended"]) $(id).hidden = id !== section;
    if (section !== "question") $("result").hidden = true;
  }

  function markButtons() {
    for (const button of $("choices").children) {
      button.classList.toggle("recorded", button.dataset.choice === recorded);
    }
    $("answer-status").textContent = recorded === null ? "Tap an answer." : `Your answer "${recorded}" is recorded.`;
  }

  function render(q, myAnswer) {
    question = q;
    recorded = myAnswer;
    $("question-text").textContent = q.text;
    $("result").hidden = true;
    $("error").hidden = true;
    const buttons = q.choices.map((choice) => {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = choice;
      button.dataset.choice = choice;
      button.onclick = () => answer(choice, button);
      return button;
    });
    $("choices").replaceChildren(...buttons);
    markButtons();
    show("question");
  }

  function answer(choice, button) {
    if (!question || question.status !== "open") return;
    for (const b of $("choices").children) b.classList.remove("pending");
    if (socket.send({ type: "answer", question_id: question.id, choice })) {
      button.classList.add("pending");
      $("answer-status").textContent = "Sending…";
    } else {
      $("answer-status").textContent = "Not connected; your answer was not sent. Try again in a moment.";
    }
  }

  const socket = Iclicker.connect(lecture.join_code, {
    hello(message) {
      if (message.question) render(message.question, message.my_answer);
      else show("waiting");
    },
    question(message) {
      render(message.question, null);
    },
    answer_ack(message) {
      if (question && message.question_id === question.id) {
        recorded = message.choice;
        for (const b of $("choices").children) b.classList.remove("pending");
        markButtons();
      }
    },
    question_closed(message) {
      if (!question || message.question_id !== question.id) return;
      question.status = "closed";
      for (const button of $("choices").children) {
        button.disabled = true;
        button.classList.remove("pending");
        button.classList.toggle("correct", button.dataset.choice === message.correct);
      }
      $("answer-status").textContent = message.correct === null
        ? "Closed."
        : `Closed. The answer was "${message.correct}".`;
      Iclicker.drawChart($("result-chart"), question.choices, message.counts, message.correct);
      $("result").hidden = false;
    },
    error(message) {
      for (const b of $("choices").children) b.classList.remove("pending");
      $("error").textContent = message.message;
      $("error").hidden = false;
    },
    lecture_ended() {
      question = null;
      $("choices").replaceChildren();
      show("ended");
    },
  });
})();
