"""Peer instruction: rounds of one question and confidence ratings, in the lecture domain
(``task.Clock``, a real SQLite database)."""

import pytest_twisted
from lecture_domain import PROF, STUDENTS, new_lectures, raises
from test_lecture_kinds import closes, opened

from iclicker.domain.errors import Conflict, Invalid
from iclicker.store.lectures import NewQuestion


@pytest_twisted.ensureDeferred
async def test_two_rounds_hide_then_show_both_and_who_moved(lectures, groups, database, clock):
    lecture, live, question = await opened(lectures, NewQuestion("Q", ("a", "b"), "b"))
    for student, choice in zip(STUDENTS, "aaab", strict=False):
        await lectures.answer(live, student.id, question.id, choice)
    await lectures.close(PROF, lecture.id, question.id, show_results=False)
    hidden = closes(groups)[-1]
    assert hidden == {
        "type": "question_closed",
        "question_id": question.id,
        "round": 1,
        "results_hidden": True,
    }
    [(_, results)] = await lectures.results(PROF, lecture.id)
    assert results["counts"] == {"a": 3, "b": 1}  # the instructor sees round 1

    second = await lectures.next_round(PROF, lecture.id, question.id)
    assert second.round == 2 and second.status == "open"
    sent = groups.of_type("question")[-1][1]["question"]
    assert sent["round"] == 2 and sent["id"] == question.id
    assert live.hello(STUDENTS[0].id, "student", 0)["my_answer"] is None  # answer afresh
    for student, choice in zip(STUDENTS, "abbb", strict=False):
        await lectures.answer(live, student.id, question.id, choice)
    await lectures.close(PROF, lecture.id, question.id)
    final = closes(groups)[-1]
    assert final["counts"] == {"a": 1, "b": 3}
    assert final["rounds"] == [{"round": 1, "counts": {"a": 3, "b": 1}}]
    assert final["moved"] == {"to_correct": 2, "to_wrong": 0, "stayed_correct": 1}
    # A restarted server's projector shows both rounds too.
    restarted = new_lectures(database, groups, clock)
    live_again = await restarted.open_by_code(lecture.join_code)
    assert live_again.hello(PROF.id, "instructor", 0)["results"]["rounds"][0]["round"] == 1
    rows = await lectures.responses(PROF, lecture.id)
    assert [(row.username, row.round, row.choice) for row in rows] == [
        *[(f"s{i}", 1, choice) for i, choice in enumerate("aaab")],
        *[(f"s{i}", 2, choice) for i, choice in enumerate("abbb")],
    ]


@pytest_twisted.ensureDeferred
async def test_only_the_latest_closed_named_question_gets_another_round(lectures):
    lecture, live, question = await opened(lectures, NewQuestion("Q", ("a", "b"), None))
    await raises(lectures.next_round(PROF, lecture.id, question.id), Conflict)  # still open
    later = await lectures.ask(PROF, lecture.id, NewQuestion("Q2", ("a", "b"), None))
    await raises(lectures.next_round(PROF, lecture.id, question.id), Conflict)  # not latest
    poll = await lectures.ask(PROF, lecture.id, NewQuestion("P", ("a", "b"), None, anonymous=True))
    await lectures.close(PROF, lecture.id, poll.id)
    await raises(lectures.next_round(PROF, lecture.id, poll.id), Conflict)  # anonymous
    assert later.id != poll.id


@pytest_twisted.ensureDeferred
async def test_confidence_against_correctness_after_the_close(lectures, groups):
    lecture, live, question = await opened(
        lectures, NewQuestion("Q", ("a", "b"), "b", asks_confidence=True)
    )
    picks = [("b", "high"), ("a", "high"), ("b", "low"), ("b", None)]
    for student, (choice, sure) in zip(STUDENTS, picks, strict=False):
        await lectures.answer(live, student.id, question.id, choice, sure)
    assert live.hello(STUDENTS[0].id, "student", 0)["my_confidence"] == "high"
    await raises(
        lectures.answer(live, STUDENTS[5].id, question.id, "a", "certain"),
        Invalid,
        "invalid_answer",
    )
    closed = await lectures.close(PROF, lecture.id, question.id)
    results = await lectures.closed_results(closed)
    assert results["confidence"] == {
        "low": {"right": 1, "wrong": 0, "ungraded": 0},
        "medium": {"right": 0, "wrong": 0, "ungraded": 0},
        "high": {"right": 1, "wrong": 1, "ungraded": 0},
    }
    assert "confidence" not in closes(groups)[-1]  # students do not see the others' certainty
