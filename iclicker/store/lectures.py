"""Lectures, questions and answers."""

import json
from collections.abc import Callable
from typing import Any

import attrs

from iclicker.store.db import Database
from iclicker.store.engine import Txn, UniqueViolation


@attrs.frozen
class LectureRow:
    id: int
    owner_id: int
    title: str
    join_code: str
    status: str
    created_at: float
    course_id: int | None = None
    anonymous: bool = False
    """Every question asked in it is anonymous."""
    posts_anonymous: bool = False
    """Students' questions (Q&A) are anonymous to the instructor too."""


@attrs.frozen
class NewQuestion:
    """A question as checked by the domain, to be asked."""

    text: str
    choices: tuple[str, ...]
    correct: Any
    kind: str = "single"
    tolerance: dict | None = None
    anonymous: bool = False
    timer: int | None = None
    """Seconds until the question closes itself."""
    asks_confidence: bool = False
    """Students may say how sure they are (low, medium, high) with their answer."""


@attrs.frozen
class QuestionRow:
    id: int
    lecture_id: int
    text: str
    choices: tuple[str, ...]
    correct: Any
    """single: the choice or None; multiple: a tuple of choices or None; numeric: a float
    or None; text: a tuple of accepted answers."""
    status: str
    revealed: bool = False
    """The instructor has shown the correct answer on the projector."""
    kind: str = "single"
    tolerance: dict | None = None
    anonymous: bool = False
    deadline: float | None = None
    """When an open timed question closes itself (epoch seconds)."""
    hidden: tuple[str, ...] = ()
    """Text answers the instructor hid from the projected results."""
    round: int = 1
    """Peer instruction: the round being (or last) answered; earlier rounds are kept apart."""
    asks_confidence: bool = False
    results_hidden: bool = False
    """Closed without showing students the results (before another round)."""


@attrs.frozen
class Answer:
    question_id: int
    user_id: int
    choice: str
    """The answer as stored, whatever the question's kind (see ``question_kinds``)."""
    answered_at: float
    correct: bool | None = None
    confidence: str | None = None


@attrs.frozen
class ResponseRow:
    """One student's final answer to one question, for the responses export.

    Anonymous questions' rows have no username, display name or time.
    """

    username: str
    display_name: str
    question_id: int
    question: str
    kind: str
    choice: str
    correct: bool | None
    answered_at: float | None
    round: int = 1


@attrs.frozen
class ClosedQuestion:
    """A question as it was closed, with its final counts (choices nobody picked absent)."""

    question: QuestionRow
    counts: dict[str, int]
    earlier_rounds: tuple[tuple[int, dict[str, int]], ...] = ()
    """(round, counts) of the rounds before the last."""
    moved: dict[str, int] | None = None
    """After several rounds: how many students went from wrong to right and back."""


class JoinCodeTaken(Exception):
    """The generated join code is already used by another lecture."""


class LectureNotOpen(Exception):
    """The lecture ended before this change reached the database."""


_LECTURE_COLUMNS = (
    "id, owner_id, title, join_code, status, created_at, course_id, anonymous, posts_anonymous"
)
_QUESTION_COLUMNS = (
    "id, lecture_id, text, choices, correct, status, revealed_at IS NOT NULL,"
    " kind, tolerance, anonymous, deadline, hidden, round, asks_confidence, results_hidden"
)


def _lecture(row: tuple) -> LectureRow:
    return LectureRow(*row[:7], anonymous=bool(row[7]), posts_anonymous=bool(row[8]))


def _encode_correct(kind: str, correct: Any) -> str | None:
    """A single choice is kept as its text (as before kinds); the other kinds as JSON."""
    if kind == "single" or correct is None:
        return correct
    return json.dumps(list(correct) if isinstance(correct, tuple) else correct)


def decode_correct(kind: str, stored: str | None) -> Any:
    if kind == "single":
        return stored
    value = None if stored is None else json.loads(stored)
    if kind == "numeric":
        return value
    return tuple(value) if value is not None else (() if kind == "text" else None)


