"""What every iclicker WebSocket shares: admission, frames, limits, groups and back-pressure.

Lecture, room, conversation and inbox sockets are subclasses that add only
their own admission rule (``admit``), their first frame (``hello``), their
client messages (``received``) and their groups. The HTTP route in front has
already checked the network allowlist and the Origin (403); here come the
session (401) and then the endpoint's own checks, in the contract's order.
"""

from collections.abc import Iterable
from typing import Any, ClassVar

import attrs
from autobahn.twisted.websocket import WebSocketServerProtocol
from autobahn.websocket.types import ConnectionDeny, ConnectionRequest
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IPushProducer, IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from iclicker.auth.sessions import SESSION_COOKIE, Sessions
from iclicker.domain.accounts import User
from iclicker.domain.admin import user_group
from iclicker.domain.errors import DomainError, Forbidden, NotFound, Unavailable
from iclicker.groups.interface import IGroupMember, IGroups
from iclicker.ws.messages import BadMessage, MessageFields, decode, encode, error_frame
from iclicker.ws.ratelimit import RateLimiter

CLOSE_GOING_AWAY = 1001
CLOSE_POLICY = 1008
CLOSE_SERVICE_RESTART = 1012
CLOSE_TRY_AGAIN = 1013
CLOSE_LECTURE_ENDED = 4000
CLOSE_ROOM_DELETED = 4001
CLOSE_ACCOUNT_DISABLED = 4003
CLOSE_REMOVED = 4003

CLOSING_MESSAGES = {
    "lecture_ended": (CLOSE_LECTURE_ENDED, "lecture ended"),
    "room_deleted": (CLOSE_ROOM_DELETED, "room deleted"),
    "removed": (CLOSE_REMOVED, "removed from the room"),
    "account_disabled": (CLOSE_ACCOUNT_DISABLED, "account disabled"),
}
"""Group messages after which the receiving socket closes, with their close codes."""

MAX_IN_FLIGHT = 8
"""Messages of one socket waiting for their commit; more are refused with rate_limited."""
MAX_EARLY_FRAMES = 1000
"""Group frames held back while a socket's ``hello`` is being read from the database."""

Hello = dict[str, Any] | bytes
"""A socket's first frame: a message, or one framed already (shared by sockets opening
together)."""

# Module-level: autobahn gives protocols a ``log`` of its own (txaio's, with
# its debug chatter filtered), which a class attribute would replace.
log = Logger()


class Refused(Exception):
    """An endpoint's admission rule says no: the handshake gets this HTTP status."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@attrs.frozen
class SocketContext:
    """What every socket endpoint needs, whatever its domain."""

    clock: IReactorTime
    sessions: Sessions
    groups: IGroups
    tracker: Any
    """The ``ConnectionTracker`` that counts and closes all sockets."""
    max_send_buffer: int


def _refusal_status(error: DomainError) -> int:
    """The handshake status for an endpoint's domain refusal."""
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, Unavailable):
        return 503
    return 403


def session_token_from(cookie_header: str | None) -> str | None:
    """The session cookie's value, tolerating other cookies that strict parsers reject."""
    for pair in (cookie_header or "").split(";"):
        key, _, value = pair.strip().partition("=")
        if key == SESSION_COOKIE and value:
            return value
    return None


