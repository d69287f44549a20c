"""The lecture domain with question kinds, timers, anonymous questions and text marks:
``task.Clock`` for time, a real SQLite database underneath."""

import sqlite3

import pytest_twisted
from fakes import Processes
from lecture_domain import PROF, STUDENTS, new_lectures, raises
from twisted.internet import reactor
from twisted.internet.task import deferLater

from iclicker.domain.errors import Conflict, Invalid
from iclicker.domain.lecture_values import lecture_group
from iclicker.domain.lectures import TALLY_INTERVAL
from iclicker.store.lectures import NewQuestion


async def until(condition, seconds: float = 5.0) -> None:
    """Wait (on the real reactor: the database answers from its thread) for ``condition``."""
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await deferLater(reactor, 0.01)
    raise AssertionError("condition never held")


def closes(groups) -> list[dict]:
    return [message for _, message in groups.of_type("question_closed")]


async def opened(lectures, new: NewQuestion):
    lecture = await lectures.create(PROF, "Physics")
    live = await lectures.open_by_code(lecture.join_code)
    question = await lectures.ask(PROF, lecture.id, new)
    return lecture, live, question


@pytest_twisted.ensureDeferred
async def test_a_timed_question_closes_itself_at_zero(lectures, groups, clock):
    lecture, live, question = await opened(lectures, NewQuestion("Q", ("a", "b"), "a", timer=30))
    sent = groups.of_type("question")[-1][1]["question"]
    assert sent["time_left"] == 30 and sent["deadline"].endswith("Z")
    clock.advance(29.9)
    await lectures.answer(live, STUDENTS[0].id, question.id, "a")
    assert closes(groups) == []
    clock.advance(0.1)
    # Past the deadline and before the close commits, an answer is refused already.
    await raises(lectures.answer(live, STUDENTS[1].id, question.id, "b"), Conflict)
    await until(lambda: closes(groups))
    [closed] = closes(groups)
    assert closed["question_id"] == question.id and closed["counts"] == {"a": 1, "b": 0}
    assert live.question is None and live.last_closed.question.id == question.id


@pytest_twisted.ensureDeferred
async def test_added_time_moves_the_deadline_for_everyone(lectures, groups, clock):
    lecture, live, question = await opened(lectures, NewQuestion("Q", ("a", "b"), None, timer=15))
    asked_at = clock.seconds()
    clock.advance(10)
    await lectures.add_time(PROF, lecture.id, question.id, 30)
    [(group, timer)] = groups.of_type("question_timer")
    assert group == lecture_group(lecture.id) and timer["time_left"] == 35
    clock.advance(20)
    await deferLater(reactor, 0.05)
    assert closes(groups) == [] and live.question.deadline == asked_at + 45
    clock.advance(15)
    await until(lambda: closes(groups))
    await raises(lectures.add_time(PROF, lecture.id, question.id, 30), Conflict)
    await raises(lectures.add_time(PROF, lecture.id, question.id, 0), Invalid)


@pytest_twisted.ensureDeferred
async def test_an_untimed_question_gets_a_timer_from_now(lectures, groups, clock):
    lecture, live, question = await opened(lectures, NewQuestion("Q", ("a", "b"), None))
    clock.advance(100)
    updated = await lectures.add_time(PROF, lecture.id, question.id, 15)
    assert updated.deadline == clock.seconds() + 15
    clock.advance(15)
    await until(lambda: closes(groups))


@pytest_twisted.ensureDeferred
async def test_a_restart_mid_countdown_keeps_the_deadline(database, groups, clock, lectures):
    lecture, _, question = await opened(lectures, NewQuestion("Q", ("a", "b"), None, timer=60))
    lectures.stopService()
    clock.advance(20)
    restarted = new_lectures(database, groups, clock)
    live = await restarted.open_by_code(lecture.join_code)
    hello = live.hello(STUDENTS[0].id, "student", clock.seconds())
    assert hello["question"]["time_left"] == 40
    clock.advance(39)
    await deferLater(reactor, 0.05)
    assert closes(groups) == []
    clock.advance(1)
    await until(lambda: closes(groups))


@pytest_twisted.ensureDeferred
async def test_a_timer_that_ran_out_while_stopped_is_closed_on_load(
    database, groups, clock, lectures
):
    lecture, _, question = await opened(lectures, NewQuestion("Q", ("a", "b"), None, timer=15))
    lectures.stopService()
    clock.advance(600)
    restarted = new_lectures(database, groups, clock)
    live = await restarted.open_by_code(lecture.join_code)
    assert live.question is None and live.last_closed.question.id == question.id
    assert closes(groups)[-1]["question_id"] == question.id


@pytest_twisted.ensureDeferred
async def test_with_two_processes_exactly_one_closes_the_question(database, clock):
    a_groups, b_groups = Processes(2).registries
    a, b = new_lectures(database, a_groups, clock), new_lectures(database, b_groups, clock)
    lecture = await a.create(PROF, "Physics")
    a_live = await a.open_by_code(lecture.join_code)
    b_live = await b.open_by_code(lecture.join_code)
    closed_by = []
    for name, process in (("a", a), ("b", b)):
        close = process._store.close_question

        async def counting(question, now, due=False, close=close, name=name):
            result = await close(question, now, due)
            if result is not None:
                closed_by.append(name)
            return result

        process._store.close_question = counting
    question = await a.ask(PROF, lecture.id, NewQuestion("Q", ("a", "b"), None, timer=20))
    assert b_live.question.deadline == question.deadline
    clock.advance(20)
    await until(lambda: a_live.question is None and b_live.question is None)
    await deferLater(reactor, 0.1)
    assert closed_by in (["a"], ["b"])