def _question(row: tuple) -> QuestionRow:
    kind = row[7]
    return QuestionRow(
        row[0],
        row[1],
        row[2],
        tuple(json.loads(row[3])),
        decode_correct(kind, row[4]),
        row[5],
        bool(row[6]),
        kind=kind,
        tolerance=json.loads(row[8]) if row[8] else None,
        anonymous=bool(row[9]),
        deadline=row[10],
        hidden=tuple(json.loads(row[11])),
        round=row[12],
        asks_confidence=bool(row[13]),
        results_hidden=bool(row[14]),
    )


def create_lecture_txn(
    txn: Txn,
    owner_id: int,
    title: str,
    join_code: str,
    now: float,
    course_id: int | None = None,
    anonymous: bool = False,
    posts_anonymous: bool = False,
) -> LectureRow:
    try:
        txn.execute(
            "INSERT INTO lectures (owner_id, title, join_code, status, created_at, course_id,"
            " anonymous, posts_anonymous) VALUES (?, ?, ?, 'open', ?, ?, ?, ?) RETURNING id",
            (owner_id, title, join_code, now, course_id, anonymous, posts_anonymous),
        )
    except UniqueViolation as error:
        raise JoinCodeTaken(join_code) from error
    return LectureRow(
        txn.inserted_id(),
        owner_id,
        title,
        join_code,
        "open",
        now,
        course_id,
        anonymous,
        posts_anonymous,
    )


def lecture_txn(txn: Txn, lecture_id: int) -> LectureRow | None:
    txn.execute(f"SELECT {_LECTURE_COLUMNS} FROM lectures WHERE id = ?", (lecture_id,))
    row = txn.fetchone()
    return _lecture(row) if row else None


def lecture_by_code_txn(txn: Txn, join_code: str) -> LectureRow | None:
    txn.execute(f"SELECT {_LECTURE_COLUMNS} FROM lectures WHERE join_code = ?", (join_code,))
    row = txn.fetchone()
    return _lecture(row) if row else None


def lectures_of_txn(txn: Txn, owner_id: int | None) -> list[LectureRow]:
    """The lectures of one owner, or of everyone for None; newest first."""
    if owner_id is None:
        txn.execute(f"SELECT {_LECTURE_COLUMNS} FROM lectures ORDER BY id DESC")
    else:
        txn.execute(
            f"SELECT {_LECTURE_COLUMNS} FROM lectures WHERE owner_id = ? ORDER BY id DESC",
            (owner_id,),
        )
    return [_lecture(row) for row in txn.fetchall()]


def open_question_txn(txn: Txn, lecture_id: int) -> QuestionRow | None:
    txn.execute(
        f"SELECT {_QUESTION_COLUMNS} FROM questions WHERE lecture_id = ? AND status = 'open'",
        (lecture_id,),
    )
    row = txn.fetchone()
    return _question(row) if row else None


def question_txn(txn: Txn, question_id: int) -> QuestionRow | None:
    txn.execute(f"SELECT {_QUESTION_COLUMNS} FROM questions WHERE id = ?", (question_id,))
    row = txn.fetchone()
    return _question(row) if row else None


def questions_of_txn(txn: Txn, lecture_id: int) -> list[QuestionRow]:
    txn.execute(
        f"SELECT {_QUESTION_COLUMNS} FROM questions WHERE lecture_id = ? ORDER BY id",
        (lecture_id,),
    )
    return [_question(row) for row in txn.fetchall()]


def answers_of_txn(txn: Txn, question_id: int) -> tuple[dict[int, str], dict[int, str]]:
    """user id -> answer (stored form), and user id -> confidence, for an open question."""
    txn.execute(
        "SELECT user_id, choice, confidence FROM answers WHERE question_id = ?", (question_id,)
    )
    rows = txn.fetchall()
    return (
        {user_id: choice for user_id, choice, _ in rows},
        {user_id: confidence for user_id, _, confidence in rows if confidence},
    )


@attrs.frozen
class LiveState:
    """An open lecture as stored: what a restarted server resumes from."""

    lecture: LectureRow
    question: QuestionRow | None
    answers: dict[int, str]
    last_closed: "ClosedQuestion | None"
    """The latest question, when it is closed: what the projector shows between questions."""
    expired: "ClosedQuestion | None" = None
    confidences: dict[int, str] = attrs.field(factory=dict)
    """The open question whose timer ran out while no process watched it, closed by the load."""


