"""Lecture values: join codes, the rules a question must follow, and wire shapes.

Shared by the REST API, the WebSocket and the domain, so that a Lecture or a
Question looks the same wherever it is sent.
"""

from datetime import UTC, datetime
from typing import Any

from iclicker.domain.errors import Invalid
from iclicker.domain.question_kinds import (
    Tally,
    check_spec,
    check_timer,
    correct_json,
    for_the_room,
    tally_of,
)
from iclicker.domain.text import trim
from iclicker.store.lectures import ClosedQuestion, LectureRow, NewQuestion, QuestionRow

JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6
MAX_TITLE = 200
MAX_QUESTION_TEXT = 2000
MAX_CHOICE = 200
MIN_CHOICES, MAX_CHOICES = 2, 8


def lecture_group(lecture_id: int) -> str:
    return f"lecture:{lecture_id}"


def instructor_group(lecture_id: int) -> str:
    return f"lecture:{lecture_id}:instructors"


def lecture_sync_group(lecture_id: int) -> str:
    """Where the processes serving a lecture tell each other's replicas what changed."""
    return f"lecture:{lecture_id}:sync"


def iso_time(timestamp: float, timespec: str = "seconds") -> str:
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.isoformat(timespec=timespec).replace("+00:00", "Z")


def lecture_json(lecture: LectureRow) -> dict:
    body = {
        "id": lecture.id,
        "title": lecture.title,
        "join_code": lecture.join_code,
        "status": lecture.status,
        "created_at": iso_time(lecture.created_at),
        "course_id": lecture.course_id,
    }
    if lecture.anonymous:
        body["anonymous"] = True
    if lecture.posts_anonymous:
        body["anonymous_posts"] = True
    return body


def question_json(question: QuestionRow, with_correct: bool, now: float | None = None) -> dict:
    """A Question; ``correct`` only for those allowed to see it (instructors, or after close).

    A single-choice question looks exactly as before kinds existed; the
    others carry their ``kind``, an anonymous one ``anonymous``. A timed
    question carries its ``deadline`` and, given the time ``now``, the
    seconds left: clients count down from that, so a phone whose clock is
    wrong still shows the right time.
    """
    body = {
        "id": question.id,
        "text": question.text,
        "choices": list(question.choices),
        "status": question.status,
    }
    if question.kind != "single":
        body["kind"] = question.kind
    if question.anonymous:
        body["anonymous"] = True
    if question.round > 1:
        body["round"] = question.round
    if question.asks_confidence:
        body["asks_confidence"] = True
    if question.deadline is not None:
        body.update(timer_json(question.deadline, now))
    if with_correct:
        body["correct"] = correct_json(question.kind, question.correct)
        body["revealed"] = question.revealed
        if question.tolerance is not None:
            body["tolerance"] = question.tolerance
        if question.kind == "text":
            body["hidden"] = list(question.hidden)
        if question.results_hidden:
            body["results_hidden"] = True
    return body


def timer_json(deadline: float, now: float | None) -> dict[str, Any]:
    timer: dict[str, Any] = {"deadline": iso_time(deadline, "milliseconds")}
    if now is not None:
        timer["time_left"] = round(max(0.0, deadline - now), 3)
    return timer


def summarise(tally: Tally, question: QuestionRow) -> dict[str, Any]:
    """A tally's results, with a text question's hidden and accepted answers marked."""
    return tally.summary(question.hidden, question.correct if question.kind == "text" else ())


def results_json(
    question: QuestionRow, counts: dict[str, int], for_students: bool = False
) -> dict[str, Any]:
    """A question's results from its stored answers' counts: ``counts`` per choice (every
    choice present; empty for numeric and text) and the kind's own fields; ``for_students``:
    what every socket of the lecture gets (no list of text answers)."""
    summary = summarise(tally_of(question.kind, question.choices, counts), question)
    if question.kind != "single":
        # Picks per choice or listed answers are no head count (single's counts are).
        summary["answered"] = sum(counts.values())
    return for_the_room(summary) if for_students else summary


def closed_json(closed: ClosedQuestion, for_students: bool = False) -> dict[str, Any]:
    """A closed question's results; after several rounds also ``rounds`` (each earlier
    round's results, oldest first) and ``moved`` (wrong to right and back)."""
    body = results_json(closed.question, closed.counts, for_students)
    if closed.earlier_rounds:
        body["rounds"] = [
            {"round": number, **results_json(closed.question, counts, for_students)}
            for number, counts in closed.earlier_rounds
        ]
        body["moved"] = closed.moved
    return body


def _trimmed(value: str, what: str, limit: int) -> str:
    value = trim(value)
    if not 1 <= len(value) <= limit:
        raise Invalid(f"The {what} must be 1 to {limit} characters.")
    return value


def check_title(title: str) -> str:
    return _trimmed(title, "title", MAX_TITLE)


def check_choices(choices: list) -> tuple[str, ...]:
    if not MIN_CHOICES <= len(choices) <= MAX_CHOICES:
        raise Invalid(f"A question has {MIN_CHOICES} to {MAX_CHOICES} choices.")
    if not all(isinstance(choice, str) for choice in choices):
        raise Invalid("Every choice must be a string.")
    cleaned = tuple(_trimmed(choice, "choice", MAX_CHOICE) for choice in choices)
    if len({choice.casefold() for choice in cleaned}) != len(cleaned):
        raise Invalid("The choices must differ from each other.")
    return cleaned


def check_question(
    text: str, choices: list, correct: str | None
) -> tuple[str, tuple[str, ...], str | None]:
    """Validate and normalise a single-choice question as the contract's limits say."""
    spec = check_spec("single", choices, correct, None, check_choices)
    return _trimmed(text, "question text", MAX_QUESTION_TEXT), spec.choices, spec.correct


def check_new_question(body: dict[str, Any]) -> NewQuestion:
    """A question of any kind as an instructor's ``POST …/questions`` body describes it.

    Without ``kind`` it is single-choice, exactly as before kinds existed.
    """
    kind = body.get("kind", "single")
    text = body.get("text")
    if not isinstance(text, str):
        raise Invalid("The field 'text' is required.")
    choices = body.get("choices")
    if choices is not None and not isinstance(choices, list):
        raise Invalid("The field 'choices' must be a list.")
    anonymous = body.get("anonymous", False)
    asks_confidence = body.get("confidence", False)
    if not isinstance(anonymous, bool) or not isinstance(asks_confidence, bool):
        raise Invalid("The fields 'anonymous' and 'confidence' are true or false.")
    spec = check_spec(kind, choices, body.get("correct"), body.get("tolerance"), check_choices)
    return NewQuestion(
        _trimmed(text, "question text", MAX_QUESTION_TEXT),
        spec.choices,
        spec.correct,
        kind=spec.kind,
        tolerance=spec.tolerance,
        anonymous=anonymous,
        timer=check_timer(body.get("timer")),
        asks_confidence=asks_confidence,
    )


def normalise_join_code(code: str) -> str:
    return code.strip().upper()


def parse_join_code(text: str) -> str | None:
    """The join code typed as ``text`` (any case), or None if it cannot be one."""
    code = normalise_join_code(text)
    if len(code) != JOIN_CODE_LENGTH or not set(code) <= set(JOIN_CODE_ALPHABET):
        return None
    return code
