"""Socket factories (one per endpoint), the tracker of every open socket, and their shutdown."""

from collections import OrderedDict
from typing import Any

import txaio
from autobahn.twisted.websocket import WebSocketServerFactory
from autobahn.websocket import protocol as autobahn_protocol
from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import deferLater
from twisted.logger import Logger

from iclicker.ws.messages import MAX_MESSAGE_BYTES
from iclicker.ws.socket import (
    CLOSE_GOING_AWAY,
    CLOSE_POLICY,
    CLOSE_SERVICE_RESTART,
    AppSocket,
    SocketContext,
)

PING_INTERVAL = 30
SHUTDOWN_GRACE = 3.0
MAX_SOCKETS_PER_USER = 16
"""Open sockets one account may hold, on all endpoints; past it, its oldest socket is closed."""


def _unformatted(options: list) -> str:
    return "(options not formatted)"


# Autobahn pretty-prints every new socket's options for a debug line that
# the info log level then drops: 15 % of a handshake's CPU at a reconnect
# storm (py-spy, 5,000 students). The line is not worth that.
autobahn_protocol.pformat = _unformatted


class ConnectionTracker:
    """Every open socket of this process, by account, for the per-account limit and shutdown."""

    log = Logger()

    def __init__(self) -> None:
        self.connections: set[AppSocket] = set()
        self._by_user: dict[int, OrderedDict[AppSocket, None]] = {}

    def add(self, socket: AppSocket, user_id: int) -> None:
        """Track an open socket; a user over the limit loses their oldest one.

        Closing the oldest (not refusing the newest) lets a phone that
        reconnects on flaky Wi-Fi in, while its dead sockets still await
        their ping timeout.
        """
        self.connections.add(socket)
        sockets = self._by_user.setdefault(user_id, OrderedDict())
        sockets[socket] = None
        if len(sockets) > MAX_SOCKETS_PER_USER:
            oldest, _ = sockets.popitem(last=False)
            self.log.info("User {user_id} opened too many sockets", user_id=user_id)
            oldest.close_with(CLOSE_POLICY, "too many connections for one account")

    def discard(self, socket: AppSocket, user_id: int) -> None:
        self.connections.discard(socket)
        sockets = self._by_user.get(user_id)
        if sockets is not None:
            sockets.pop(socket, None)
            if not sockets:
                del self._by_user[user_id]


class SocketFactory(WebSocketServerFactory):
    """Builds one endpoint's sockets; ``domain`` is what its sockets talk to."""

    def __init__(self, protocol: type[AppSocket], context: SocketContext, domain: Any) -> None:
        super().__init__(reactor=context.clock)
        # Autobahn logs every frame and connection at debug level; at lecture
        # scale formatting those alone would cost real CPU.
        txaio.set_global_log_level("info")
        self.protocol = protocol
        self.context = context
        self.domain = domain
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
        # Autobahn copies ~40 options from the factory onto every new socket
        # unless the protocol already has them: as class attributes of a
        # subclass per endpoint they cost nothing per socket.
        # (Callables among them, such as perMessageCompressionAccept, stay
        # plain functions, not methods.)
        options = {name: getattr(self, name) for name in protocol.CONFIG_ATTRS}
        options = {
            name: staticmethod(value) if callable(value) else value
            for name, value in options.items()
        }
        self.protocol = type(protocol.__name__, (protocol,), options)


class SocketsService(Service):
    """At shutdown, closes every socket with 1001 so clients reconnect at once."""

    def __init__(self, tracker: ConnectionTracker, clock: IReactorTime) -> None:
        self._tracker = tracker
        self._clock = clock

    def stopService(self) -> Deferred:
        super().stopService()
        return Deferred.fromCoroutine(self._close_all())

    def reconnect_everyone(self) -> None:
        """Close every socket with 1012 so that clients reconnect and get a fresh hello."""
        for socket in list(self._tracker.connections):
            socket.close_with(CLOSE_SERVICE_RESTART, "missed updates; reconnect")

    async def _close_all(self) -> None:
        connections = self._tracker.connections
        for socket in list(connections):
            socket.close_with(CLOSE_GOING_AWAY, "server shutting down")
        deadline = self._clock.seconds() + SHUTDOWN_GRACE
        while connections and self._clock.seconds() < deadline:
            await deferLater(self._clock, 0.05)
        for socket in list(connections):
            socket.transport.abortConnection()
