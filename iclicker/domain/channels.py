"""What rooms and conversations share: committed messages, history pages and presence.

A message is group-committed (``BatchWriter``), acknowledged to its sender,
and only then published to the channel's group, so nobody ever sees a
message that a crash could lose. A message after a quiet spell goes out at
once; in a busy spell the messages of the next 20 ms go out together (a
``batch``), so each socket gets them in one write. Presence (who has the
channel open, in any process) is kept on a ``PresenceBoard``; each process
sends its own sockets the list, coalesced so that a thousand students opening
a room do not cost a million frames. Sockets opening together share one
``Snapshot`` (one history read, one online list) for their first frame.
"""

from collections.abc import Callable

import attrs
from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.python.failure import Failure

from iclicker.domain.accounts import User
from iclicker.domain.batch_writer import BatchWriter
from iclicker.domain.chat_values import (
    HELLO_MESSAGES,
    Channel,
    check_client_id,
    check_text,
    message_json,
)
from iclicker.domain.errors import Forbidden
from iclicker.domain.presence import PresenceBoard
from iclicker.groups.interface import IGroups
from iclicker.store.chat import ChatStore, NewMessage, StoredMessage

PUBLISH_INTERVAL = 0.02
"""Busy channels publish at most this often: each socket then gets one write per interval,
not one per commit (a socket write is the biggest cost of a busy room)."""
PRESENCE_INTERVAL = 0.2
"""Changes of presence within this long go out together."""
PRESENCE_PER_SECOND = 500
"""In big channels broadcasts are further apart: one second per this many people online
(counted when the broadcast is due, so a join storm waits for its end)."""


@attrs.frozen(eq=False)
class Snapshot:
    """What a channel's new sockets are shown first; one object for all that opened together
    (compared by identity, so what is built from it can be kept for the others)."""

    messages: list[dict]
    """The newest ``HELLO_MESSAGES``, oldest first."""
    online: list[str]

    @property
    def newest(self) -> int:
        return self.messages[-1]["id"] if self.messages else 0


