"""One lecture WebSocket: admission in the handshake, then frames to domain calls and back.

The HTTP route in front has already checked the network allowlist and the
Origin (403); here come the session (401), the join code (404) and the
course roster (403), in the contract's order.
"""

from typing import Any

from autobahn.twisted.websocket import WebSocketServerProtocol
from autobahn.websocket.types import ConnectionDeny, ConnectionRequest
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IPushProducer
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from iclicker.auth.sessions import SESSION_COOKIE
from iclicker.domain.accounts import User
from iclicker.domain.admin import user_group
from iclicker.domain.errors import DomainError
from iclicker.domain.lecture_values import instructor_group, lecture_group
from iclicker.domain.live import LiveLecture
from iclicker.groups.interface import IGroupMember
from iclicker.ws.messages import BadMessage, decode, encode, error_frame
from iclicker.ws.ratelimit import RateLimiter

PATH_PREFIX = "/ws/lectures/"
CLOSE_GOING_AWAY = 1001
CLOSE_POLICY = 1008
CLOSE_LECTURE_ENDED = 4000
CLOSE_ACCOUNT_DISABLED = 4003
MAX_ANSWERS_IN_FLIGHT = 8
"""Answers of one socket waiting for their commit; more are refused with rate_limited."""

# Module-level: autobahn gives protocols a ``log`` of its own (txaio's, with
# its debug chatter filtered), which a class attribute would replace.
log = Logger()


def session_token_from(cookie_header: str | None) -> str | None:
    """The session cookie's value, tolerating other cookies that strict parsers reject."""
    name = SESSION_COOKIE
    for pair in (cookie_header or "").split(";"):
        key, _, value = pair.strip().partition("=")
        if key == name and value:
            return value
    return None


