"""The lecture domain with a fake clock and a recording group registry, over a real database."""

import pytest
import pytest_twisted
from lecture_domain import ADMIN, OTHER_PROF, PROF, STUDENTS, new_lectures, raises
from twisted.internet import reactor, task
from twisted.internet.defer import Deferred

from iclicker.domain.batch_writer import BatchWriter
from iclicker.domain.errors import Conflict, Forbidden, Invalid, NotFound, Unavailable
from iclicker.domain.lecture_values import (
    JOIN_CODE_ALPHABET,
    check_question,
    instructor_group,
    lecture_group,
)
from iclicker.domain.lectures import ATTENDANCE_RETRY, TALLY_INTERVAL
from iclicker.store.lectures import Answer, LectureStore, NewQuestion


def test_question_rules():
    """Text and choices are trimmed; counts, lengths, duplicates and correct are checked."""
    assert check_question(" Q ", [" a ", "b"], " b ") == ("Q", ("a", "b"), "b")
    for text, choices, correct in [
        ("", ["a", "b"], None),
        ("Q", ["a"], None),
        ("Q", [str(i) for i in range(9)], None),
        ("Q", ["a", "A "], None),
        ("Q", ["a", "  "], None),
        ("Q", ["a", 2], None),
        ("Q", ["a", "b"], "c"),
        ("x" * 2001, ["a", "b"], None),
    ]:
        with pytest.raises(Invalid):
            check_question(text, choices, correct)


@pytest_twisted.ensureDeferred
async def test_only_owners_and_admins_drive_a_lecture(lectures):
    """Students get Forbidden; another instructor gets NotFound; an admin may."""
    lecture = await lectures.create(PROF, "Physics")
    assert len(lecture.join_code) == 6 and set(lecture.join_code) <= set(JOIN_CODE_ALPHABET)
    await raises(lectures.create(STUDENTS[0], "Nope"), Forbidden)
    await raises(lectures.owned(STUDENTS[0], lecture.id), Forbidden)
    await raises(lectures.owned(OTHER_PROF, lecture.id), NotFound)
    await raises(lectures.owned(PROF, 999), NotFound)
    assert (await lectures.owned(ADMIN, lecture.id)).id == lecture.id
    assert lectures.role_of(ADMIN, lecture) == "instructor"
    assert lectures.role_of(OTHER_PROF, lecture) == "student"


@pytest_twisted.ensureDeferred
async def test_asking_closes_the_open_question_first(lectures, groups):
    """question_closed for the old question goes out before the new question, in one batch
    (one write per socket)."""
    lecture = await lectures.create(PROF, "Physics")
    first = await lectures.ask(PROF, lecture.id, NewQuestion("Q1", ("a", "b"), "a"))
    second = await lectures.ask(PROF, lecture.id, NewQuestion("Q2", ("c", "d"), None))
    kinds = [(g, m["type"]) for g, m in groups.sent if m["type"] != "tally"]
    everyone = lecture_group(lecture.id)
    assert kinds == [(everyone, "question"), (everyone, "batch")]
    closed, asked = groups.of_type("batch")[0][1]["messages"]
    assert asked["type"] == "question" and asked["question"]["id"] == second.id
    assert "correct" not in asked["question"]
    assert closed == {
        "type": "question_closed",
        "question_id": first.id,
        "counts": {"a": 0, "b": 0},
        "correct": "a",
    }
    assert (await lectures.overview(PROF, lecture.id))[1].id == second.id


@pytest_twisted.ensureDeferred
async def test_last_answer_wins_while_open(lectures, clock):
    """Changing an answer replaces it; the tally counts each student once."""
    lecture = await lectures.create(PROF, "Physics")
    live = await lectures.open_by_code(lecture.join_code.lower())
    question = await lectures.ask(PROF, lecture.id, NewQuestion("Q", ("a", "b"), "b"))
    await lectures.answer(live, STUDENTS[0].id, question.id, "a")
    await lectures.answer(live, STUDENTS[0].id, question.id, "b")
    await lectures.answer(live, STUDENTS[1].id, question.id, "b")
    assert live.tally_message(0)["counts"] == {"a": 0, "b": 2}
    assert live.hello(STUDENTS[0].id, "student", 0)["my_answer"] == "b"
    assert live.hello(PROF.id, "instructor", 0)["my_answer"] is None
    assert live.hello(PROF.id, "instructor", 0)["question"]["correct"] == "b"
    assert "correct" not in live.hello(STUDENTS[0].id, "student", 0)["question"]
    closed = await lectures.close(PROF, lecture.id, question.id)
    assert closed.counts == {"b": 2}