class Channels(Service):
    """Posts messages, reads history pages and tracks presence, for any channel."""

    def __init__(self, store: ChatStore, groups: IGroups, clock: IReactorTime) -> None:
        self._store = store
        self._groups = groups
        self._clock = clock
        self._writer = BatchWriter(
            store.store_messages, busy="The server is busy storing messages; send again soon."
        )
        self._outgoing: dict[Channel, list[dict]] = {}
        self._flush_call: IDelayedCall | None = None
        self._last_flush = float("-inf")
        self._presence = PresenceBoard(groups, clock, self._heard_presence)
        self._watched: dict[str, Channel] = {}
        """Channels with sockets here, by group name (the presence topic)."""
        self._presence_calls: dict[Channel, IDelayedCall] = {}
        self._presence_sent: dict[Channel, float] = {}
        """When each channel's presence was last broadcast."""
        self._reading: set[Channel] = set()
        """Channels whose snapshot is being read."""
        self._waiting: dict[Channel, list[Deferred]] = {}
        """Who waits for a channel's next snapshot (the one after the read in progress)."""

    def startService(self) -> None:
        super().startService()
        self._presence.startService()

    def stopService(self) -> Deferred:
        super().stopService()
        for call in self._presence_calls.values():
            call.cancel()
        self._presence_calls.clear()
        self._presence.stopService()
        return Deferred.fromCoroutine(self._writer.drain())

    async def post(
        self,
        channel: Channel,
        author: User,
        text: str,
        client_id: str | None,
        acknowledge: Callable[[dict], None],
        recipient_id: int | None = None,
    ) -> StoredMessage:
        """Store a message once per ``client_id``, acknowledge it, then publish it.

        The acknowledgement comes first, so the sender's socket gets
        ``message_ack`` before its own copy of the ``message``; a repeated
        ``client_id`` is acknowledged with the original and not published.
        """
        item = NewMessage(
            author.id,
            check_text(text),
            check_client_id(client_id),
            self._clock.seconds(),
            room_id=channel.id if channel.kind == "room" else None,
            conversation_id=channel.id if channel.kind == "dm" else None,
            recipient_id=recipient_id,
        )
        stored = await self._writer.record(item)
        if stored is None:
            raise Forbidden("You are no longer a member of this room.", "not_member")
        message = message_json(stored.message)
        acknowledge(message)
        if not stored.duplicate:
            self._publish(channel, {"type": "message", "message": message})
        return stored

    def _publish(self, channel: Channel, message: dict) -> None:
        """Publish soon: at once after a quiet spell, else with what else comes meanwhile."""
        self._outgoing.setdefault(channel, []).append(message)
        if self._flush_call is None:
            wait = self._last_flush + PUBLISH_INTERVAL - self._clock.seconds()
            self._flush_call = self._clock.callLater(max(0, wait), self._flush)

    def _flush(self) -> None:
        """One group message per channel: a lone message, or a ``batch`` written at once."""
        self._flush_call = None
        self._last_flush = self._clock.seconds()
        outgoing, self._outgoing = self._outgoing, {}
        for channel, messages in outgoing.items():
            if len(messages) == 1:
                self._groups.group_send(channel.group, messages[0])
            else:
                self._groups.group_send(channel.group, {"type": "batch", "messages": messages})

    async def history(self, channel: Channel, before: int | None, limit: int) -> list[dict]:
        """A page of messages, oldest first: the ``limit`` newest below ``before``."""
        rows = await self._store.history(channel.column, channel.id, before, limit)
        return [message_json(row) for row in rows]

    def snapshot(self, channel: Channel) -> Deferred:
        """The newest messages and who is online, for a socket that has opened (``opened``)
        and joined the channel's group.

        A thousand people opening a room at once share a few reads: whoever
        asks while a read is running gets the next one, which starts after it
        asked, so it misses no message committed before it joined the group.
        """
        waiting = self._waiting.setdefault(channel, [])
        waiting.append(snapshot := Deferred())
        if channel not in self._reading:
            self._read_snapshot(channel)
        return snapshot

    def _read_snapshot(self, channel: Channel) -> None:
        self._reading.add(channel)
        Deferred.fromCoroutine(self._snapshot_for(channel, self._waiting.pop(channel)))

    async def _snapshot_for(self, channel: Channel, waiting: list[Deferred]) -> None:
        try:
            messages = await self.history(channel, None, HELLO_MESSAGES)
            snapshot = Snapshot(messages, self.online(channel))
        except Exception:
            failure = Failure()
            for waiter in waiting:
                waiter.errback(failure)
        else:
            for waiter in waiting:
                waiter.callback(snapshot)
        finally:
            self._reading.discard(channel)
            if channel in self._waiting:
                self._read_snapshot(channel)

    # -- presence ------------------------------------------------------------------

    def online(self, channel: Channel) -> list[str]:
        """Who has this channel open now, in any process, by username."""
        names = self._presence.here(channel.group)
        if all(map(str.islower, names)):
            return sorted(names)  # the same order, without a thousand new key strings
        return sorted(names, key=str.casefold)

    def opened(self, channel: Channel, username: str) -> None:
        self._watched[channel.group] = channel
        if self._presence.add(channel.group, username):
            self._presence_changed(channel)

    def closed(self, channel: Channel, username: str) -> None:
        if not self._presence.remove(channel.group, username):
            return
        if not self._presence.local_count(channel.group):
            # Nobody here follows the channel any more: stop hearing about it.
            self.forget(channel)
        else:
            self._presence_changed(channel)

    def forget(self, channel: Channel) -> None:
        """No more presence to track or send here (nobody left, or the room is deleted)."""
        self._presence.forget(channel.group)
        self._watched.pop(channel.group, None)
        self._presence_sent.pop(channel, None)
        call = self._presence_calls.pop(channel, None)
        if call is not None:
            call.cancel()

    def _heard_presence(self, topic: str) -> None:
        channel = self._watched.get(topic)
        if channel is not None:
            self._presence_changed(channel)

    def _presence_changed(self, channel: Channel) -> None:
        if channel not in self._presence_calls:
            self._send_presence_in(PRESENCE_INTERVAL, channel)

    def _send_presence_in(self, delay: float, channel: Channel) -> None:
        self._presence_calls[channel] = self._clock.callLater(delay, self._send_presence, channel)

    def _send_presence(self, channel: Channel) -> None:
        """Each process tells its own sockets (they all compute the same list), unless the
        channel's size asks for a longer gap since the last time.

        A thousand people (re)joining a room in a second then cost two or
        three lists, not one every 0.2 s growing to a thousand names for
        everyone (each new socket had the whole list in its ``hello``).
        """
        now = self._clock.seconds()
        size = self._presence.count(channel.group)
        due = self._presence_sent.get(channel, float("-inf")) + size / PRESENCE_PER_SECOND
        if due > now:
            self._send_presence_in(due - now, channel)
            return
        del self._presence_calls[channel]
        self._presence_sent[channel] = now
        message = {"type": "presence", "online": self.online(channel)}
        self._groups.local_send(channel.group, message)