def _latest_closed_txn(txn: Txn, lecture_id: int) -> "ClosedQuestion | None":
    txn.execute(
        f"SELECT {_QUESTION_COLUMNS} FROM questions WHERE lecture_id = ? ORDER BY id DESC LIMIT 1",
        (lecture_id,),
    )
    row = txn.fetchone()
    if row is None or row[5] != "closed":
        return None
    return closed_results_txn(txn, _question(row))


def closed_results_txn(txn: Txn, question: QuestionRow) -> "ClosedQuestion":
    """A closed question with its counts, and its earlier rounds' if it had several."""
    counts = counts_txn(txn, question.id)
    if question.round == 1:
        return ClosedQuestion(question, counts)
    txn.execute(
        "SELECT round, choice, count(*) FROM earlier_rounds WHERE question_id = ?"
        " GROUP BY round, choice ORDER BY round",
        (question.id,),
    )
    earlier: dict[int, dict[str, int]] = {}
    for number, choice, count in txn.fetchall():
        earlier.setdefault(number, {})[choice] = count
    txn.execute(
        "SELECT count(*) FILTER (WHERE e.correct = 0 AND a.correct = 1),"
        " count(*) FILTER (WHERE e.correct = 1 AND a.correct = 0),"
        " count(*) FILTER (WHERE e.correct = 1 AND a.correct = 1)"
        " FROM earlier_rounds e JOIN answers a"
        " ON a.question_id = e.question_id AND a.user_id = e.user_id"
        " WHERE e.question_id = ? AND e.round = 1",
        (question.id,),
    )
    to_right, to_wrong, stayed = txn.fetchone()
    moved = {"to_correct": to_right, "to_wrong": to_wrong, "stayed_correct": stayed}
    rounds = tuple(sorted(earlier.items()))
    return ClosedQuestion(question, counts, rounds, moved if question.correct else None)


def live_state_txn(txn: Txn, lecture_id: int, now: float) -> LiveState | None:
    """The lecture with its open question and that question's answers; None once ended.

    An open question whose deadline has passed is closed here first, so that
    a server restarted after a timer ran out never shows it open.
    """
    lecture = lecture_txn(txn, lecture_id)
    if lecture is None or lecture.status != "open":
        return None
    question = open_question_txn(txn, lecture_id)
    expired = None
    if question is not None and question.deadline is not None and question.deadline <= now:
        expired = close_question_txn(txn, question, now)
        question = None
    answers, confidences = answers_of_txn(txn, question.id) if question else ({}, {})
    last_closed = None if question else _latest_closed_txn(txn, lecture_id)
    return LiveState(lecture, question, answers, last_closed, expired, confidences)


_ALL_ANSWERS = (
    "SELECT question_id, choice FROM answers WHERE choice <> ''"
    " UNION ALL SELECT question_id, choice FROM anonymous_answers"
)
"""Every recorded answer, with or without its student (an anonymous question once closed)."""


def counts_txn(txn: Txn, question_id: int) -> dict[str, int]:
    """stored answer -> how many gave it."""
    txn.execute(
        f"SELECT choice, count(*) FROM ({_ALL_ANSWERS}) AS a WHERE question_id = ? GROUP BY choice",
        (question_id,),
    )
    return dict(txn.fetchall())


def question_counts_txn(txn: Txn, lecture_id: int) -> dict[int, dict[str, int]]:
    """question id -> counts, for every question of a lecture that has answers."""
    txn.execute(
        f"SELECT a.question_id, a.choice, count(*) FROM ({_ALL_ANSWERS}) AS a"
        " JOIN questions q ON q.id = a.question_id WHERE q.lecture_id = ?"
        " GROUP BY a.question_id, a.choice",
        (lecture_id,),
    )
    results: dict[int, dict[str, int]] = {}
    for question_id, choice, count in txn.fetchall():
        results.setdefault(question_id, {})[choice] = count
    return results