@implementer(IGroupMember, IPushProducer)
class LectureProtocol(WebSocketServerProtocol):
    _user: User | None = None
    _lecture_id: int | None = None
    _role: str = "student"
    _live: LiveLecture | None = None
    """Set once the socket has joined its lecture's groups, cleared when it leaves."""
    _write_paused = False
    _unsent_bytes = 0
    _answers_in_flight = 0

    # -- handshake ------------------------------------------------------------

    def onConnect(self, request: ConnectionRequest) -> Deferred:
        return Deferred.fromCoroutine(self._admit_safely(request))

    async def _admit_safely(self, request: ConnectionRequest) -> None:
        """Admit or refuse; a bug is a logged 500 without its details on the wire."""
        try:
            await self._admit(request)
        except ConnectionDeny:
            raise
        except Exception:
            log.failure("Admitting a lecture socket failed")
            raise ConnectionDeny(500, "internal error") from None

    async def _admit(self, request: ConnectionRequest) -> None:
        factory = self.factory
        user = await factory.sessions.user(session_token_from(request.headers.get("cookie")))
        if user is None:
            raise ConnectionDeny(401, "log in first")
        live = None
        if request.path.startswith(PATH_PREFIX):
            live = await factory.lectures.open_by_code(request.path[len(PATH_PREFIX) :])
        if live is None:
            raise ConnectionDeny(404, "no open lecture with that join code")
        if not await factory.lectures.admits(user, live):
            raise ConnectionDeny(403, "not on this course's roster")
        self._user = user
        self._lecture_id = live.lecture.id
        self._role = factory.lectures.role_of(user, live.lecture)

    def onOpen(self) -> None:
        factory = self.factory
        lecture_id = self._lecture_id
        live = factory.lectures.live(lecture_id)
        if live is None:
            # The lecture ended between the handshake and now.
            self._send({"type": "lecture_ended", "lecture_id": lecture_id})
            self.sendClose(CLOSE_LECTURE_ENDED, "lecture ended")
            return
        self._live = live
        self._limiter = RateLimiter(updated=factory.clock.seconds())
        # The HTTP channel that accepted the upgrade registered itself as the
        # transport's producer; take its place to hear when the client lags.
        self.transport.unregisterProducer()
        self.transport.registerProducer(self, True)
        factory.add_connection(self, self._user.id)
        factory.groups.group_add(lecture_group(lecture_id), self)
        factory.groups.group_add(user_group(self._user.id), self)
        if self._role == "instructor":
            factory.groups.group_add(instructor_group(lecture_id), self)
        self._send(live.hello(self._user.id, self._role))
        factory.lectures.connected(live, self._user.id, self._role)

    def connectionLost(self, reason: Failure) -> None:
        super().connectionLost(reason)
        factory = self.factory
        factory.discard_connection(self, self._user.id if self._user else None)
        live, self._live = self._live, None
        if live is None:
            return
        factory.groups.group_discard(lecture_group(live.lecture.id), self)
        factory.groups.group_discard(user_group(self._user.id), self)
        factory.groups.group_discard(instructor_group(live.lecture.id), self)
        factory.lectures.disconnected(live, self._user.id, self._role)

    # -- outgoing ---------------------------------------------------------------

    def deliver(self, message: dict[str, Any], encoded: Any) -> None:
        """A group message: the same prepared frame for every member."""
        if self.state != self.STATE_OPEN:
            return
        self.sendPreparedMessage(encoded)
        if message["type"] == "lecture_ended":
            self.sendClose(CLOSE_LECTURE_ENDED, "lecture ended")
        elif message["type"] == "account_disabled":
            self.sendClose(CLOSE_ACCOUNT_DISABLED, "account disabled")

    def _send(self, message: dict[str, Any]) -> None:
        if self.state == self.STATE_OPEN:
            self.sendMessage(encode(message))

    def close_with(self, code: int, reason: str) -> None:
        """Close with any RFC 6455 code (autobahn's sendClose takes only 1000 and 3000+)."""
        self.sendCloseFrame(code=code, reasonUtf8=reason.encode("utf-8"), isReply=False)

    def sendData(self, data: bytes, sync: bool = False, chopsize: int | None = None) -> None:
        """Count what piles up while the client is not reading; past the limit, drop it.

        The client reconnects and gets a fresh ``hello``, so nothing is lost,
        while one stalled phone cannot grow the server's memory without bound.
        """
        if self._write_paused:
            self._unsent_bytes += len(data)
            if self._unsent_bytes > self.factory.max_send_buffer:
                log.info("Dropping a client that stopped reading")
                self._write_paused = False
                self.transport.abortConnection()
                return
        super().sendData(data, sync, chopsize)

    def pauseProducing(self) -> None:
        self._write_paused = True

    def resumeProducing(self) -> None:
        self._write_paused = False
        self._unsent_bytes = 0

    def stopProducing(self) -> None:
        self._write_paused = False

    # -- incoming ---------------------------------------------------------------

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        """Any frame gets an answer and leaves the socket open, even if handling it fails."""
        try:
            self._handle(payload, isBinary)
        except Exception:
            self._failed(Failure())

    def _handle(self, payload: bytes, isBinary: bool) -> None:
        now = self.factory.clock.seconds()
        if not self._limiter.allow(now):
            if self._limiter.should_close(now):
                self.close_with(CLOSE_POLICY, "message rate exceeded")
            elif self._limiter.should_warn(now):
                self._send(error_frame("rate_limited", "Too many messages; slow down."))
            return
        try:
            message = decode(payload, isBinary)
        except BadMessage as error:
            self._send(error_frame(error.code, error.message))
            return
        if message["type"] == "ping":
            self._send({"type": "pong"})
        elif self._role == "instructor":
            self._send(error_frame("forbidden", "Instructors do not answer questions."))
        elif self._answers_in_flight >= MAX_ANSWERS_IN_FLIGHT:
            self._send(
                error_frame("rate_limited", "Wait for your answers to be recorded, then resend.")
            )
        else:
            self._answers_in_flight += 1
            Deferred.fromCoroutine(
                self._answer(message["question_id"], message["choice"])
            ).addErrback(self._failed)

    async def _answer(self, question_id: int, choice: str) -> None:
        try:
            live = self._live
            if live is None:
                return
            await self.factory.lectures.answer(live, self._user.id, question_id, choice)
        except DomainError as error:
            self._send(error_frame(error.code, error.message))
            return
        finally:
            self._answers_in_flight -= 1
        self._send({"type": "answer_ack", "question_id": question_id, "choice": choice})

    def _failed(self, failure: Failure) -> None:
        log.failure("Handling a lecture message failed", failure)
        self._send(error_frame("internal_error", "The server could not handle that message."))
