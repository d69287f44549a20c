"""The chat sockets: a room (``/ws/rooms/{id}``), a conversation (``/ws/dm/{username}``)
and one's contacts page (``/ws/contacts``). ``factory.domain`` is a ``Chat``.
"""

import weakref
from typing import Any

import attrs

from iclicker import wire
from iclicker.domain.channels import Channels, Snapshot
from iclicker.domain.chat_values import (
    Channel,
    card_json,
    inbox_group,
    room_json,
)
from iclicker.domain.conversations import Conversation, Conversations
from iclicker.domain.member_lists import Entry
from iclicker.domain.rooms import Rooms
from iclicker.ws.messages import prepared_frame
from iclicker.ws.socket import CLOSING_MESSAGES, AppSocket, Hello, Refused


@attrs.frozen
class Chat:
    """What the chat sockets talk to."""

    rooms: Rooms
    conversations: Conversations
    channels: Channels
    hello_frames: weakref.WeakKeyDictionary[Snapshot, bytes] = attrs.field(
        factory=weakref.WeakKeyDictionary
    )
    """A room's ``hello`` frame for each snapshot still in use."""


class ChannelSocket(AppSocket):
    """A socket on one room or conversation: history and presence in ``hello``, then messages."""

    client_messages = {"message": {"text": str, "client_id": str | None}}
    channel: Channel
    _present = False
    _newest_seen = 0
    """The id of the newest message ``hello`` carried."""

    def groups(self) -> tuple[str, ...]:
        return (self.channel.group,)

    def greeting(self, snapshot: Snapshot) -> Hello:
        """The endpoint's ``hello``, around what the channel's snapshot holds."""
        raise NotImplementedError

    async def hello(self) -> Hello:
        channels = self.factory.domain.channels
        channels.opened(self.channel, self.user.username)
        self._present = True
        snapshot = await channels.snapshot(self.channel)
        self._newest_seen = snapshot.newest
        return self.greeting(snapshot)

    def deliver(self, message: dict[str, Any], encoded: bytes) -> None:
        """Skip the messages ``hello`` carried: those held back while it was read, and those
        published (in a busy room up to 20 ms late) just after it was sent."""
        if self._early is not None:
            super().deliver(message, encoded)  # held back until hello is out
            return
        for fresh in self._news(message, encoded):
            super().deliver(*fresh)

    def _news(self, message: dict[str, Any], encoded: bytes) -> list[tuple[dict, bytes]]:
        """Of a group message, what this socket has not had in ``hello`` (batches opened
        only when they straddle it: ids grow within a batch)."""
        kind, seen = message["type"], self._newest_seen
        if kind == "message":
            return [(message, encoded)] if message["message"]["id"] > seen else []
        if kind != "batch" or message["messages"][0]["message"]["id"] > seen:
            return [(message, encoded)]
        encode = self.factory.context.groups.encode
        return [
            (inner, encode(inner)) for inner in message["messages"] if inner["message"]["id"] > seen
        ]

    def closed(self) -> None:
        if self._present:
            self.factory.domain.channels.closed(self.channel, self.user.username)

    def acknowledge(self, client_id: str | None):
        def send_ack(message: dict) -> None:
            self.send({"type": "message_ack", "client_id": client_id, "message": message})

        return send_ack


class RoomSocket(ChannelSocket):
    path_prefix = "/ws/rooms/"
    _entry: Entry | None = None

    @property
    def room_id(self) -> int:
        return self.channel.id

    async def admit(self, user, rest: str) -> None:
        room_id = wire.as_int64(int(rest)) if rest.isdigit() and len(rest) <= 19 else None
        if room_id is None:
            raise Refused(404, "no such room")
        self._entry = await self.factory.domain.rooms.enter(user, room_id)
        self.channel = self._entry.channel

    async def hello(self) -> Hello | None:
        """Unless the member was removed (or the room deleted) while the socket opened."""
        gone = self.factory.domain.rooms.gone_since(self.user, self._entry)
        if gone is not None:
            self.send(gone)
            self.close_with(*CLOSING_MESSAGES[gone["type"]])
            return None
        return await super().hello()

    def greeting(self, snapshot: Snapshot) -> bytes:
        """The same for every member, so framed once for all who opened together: a room's
        ``hello`` is its biggest frame (a thousand names), and a connect storm's."""
        frames = self.factory.domain.hello_frames
        frame = frames.get(snapshot)
        if frame is None:
            frame = frames[snapshot] = prepared_frame(
                {
                    "type": "hello",
                    "room": room_json(self._entry.room),
                    "messages": snapshot.messages,
                    "online": snapshot.online,
                }
            )
        return frame

    def released(self) -> None:
        self.factory.domain.rooms.left(self._entry)

    async def received(self, message: dict[str, Any]) -> None:
        client_id = message.get("client_id")
        await self.factory.domain.channels.post(
            self.channel, self.user, message["text"], client_id, self.acknowledge(client_id)
        )


class ConversationSocket(ChannelSocket):
    path_prefix = "/ws/dm/"
    _conversation: Conversation

    async def admit(self, user, rest: str) -> None:
        self._conversation = await self.factory.domain.conversations.open(user, rest)
        self.channel = self._conversation.channel

    def greeting(self, snapshot: Snapshot) -> dict[str, Any]:
        return {
            "type": "hello",
            "peer": card_json(self._conversation.peer.card),
            "messages": snapshot.messages,
            "online": snapshot.online,
        }

    async def hello(self) -> dict[str, Any]:
        """Opening a conversation reads everything in it."""
        hello = await super().hello()
        if self._newest_seen:
            self.factory.domain.conversations.read(self._conversation, self._newest_seen)
        return hello

    def delivered(self, message: dict[str, Any]) -> None:
        """A message from the peer that reached this socket has been read."""
        if message["type"] == "message" and message["message"]["author"] != self.user.username:
            self.factory.domain.conversations.read(self._conversation, message["message"]["id"])

    async def received(self, message: dict[str, Any]) -> None:
        client_id = message.get("client_id")
        await self.factory.domain.conversations.post(
            self._conversation, message["text"], client_id, self.acknowledge(client_id)
        )


class InboxSocket(AppSocket):
    """An open contacts page: its contacts, then every change of an unread count."""

    path_prefix = "/ws/contacts"

    async def admit(self, user, rest: str) -> None:
        if rest:
            raise Refused(404, "no such socket")

    def groups(self) -> tuple[str, ...]:
        return (inbox_group(self.user.id),)

    async def hello(self) -> dict[str, Any]:
        contacts = await self.factory.domain.conversations.contacts(self.user)
        return {"type": "hello", "contacts": contacts}
