"""Groups that span processes: Redis pub/sub under the in-process registry (``--redis``).

Each process keeps its own members in a ``MemoryGroups`` and subscribes to
one Redis channel per group that has members here. ``group_send`` delivers
to this process's members at once (so a process keeps serving its own
sockets while Redis is away) and publishes the message, tagged with this
process's origin, for the others; a process skips its own publications.
Every process encodes a message once for all its members.

While Redis is unreachable nothing is queued: publications are dropped and
txredisapi reconnects with backoff. A process whose subscription comes back
missed the others' messages; a process that dropped publications tells the
others, once it can publish again, that they missed its messages. Either
way the ``resync`` callbacks run where something was missed, so the server
makes clients reconnect and fetch the current state (the contract allows
closing their sockets).
"""

import json
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

import attrs
import txredisapi
from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import HostnameEndpoint
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from zope.interface import implementer

from iclicker.groups.interface import IGroupMember, IGroups
from iclicker.groups.memory import MemoryGroups

ORIGIN_LENGTH = 16
"""Hex characters of the origin tag that starts every published payload."""
RETRY_MAX_DELAY = 3.0
"""Longest wait between reconnection attempts: the contract wants delivery back within 10 s."""
MAX_PENDING = 10_000
"""Publications awaiting Redis's reply; past it (Redis stalled) more are dropped, like while
disconnected, and the other processes are asked to resync once it answers again."""
CONTROL = "_control"
"""The channel, below the prefix, that every process subscribes to for resync requests."""


@attrs.frozen
class RedisAddress:
    host: str
    port: int = 6379
    db: int = 0
    password: str | None = None
    username: str | None = None

    @classmethod
    def parse(cls, url: str) -> "RedisAddress":
        """``redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]``; ValueError says what is wrong."""
        parts = urlsplit(url)
        if parts.scheme != "redis" or not parts.hostname:
            raise ValueError("expected redis://HOST[:PORT][/DB]")
        path = parts.path.strip("/")
        if parts.query or parts.fragment or "/" in path or (path and not path.isdigit()):
            raise ValueError("the path is a database number, e.g. redis://localhost:6379/0")
        return cls(
            host=parts.hostname,
            port=parts.port or 6379,
            db=int(path or 0),
            password=unquote(parts.password) if parts.password else None,
            username=unquote(parts.username) if parts.username else None,
        )


def _factory(groups: "RedisGroups", protocol: type, ready: Callable, lost: Callable):
    """A txredisapi factory of one reconnecting connection that reports ready and lost."""

    class Factory(txredisapi.RedisFactory):
        initialDelay = 0.5
        maxDelay = RETRY_MAX_DELAY

        def addConnection(self, connection) -> None:
            super().addConnection(connection)
            if connection in self.pool:
                ready(connection)

        def delConnection(self, connection) -> None:
            super().delConnection(connection)
            lost(connection)

    address = groups.address
    factory = Factory(
        f"{address.host}:{address.port}",
        None,
        1,
        isLazy=True,
        password=address.password,
        username=address.username,
    )
    factory.protocol = protocol
    factory.groups = groups
    return factory


class _Publisher(txredisapi.RedisProtocol):
    def connectionMade(self):
        # A publication is one small write that must leave at once, not wait
        # for the previous one's ACK (Nagle's algorithm: up to 40 ms).
        self.transport.setTcpNoDelay(True)
        return super().connectionMade()


class _Subscriber(txredisapi.SubscriberProtocol):
    def connectionMade(self):
        self.transport.setTcpNoDelay(True)
        return super().connectionMade()

    def messageReceived(self, pattern, channel, message) -> None:
        self.factory.groups.received(channel, message)


