"""Direct messages and contacts: one conversation per pair of users, and unread counts.

A message a user has not yet read counts as unread until it reaches an open
conversation socket of theirs (opening one reads everything). Every change
of an unread count is published to the reader's inbox group, so an open
contacts page shows it at once.
"""

import attrs
from twisted.internet.interfaces import IReactorTime

from iclicker.domain.accounts import User
from iclicker.domain.batch_writer import BatchWriter
from iclicker.domain.channels import Channels
from iclicker.domain.chat_values import (
    Channel,
    card_json,
    check_page,
    contact_json,
    find_user,
    inbox_group,
)
from iclicker.domain.errors import Invalid, NotFound
from iclicker.groups.interface import IGroups
from iclicker.store.chat import Card, ChatStore, ContactRow, ReadMark
from iclicker.store.users import UserStore

MAX_FOUND = 20


@attrs.frozen
class Peer:
    """The other user of a conversation."""

    id: int
    card: Card


@attrs.frozen
class Conversation:
    """One user's view of their conversation with ``peer``."""

    channel: Channel
    me: User
    peer: Peer


class Conversations:
    def __init__(
        self,
        store: ChatStore,
        users: UserStore,
        channels: Channels,
        groups: IGroups,
        clock: IReactorTime,
    ) -> None:
        self._store = store
        self._users = users
        self._channels = channels
        self._groups = groups
        self._clock = clock
        self._reads = BatchWriter(store.mark_read, busy="read marks are backlogged")

    async def find_users(self, user: User, prefix: str | None) -> list[dict]:
        """Up to 20 users whose username or display name starts with ``prefix``, never oneself."""
        if prefix is None or not 1 <= len(prefix) <= 64:
            raise Invalid("q is 1 to 64 characters.")
        rows = await self._users.search(prefix, MAX_FOUND + 1)
        others = [row for row in rows if row.id != user.id][:MAX_FOUND]
        return [card_json(Card(row.username, row.display_name, row.photo)) for row in others]

    async def peer(self, user: User, username: str) -> Peer:
        """Another user by username (any case); unknown users and oneself are 404."""
        found = await find_user(self._store, username)
        if found is None or found[0] == user.id:
            raise NotFound("No such user.")
        return Peer(*found)

    async def open(self, user: User, username: str) -> Conversation:
        """The conversation with ``username``, made on first use."""
        peer = await self.peer(user, username)
        conversation_id = await self._store.conversation(user.id, peer.id, create=True)
        return Conversation(Channel("dm", conversation_id), user, peer)

    async def history(
        self, user: User, username: str, before: int | None, limit: int | None
    ) -> list[dict]:
        before, limit = check_page(before, limit)
        peer = await self.peer(user, username)
        conversation_id = await self._store.conversation(user.id, peer.id, create=False)
        if conversation_id is None:
            return []
        return await self._channels.history(Channel("dm", conversation_id), before, limit)

    async def post(
        self, conversation: Conversation, text: str, client_id: str | None, acknowledge
    ) -> None:
        """Send a message; the peer's contacts pages hear of their new unread count."""
        me, peer = conversation.me, conversation.peer
        stored = await self._channels.post(
            conversation.channel, me, text, client_id, acknowledge, recipient_id=peer.id
        )
        if not stored.duplicate:
            # The count was taken in the message's own transaction, and read
            # marks are written on the same thread: the last count published
            # is always the true one.
            card = Card(me.username, me.display_name, me.photo)
            self._publish_contact(peer.id, ContactRow(card, stored.recipient_unread))

    def read(self, conversation: Conversation, message_id: int) -> None:
        """``me`` has seen the conversation up to ``message_id`` (written in batches)."""
        me, peer = conversation.me, conversation.peer
        mark = ReadMark(conversation.channel.id, me.id, peer.id, message_id)
        self._reads.record(mark).addCallback(
            lambda unread: self._publish_contact(me.id, ContactRow(peer.card, unread))
        )

    def _publish_contact(self, owner_id: int, contact: ContactRow) -> None:
        self._groups.group_send(
            inbox_group(owner_id), {"type": "contact", "contact": contact_json(contact)}
        )

    async def contacts(self, user: User) -> list[dict]:
        return [contact_json(contact) for contact in await self._store.contacts(user.id)]

    async def add_contact(self, user: User, username: str) -> tuple[dict, bool]:
        """The contact, and whether it is new; its card reaches the user's contacts pages."""
        found = await find_user(self._store, username)
        if found is None:
            raise NotFound("No such user.")
        if found[0] == user.id:
            raise Invalid("You cannot add yourself as a contact.")
        added = await self._store.add_contact(user.id, found[0], self._clock.seconds())
        (contact,) = await self._store.contacts(user.id, found[0])
        self._publish_contact(user.id, contact)
        return contact_json(contact), added

    async def remove_contact(self, user: User, username: str) -> None:
        peer = await self.peer(user, username)
        if not await self._store.remove_contact(user.id, peer.id):
            raise NotFound("That user is not one of your contacts.")
        self._groups.group_send(
            inbox_group(user.id), {"type": "contact_removed", "username": peer.card.username}
        )
