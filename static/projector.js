// The projector view: what the room sees. No controls; it follows the
// lecture over its own socket (as the instructor, so it hears tallies), and
// shows the correct answer only after the instructor reveals it. Bars for
// choice questions, a histogram for numbers, a word cloud for text (live
// while the question is open; answers the instructor hid never appear).
"use strict";

(() => {
  const lecture = Iclicker.lectureData();
  const $ = (id) => document.getElementById(id);
  let current = null;   // the question on screen
  let results = { counts: {} };
  let closed = false;
  let asked = false;    // once a question has been asked, the code moves to a corner
  let showPosts = false;
  const posts = new Map();  // the students' questions, by id

  for (const el of document.querySelectorAll(".join-url")) el.textContent = `${location.host}/join`;

  function show(section) {
    for (const id of ["waiting", "question", "ended"]) $(id).hidden = id !== section;
    $("join-corner").hidden = !asked || section === "ended";
  }

  function shown(values) {
    // What may be projected: never an answer the instructor hid.
    if (!values.answers) return values;
    return { ...values, answers: values.answers.filter((a) => !a.hidden) };
  }

  function render() {
    if (!current) {
      show("waiting");
      return;
    }
    asked = true;
    const kind = Iclicker.kindOf(current);
    const choiceKind = kind === "single" || kind === "multiple";
    const revealed = closed && current.revealed;
    const correctSet = Array.isArray(current.correct) ? current.correct : [current.correct];
    $("question-text").textContent = current.text;
    const items = current.choices.map((choice) => {
      const item = Iclicker.element("li", {}, choice);
      if (revealed && correctSet.includes(choice)) {
        item.classList.add("correct");
        item.append(" ✓ correct");
      }
      return item;
    });
    $("choices").replaceChildren(...items);
    $("anonymous-note").hidden = !current.anonymous;
    const withheld = closed && (current.results_hidden || results.results_hidden);
    $("discuss").hidden = !withheld;
    const earlier = closed && !withheld ? results.rounds || [] : [];
    $("rounds").hidden = !earlier.length;
    $("moved").hidden = !(earlier.length && results.moved);
    if (earlier.length) showRounds(revealed);
    $("chart").hidden = !(closed && choiceKind) || withheld || earlier.length > 0;
    const liveCloud = kind === "text" && !closed;
    $("figure").hidden = choiceKind || withheld || earlier.length > 0 || !(closed || liveCloud);
    if (withheld || earlier.length) {
      // nothing more: the class discusses, or the rounds are side by side
    } else if (closed && choiceKind) {
      Iclicker.renderChart($("chart"), current.choices, results.counts || {}, {
        respondents: Iclicker.kindOf(current) === "multiple" ? results.answered : undefined,
        correct: revealed && !Array.isArray(current.correct) ? current.correct : null,
        correctSet: revealed && Array.isArray(current.correct) ? current.correct : null,
        caption: "How the class answered",
      });
    } else if (!choiceKind && !$("figure").hidden) {
      Iclicker.renderResults($("figure"), current, shown(results), {
        caption: closed ? "How the class answered" : "Answers so far",
        correct: revealed && kind === "numeric" ? current.correct : null,
      });
    }
    $("answer-line").hidden = !revealed;
    $("answer-line").textContent = revealed ? `✓ The answer: ${Iclicker.answerText(current, current.correct)}` : "";
    show("question");
  }

  // Every round side by side: each earlier one and the last, with who moved.
  function showRounds(revealed) {
    Iclicker.renderRounds($("rounds"), current, results, { correct: revealed ? current.correct : null });
    const moved = results.moved;
    if (moved) {
      $("moved").textContent = `${moved.to_correct} moved to the correct answer` +
        (moved.to_wrong ? ` · ${moved.to_wrong} moved away from it` : "");
    }
  }

  function showQuestions() {
    const top = Iclicker.byVotes([...posts.values()].filter((p) => !p.hidden)).slice(0, 5);
    $("qa").hidden = !showPosts || !top.length;
    $("qa-list").replaceChildren(...top.map((p) => {
      const item = Iclicker.element("li", {}, p.text);
      item.append(Iclicker.element("span", { class: "votes" }, ` ▲ ${p.votes}`));
      if (p.answered) item.append(Iclicker.element("span", { class: "badge" }, " ✓ answered"));
      return item;
    }));
  }

  function answeredCount(values) {
    return Object.values(values.counts || {}).reduce((a, b) => a + b, 0);
  }

  function opened(question) {
    current = question;
    results = { counts: {} };
    closed = false;
    Iclicker.countdown($("countdown"), question);
  }

  function showClosed(question, closedResults) {
    current = question;
    results = closedResults;
    closed = true;
    Iclicker.countdown($("countdown"), { status: "closed" });
    $("answered").textContent = closedResults.answered ?? answeredCount(closedResults);
  }

  Iclicker.connectLecture(lecture.join_code, {
    hello(message) {
      posts.clear();
      for (const post of message.posts || []) posts.set(post.id, post);
      showPosts = Boolean(message.posts_on_projector);
      showQuestions();
      if (message.question) {
        opened(message.question);
      } else if (message.results) {
        const { question, ...closedResults } = message.results;
        showClosed(question, closedResults);
      } else {
        current = null;
      }
      render();
    },
    question(message) {
      opened(message.question);
      $("answered").textContent = "0";
      render();
      Iclicker.announce(`New question: ${current.text}`);
    },
    question_timer(message) {
      if (current && !closed && message.question_id === current.id) {
        current.time_left = message.time_left;
        Iclicker.countdown($("countdown"), current);
      }
    },
    tally(message) {
      $("present").textContent = message.present;
      if (current && !closed && message.question_id === current.id) {
        $("answered").textContent = message.answered;
        const { type, question_id, present, ...live } = message;
        results = live;
        if (Iclicker.kindOf(current) === "text") render();
      }
    },
    question_closed(message) {
      if (!current || message.question_id !== current.id) return;
      if (message.results_hidden) {
        closed = true;
        results = { results_hidden: true };
        Iclicker.countdown($("countdown"), { status: "closed" });
        render();
        Iclicker.announce("Round closed. Discuss with your neighbour.");
        return;
      }
      const { type, question_id, correct, tolerance, ...closedResults } = message;
      current.correct = correct;
      showClosed(current, closedResults);
      render();
      Iclicker.announce("The question is closed.");
    },
    answers_marked(message) {
      if (!current || message.question_id !== current.id) return;
      current.correct = message.accepted;
      if (message.results) results = message.results;
      render();
    },
    answer_revealed(message) {
      if (!current || message.question_id !== current.id) return;
      current.revealed = true;
      render();
      Iclicker.announce(`The answer: ${Iclicker.answerText(current, current.correct)}`);
    },
    ...Iclicker.postHandlers(posts, showQuestions),
    posts_on_projector(message) {
      showPosts = message.show;
      showQuestions();
    },
    lecture_ended() {
      $("qa").hidden = true;
      show("ended");
      Iclicker.announce("The lecture has ended.");
    },
  });
})();
