"""What rooms and conversations share: committed messages, history pages and presence.

A message is group-committed (``BatchWriter``), acknowledged to its sender,
and only then published to the channel's group, so nobody ever sees a
message that a crash could lose. A message after a quiet spell goes out at
once; in a busy spell the messages of the next 20 ms go out together (a
``batch``), so each socket gets them in one write. Presence (who has the
channel open, in any process) is kept on a ``PresenceBoard``; each process
sends its own sockets the list, coalesced so that a thousand students opening
a room do not cost a million frames.
"""

from collections.abc import Callable

from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall, IReactorTime

from iclicker.domain.accounts import User
from iclicker.domain.batch_writer import BatchWriter
from iclicker.domain.chat_values import (
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
"""The shortest gap between two presence broadcasts of one channel."""
PRESENCE_PER_SECOND = 500
"""In big channels the gap grows: one second per this many people online."""


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

    # -- presence ------------------------------------------------------------------

    def online(self, channel: Channel) -> list[str]:
        """Who has this channel open now, in any process, by username."""
        return sorted(self._presence.here(channel.group), key=str.casefold)

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
        call = self._presence_calls.pop(channel, None)
        if call is not None:
            call.cancel()

    def _heard_presence(self, topic: str) -> None:
        channel = self._watched.get(topic)
        if channel is not None:
            self._presence_changed(channel)

    def _presence_changed(self, channel: Channel) -> None:
        if channel in self._presence_calls:
            return
        size = self._presence.count(channel.group)
        delay = max(PRESENCE_INTERVAL, size / PRESENCE_PER_SECOND)
        self._presence_calls[channel] = self._clock.callLater(delay, self._send_presence, channel)

    def _send_presence(self, channel: Channel) -> None:
        """Each process tells its own sockets (they all compute the same list)."""
        del self._presence_calls[channel]
        message = {"type": "presence", "online": self.online(channel)}
        self._groups.local_send(channel.group, message)