@pytest_twisted.ensureDeferred
async def test_answer_errors(lectures):
    """Unknown question, a choice not offered, and a closed question each have their code."""
    lecture = await lectures.create(PROF, "Physics")
    other = await lectures.create(PROF, "Other")
    live = await lectures.open_by_code(lecture.join_code)
    q_other = await lectures.ask(PROF, other.id, NewQuestion("Elsewhere", ("a", "b"), None))
    question = await lectures.ask(PROF, lecture.id, NewQuestion("Q", ("a", "b"), None))
    await raises(lectures.answer(live, STUDENTS[0].id, 9999, "a"), Invalid, "unknown_question")
    await raises(
        lectures.answer(live, STUDENTS[0].id, q_other.id, "a"), Invalid, "unknown_question"
    )
    await raises(lectures.answer(live, STUDENTS[0].id, question.id, "c"), Invalid, "invalid_choice")
    await lectures.close(PROF, lecture.id, question.id)
    await raises(
        lectures.answer(live, STUDENTS[0].id, question.id, "a"), Conflict, "question_closed"
    )


@pytest_twisted.ensureDeferred
async def test_close_and_end_rules(lectures, groups):
    """Closing twice or ending twice conflicts; asking after the end conflicts."""
    lecture = await lectures.create(PROF, "Physics")
    question = await lectures.ask(PROF, lecture.id, NewQuestion("Q", ("a", "b"), None))
    await lectures.close(PROF, lecture.id, question.id)
    await raises(lectures.close(PROF, lecture.id, question.id), Conflict)
    await raises(lectures.close(PROF, lecture.id, 9999), NotFound)
    await lectures.ask(PROF, lecture.id, NewQuestion("Q2", ("a", "b"), None))
    ended = await lectures.end(PROF, lecture.id)
    assert ended.status == "ended"
    tail = [m["type"] for _, m in groups.sent if m["type"] != "tally"][-2:]
    assert tail == ["question_closed", "lecture_ended"]
    await raises(lectures.end(PROF, lecture.id), Conflict)
    await raises(lectures.ask(PROF, lecture.id, NewQuestion("Q3", ("a", "b"), None)), Conflict)
    assert await lectures.open_by_code(lecture.join_code) is None


@pytest_twisted.ensureDeferred
async def test_tally_is_coalesced_on_the_clock(lectures, groups, clock):
    """Thirty answers and joins within one interval produce one tally, not thirty."""
    lecture = await lectures.create(PROF, "Physics")
    live = await lectures.open_by_code(lecture.join_code)
    question = await lectures.ask(PROF, lecture.id, NewQuestion("Q", ("a", "b"), None))
    clock.advance(TALLY_INTERVAL)
    groups.sent.clear()
    for student in STUDENTS:
        lectures.connected(live, student.id, "student")
        await lectures.answer(live, student.id, question.id, "a" if student.id % 3 else "b")
    assert groups.of_type("tally") == []
    clock.advance(TALLY_INTERVAL)
    tallies = groups.of_type("tally")
    assert len(tallies) == 1
    group, tally = tallies[0]
    assert group == instructor_group(lecture.id)
    assert tally == {
        "type": "tally",
        "question_id": question.id,
        "counts": {"a": 20, "b": 10},
        "answered": 30,
        "present": 30,
    }


@pytest_twisted.ensureDeferred
async def test_present_counts_distinct_students(lectures, groups, clock):
    """Two sockets of one student count once; instructors are not counted."""
    lecture = await lectures.create(PROF, "Physics")
    live = await lectures.open_by_code(lecture.join_code)
    lectures.connected(live, STUDENTS[0].id, "student")
    lectures.connected(live, STUDENTS[0].id, "student")
    lectures.connected(live, STUDENTS[1].id, "student")
    lectures.connected(live, PROF.id, "instructor")

    def present():
        clock.advance(TALLY_INTERVAL)
        return groups.of_type("tally")[-1][1]["present"]

    assert present() == 2
    lectures.disconnected(live, STUDENTS[0].id, "student")
    assert present() == 2
    lectures.disconnected(live, STUDENTS[0].id, "student")
    lectures.disconnected(live, PROF.id, "instructor")
    assert present() == 1
    assert groups.of_type("tally")[-1][1]["question_id"] is None


@pytest_twisted.ensureDeferred
async def test_a_new_process_resumes_the_open_question(database, groups, clock, lectures):
    """Live state is rebuilt from the database: question and answers survive a restart."""
    lecture = await lectures.create(PROF, "Physics")
    live = await lectures.open_by_code(lecture.join_code)
    question = await lectures.ask(PROF, lecture.id, NewQuestion("Q", ("a", "b"), None))
    await lectures.answer(live, STUDENTS[0].id, question.id, "b")
    restarted = new_lectures(database, groups, clock)
    resumed = await restarted.open_by_code(lecture.join_code)
    hello = resumed.hello(STUDENTS[0].id, "student", 0)
    assert hello["question"]["id"] == question.id
    assert hello["my_answer"] == "b"
    assert resumed.tally_message(0)["counts"] == {"a": 0, "b": 1}


@pytest_twisted.ensureDeferred
async def test_ask_refuses_a_lecture_ended_after_its_own_check(lectures, database):
    """An end committed between ask's check and its write leaves no open question behind."""
    lecture = await lectures.create(PROF, "Physics")
    await lectures.open_by_code(lecture.join_code)  # the live cache still says "open"
    store = LectureStore(database)
    await store.end(lecture.id, 1.0)  # another request's end, committed in between
    await raises(lectures.ask(PROF, lecture.id, NewQuestion("Q", ("a", "b"), None)), Conflict)
    state = await store.questions(lecture.id)
    assert state == []