def close_question_txn(
    txn: Txn, question: QuestionRow, now: float, due: bool = False, hide_results: bool = False
) -> ClosedQuestion | None:
    """Close an open question and count its answers; None if it was not open.

    With ``due``, only if its deadline has passed (a timer firing in one
    process while another just added time closes nothing). Answers are
    written only while their question is open, so the counts taken here are
    final. An anonymous question's answers lose their students here: moved,
    in random order, to ``anonymous_answers``; the students keep a
    participation row with an empty answer.
    """
    condition = " AND deadline IS NOT NULL AND deadline <= ?" if due else ""
    txn.execute(
        "UPDATE questions SET status = 'closed', closed_at = ?, results_hidden = ?"
        f" WHERE id = ? AND status = 'open'{condition}",
        (now, hide_results, question.id, now) if due else (now, hide_results, question.id),
    )
    if txn.rowcount != 1:
        return None
    closed = closed_results_txn(
        txn, attrs.evolve(question, status="closed", results_hidden=hide_results)
    )
    if question.anonymous:
        txn.execute(
            "INSERT INTO anonymous_answers (question_id, choice, correct)"
            " SELECT question_id, choice, correct FROM answers WHERE question_id = ?"
            " ORDER BY random()",
            (question.id,),
        )
        txn.execute(
            "UPDATE answers SET choice = '', correct = NULL WHERE question_id = ?",
            (question.id,),
        )
    return closed


def _close_open_question_txn(txn: Txn, lecture_id: int, now: float) -> ClosedQuestion | None:
    question = open_question_txn(txn, lecture_id)
    return close_question_txn(txn, question, now) if question else None


def ask_txn(
    txn: Txn, lecture_id: int, new: NewQuestion, now: float
) -> tuple[ClosedQuestion | None, QuestionRow]:
    """Close the lecture's open question (returned first, if any) and open a new one.

    The lecture must still be open in this very transaction: an ``end``
    committed after the caller's own check must not leave an open question
    in an ended lecture. A question in an anonymous lecture is anonymous.
    """
    # Locked (PostgreSQL) so that asks and ends of one lecture, from any process, take turns.
    txn.execute(
        "SELECT status, anonymous FROM lectures WHERE id = ?" + txn.engine.lock_for_update,
        (lecture_id,),
    )
    row = txn.fetchone()
    if row is None or row[0] != "open":
        raise LectureNotOpen(lecture_id)
    previous = _close_open_question_txn(txn, lecture_id, now)
    anonymous = new.anonymous or bool(row[1])
    deadline = None if new.timer is None else now + new.timer
    txn.execute(
        "INSERT INTO questions (lecture_id, text, choices, correct, status, opened_at,"
        " kind, tolerance, anonymous, deadline, asks_confidence)"
        " VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            lecture_id,
            new.text,
            json.dumps(new.choices),
            _encode_correct(new.kind, new.correct),
            now,
            new.kind,
            json.dumps(new.tolerance) if new.tolerance else None,
            anonymous,
            deadline,
            new.asks_confidence,
        ),
    )
    question = QuestionRow(
        txn.inserted_id(),
        lecture_id,
        new.text,
        new.choices,
        new.correct,
        "open",
        kind=new.kind,
        tolerance=new.tolerance,
        anonymous=anonymous,
        deadline=deadline,
        asks_confidence=new.asks_confidence,
    )
    return previous, question


class NotTheLatest(Exception):
    """Another round needs the lecture's latest question, closed, with no other open."""