@pytest_twisted.ensureDeferred
async def test_each_kind_is_answered_tallied_and_closed(lectures, groups, clock):
    lecture = await lectures.create(PROF, "Physics")
    live = await lectures.open_by_code(lecture.join_code)
    cases = [
        (NewQuestion("All?", ("a", "b", "c"), ("a", "c"), kind="multiple"), ["a", "c"], ["b"]),
        (NewQuestion("g?", (), 9.81, kind="numeric", tolerance={"absolute": 0.1}), "9,8", 12),
        (NewQuestion("Capital?", (), ("Paris",), kind="text"), " paris ", "Lyon"),
    ]
    for new, right, wrong in cases:
        question = await lectures.ask(PROF, lecture.id, new)
        ack = await lectures.answer(live, STUDENTS[0].id, question.id, right)
        await lectures.answer(live, STUDENTS[1].id, question.id, wrong)
        clock.advance(TALLY_INTERVAL)
        tally = groups.of_type("tally")[-1][1]
        assert tally["answered"] == 2
        closed = await lectures.close(PROF, lecture.id, question.id)
        assert sum(closed.counts.values()) == 2
        if new.kind == "multiple":
            assert ack == ["a", "c"] and tally["counts"] == {"a": 1, "b": 1, "c": 1}
        elif new.kind == "numeric":
            assert ack == 9.8 and tally["histogram"]["count"] == 2
        else:
            assert ack == "paris" and [a["accepted"] for a in tally["answers"]] == [True, False]
    rows = await lectures.responses(PROF, lecture.id)
    assert [row.correct for row in rows] == [True, False, True, False, True, False]


@pytest_twisted.ensureDeferred
async def test_anonymous_answers_lose_their_students_at_close(lectures, groups, tmp_path):
    lecture, live, question = await opened(
        lectures, NewQuestion("Honest?", ("yes", "no"), None, anonymous=True)
    )
    await lectures.answer(live, STUDENTS[0].id, question.id, "yes")
    await lectures.answer(live, STUDENTS[0].id, question.id, "no")  # a change still works
    await lectures.answer(live, STUDENTS[1].id, question.id, "no")
    rows = await lectures.responses(PROF, lecture.id)
    assert {(row.username, row.choice) for row in rows} == {("", "no")}  # no names while open
    await lectures.close(PROF, lecture.id, question.id)
    with sqlite3.connect(tmp_path / "l.sqlite3") as db:
        assert db.execute("SELECT DISTINCT choice FROM answers").fetchall() == [("",)]
        assert db.execute("SELECT count(*) FROM answers").fetchone() == (2,)  # participation
        assert sorted(db.execute("SELECT choice FROM anonymous_answers")) == [("no",), ("no",)]
    [(_, results)] = await lectures.results(PROF, lecture.id)
    assert results["counts"] == {"yes": 0, "no": 2}
    rows = await lectures.responses(PROF, lecture.id)
    assert [(row.username, row.choice, row.answered_at) for row in rows] == [("", "no", None)] * 2


@pytest_twisted.ensureDeferred
async def test_an_anonymous_lecture_makes_every_question_anonymous(lectures):
    lecture = await lectures.create(PROF, "Feedback", anonymous=True)
    question = await lectures.ask(PROF, lecture.id, NewQuestion("Q", ("a", "b"), None))
    assert lecture.anonymous and question.anonymous


@pytest_twisted.ensureDeferred
async def test_marked_text_answers_change_grades_and_what_the_room_sees(lectures, groups, clock):
    lecture, live, question = await opened(lectures, NewQuestion("Capital?", (), (), kind="text"))
    for student, text in zip(STUDENTS, ["Paris", "paris", "rude", "Lyon"], strict=False):
        await lectures.answer(live, student.id, question.id, text)
    await lectures.mark_answer(PROF, lecture.id, question.id, "rude", None, True)
    clock.advance(TALLY_INTERVAL)
    tally = groups.of_type("tally")[-1][1]
    assert {a["text"]: a["hidden"] for a in tally["answers"]} == {
        "Paris": False,
        "rude": True,
        "Lyon": False,
    }
    await lectures.close(PROF, lecture.id, question.id)
    closed = closes(groups)[-1]
    assert "answers" not in closed  # the list stays with the instructors
    assert {w["word"] for w in closed["words"]} == {"paris", "lyon"}  # "rude" is hidden
    # Accepting after the close grades the answers already given.
    await lectures.mark_answer(PROF, lecture.id, question.id, "paris", True, None)
    _, marked = groups.of_type("answers_marked")[-1]
    assert marked["accepted"] == ["paris"] and marked["results"]["answers"][0]["accepted"]
    rows = await lectures.responses(PROF, lecture.id)
    assert sorted((row.choice, row.correct) for row in rows) == [
        ("Lyon", False),
        ("Paris", True),
        ("paris", True),
        ("rude", False),
    ]
    await lectures.mark_answer(PROF, lecture.id, question.id, "Paris", False, None)
    rows = await lectures.responses(PROF, lecture.id)
    assert {row.correct for row in rows} == {None}
    other = await lectures.ask(PROF, lecture.id, NewQuestion("Q", ("a", "b"), None))
    await raises(lectures.mark_answer(PROF, lecture.id, other.id, "a", True, None), Conflict)
