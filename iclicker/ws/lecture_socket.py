"""The lecture socket ``/ws/lectures/{join_code}``: join code and roster, answers and acks,
and the students' questions (Q&A) with their upvotes."""

from typing import Any

import attrs

from iclicker.domain.errors import Forbidden
from iclicker.domain.lecture_values import instructor_group, lecture_group
from iclicker.domain.lectures import Lectures
from iclicker.domain.live import LiveLecture
from iclicker.domain.posts import Posts
from iclicker.ws.socket import CLOSE_LECTURE_ENDED, AppSocket, Refused


@attrs.frozen
class LectureHall:
    """What a lecture socket talks to: the lecture itself and its Q&A."""

    lectures: Lectures
    posts: Posts


class LectureSocket(AppSocket):
    """A student or instructor in one open lecture; ``factory.domain`` is a ``LectureHall``."""

    path_prefix = "/ws/lectures/"
    client_messages = {
        "answer": {
            "question_id": int,
            "choice": str | list | int | float,
            "confidence": str | None,
        },
        "post": {"text": str, "client_id": str | None},
        "vote": {"post_id": int, "up": bool},
    }
    """``choice`` is a choice, a list of choices, a number or a text, as the question's kind
    asks; the domain checks which."""

    _lecture_id: int | None = None
    _role: str = "student"
    _live: LiveLecture | None = None
    """Set once the socket has been counted in its lecture, cleared when it leaves."""

    async def admit(self, user, rest: str) -> None:
        lectures = self.factory.domain.lectures
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
        hall = self.factory.domain
        live = hall.lectures.live(self._lecture_id)
        instructor = self._role == "instructor"
        posts = await hall.posts.hello(live, self.user, instructor) if live else None
        live = hall.lectures.live(self._lecture_id)
        if live is None:
            # The lecture ended between the handshake and now.
            self.send({"type": "lecture_ended", "lecture_id": self._lecture_id})
            self.close_with(CLOSE_LECTURE_ENDED, "lecture ended")
            return None
        self._live = live
        hall.lectures.connected(live, self.user.id, self._role)
        hello = live.hello(self.user.id, self._role, self.factory.context.clock.seconds())
        return {**hello, **(posts or {})}

    def closed(self) -> None:
        live, self._live = self._live, None
        if live is not None:
            self.factory.domain.lectures.disconnected(live, self.user.id, self._role)

    async def received(self, message: dict[str, Any]) -> None:
        if self._role == "instructor":
            raise Forbidden("Instructors do not answer, post or vote here.")
        live = self._live
        if live is None:
            return
        kind = message["type"]
        if kind == "answer":
            await self._answer(live, message)
        elif kind == "post":
            post, _ = await self.factory.domain.posts.post(
                live, self.user, message["text"], message.get("client_id")
            )
            self.send({"type": "post_ack", "client_id": message.get("client_id"), "post": post})
        else:
            post_id, up = message["post_id"], message["up"]
            votes = await self.factory.domain.posts.vote(live, self.user, post_id, up)
            self.send({"type": "vote_ack", "post_id": post_id, "up": up, "votes": votes})

    async def _answer(self, live: LiveLecture, message: dict[str, Any]) -> None:
        question_id, confidence = message["question_id"], message.get("confidence")
        recorded = await self.factory.domain.lectures.answer(
            live, self.user.id, question_id, message["choice"], confidence
        )
        ack = {"type": "answer_ack", "question_id": question_id, "choice": recorded}
        if confidence is not None and live.question is not None and live.question.asks_confidence:
            ack["confidence"] = confidence
        self.send(ack)