def next_round_txn(txn: Txn, question: QuestionRow, timer: int | None, now: float) -> QuestionRow:
    """Open the closed ``question`` again for another round; its answers so far are kept
    apart (``earlier_rounds``) and students answer afresh."""
    txn.execute(
        "SELECT status FROM lectures WHERE id = ?" + txn.engine.lock_for_update,
        (question.lecture_id,),
    )
    row = txn.fetchone()
    if row is None or row[0] != "open":
        raise LectureNotOpen(question.lecture_id)
    txn.execute(
        "SELECT id, status FROM questions WHERE lecture_id = ? ORDER BY id DESC LIMIT 1",
        (question.lecture_id,),
    )
    if txn.fetchone() != (question.id, "closed"):
        raise NotTheLatest(question.id)
    txn.execute(
        "INSERT INTO earlier_rounds"
        " (question_id, round, user_id, choice, correct, confidence, answered_at)"
        " SELECT question_id, ?, user_id, choice, correct, confidence, answered_at"
        " FROM answers WHERE question_id = ?",
        (question.round, question.id),
    )
    txn.execute("DELETE FROM answers WHERE question_id = ?", (question.id,))
    deadline = None if timer is None else now + timer
    txn.execute(
        "UPDATE questions SET status = 'open', round = round + 1, closed_at = NULL,"
        " revealed_at = NULL, results_hidden = 0, deadline = ? WHERE id = ?",
        (deadline, question.id),
    )
    return attrs.evolve(
        question,
        status="open",
        round=question.round + 1,
        revealed=False,
        results_hidden=False,
        deadline=deadline,
    )


def confidence_txn(txn: Txn, question_id: int) -> dict[str, dict[str, int]]:
    """How sure students were, against whether they were right (final round)."""
    txn.execute(
        "SELECT confidence, correct, count(*) FROM answers"
        " WHERE question_id = ? AND confidence IS NOT NULL GROUP BY confidence, correct",
        (question_id,),
    )
    summary = {level: {"right": 0, "wrong": 0, "ungraded": 0} for level in CONFIDENCE_LEVELS}
    for level, correct, count in txn.fetchall():
        verdict = "ungraded" if correct is None else ("right" if correct else "wrong")
        summary[level][verdict] += count
    return summary


CONFIDENCE_LEVELS = ("low", "medium", "high")


def add_time_txn(txn: Txn, question_id: int, seconds: float, now: float) -> float | None:
    """Give an open question ``seconds`` more (from now, if it had no timer or ran out);
    the new deadline, or None if the question is not open."""
    txn.execute(
        "UPDATE questions SET deadline ="
        " (CASE WHEN deadline IS NULL OR deadline < ? THEN ? ELSE deadline END) + ?"
        " WHERE id = ? AND status = 'open' RETURNING deadline",
        (now, now, seconds, question_id),
    )
    row = txn.fetchone()
    return row[0] if row else None


def mark_answers_txn(
    txn: Txn,
    question: QuestionRow,
    accepted: tuple[str, ...],
    hidden: tuple[str, ...],
    judge: Callable[[str], bool | None],
) -> None:
    """Store a text question's accepted and hidden answers, and judge its answers again."""
    txn.execute(
        "UPDATE questions SET correct = ?, hidden = ? WHERE id = ?",
        (_encode_correct(question.kind, accepted), json.dumps(hidden), question.id),
    )
    for table in ("answers", "anonymous_answers"):
        txn.execute(
            f"SELECT DISTINCT choice FROM {table} WHERE question_id = ? AND choice <> ''",
            (question.id,),
        )
        txn.executemany(
            f"UPDATE {table} SET correct = ? WHERE question_id = ? AND choice = ?",
            [(judge(choice), question.id, choice) for (choice,) in txn.fetchall()],
        )


def overdue_questions_txn(txn: Txn, now: float) -> list[QuestionRow]:
    """Open questions whose timers ran out (while no process was running, say)."""
    txn.execute(
        f"SELECT {_QUESTION_COLUMNS} FROM questions"
        " WHERE status = 'open' AND deadline IS NOT NULL AND deadline <= ?",
        (now,),
    )
    return [_question(row) for row in txn.fetchall()]


def reveal_txn(txn: Txn, question_id: int, now: float) -> None:
    """Mark a closed question's answer as shown (the first time counts)."""
    txn.execute(
        "UPDATE questions SET revealed_at = ? WHERE id = ? AND revealed_at IS NULL",
        (now, question_id),
    )


