// The student's live page: the question appears, a tap answers, "recorded"
// shows only once the server has committed the answer; after the close the
// student sees their answer, whether it was right, and the correct one.
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

  function button(choice) {
    const el = document.createElement("button");
    el.type = "button";
    el.dataset.choice = choice;
    el.append(Iclicker.element("span", { class: "choice-text" }, choice));
    el.append(Iclicker.element("span", { class: "badge" }));
    el.onclick = () => answer(choice, el);
    return el;
  }

  function badge(el, text) {
    el.querySelector(".badge").textContent = text;
  }

  function markButtons() {
    for (const el of $("choices").children) {
      const mine = el.dataset.choice === recorded;
      el.classList.toggle("recorded", mine);
      el.setAttribute("aria-pressed", String(mine));
      badge(el, mine ? "✓ recorded" : "");
    }
    $("answer-status").textContent = recorded === null
      ? "Choose an answer."
      : `Your answer "${recorded}" is recorded. You can change it until the question closes.`;
  }

  function render(q, myAnswer) {
    question = q;
    recorded = myAnswer;
    $("question-text").textContent = q.text;
    $("result").hidden = true;
    $("error").hidden = true;
    $("choices").replaceChildren(...q.choices.map(button));
    markButtons();
    show("question");
  }

  function answer(choice, el) {
    if (!question || question.status !== "open") return;
    for (const b of $("choices").children) b.classList.remove("pending");
    if (socket.send({ type: "answer", question_id: question.id, choice })) {
      el.classList.add("pending");
      $("answer-status").textContent = "Sending…";
    } else {
      $("answer-status").textContent = "Not connected; your answer was not sent. Try again in a moment.";
    }
  }

  function verdict(correct) {
    const box = $("verdict");
    box.className = "verdict";
    if (correct === null) {
      box.textContent = recorded === null
        ? "The question is closed. It had no single correct answer."
        : `The question is closed. Your answer: "${recorded}". It had no single correct answer.`;
    } else if (recorded === null) {
      box.textContent = `You did not answer. The correct answer: "${correct}".`;
    } else if (recorded === correct) {
      box.classList.add("right");
      box.textContent = `✓ Right! Your answer "${recorded}" is correct.`;
    } else {
      box.classList.add("wrong");
      box.textContent = `✗ Not quite. Your answer: "${recorded}". The correct answer: "${correct}".`;
    }
    return box.textContent;
  }

  const socket = Iclicker.connectLecture(lecture.join_code, {
    hello(message) {
      if (message.question) render(message.question, message.my_answer);
      else show("waiting");
    },
    question(message) {
      render(message.question, null);
      Iclicker.announce(`New question: ${message.question.text}`);
    },
    answer_ack(message) {
      if (question && message.question_id === question.id) {
        recorded = message.choice;
        for (const b of $("choices").children) b.classList.remove("pending");
        markButtons();
        Iclicker.announce(`Your answer "${recorded}" is recorded.`);
      }
    },
    question_closed(message) {
      if (!question || message.question_id !== question.id) return;
      question.status = "closed";
      const correct = message.correct;
      for (const el of $("choices").children) {
        const choice = el.dataset.choice;
        el.disabled = true;
        el.classList.remove("pending", "recorded");
        el.classList.toggle("correct", correct !== null && choice === correct);
        el.classList.toggle("wrong", choice === recorded && correct !== null && choice !== correct);
        badge(el, correct !== null && choice === correct
          ? (choice === recorded ? "✓ correct answer · yours" : "✓ correct answer")
          : (choice === recorded ? "✗ your answer" : ""));
      }
      $("answer-status").textContent = "";
      Iclicker.renderChart($("result-chart"), question.choices, message.counts, {
        correct, mine: recorded, caption: "How the class answered",
      });
      $("result").hidden = false;
      Iclicker.announce(verdict(correct));
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
      Iclicker.announce("The lecture has ended.");
    },
  });
})();
