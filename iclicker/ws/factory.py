"""The WebSocket factory for lectures, and the service that closes its sockets at shutdown."""

from collections import OrderedDict

import txaio
from autobahn.twisted.websocket import WebSocketServerFactory
from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import deferLater
from twisted.logger import Logger

from iclicker.auth.sessions import Sessions
from iclicker.domain.lectures import Lectures
from iclicker.groups.interface import IGroups
from iclicker.ws.messages import MAX_MESSAGE_BYTES
from iclicker.ws.protocol import CLOSE_GOING_AWAY, CLOSE_POLICY, LectureProtocol

PING_INTERVAL = 30
SHUTDOWN_GRACE = 3.0
MAX_SOCKETS_PER_USER = 16
"""Open sockets one account may hold; past it, its oldest socket is closed."""


class LectureSocketFactory(WebSocketServerFactory):
    """Builds ``LectureProtocol``s and holds what they need."""

    protocol = LectureProtocol
    log = Logger()

    def __init__(
        self,
        reactor: IReactorTime,
        lectures: Lectures,
        groups: IGroups,
        sessions: Sessions,
        max_send_buffer: int,
    ) -> None:
        super().__init__(reactor=reactor)
        # Autobahn logs every frame and connection at debug level; at lecture
        # scale formatting those alone would cost real CPU.
        txaio.set_global_log_level("info")
        self.clock = reactor
        self.lectures = lectures
        self.groups = groups
        self.sessions = sessions
        self.max_send_buffer = max_send_buffer
        self.connections: set[LectureProtocol] = set()
        self._by_user: dict[int, OrderedDict[LectureProtocol, None]] = {}
        self.setProtocolOptions(
            # Same-origin depends on each request's Host header, which static
            # patterns cannot express: the HTTP route in front of this
            # factory checks Origin with the guards the HTTP API uses.
            allowedOrigins=["*"],
            maxMessagePayloadSize=MAX_MESSAGE_BYTES,
            maxFramePayloadSize=MAX_MESSAGE_BYTES,
            # Send the proper 1009/1007 close instead of dropping TCP (1006).
            failByDrop=False,
            autoPingInterval=PING_INTERVAL,
            autoPingTimeout=PING_INTERVAL,
            openHandshakeTimeout=15,
            closeHandshakeTimeout=2,
            perMessageCompressionAccept=lambda _offers: None,
            # A plain GET gets an error, not Autobahn's status page.
            webStatus=False,
        )
        self.server = "iclicker"

    def add_connection(self, protocol: LectureProtocol, user_id: int) -> None:
        """Track an open socket; a user over the limit loses their oldest one.

        Closing the oldest (not refusing the newest) lets a phone that
        reconnects on flaky Wi-Fi in, while its dead sockets still await
        their ping timeout.
        """
        self.connections.add(protocol)
        sockets = self._by_user.setdefault(user_id, OrderedDict())
        sockets[protocol] = None
        if len(sockets) > MAX_SOCKETS_PER_USER:
            oldest, _ = sockets.popitem(last=False)
            self.log.info("User {user_id} opened too many sockets", user_id=user_id)
            oldest.close_with(CLOSE_POLICY, "too many connections for one account")

    def discard_connection(self, protocol: LectureProtocol, user_id: int | None) -> None:
        self.connections.discard(protocol)
        sockets = self._by_user.get(user_id)
        if sockets is not None:
            sockets.pop(protocol, None)
            if not sockets:
                del self._by_user[user_id]


class SocketsService(Service):
    """At shutdown, closes every lecture socket with 1001 so clients reconnect at once."""

    def __init__(self, factory: LectureSocketFactory, clock: IReactorTime) -> None:
        self._factory = factory
        self._clock = clock

    def stopService(self) -> Deferred:
        super().stopService()
        return Deferred.fromCoroutine(self._close_all())

    async def _close_all(self) -> None:
        connections = self._factory.connections
        for protocol in list(connections):
            protocol.close_with(CLOSE_GOING_AWAY, "server shutting down")
        deadline = self._clock.seconds() + SHUTDOWN_GRACE
        while connections and self._clock.seconds() < deadline:
            await deferLater(self._clock, 0.05)
        for protocol in list(connections):
            protocol.transport.abortConnection()