@implementer(IGroups)
class RedisGroups(Service):
    """An ``IGroups`` whose groups reach the members of every process on the same Redis."""

    log = Logger()

    def __init__(
        self,
        encode: Callable[[dict[str, Any]], Any],
        address: RedisAddress,
        reactor: IReactorTime,
        origin: str | None = None,
    ) -> None:
        self.encode = encode
        self.address = address
        self._reactor = reactor
        self._local = MemoryGroups(encode)
        self._origin = origin or secrets.token_hex(ORIGIN_LENGTH // 2)
        # Pub/sub ignores the database number, so the channel names carry it.
        self._prefix = f"iclicker:{address.db}:"
        self._publisher = None
        self._subscriber = None
        self._was_subscribed = False
        self._was_connected = False
        self._changes: dict[str, bool] = {}
        """Channels to subscribe (True) or unsubscribe (False) at the next flush."""
        self._flush_call = None
        self._dropped = 0
        """Publications lost while Redis was away, since the last resync request."""
        self._pending = 0
        self.max_pending = MAX_PENDING
        self._resync: list[Callable[[], None]] = []
        self._factories = [
            _factory(self, _Publisher, self._publisher_ready, self._publisher_lost),
            _factory(self, _Subscriber, self._subscriber_ready, self._subscriber_lost),
        ]

    @property
    def connected(self) -> bool:
        """Whether messages reach the other processes now."""
        return self._publisher is not None and self._subscriber is not None

    def on_resync(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` whenever this process may have missed other processes' messages."""
        self._resync.append(callback)

    def startService(self) -> None:
        super().startService()
        endpoint = HostnameEndpoint(self._reactor, self.address.host, self.address.port, timeout=5)
        for factory in self._factories:
            factory.startConnecting(endpoint)

    def stopService(self) -> Deferred:
        super().stopService()
        if self._flush_call is not None and self._flush_call.active():
            self._flush_call.cancel()
        return Deferred.fromCoroutine(self._disconnect())

    async def _disconnect(self) -> None:
        for factory in self._factories:
            await factory.disconnect()

    # -- IGroups -------------------------------------------------------------------

    def group_add(self, group: str, member: IGroupMember) -> None:
        if self._local.group_add(group, member):
            self._change(group, True)

    def group_discard(self, group: str, member: IGroupMember) -> None:
        if self._local.group_discard(group, member):
            self._change(group, False)

    def group_send(self, group: str, message: dict[str, Any]) -> None:
        self._local.group_send(group, message)
        self.others_send(group, message)

    def local_send(self, group: str, message: dict[str, Any]) -> None:
        self._local.group_send(group, message)

    def others_send(self, group: str, message: dict[str, Any]) -> None:
        publisher = self._publisher
        if publisher is None or self._pending >= self.max_pending:
            self._dropped += 1
            return
        payload = self._origin + json.dumps(message, separators=(",", ":"), ensure_ascii=False)
        self._pending += 1
        published = publisher.publish(self._prefix + group, payload)
        published.addCallbacks(self._published, self._publish_failed)

    def _published(self, receivers: int) -> None:
        self._pending -= 1
        if self._dropped and self._pending == 0 and self._publisher is not None:
            # Redis answers again after a stall that dropped publications.
            self._ask_resync(self._publisher)

    # -- Redis side ----------------------------------------------------------------

    def received(self, channel: str, payload: str) -> None:
        """A publication from Redis: deliver it here unless this process sent it."""
        if payload.startswith(self._origin) or not channel.startswith(self._prefix):
            return
        group = channel[len(self._prefix) :]
        if group == CONTROL:
            self.log.info("Another process lost publications while Redis was away; resyncing")
            self._run_resync()
            return
        try:
            message = json.loads(payload[ORIGIN_LENGTH:])
        except ValueError:
            self.log.warn("Ignoring a malformed publication on {channel}", channel=channel)
            return
        self._local.group_send(group, message)

    def _change(self, group: str, subscribe: bool) -> None:
        """Subscribe or unsubscribe soon, with every other change of this reactor turn."""
        self._changes[group] = subscribe
        if self._flush_call is None and self._subscriber is not None:
            self._flush_call = self._reactor.callLater(0, self._flush)

    def _flush(self) -> None:
        self._flush_call = None
        subscriber = self._subscriber
        if subscriber is None:
            return
        changes, self._changes = self._changes, {}
        adds = [self._prefix + group for group, add in changes.items() if add]
        removes = [self._prefix + group for group, add in changes.items() if not add]
        # Replies are not awaited: confirmations carry nothing this registry needs.
        if adds:
            subscriber.subscribe(adds).addErrback(self._command_failed)
        if removes:
            subscriber.unsubscribe(removes).addErrback(self._command_failed)

    def _publisher_ready(self, connection) -> None:
        self._publisher = connection
        self._pending = 0
        if self._dropped:
            self._ask_resync(connection)
        self._report()

    def _ask_resync(self, connection) -> None:
        """Tell the other processes they missed publications of this one."""
        self._dropped = 0
        connection.publish(self._prefix + CONTROL, self._origin + "resync").addErrback(
            lambda failure: None
        )

    def _publisher_lost(self, connection) -> None:
        if self._publisher is connection:
            self._publisher = None
            self._report()

    def _subscriber_ready(self, connection) -> None:
        self._subscriber = connection
        self._changes = {group: True for group in [CONTROL, *self._local.groups()]}
        self._flush()
        recovering, self._was_subscribed = self._was_subscribed, True
        self._report()
        if recovering:
            self._run_resync()

    def _run_resync(self) -> None:
        for callback in self._resync:
            callback()

    def _subscriber_lost(self, connection) -> None:
        if self._subscriber is connection:
            self._subscriber = None
            self._report()

    def _report(self) -> None:
        """Log when cross-process delivery starts or stops, once per change."""
        connected = self.connected
        if connected == self._was_connected:
            return
        self._was_connected = connected
        where = f"{self.address.host}:{self.address.port}"
        if connected:
            self.log.info("Redis at {where} connected; groups span processes", where=where)
        else:
            self.log.warn(
                "Redis at {where} lost; serving this process's sockets only, reconnecting",
                where=where,
            )

    def _publish_failed(self, failure) -> None:
        self._pending = max(0, self._pending - 1)
        self._dropped += 1

    def _command_failed(self, failure) -> None:
        if not failure.check(txredisapi.ConnectionError):
            self.log.failure("A Redis subscription command failed", failure)