def end_lecture_txn(txn: Txn, lecture_id: int, now: float) -> tuple[bool, ClosedQuestion | None]:
    """End an open lecture, closing its open question (returned) first."""
    txn.execute(
        "SELECT status FROM lectures WHERE id = ?" + txn.engine.lock_for_update, (lecture_id,)
    )
    closed = _close_open_question_txn(txn, lecture_id, now)
    txn.execute(
        "UPDATE lectures SET status = 'ended', ended_at = ? WHERE id = ? AND status = 'open'",
        (now, lecture_id),
    )
    return txn.rowcount == 1, closed


def store_answers_txn(txn: Txn, answers: list[Answer]) -> list[bool]:
    """Record a batch of answers; each is stored only if its question is still open.

    The open check is made here, in the writing transaction, because a close
    may have been committed between an answer's arrival and its batch; on
    PostgreSQL the rows are share-locked, so a close committed by another
    process waits for this batch (and counts it) or comes first (and this
    batch sees the question closed). An answer given after its question's
    deadline is refused even if the timer has not closed the question yet.
    """
    question_ids = sorted({answer.question_id for answer in answers})
    placeholders = ",".join("?" * len(question_ids))
    txn.execute(
        f"SELECT id, deadline FROM questions WHERE status = 'open' AND id IN ({placeholders})"
        + txn.engine.lock_for_share,
        question_ids,
    )
    deadlines = dict(txn.fetchall())
    accepted = [
        answer.question_id in deadlines
        and (
            deadlines[answer.question_id] is None
            or answer.answered_at < deadlines[answer.question_id]
        )
        for answer in answers
    ]
    txn.executemany(
        "INSERT INTO answers (question_id, user_id, choice, answered_at, correct, confidence)"
        " VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (question_id, user_id) DO UPDATE SET choice = excluded.choice,"
        " answered_at = excluded.answered_at, correct = excluded.correct,"
        " confidence = excluded.confidence",
        [
            (
                answer.question_id,
                answer.user_id,
                answer.choice,
                answer.answered_at,
                answer.correct,
                answer.confidence,
            )
            for answer, ok in zip(answers, accepted, strict=True)
            if ok
        ],
    )
    return accepted


def responses_txn(txn: Txn, lecture_id: int) -> list[ResponseRow]:
    """Answers by question, round, then username; anonymous questions' answers without
    their students, by answer."""
    txn.execute(
        "SELECT u.username, u.display_name, q.id, q.text, q.kind, a.choice, a.correct,"
        " a.answered_at, q.round AS round, u.username_key AS sort_key"
        " FROM answers a JOIN questions q ON q.id = a.question_id"
        " JOIN users u ON u.id = a.user_id"
        " WHERE q.lecture_id = ? AND q.anonymous = 0"
        " UNION ALL SELECT u.username, u.display_name, q.id, q.text, q.kind, e.choice, e.correct,"
        " e.answered_at, e.round, u.username_key"
        " FROM earlier_rounds e JOIN questions q ON q.id = e.question_id"
        " JOIN users u ON u.id = e.user_id WHERE q.lecture_id = ?"
        " UNION ALL SELECT '', '', q.id, q.text, q.kind, a.choice, a.correct, NULL, q.round, ''"
        " FROM answers a JOIN questions q ON q.id = a.question_id"
        " WHERE q.lecture_id = ? AND q.anonymous = 1 AND a.choice <> ''"
        " UNION ALL SELECT '', '', q.id, q.text, q.kind, a.choice, a.correct, NULL, q.round, ''"
        " FROM anonymous_answers a JOIN questions q ON q.id = a.question_id"
        " WHERE q.lecture_id = ?"
        " ORDER BY 3, 9, 10, 6",
        (lecture_id, lecture_id, lecture_id, lecture_id),
    )
    return [
        ResponseRow(*row[:6], None if row[6] is None else bool(row[6]), row[7], row[8])
        for row in txn.fetchall()
    ]


def record_attendance_txn(txn: Txn, joins: list[tuple[int, int, float]]) -> list[None]:
    """(lecture id, user id, time) for each student who joined; the first join counts."""
    txn.executemany(
        "INSERT INTO attendance (lecture_id, user_id, joined_at) VALUES (?, ?, ?)"
        " ON CONFLICT (lecture_id, user_id) DO NOTHING",
        joins,
    )
    return [None] * len(joins)


