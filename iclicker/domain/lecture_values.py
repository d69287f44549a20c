"""Lecture values: join codes, the rules a question must follow, and wire shapes.

Shared by the REST API, the WebSocket and the domain, so that a Lecture or a
Question looks the same wherever it is sent.
"""

from datetime import UTC, datetime

from iclicker.domain.errors import Invalid
from iclicker.domain.text import trim
from iclicker.store.lectures import LectureRow, QuestionRow

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
    return {
        "id": lecture.id,
        "title": lecture.title,
        "join_code": lecture.join_code,
        "status": lecture.status,
        "created_at": iso_time(lecture.created_at),
        "course_id": lecture.course_id,
    }


def question_json(question: QuestionRow, with_correct: bool) -> dict:
    """A Question; ``correct`` only for those allowed to see it (instructors, or after close)."""
    body = {
        "id": question.id,
        "text": question.text,
        "choices": list(question.choices),
        "status": question.status,
    }
    if with_correct:
        body["correct"] = question.correct
        body["revealed"] = question.revealed
    return body


def full_counts(question: QuestionRow, counts: dict[str, int]) -> dict[str, int]:
    """Counts with every choice present, in the question's order."""
    return {choice: counts.get(choice, 0) for choice in question.choices}


def _trimmed(value: str, what: str, limit: int) -> str:
    value = trim(value)
    if not 1 <= len(value) <= limit:
        raise Invalid(f"The {what} must be 1 to {limit} characters.")
    return value


def check_title(title: str) -> str:
    return _trimmed(title, "title", MAX_TITLE)


def check_question(
    text: str, choices: list, correct: str | None
) -> tuple[str, tuple[str, ...], str | None]:
    """Validate and normalise a question as the contract's limits say."""
    text = _trimmed(text, "question text", MAX_QUESTION_TEXT)
    if not MIN_CHOICES <= len(choices) <= MAX_CHOICES:
        raise Invalid(f"A question has {MIN_CHOICES} to {MAX_CHOICES} choices.")
    if not all(isinstance(choice, str) for choice in choices):
        raise Invalid("Every choice must be a string.")
    cleaned = tuple(_trimmed(choice, "choice", MAX_CHOICE) for choice in choices)
    if len({choice.casefold() for choice in cleaned}) != len(cleaned):
        raise Invalid("The choices must differ from each other.")
    if correct is not None:
        correct = trim(correct)
        if correct not in cleaned:
            raise Invalid("The correct answer must be one of the choices.")
    return text, cleaned, correct


def normalise_join_code(code: str) -> str:
    return code.strip().upper()


def parse_join_code(text: str) -> str | None:
    """The join code typed as ``text`` (any case), or None if it cannot be one."""
    code = normalise_join_code(text)
    if len(code) != JOIN_CODE_LENGTH or not set(code) <= set(JOIN_CODE_ALPHABET):
        return None
    return code
