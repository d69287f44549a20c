// The student's live page: the question appears with the input its kind needs
// (a button per choice, checkboxes, a number with the phone's numeric keypad,
// a short text), and "recorded" shows only once the server has committed the
// answer; a timed question counts down; after the close the student sees
// their answer, whether it was right, and how the class answered.
"use strict";

(() => {
  const lecture = Iclicker.lectureData();
  const $ = (id) => document.getElementById(id);
  let question = null;
  let recorded = null;
  const posts = new Map();      // the students' questions, by id
  const myVotes = new Set();
  const unsent = new Map();     // client_id -> text: posts awaiting their ack, resent on reconnect

  function show(section) {
    for (const id of ["waiting", "question", "ended"]) $(id).hidden = id !== section;
    if (section !== "question") $("result").hidden = true;
  }

  function kind() {
    return Iclicker.kindOf(question);
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

  function checkbox(choice, index) {
    const label = Iclicker.element("label", { class: "check answer-check" });
    const box = Iclicker.element("input", { type: "checkbox", value: choice, id: `choice-${index}` });
    label.append(box, Iclicker.element("span", {}, choice));
    return label;
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
      ? (kind() === "single" ? "Choose an answer." : "")
      : `Your answer "${Iclicker.answerText(question, recorded)}" is recorded. You can change it until the question closes.`;
  }

  function render(q, myAnswer) {
    question = q;
    recorded = myAnswer;
    const k = kind();
    $("question-text").textContent = q.text;
    $("result").hidden = true;
    $("discuss").hidden = true;
    $("error").hidden = true;
    $("confidence").hidden = !q.asks_confidence;
    for (const radio of document.querySelectorAll("input[name=confidence]")) {
      radio.checked = radio.value === q.my_confidence;
      radio.disabled = false;
    }
    $("anonymous-note").hidden = !q.anonymous;
    $("choices").hidden = k !== "single";
    $("choices").replaceChildren(...(k === "single" ? q.choices.map(button) : []));
    $("answer-form").hidden = k === "single";
    $("multiple-choices").hidden = k !== "multiple";
    $("multiple-choices").replaceChildren(Iclicker.element("legend", {}, "Select all that apply"),
      ...(k === "multiple" ? q.choices.map(checkbox) : []));
    $("value-label").hidden = k !== "numeric" && k !== "text";
    const input = $("value");
    input.value = "";
    input.disabled = false;
    $("send-answer").disabled = false;
    if (k === "numeric") {
      input.setAttribute("inputmode", "decimal");
      input.setAttribute("maxlength", "40");
      $("value-label-text").textContent = "Your number";
    } else if (k === "text") {
      input.setAttribute("inputmode", "text");
      input.setAttribute("maxlength", "280");
      $("value-label-text").textContent = "Your answer (up to 280 characters)";
    }
    if (k === "multiple" && Array.isArray(myAnswer)) {
      for (const box of $("multiple-choices").querySelectorAll("input")) box.checked = myAnswer.includes(box.value);
    } else if (myAnswer !== null && (k === "numeric" || k === "text")) {
      input.value = String(myAnswer);
    }
    Iclicker.countdown($("countdown"), q);
    markButtons();
    show("question");
  }

  function confidence() {
    const chosen = document.querySelector("input[name=confidence]:checked");
    return question && question.asks_confidence && chosen ? chosen.value : undefined;
  }

  // Changing how sure you are re-sends the recorded answer with it.
  for (const radio of document.querySelectorAll("input[name=confidence]")) {
    radio.onchange = () => { if (recorded !== null) send(recorded); };
  }

  function send(choice) {
    if (!question || question.status !== "open") return false;
    const message = { type: "answer", question_id: question.id, choice };
    if (confidence()) message.confidence = confidence();
    if (socket.send(message)) {
      $("answer-status").textContent = "Sending…";
      return true;
    }
    $("answer-status").textContent = "Not connected; your answer was not sent. Try again in a moment.";
    return false;
  }

  function answer(choice, el) {
    for (const b of $("choices").children) b.classList.remove("pending");
    if (send(choice)) el.classList.add("pending");
  }

  $("answer-form").onsubmit = (event) => {
    event.preventDefault();
    $("error").hidden = true;
    if (kind() === "multiple") {
      const picked = [...$("multiple-choices").querySelectorAll("input:checked")].map((box) => box.value);
      if (!picked.length) {
        $("answer-status").textContent = "Select at least one choice.";
        return;
      }
      send(picked);
    } else {
      const value = $("value").value.trim();
      if (!value) {
        $("answer-status").textContent = "Type your answer first.";
        $("value").focus();
        return;
      }
      send(value);
    }
  };

  function verdict(correct, tolerance) {
    const box = $("verdict");
    box.className = "verdict";
    const mine = Iclicker.answerText(question, recorded);
    const right = Iclicker.answerText(question, correct);
    const judged = Iclicker.judge(question, recorded, correct, tolerance);
    if (question.anonymous) {
      box.textContent = recorded === null
        ? "The poll is closed."
        : "The poll is closed. Your answer was counted anonymously.";
    } else if (judged === null) {
      box.textContent = recorded === null
        ? "The question is closed. It had no single correct answer."
        : `The question is closed. Your answer: "${mine}". It had no single correct answer.`;
    } else if (recorded === null) {
      box.textContent = `You did not answer. The correct answer: "${right}".`;
    } else if (judged) {
      box.classList.add("right");
      box.textContent = `✓ Right! Your answer "${mine}" is correct.`;
    } else {
      box.classList.add("wrong");
      box.textContent = `✗ Not quite. Your answer: "${mine}". The correct answer: "${right}".`;
    }
    return box.textContent;
  }

  function showSingleResult(message) {
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
    Iclicker.renderChart($("result-chart"), question.choices, message.counts, {
      correct, mine: recorded, caption: "How the class answered",
    });
  }

  // -- students' questions ----------------------------------------------------

  function showPosts() {
    const sorted = Iclicker.byVotes([...posts.values()].filter((p) => !p.hidden));
    $("qa-list").replaceChildren(...sorted.map((post) => {
      const item = Iclicker.element("li");
      const voted = myVotes.has(post.id);
      const up = Iclicker.element("button", { type: "button", class: "vote", "aria-pressed": String(voted) },
        `▲ ${post.votes}`);
      up.setAttribute("aria-label", `${voted ? "Take back your vote for" : "Upvote"}: ${post.text} (${post.votes} votes)`);
      up.onclick = () => socket.send({ type: "vote", post_id: post.id, up: !voted });
      item.append(up, Iclicker.element("span", { class: "qa-text" }, post.text));
      if (post.answered) item.append(Iclicker.element("span", { class: "badge" }, "✓ answered"));
      return item;
    }));
  }

  function sendPost(clientId, text) {
    return socket.send({ type: "post", text, client_id: clientId });
  }

  $("post-form").onsubmit = (event) => {
    event.preventDefault();
    const text = $("post-text").value.trim();
    if (!text) {
      $("post-status").textContent = "Type your question first.";
      $("post-text").focus();
      return;
    }
    const clientId = `${Date.now()}-${Math.random().toString(36).slice(2, 10)}`;
    unsent.set(clientId, text);
    $("post-text").value = "";
    $("post-status").textContent = sendPost(clientId, text)
      ? "Posting…"
      : "Not connected; your question will be posted when the connection is back.";
  };

  const socket = Iclicker.connectLecture(lecture.join_code, {
    hello(message) {
      if (message.question) render({ ...message.question, my_confidence: message.my_confidence }, message.my_answer);
      else show("waiting");
      posts.clear();
      for (const post of message.posts || []) posts.set(post.id, post);
      myVotes.clear();
      for (const id of message.my_votes || []) myVotes.add(id);
      showPosts();
      for (const [clientId, text] of unsent) sendPost(clientId, text);
    },
    ...Iclicker.postHandlers(posts, showPosts),
    post_ack(message) {
      unsent.delete(message.client_id);
      posts.set(message.post.id, message.post);
      showPosts();
      $("post-status").textContent = "Your question is posted.";
      Iclicker.announce("Your question is posted.");
    },
    vote_ack(message) {
      if (message.up) myVotes.add(message.post_id);
      else myVotes.delete(message.post_id);
      const post = posts.get(message.post_id);
      if (post) post.votes = message.votes;
      showPosts();
    },
    question(message) {
      render(message.question, null);
      const timed = message.question.time_left !== undefined ? ` You have ${Math.round(message.question.time_left)} seconds.` : "";
      Iclicker.announce(`New question: ${message.question.text}${timed}`);
    },
    question_timer(message) {
      if (question && message.question_id === question.id) {
        question.time_left = message.time_left;
        Iclicker.countdown($("countdown"), question);
        Iclicker.announce("The instructor added time.");
      }
    },
    answer_ack(message) {
      if (question && message.question_id === question.id) {
        recorded = message.choice;
        for (const b of $("choices").children) b.classList.remove("pending");
        markButtons();
        Iclicker.announce(`Your answer "${Iclicker.answerText(question, recorded)}" is recorded.`);
      }
    },
    question_closed(message) {
      if (!question || message.question_id !== question.id) return;
      question.status = "closed";
      Iclicker.countdown($("countdown"), question);
      $("answer-status").textContent = "";
      for (const el of $("answer-form").querySelectorAll("input, button")) el.disabled = true;
      for (const el of document.querySelectorAll("input[name=confidence]")) el.disabled = true;
      if (message.results_hidden) {
        for (const el of $("choices").children) el.disabled = true;
        $("discuss").hidden = false;
        Iclicker.announce("Round closed. Discuss your answer with your neighbour.");
        return;
      }
      const single = kind() === "single";
      $("result-chart").hidden = !single;
      $("result-figure").hidden = single;
      if (single) {
        showSingleResult(message);
      } else {
        Iclicker.renderResults($("result-figure"), question, message, {
          correct: message.correct, mine: recorded, caption: "How the class answered",
        });
      }
      $("result").hidden = false;
      Iclicker.announce(verdict(message.correct, message.tolerance));
    },
    error(message) {
      for (const b of $("choices").children) b.classList.remove("pending");
      if (message.code === "posting_banned" || message.code === "rate_limited") {
        unsent.clear();
        $("post-status").textContent = message.message;
      }
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