def lecture_attendance_txn(txn: Txn, lecture_id: int) -> list[tuple[str, str]]:
    """(username, display name) of every student who joined the lecture, by username."""
    txn.execute(
        "SELECT u.username, u.display_name FROM attendance a JOIN users u ON u.id = a.user_id"
        " WHERE a.lecture_id = ? ORDER BY u.username_key",
        (lecture_id,),
    )
    return [tuple(row) for row in txn.fetchall()]


class LectureStore:
    """Async access to lectures for the reactor thread."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def create(
        self,
        owner_id: int,
        title: str,
        join_code: str,
        now: float,
        course_id: int | None,
        anonymous: bool = False,
        posts_anonymous: bool = False,
    ) -> LectureRow:
        return await self._database.run(
            create_lecture_txn,
            owner_id,
            title,
            join_code,
            now,
            course_id,
            anonymous,
            posts_anonymous,
        )

    async def get(self, lecture_id: int) -> LectureRow | None:
        return await self._database.run(lecture_txn, lecture_id)

    async def by_code(self, join_code: str) -> LectureRow | None:
        return await self._database.run(lecture_by_code_txn, join_code)

    async def of_owner(self, owner_id: int | None) -> list[LectureRow]:
        return await self._database.run(lectures_of_txn, owner_id)

    async def question(self, question_id: int) -> QuestionRow | None:
        return await self._database.run(question_txn, question_id)

    async def questions(self, lecture_id: int) -> list[QuestionRow]:
        return await self._database.run(questions_of_txn, lecture_id)

    async def live_state(self, lecture_id: int, now: float) -> LiveState | None:
        return await self._database.run(live_state_txn, lecture_id, now)

    async def question_counts(self, lecture_id: int) -> dict[int, dict[str, int]]:
        return await self._database.run(question_counts_txn, lecture_id)

    async def ask(
        self, lecture_id: int, new: NewQuestion, now: float
    ) -> tuple[ClosedQuestion | None, QuestionRow]:
        return await self._database.run(ask_txn, lecture_id, new, now)

    async def close_question(
        self, question: QuestionRow, now: float, due: bool = False, hide_results: bool = False
    ) -> ClosedQuestion | None:
        return await self._database.run(close_question_txn, question, now, due, hide_results)

    async def next_round(self, question: QuestionRow, timer: int | None, now: float) -> QuestionRow:
        return await self._database.run(next_round_txn, question, timer, now)

    async def confidence(self, question_id: int) -> dict[str, dict[str, int]]:
        return await self._database.read(confidence_txn, question_id)

    async def closed_results(self, question: QuestionRow) -> ClosedQuestion:
        return await self._database.read(closed_results_txn, question)

    async def add_time(self, question_id: int, seconds: float, now: float) -> float | None:
        return await self._database.run(add_time_txn, question_id, seconds, now)

    async def mark_answers(
        self,
        question: QuestionRow,
        accepted: tuple[str, ...],
        hidden: tuple[str, ...],
        judge: Callable[[str], bool | None],
    ) -> None:
        await self._database.run(mark_answers_txn, question, accepted, hidden, judge)

    async def overdue_questions(self, now: float) -> list[QuestionRow]:
        return await self._database.read(overdue_questions_txn, now)

    async def reveal(self, question_id: int, now: float) -> None:
        await self._database.run(reveal_txn, question_id, now)

    async def end(self, lecture_id: int, now: float) -> tuple[bool, ClosedQuestion | None]:
        return await self._database.run(end_lecture_txn, lecture_id, now)

    async def responses(self, lecture_id: int) -> list[ResponseRow]:
        return await self._database.read(responses_txn, lecture_id)

    async def store_answers(self, answers: list[Answer]) -> list[bool]:
        return await self._database.run(store_answers_txn, answers)

    async def record_attendance(self, joins: list[tuple[int, int, float]]) -> list[None]:
        return await self._database.run(record_attendance_txn, joins)

    async def attendance(self, lecture_id: int) -> list[tuple[str, str]]:
        return await self._database.read(lecture_attendance_txn, lecture_id)
