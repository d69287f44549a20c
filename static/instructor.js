// The instructor's live lecture page (laptop or phone): compose any kind of
// question (with a timer, perhaps anonymous), watch the results, accept or
// hide text answers, add time, close, reveal on the projector, end. The
// projector view follows on its own.
"use strict";

(() => {
  const lecture = Iclicker.lectureData();
  const $ = (id) => document.getElementById(id);
  let current = null;      // the open (or latest closed) question, with `correct`
  let results = { counts: {} };
  let closed = false;
  let latest = true;       // the current question is the lecture's latest (rounds)
  const posts = new Map(); // students' questions, by id

  $("join-url").textContent = `${location.host}/join`;

  function kind() {
    return $("kind").value;
  }

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
    const type = kind() === "multiple" ? "checkbox" : "radio";
    mark.append(Iclicker.element("input", { type, name: "correct", "aria-label": `Choice ${number} is correct` }), "correct");
    const remove = Iclicker.element("button", { type: "button", class: "link remove" }, "remove");
    remove.setAttribute("aria-label", `Remove choice ${number}`);
    remove.onclick = () => { if (list.children.length > 2) item.remove(); };
    row.append(input, mark, remove);
    item.append(row);
    list.append(item);
  }
  for (let i = 0; i < 4; i++) addChoice();
  $("add-choice").onclick = () => addChoice();

  // The compose form shows what the chosen kind needs.
  function kindChanged() {
    const chosen = kind();
    const choiceKind = chosen === "single" || chosen === "multiple";
    $("choices-fieldset").hidden = !choiceKind;
    $("numeric-fieldset").hidden = chosen !== "numeric";
    $("text-fieldset").hidden = chosen !== "text";
    $("choices-hint").textContent = chosen === "multiple" ? "(mark every correct one, if any)" : "(mark the correct one, if any)";
    for (const box of $("choices").querySelectorAll("input[name=correct]")) {
      box.type = chosen === "multiple" ? "checkbox" : "radio";
      box.checked = false;
    }
  }
  $("kind").onchange = kindChanged;
  $("timer").onchange = () => { $("custom-timer-label").hidden = $("timer").value !== "custom"; };

  function showCurrent() {
    $("current").hidden = !current;
    if (!current) return;
    const kindNow = Iclicker.kindOf(current);
    $("current-text").textContent = current.text;
    $("current-state").textContent = closed ? (current.revealed ? "closed, answer shown" : "closed") : "open";
    $("current-anonymous").hidden = !current.anonymous;
    const choiceKind = kindNow === "single" || kindNow === "multiple";
    $("chart").hidden = !choiceKind;
    $("figure").hidden = choiceKind;
    const caption = closed ? "Final answers" : "Answers so far";
    if (choiceKind) {
      const correct = current.revealed ? current.correct : null;
      Iclicker.renderChart($("chart"), current.choices, results.counts || {}, {
        respondents: Iclicker.kindOf(current) === "multiple" ? results.answered : undefined,
        correct: Array.isArray(correct) ? null : correct,
        correctSet: Array.isArray(correct) ? correct : null,
        caption,
      });
    } else {
      Iclicker.renderResults($("figure"), current, results, { caption, correct: kindNow === "numeric" ? current.correct : null });
    }
    showTextAnswers();
    $("close-question").hidden = closed;
    $("close-hidden").hidden = closed;
    $("add-time").hidden = closed;
    $("next-round").hidden = !closed || !latest || Boolean(current.anonymous);
    $("next-round").textContent = `Start round ${(current.round || 1) + 1}`;
    showRounds();
    const noCorrect = current.correct === null || current.correct === undefined || (Array.isArray(current.correct) && !current.correct.length);
    $("reveal").hidden = !closed || current.revealed || noCorrect;
    if (closed) Iclicker.countdown($("countdown"), { status: "closed" });
  }

  // After several rounds: each round's results side by side, and who moved.
  function showRounds() {
    const earlier = closed ? results.rounds || [] : [];
    $("rounds").hidden = !earlier.length;
    $("moved").hidden = !(earlier.length && results.moved);
    if (earlier.length) {
      Iclicker.renderRounds($("rounds"), current, results);
      if (results.moved) {
        $("moved").textContent = `${results.moved.to_correct} moved to the correct answer, ` +
          `${results.moved.to_wrong} away from it, ${results.moved.stayed_correct} stayed right.`;
      }
    }
    const confidence = closed ? results.confidence : null;
    $("confidence-summary").hidden = !confidence;
    if (confidence) {
      const table = Iclicker.element("table");
      table.append(Iclicker.element("caption", {}, "How sure, against how right"));
      const head = Iclicker.element("tr");
      for (const title of ["Confidence", "Right", "Wrong", "No correct answer"]) {
        head.append(Iclicker.element("th", { scope: "col" }, title));
      }
      table.append(head);
      for (const level of ["high", "medium", "low"]) {
        const row = Iclicker.element("tr");
        const counts = confidence[level];
        row.append(Iclicker.element("th", { scope: "row" }, level),
          Iclicker.element("td", {}, String(counts.right)),
          Iclicker.element("td", {}, String(counts.wrong)),
          Iclicker.element("td", {}, String(counts.ungraded)));
        table.append(row);
      }
      $("confidence-summary").replaceChildren(table);
    }
  }

  // Each distinct text answer with Accept and Hide toggles.
  function showTextAnswers() {
    const isText = current && Iclicker.kindOf(current) === "text";
    $("text-answers").hidden = !isText || !(results.answers || []).length;
    if (!isText) return;
    const items = (results.answers || []).map((answer) => {
      const item = Iclicker.element("li");
      const label = `${answer.text} (${answer.count})`;
      item.append(Iclicker.element("span", { class: answer.hidden ? "hidden-answer" : "" }, label));
      if (answer.accepted) item.append(Iclicker.element("span", { class: "badge" }, "✓ accepted"));
      if (answer.hidden) item.append(Iclicker.element("span", { class: "badge muted" }, "hidden"));
      const accept = Iclicker.element("button", { type: "button", class: "link", "aria-pressed": String(answer.accepted) },
        answer.accepted ? "Unaccept" : "Accept");
      accept.setAttribute("aria-label", `${answer.accepted ? "Unaccept" : "Accept"} “${answer.text}”`);
      accept.onclick = () => mark(answer.text, { accepted: !answer.accepted });
      const hide = Iclicker.element("button", { type: "button", class: "link", "aria-pressed": String(answer.hidden) },
        answer.hidden ? "Show" : "Hide");
      hide.setAttribute("aria-label", `${answer.hidden ? "Show" : "Hide"} “${answer.text}” on the projector`);
      hide.onclick = () => mark(answer.text, { hidden: !answer.hidden });
      item.append(accept, hide);
      return item;
    });
    $("text-answer-list").replaceChildren(...items);
  }

  async function mark(answer, change) {
    const path = `/api/lectures/${lecture.id}/questions/${current.id}/marks`;
    const data = await Iclicker.api("POST", path, { answer, ...change });
    current.correct = data.question.correct;
    current.hidden = data.question.hidden;
    for (const item of results.answers || []) {
      const key = Iclicker.normalise(item.text);
      item.accepted = current.correct.some((a) => Iclicker.normalise(a) === key);
      item.hidden = current.hidden.some((a) => Iclicker.normalise(a) === key);
    }
    showCurrent();
    refreshResults();
  }

  function opened(question) {
    current = question;
    results = { counts: {} };
    closed = false;
    latest = true;
    $("answered").textContent = "0";
    Iclicker.countdown($("countdown"), question);
    showCurrent();
  }

  function total(values) {
    return Object.values(values).reduce((a, b) => a + b, 0);
  }

  function summary(q) {
    const kindNow = Iclicker.kindOf(q);
    if (kindNow === "numeric") {
      const h = q.histogram;
      return h.count ? `${h.count} answers, median ${h.median}` : "no answers";
    }
    if (kindNow === "text") {
      const top = q.answers.slice(0, 3).map((a) => `${a.text}: ${a.count}`);
      return top.length ? top.join(", ") : "no answers";
    }
    const correct = Array.isArray(q.correct) ? q.correct : [q.correct];
    const parts = q.choices.map((c) => `${c}: ${q.counts[c]}${q.revealed && correct.includes(c) ? " ✓" : ""}`);
    return `${parts.join(", ")} (${total(q.counts)} picks)`;
  }

  async function refreshResults() {
    const data = await Iclicker.api("GET", `/api/lectures/${lecture.id}/questions`);
    if (!data.questions.length) return;
    const mine = current && closed && data.questions.find((q) => q.id === current.id);
    if (mine) {
      // The instructor's full results of the closed question: answers, rounds, confidence.
      const { id, text, choices, status, kind, anonymous, correct, revealed, ...closedResults } = mine;
      current = { ...current, correct, revealed, round: mine.round, results_hidden: mine.results_hidden };
      results = closedResults;
      latest = mine.id === data.questions[data.questions.length - 1].id;
      $("answered").textContent = closedResults.answered ?? total(closedResults.counts);
      showCurrent();
    }
    const list = Iclicker.element("ol", { class: "result-list" });
    for (const q of data.questions) {
      // An open question's results change by the second: they live on the chart above.
      if (q.status === "open") {
        list.append(Iclicker.element("li", {}, `${q.text} — open: answers on the live chart`));
        continue;
      }
      const state = q.revealed ? "closed, answer shown" : "closed";
      const anonymous = q.anonymous ? ", anonymous" : "";
      list.append(Iclicker.element("li", {}, `${q.text} — ${summary(q)} (${state}${anonymous})`));
    }
    $("results").replaceChildren(list);
  }

  function composeError(message) {
    $("compose-error").textContent = message;
    $("compose-error").hidden = false;
    $("question-text").setAttribute("aria-invalid", "true");
    $("question-text").focus();
  }

  function number(text) {
    const cleaned = text.trim().replace(/^([^.,]*),([^.,]*)$/, "$1.$2");
    return cleaned === "" ? null : Number(cleaned);
  }

  // The body of POST …/questions for what the form says.
  function questionBody() {
    const chosen = kind();
    const body = { text: $("question-text").value };
    if (chosen !== "single") body.kind = chosen;
    if (chosen === "single" || chosen === "multiple") {
      const items = [...$("choices").children];
      body.choices = items.map((li) => li.querySelector(".choice-text").value.trim());
      const marked = items.filter((li) => li.querySelector("input[name=correct]").checked)
        .map((li) => li.querySelector(".choice-text").value.trim());
      if (chosen === "single" && marked.length) body.correct = marked[0];
      if (chosen === "multiple" && marked.length) body.correct = marked;
    } else if (chosen === "numeric") {
      const correct = number($("numeric-correct").value);
      if (correct !== null) body.correct = correct;
      const tolerance = number($("tolerance").value);
      if (correct !== null && tolerance !== null) body.tolerance = { [$("tolerance-unit").value]: tolerance };
    } else {
      const accepted = $("accepted").value.split("\n").map((line) => line.trim()).filter(Boolean);
      if (accepted.length) body.correct = accepted;
    }
    const timer = $("timer").value === "custom" ? Number($("custom-timer").value) : Number($("timer").value);
    if (timer) body.timer = timer;
    if ($("anonymous").checked) body.anonymous = true;
    if ($("ask-confidence").checked) body.confidence = true;
    return body;
  }

  $("compose").onsubmit = async (event) => {
    event.preventDefault();
    $("compose-error").hidden = true;
    $("question-text").removeAttribute("aria-invalid");
    try {
      const data = await Iclicker.api("POST", `/api/lectures/${lecture.id}/questions`, questionBody());
      opened(data.question);
      const chosen = kind();
      $("compose").reset();
      $("kind").value = chosen;
      kindChanged();
      $("custom-timer-label").hidden = true;
      for (const li of $("choices").children) li.querySelector(".choice-text").value = "";
      refreshResults();
    } catch (error) {
      composeError(error.message);
    }
  };

  async function closeCurrent(showResults) {
    if (!current) return;
    const path = `/api/lectures/${lecture.id}/questions/${current.id}/close`;
    const data = await Iclicker.api("POST", path, { show_results: showResults });
    const { question, ...closedResults } = data;
    if (Iclicker.kindOf(question) === "text") closedResults.answers = closedResults.answers || results.answers;
    current = { ...current, ...question };
    showClosed(current, closedResults);
  }
  $("close-question").onclick = () => closeCurrent(true);
  $("close-hidden").onclick = () => closeCurrent(false);

  $("next-round").onclick = async () => {
    if (!current) return;
    const data = await Iclicker.api("POST", `/api/lectures/${lecture.id}/questions/${current.id}/rounds`, {});
    opened(data.question);
    Iclicker.announce(`Round ${data.question.round} is open.`);
  };

  // -- students' questions ---------------------------------------------------

  function showPosts() {
    const sorted = Iclicker.byVotes(posts.values());
    $("qa-empty").hidden = sorted.length > 0;
    $("qa-list").replaceChildren(...sorted.map((post) => {
      const item = Iclicker.element("li", { class: post.hidden ? "hidden-post" : "" });
      item.append(Iclicker.element("span", { class: "qa-votes" }, `▲ ${post.votes}`),
        Iclicker.element("span", { class: "qa-text" }, post.text));
      if (post.author) item.append(Iclicker.element("span", { class: "muted" }, `— ${post.author}`));
      const answered = Iclicker.element("button", { type: "button", class: "link", "aria-pressed": String(post.answered) },
        post.answered ? "Answered ✓" : "Mark answered");
      answered.setAttribute("aria-label", `${post.answered ? "Unmark" : "Mark"} answered: ${post.text}`);
      answered.onclick = () => moderate(post, { answered: !post.answered });
      const hide = Iclicker.element("button", { type: "button", class: "link", "aria-pressed": String(post.hidden) },
        post.hidden ? "Show" : "Hide");
      hide.setAttribute("aria-label", `${post.hidden ? "Show" : "Hide"}: ${post.text}`);
      hide.onclick = () => moderate(post, { hidden: !post.hidden });
      item.append(answered, hide);
      return item;
    }));
  }

  async function moderate(post, change) {
    const data = await Iclicker.api("POST", `/api/lectures/${lecture.id}/posts/${post.id}`, change);
    posts.set(post.id, data.post);
    showPosts();
  }

  async function loadPosts() {
    const data = await Iclicker.api("GET", `/api/lectures/${lecture.id}/posts`);
    posts.clear();
    for (const post of data.posts) posts.set(post.id, post);
    showPosts();
  }

  $("show-posts").onchange = async () => {
    await Iclicker.api("POST", `/api/lectures/${lecture.id}/projector`, { show_posts: $("show-posts").checked });
  };

  $("add-time").onclick = async () => {
    if (current) await Iclicker.api("POST", `/api/lectures/${lecture.id}/questions/${current.id}/time`, { seconds: 30 });
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

  function showClosed(question, closedResults) {
    current = question;
    results = closedResults;
    closed = true;
    $("answered").textContent = closedResults.answered ?? total(closedResults.counts);
    showCurrent();
  }

  Iclicker.connectLecture(lecture.join_code, {
    hello(message) {
      posts.clear();
      for (const post of message.posts || []) posts.set(post.id, post);
      $("show-posts").checked = Boolean(message.posts_on_projector);
      showPosts();
      if (message.question) {
        opened(message.question);
      } else if (message.results) {
        const { question, ...closedResults } = message.results;
        showClosed(question, closedResults);
      }
    },
    question(message) {
      const again = current && current.id === message.question.id && closed;
      if (!current || current.id !== message.question.id || again) opened(message.question);
      else latest = true;
    },
    post_added() {
      loadPosts();  // with its author, which the lecture-wide frame leaves out
    },
    post_changed(message) {
      const known = posts.get(message.post.id);
      posts.set(message.post.id, { ...message.post, author: known ? known.author : undefined });
      showPosts();
    },
    post_votes(message) {
      Iclicker.applyVotes(posts, message);
      showPosts();
    },
    posts_on_projector(message) {
      $("show-posts").checked = message.show;
    },
    question_timer(message) {
      if (current && message.question_id === current.id && !closed) {
        current.deadline = message.deadline;
        current.time_left = message.time_left;
        Iclicker.countdown($("countdown"), current);
      }
    },
    tally(message) {
      $("present").textContent = message.present;
      if (current && message.question_id === current.id && !closed) {
        const { type, question_id, present, ...live } = message;
        results = live;
        $("answered").textContent = answered;
        showCurrent();
      }
    },
    question_closed(message) {
      if (current && message.question_id === current.id && !closed) {
        // Closed by its timer or another screen: the lecture-wide frame may hold the
        // results back (another round coming) and never has the instructor's extras.
        closed = true;
        showCurrent();
      }
      refreshResults();
    },
    answers_marked(message) {
      if (current && message.question_id === current.id) {
        current.correct = message.accepted;
        current.hidden = message.hidden;
        if (message.results) results = message.results;
        showCurrent();
      }
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
