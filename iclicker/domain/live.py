"""An open lecture's live state in this process, and the messages built from it."""

from typing import Any

import attrs
from twisted.internet.interfaces import IDelayedCall

from iclicker.domain.lecture_values import closed_json, lecture_json, question_json, summarise
from iclicker.domain.question_kinds import Tally, tally_for, wire_answer
from iclicker.store.lectures import ClosedQuestion, LectureRow, QuestionRow


@attrs.define(eq=False)
class LiveLecture:
    """What this process knows of an open lecture right now."""

    lecture: LectureRow
    question: QuestionRow | None
    answers: dict[int, str]
    """Each student's answer to the open question, in its stored form."""
    confidences: dict[int, str] = attrs.field(factory=dict)
    """How sure each student said they were (questions that ask)."""
    tally: Tally | None = None
    untold: list[tuple[int, str]] = attrs.field(factory=list)
    """Answers to the open question recorded here that the other processes have not heard."""
    tally_call: IDelayedCall | None = None
    timer_call: IDelayedCall | None = None
    """The open question's deadline, if it has one."""
    last_closed: ClosedQuestion | None = None
    """The latest question once closed, with its counts, until the next is asked."""

    def __attrs_post_init__(self) -> None:
        if self.tally is None:
            self.open(self.question, self.answers, self.confidences)

    def open(
        self,
        question: QuestionRow | None,
        answers: dict[int, str],
        confidences: dict[int, str] | None = None,
    ) -> None:
        """Make ``question`` the open one (or none), with the answers it has so far."""
        self.question, self.answers, self.untold = question, {}, []
        self.confidences = dict(confidences or {})
        self.tally = tally_for(question.kind, question.choices) if question else None
        for user_id, stored in answers.items():
            self.record(user_id, stored, self.confidences.get(user_id))

    def hello(self, user_id: int, role: str, now: float) -> dict:
        """The first message of a new socket: the lecture as this user should see it."""
        instructor = role == "instructor"
        question = self.question
        hello = {
            "type": "hello",
            "lecture": lecture_json(self.lecture),
            "role": role,
            "question": question_json(question, instructor, now) if question else None,
            "my_answer": None
            if instructor or question is None
            else wire_answer(question.kind, self.answers.get(user_id)),
        }
        if question is not None and question.asks_confidence and not instructor:
            hello["my_confidence"] = self.confidences.get(user_id)
        if instructor:
            closed = self.last_closed
            hello["results"] = (
                {
                    "question": question_json(closed.question, with_correct=True),
                    **closed_json(closed),
                }
                if closed
                else None
            )
        return hello

    def tally_message(self, present: int) -> dict:
        """What the instructors' screens show: the results so far, answered, present."""
        question = self.question
        results = summarise(self.tally, question) if question else {"counts": {}}
        return {
            "type": "tally",
            "question_id": question.id if question else None,
            **results,
            "answered": len(self.answers),
            "present": present,
        }

    def record(self, user_id: int, stored: str, confidence: str | None = None) -> None:
        """Count a student's latest answer to the open question (again, harmlessly)."""
        previous = self.answers.get(user_id)
        if previous is not None:
            self.tally.remove(previous)
        self.answers[user_id] = stored
        self.tally.add(stored)
        if confidence is None:
            self.confidences.pop(user_id, None)
        else:
            self.confidences[user_id] = confidence


def question_state(question: QuestionRow) -> dict[str, Any]:
    """A question as the other processes' replicas receive it."""
    return attrs.asdict(question)


def question_from_state(state: dict[str, Any]) -> QuestionRow:
    correct = state["correct"]
    return QuestionRow(
        **{
            **state,
            "choices": tuple(state["choices"]),
            "correct": tuple(correct) if isinstance(correct, list) else correct,
            "hidden": tuple(state["hidden"]),
        }
    )
