"""One lecture served by two simulated processes: replicas kept right through the sync group
and the presence board, with a fake clock, over one real database."""

import pytest
import pytest_twisted
from fakes import Inbox, Processes
from lecture_domain import PROF, STUDENTS, new_lectures

from iclicker.domain.lecture_values import instructor_group, lecture_group
from iclicker.domain.lectures import TALLY_INTERVAL
from iclicker.domain.presence import EXPIRY, HEARTBEAT, TELL_DELAY
from iclicker.store.lectures import NewQuestion


@pytest.fixture
def two(database, clock):
    """Lectures in processes A and B, each with an instructor screen and a student socket."""
    a_groups, b_groups = Processes(2).registries
    a, b = new_lectures(database, a_groups, clock), new_lectures(database, b_groups, clock)
    a.startService()
    b.startService()
    yield a, b, a_groups, b_groups
    a.stopService()
    b.stopService()


async def joined(lectures, groups, join_code, user, role="student"):
    """What a socket does: find the lecture, join its groups, be counted."""
    live = await lectures.open_by_code(join_code)
    inbox = Inbox()
    groups.group_add(lecture_group(live.lecture.id), inbox)
    if role == "instructor":
        groups.group_add(instructor_group(live.lecture.id), inbox)
    lectures.connected(live, user.id, role)
    return live, inbox


def settle(clock) -> None:
    """Let presence and tallies go out (several times, for what each triggers)."""
    for _ in range(3):
        clock.advance(max(TELL_DELAY, TALLY_INTERVAL))


@pytest_twisted.ensureDeferred
async def test_answers_and_presence_from_both_processes_reach_every_tally(two, clock):
    a, b, a_groups, b_groups = two
    lecture = await a.create(PROF, "Physics")
    code = lecture.join_code
    a_live, a_screen = await joined(a, a_groups, code, PROF, "instructor")
    b_live, b_screen = await joined(b, b_groups, code, PROF, "instructor")
    a_student = (await joined(a, a_groups, code, STUDENTS[0]))[0]
    b_student, b_inbox = await joined(b, b_groups, code, STUDENTS[1])
    # One student with a socket on each process counts once.
    await joined(a, a_groups, code, STUDENTS[1])

    question = await a.ask(PROF, lecture.id, NewQuestion("Q", ("x", "y"), "y"))
    assert b_inbox.of_type("question")[-1]["question"]["id"] == question.id
    assert b_live.question == question
    await a.answer(a_student, STUDENTS[0].id, question.id, "x")
    await b.answer(b_student, STUDENTS[1].id, question.id, "y")
    settle(clock)

    for screen in (a_screen, b_screen):
        tally = screen.of_type("tally")[-1]
        assert tally["counts"] == {"x": 1, "y": 1}
        assert tally["answered"] == 2
        assert tally["present"] == 2

    closed = await b.close(PROF, lecture.id, question.id)
    assert closed.counts == {"x": 1, "y": 1}
    assert a_live.question is None and a_live.last_closed.question.id == question.id
    assert a_screen.of_type("question_closed")[-1]["counts"] == {"x": 1, "y": 1}


@pytest_twisted.ensureDeferred
async def test_a_question_asked_elsewhere_can_be_answered_before_the_replica_hears_of_it(
    two, clock
):
    """The student's screen may get the question before its process's replica does."""
    a, b, a_groups, b_groups = two
    lecture = await a.create(PROF, "Physics")
    b_live, _ = await joined(b, b_groups, lecture.join_code, STUDENTS[0])
    b_groups.group_discard(f"lecture:{lecture.id}:sync", b)  # B misses the change
    question = await a.ask(PROF, lecture.id, NewQuestion("Q", ("x", "y"), None))
    assert b_live.question is None

    await b.answer(b_live, STUDENTS[0].id, question.id, "y")

    [(_, results)] = await a.results(PROF, lecture.id)
    assert results == {"counts": {"x": 0, "y": 1}}


@pytest_twisted.ensureDeferred
async def test_closing_revealing_and_ending_through_one_process_reach_the_other(two, clock):
    a, b, a_groups, b_groups = two
    lecture = await a.create(PROF, "Physics")
    code = lecture.join_code
    b_live, b_screen = await joined(b, b_groups, code, PROF, "instructor")
    question = await a.ask(PROF, lecture.id, NewQuestion("Q", ("x", "y"), "x"))
    await a.close(PROF, lecture.id, question.id)
    await a.reveal(PROF, lecture.id, question.id)
    hello = b_live.hello(PROF.id, "instructor", 0)
    assert hello["results"]["question"]["revealed"] is True
    assert b_screen.of_type("answer_revealed")

    await a.end(PROF, lecture.id)

    assert b_screen.of_type("lecture_ended")
    assert b.live(lecture.id) is None
    assert await b.open_by_code(code) is None


@pytest_twisted.ensureDeferred
async def test_a_process_that_dies_silently_drops_out_of_present(two, clock):
    a, b, a_groups, b_groups = two
    lecture = await a.create(PROF, "Physics")
    code = lecture.join_code
    _, a_screen = await joined(a, a_groups, code, PROF, "instructor")
    for student in STUDENTS[:3]:
        await joined(b, b_groups, code, student)
    settle(clock)
    assert a_screen.of_type("tally")[-1]["present"] == 3

    # B is killed: it tells nobody, and A stops hearing its heartbeat.
    b._presence._heartbeat.stop()
    b_groups.others_send = lambda group, message: None
    clock.advance(EXPIRY + HEARTBEAT)
    settle(clock)
    assert a_screen.of_type("tally")[-1]["present"] == 0


@pytest_twisted.ensureDeferred
async def test_a_process_joining_late_hears_who_is_already_there(two, clock):
    a, b, a_groups, b_groups = two
    lecture = await a.create(PROF, "Physics")
    for student in STUDENTS[:4]:
        await joined(a, a_groups, lecture.join_code, student)
    settle(clock)

    _, b_screen = await joined(b, b_groups, lecture.join_code, PROF, "instructor")
    settle(clock)

    assert b_screen.of_type("tally")[-1]["present"] == 4
