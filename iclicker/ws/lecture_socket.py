"""The lecture socket ``/ws/lectures/{join_code}``: join code and roster, answers and acks."""

from typing import Any

from iclicker.domain.errors import Forbidden
from iclicker.domain.lecture_values import instructor_group, lecture_group
from iclicker.domain.live import LiveLecture
from iclicker.ws.socket import CLOSE_LECTURE_ENDED, AppSocket, Refused


class LectureSocket(AppSocket):
    """A student or instructor in one open lecture; ``factory.domain`` is ``Lectures``."""

    path_prefix = "/ws/lectures/"
    client_messages = {
        "answer": {
            "question_id": int,
            "choice": str | list | int | float,
            "confidence": str | None,
        },
    }
    """``choice`` is a choice, a list of choices, a number or a text, as the question's kind
    asks; the domain checks which."""

    _lecture_id: int | None = None
    _role: str = "student"
    _live: LiveLecture | None = None
    """Set once the socket has been counted in its lecture, cleared when it leaves."""

    async def admit(self, user, rest: str) -> None:
        lectures = self.factory.domain
        live = await lectures.open_by_code(rest)
        if live is None:
            raise Refused(404, "no open lecture with that join code")
        if not await lectures.admits(user, live):
            raise Refused(403, "not on this course's roster")
        self._lecture_id = live.lecture.id
        self._role = lectures.role_of(user, live.lecture)

    def groups(self) -> tuple[str, ...]:
        if self._role == "instructor":
            return lecture_group(self._lecture_id), instructor_group(self._lecture_id)
        return (lecture_group(self._lecture_id),)

    async def hello(self) -> dict[str, Any] | None:
        lectures = self.factory.domain
        live = lectures.live(self._lecture_id)
        if live is None:
            # The lecture ended between the handshake and now.
            self.send({"type": "lecture_ended", "lecture_id": self._lecture_id})
            self.close_with(CLOSE_LECTURE_ENDED, "lecture ended")
            return None
        self._live = live
        lectures.connected(live, self.user.id, self._role)
        return live.hello(self.user.id, self._role, self.factory.context.clock.seconds())

    def closed(self) -> None:
        live, self._live = self._live, None
        if live is not None:
            self.factory.domain.disconnected(live, self.user.id, self._role)

    async def received(self, message: dict[str, Any]) -> None:
        if self._role == "instructor":
            raise Forbidden("Instructors do not answer questions.")
        live = self._live
        if live is None:
            return
        question_id, confidence = message["question_id"], message.get("confidence")
        recorded = await self.factory.domain.answer(
            live, self.user.id, question_id, message["choice"], confidence
        )
        ack = {"type": "answer_ack", "question_id": question_id, "choice": recorded}
        if confidence is not None and live.question is not None and live.question.asks_confidence:
            ack["confidence"] = confidence
        self.send(ack)