async def stalled_write(answers):
    """A database write that never finishes."""
    await Deferred()


@pytest_twisted.ensureDeferred
async def test_the_answer_queue_is_bounded():
    """While a batch is being written, at most ``limit`` answers wait; then Unavailable."""
    writer = BatchWriter(stalled_write, limit=3)
    first = writer.record(Answer(1, 1, "a", 0.0))  # goes to the database at once
    queued = [writer.record(Answer(1, user, "a", 0.0)) for user in (2, 3, 4)]
    with pytest.raises(Unavailable):
        writer.record(Answer(1, 5, "a", 0.0))
    assert not first.called and not any(answer.called for answer in queued)


@pytest_twisted.ensureDeferred
async def test_reveal_needs_a_closed_question_with_an_answer(lectures, groups):
    """Reveal only after the close, only with a correct choice; instructors hear of it."""
    lecture = await lectures.create(PROF, "Physics")
    live = await lectures.open_by_code(lecture.join_code)
    question = await lectures.ask(PROF, lecture.id, NewQuestion("Q", ("a", "b"), "b"))
    await lectures.answer(live, STUDENTS[0].id, question.id, "b")
    await raises(lectures.reveal(PROF, lecture.id, question.id), Conflict)
    await raises(lectures.reveal(OTHER_PROF, lecture.id, question.id), NotFound)
    await raises(lectures.reveal(STUDENTS[0], lecture.id, question.id), Forbidden)
    await lectures.close(PROF, lecture.id, question.id)
    results = live.hello(PROF.id, "instructor", 0)["results"]
    assert results["question"]["revealed"] is False and results["counts"] == {"a": 0, "b": 1}
    assert "results" not in live.hello(STUDENTS[1].id, "student", 0)
    revealed = await lectures.reveal(PROF, lecture.id, question.id)
    assert revealed.revealed
    assert groups.of_type("answer_revealed") == [
        (
            instructor_group(lecture.id),
            {"type": "answer_revealed", "question_id": question.id, "correct": "b"},
        )
    ]
    assert live.hello(PROF.id, "instructor", 0)["results"]["question"]["revealed"]
    no_answer = await lectures.ask(PROF, lecture.id, NewQuestion("Poll", ("x", "y"), None))
    assert live.hello(PROF.id, "instructor", 0)["results"] is None
    await lectures.close(PROF, lecture.id, no_answer.id)
    await raises(lectures.reveal(PROF, lecture.id, no_answer.id), Conflict)


@pytest_twisted.ensureDeferred
async def test_a_restarted_server_still_shows_the_last_results(database, groups, clock, lectures):
    """After a restart the projector's hello carries the closed question and its reveal."""
    lecture = await lectures.create(PROF, "Physics")
    live = await lectures.open_by_code(lecture.join_code)
    question = await lectures.ask(PROF, lecture.id, NewQuestion("Q", ("a", "b"), "a"))
    await lectures.answer(live, STUDENTS[0].id, question.id, "a")
    await lectures.close(PROF, lecture.id, question.id)
    await lectures.reveal(PROF, lecture.id, question.id)
    restarted = new_lectures(database, groups, clock)
    resumed = await restarted.open_by_code(lecture.join_code)
    results = resumed.hello(PROF.id, "instructor", 0)["results"]
    assert results["counts"] == {"a": 1, "b": 0} and results["question"]["revealed"]


def test_trimming_is_the_documented_whitespace_only():
    """A control character is content, as in JSON Schema's \\s (found by Schemathesis)."""
    assert check_question(" \u3000Q\t", ["\u001ea", "b\ufeff"], None) == (
        "Q",
        ("\u001ea", "b"),
        None,
    )
    with pytest.raises(Invalid):
        check_question("\u2003\n", ["a", "b"], None)


class AwayStore(LectureStore):
    """A store whose database does not take attendance while ``away``."""

    away = True

    async def record_attendance(self, joins):
        if self.away:
            raise Unavailable("The database is not answering.")
        return await super().record_attendance(joins)


@pytest_twisted.ensureDeferred
async def test_attendance_the_database_could_not_take_is_written_later(database, groups, clock):
    """A student who joined while the database was away still attended, at their join time."""
    store = AwayStore(database)
    lectures = new_lectures(database, groups, clock, store)
    lecture = await lectures.create(PROF, "Physics")
    live = await lectures.open_by_code(lecture.join_code)
    joined_at = clock.seconds()
    lectures.connected(live, STUDENTS[0].id, "student")
    clock.advance(ATTENDANCE_RETRY)  # still away: kept for the next try
    assert await lectures.attendance(PROF, lecture.id) == []
    store.away = False
    clock.advance(ATTENDANCE_RETRY)
    for _ in range(100):
        if await lectures.attendance(PROF, lecture.id):
            break
        await task.deferLater(reactor, 0.02)
    assert await lectures.attendance(PROF, lecture.id) == [("s0", "S0")]

    def join_times(txn):
        txn.execute("SELECT joined_at FROM attendance")
        return [row[0] for row in txn.fetchall()]

    assert await database.read(join_times) == [joined_at]
