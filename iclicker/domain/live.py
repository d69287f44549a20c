"""An open lecture's live state in this process, and the messages built from it."""

from collections import Counter
from typing import Any

import attrs
from twisted.internet.interfaces import IDelayedCall

from iclicker.domain.lecture_values import full_counts, lecture_json, question_json
from iclicker.store.lectures import ClosedQuestion, LectureRow, QuestionRow


@attrs.define(eq=False)
class LiveLecture:
    """What this process knows of an open lecture right now."""

    lecture: LectureRow
    question: QuestionRow | None
    answers: dict[int, str]
    counts: Counter
    untold: list[tuple[int, str]] = attrs.field(factory=list)
    """Answers to the open question recorded here that the other processes have not heard."""
    tally_call: IDelayedCall | None = None
    last_closed: ClosedQuestion | None = None
    """The latest question once closed, with its counts, until the next is asked."""

    def hello(self, user_id: int, role: str) -> dict:
        """The first message of a new socket: the lecture as this user should see it."""
        instructor = role == "instructor"
        question = self.question
        hello = {
            "type": "hello",
            "lecture": lecture_json(self.lecture),
            "role": role,
            "question": question_json(question, instructor) if question else None,
            "my_answer": None if instructor else self.answers.get(user_id),
        }
        if instructor:
            closed = self.last_closed
            hello["results"] = (
                {
                    "question": question_json(closed.question, with_correct=True),
                    "counts": full_counts(closed.question, closed.counts),
                }
                if closed
                else None
            )
        return hello

    def tally(self, present: int) -> dict:
        """What the instructors' screens show: counts, answered, present."""
        question = self.question
        return {
            "type": "tally",
            "question_id": question.id if question else None,
            "counts": full_counts(question, self.counts) if question else {},
            "answered": len(self.answers),
            "present": present,
        }

    def record(self, user_id: int, choice: str) -> None:
        """Count a student's latest answer to the open question (again, harmlessly)."""
        previous = self.answers.get(user_id)
        if previous is not None:
            self.counts[previous] -= 1
        self.answers[user_id] = choice
        self.counts[choice] += 1


def question_state(question: QuestionRow) -> dict[str, Any]:
    """A question as the other processes' replicas receive it."""
    return attrs.asdict(question)


def question_from_state(state: dict[str, Any]) -> QuestionRow:
    return QuestionRow(**{**state, "choices": tuple(state["choices"])})