@implementer(IGroupMember, IPushProducer)
class AppSocket(WebSocketServerProtocol):
    """One signed-in user's socket on one endpoint (``/ws/<endpoint>/<rest>``)."""

    path_prefix: ClassVar[str]
    client_messages: ClassVar[dict[str, MessageFields]] = {}
    """The endpoint's client messages (``ping`` is everyone's) and their fields."""

    user: User | None = None
    room_id: int | None = None
    """The chat room this socket is on, if any: a closing message about another room
    (``removed`` reaches all of an account's sockets) is not for it."""
    _groups: tuple[str, ...] = ()
    """The groups joined at open, left again at close."""
    _early: list | None = None
    """Group frames that arrived before ``hello`` was sent (None once it was)."""
    _lost = False
    _write_paused = False
    _unsent_bytes = 0
    _in_flight = 0

    # -- what endpoints provide -------------------------------------------------

    async def admit(self, user: User, rest: str) -> None:
        """Check the endpoint's rules for ``user`` and the rest of the path; raise to refuse."""
        raise NotImplementedError

    def groups(self) -> Iterable[str]:
        """The groups this socket belongs to, besides its account's."""
        return ()

    async def hello(self) -> Hello | None:
        """The first frame (None: the socket closed itself instead)."""
        raise NotImplementedError

    async def received(self, message: dict[str, Any]) -> None:
        """Handle one well-formed client message; a DomainError becomes an ``error`` frame."""
        raise NotImplementedError

    def delivered(self, message: dict[str, Any]) -> None:
        """Called after a group message was sent on this socket."""

    def closed(self) -> None:
        """Called once when a socket that was opened goes away."""

    def released(self) -> None:
        """Called once when a socket that was admitted goes away, opened or not: let go of
        what ``admit`` took."""

    # -- handshake ---------------------------------------------------------------

    def onConnect(self, request: ConnectionRequest) -> Deferred:
        return Deferred.fromCoroutine(self._admit_safely(request))

    async def _admit_safely(self, request: ConnectionRequest) -> None:
        """Admit or refuse; a bug is a logged 500 without its details on the wire."""
        try:
            user = await self.factory.context.sessions.user(
                session_token_from(request.headers.get("cookie"))
            )
            if user is None:
                raise Refused(401, "log in first")
            await self.admit(user, request.path[len(self.path_prefix) :])
            self.user = user
            if self._lost:  # the client left while it was being admitted
                self.released()
        except Refused as refused:
            raise ConnectionDeny(refused.status, refused.reason) from None
        except (NotFound, Forbidden, Unavailable) as error:
            raise ConnectionDeny(_refusal_status(error), error.message) from None
        except Exception:
            log.failure("Admitting a socket failed")
            raise ConnectionDeny(500, "internal error") from None

    def onOpen(self) -> None:
        context = self.factory.context
        self._limiter = RateLimiter(updated=context.clock.seconds())
        # The HTTP channel that accepted the upgrade registered itself as the
        # transport's producer; take its place to hear when the client lags.
        self.transport.unregisterProducer()
        self.transport.registerProducer(self, True)
        context.tracker.add(self, self.user.id)
        self._early = []
        self._groups = (user_group(self.user.id), *self.groups())
        for group in self._groups:
            context.groups.group_add(group, self)
        Deferred.fromCoroutine(self._greet()).addErrback(self._failed)

    async def _greet(self) -> None:
        """Send ``hello``, then what the groups sent meanwhile, in order."""
        try:
            hello = await self.hello()
        finally:
            early, self._early = self._early, None
        if hello is None:
            return
        if isinstance(hello, bytes):
            self.send_frame(hello)
        else:
            self.send(hello)
        for message, encoded in early:
            self.deliver(message, encoded)

    def connectionLost(self, reason: Failure) -> None:
        super().connectionLost(reason)
        self._lost = True
        if self.user is None:
            return
        context = self.factory.context
        context.tracker.discard(self, self.user.id)
        groups, self._groups = self._groups, ()
        for group in groups:
            context.groups.group_discard(group, self)
        if groups:
            self.closed()
        self.released()

    # -- outgoing ------------------------------------------------------------------

    def deliver(self, message: dict[str, Any], encoded: bytes) -> None:
        """A group message: the same prepared frame (or batch of frames) for every member."""
        if self.state != self.STATE_OPEN:
            return
        if self._early is not None:
            if len(self._early) >= MAX_EARLY_FRAMES:
                self.close_with(CLOSE_TRY_AGAIN, "too busy; reconnect")
            self._early.append((message, encoded))
            return
        kind = message["type"]
        closing = CLOSING_MESSAGES.get(kind)
        if closing is not None and message.get("room_id", self.room_id) != self.room_id:
            return
        self.sendData(encoded)
        if kind == "batch":
            for inner in message["messages"]:
                self.delivered(inner)
            return
        if closing is not None:
            self.close_with(*closing)
        else:
            self.delivered(message)

    def send(self, message: dict[str, Any]) -> None:
        if self.state == self.STATE_OPEN:
            self.sendMessage(encode(message))

    def send_frame(self, frame: bytes) -> None:
        """A message framed already (``prepared_frame``), maybe shared with other sockets."""
        if self.state == self.STATE_OPEN:
            self.sendData(frame)

    def close_with(self, code: int, reason: str) -> None:
        """Close with any RFC 6455 code (autobahn's sendClose takes only 1000 and 3000+)."""
        self.sendCloseFrame(code=code, reasonUtf8=reason.encode("utf-8"), isReply=False)

    def sendData(self, data: bytes, sync: bool = False, chopsize: int | None = None) -> None:
        """Write a frame; count what piles up while the client is not reading, and past the
        limit drop the client.

        The client reconnects and gets a fresh ``hello``, so nothing is lost,
        while one stalled phone cannot grow the server's memory without bound.
        """
        if self._write_paused:
            self._unsent_bytes += len(data)
            if self._unsent_bytes > self.factory.context.max_send_buffer:
                log.info("Dropping a client that stopped reading")
                self._write_paused = False
                self.transport.abortConnection()
                return
        if self.state != self.STATE_OPEN or sync or chopsize or self.send_queue:
            super().sendData(data, sync, chopsize)
        else:
            # Autobahn's own fast path formats a debug log line (colours and
            # all) for every frame even when debug logging is off: half the
            # cost of a broadcast. Open sockets write directly instead.
            self.transport.write(data)

    def pauseProducing(self) -> None:
        self._write_paused = True

    def resumeProducing(self) -> None:
        self._write_paused = False
        self._unsent_bytes = 0

    def stopProducing(self) -> None:
        self._write_paused = False

    # -- incoming --------------------------------------------------------------------

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        """Any frame gets an answer and leaves the socket open, even if handling it fails."""
        try:
            self._handle(payload, isBinary)
        except Exception:
            self._failed(Failure())

    def _handle(self, payload: bytes, isBinary: bool) -> None:
        now = self.factory.context.clock.seconds()
        if not self._limiter.allow(now):
            if self._limiter.should_close(now):
                self.close_with(CLOSE_POLICY, "message rate exceeded")
            elif self._limiter.should_warn(now):
                self.send(error_frame("rate_limited", "Too many messages; slow down."))
            return
        try:
            message = decode(payload, isBinary, self.client_messages)
        except BadMessage as error:
            self.send(error_frame(error.code, error.message))
            return
        if message["type"] == "ping":
            self.send({"type": "pong"})
        elif self._in_flight >= MAX_IN_FLIGHT:
            self.send(error_frame("rate_limited", "Wait for your messages to be recorded."))
        else:
            self._in_flight += 1
            Deferred.fromCoroutine(self._receive(message)).addErrback(self._failed)

    async def _receive(self, message: dict[str, Any]) -> None:
        try:
            await self.received(message)
        except DomainError as error:
            self.send(error_frame(error.code, error.message))
        finally:
            self._in_flight -= 1

    def _failed(self, failure: Failure) -> None:
        log.failure("Handling a {endpoint} socket failed", failure, endpoint=self.path_prefix)
        self.send(error_frame("internal_error", "The server could not handle that message."))
