"""Chat: rooms, memberships and bans, conversations, contacts and messages.

A message belongs to a room or to a conversation (one per pair of users,
stored with the lower user id first). Each reader's place in a conversation
is the id of the last message they read, so an unread count is one indexed
range count.
"""

import attrs

from iclicker.store.db import Database
from iclicker.store.engine import Txn, UniqueViolation
from iclicker.store.users import username_key


@attrs.frozen
class Card:
    """Who someone is on the chat pages: never an email, a role or a hash."""

    username: str
    display_name: str
    photo: str | None


@attrs.frozen
class RoomRow:
    id: int
    name: str
    key_hash: str | None
    admin_id: int
    admin_username: str
    member: bool = False
    """The asking user is a member (when the query was for a user)."""


@attrs.frozen
class MemberRow:
    card: Card
    admin: bool


@attrs.frozen
class MessageRow:
    id: int
    author: Card
    text: str
    sent_at: float


@attrs.frozen
class NewMessage:
    """A message to store; exactly one of ``room_id`` and ``conversation_id`` is set."""

    author_id: int
    text: str
    client_id: str | None
    sent_at: float
    room_id: int | None = None
    conversation_id: int | None = None
    recipient_id: int | None = None
    """In a conversation, the other user."""


@attrs.frozen
class StoredMessage:
    """What storing a NewMessage did: None for an author no longer in the room."""

    message: MessageRow
    duplicate: bool
    """The author had already sent this ``client_id`` here: nothing new was stored."""
    recipient_unread: int | None = None
    """In a conversation, the recipient's unread count from the author, as committed."""


@attrs.frozen
class ContactRow:
    card: Card
    unread: int


@attrs.frozen
class ReadMark:
    """The reader has seen the conversation up to ``message_id``."""

    conversation_id: int
    reader_id: int
    peer_id: int
    message_id: int


class NameTaken(Exception):
    """Another room already has this name (compared case-insensitively)."""


def room_name_key(name: str) -> str:
    return name.casefold()


def pair(first: int, second: int) -> tuple[int, int]:
    """A conversation's two users in stored order: the same whoever starts it."""
    return (first, second) if first < second else (second, first)


_ROOM_COLUMNS = "rooms.id, rooms.name, rooms.key_hash, rooms.admin_id, admins.username"
_CARD_COLUMNS = "users.username, users.display_name, users.photo"
_MESSAGE_SELECT = (
    f"SELECT messages.id, {_CARD_COLUMNS}, messages.text, messages.sent_at"
    " FROM messages JOIN users ON users.id = messages.author_id"
)


def _message(row: tuple) -> MessageRow:
    return MessageRow(row[0], Card(row[1], row[2], row[3]), row[4], row[5])


def create_room_txn(
    txn: Txn, name: str, key_hash: str | None, admin_id: int, now: float
) -> RoomRow:
    """A new room with its admin as first member."""
    try:
        txn.execute(
            "INSERT INTO rooms (name, name_key, key_hash, admin_id, created_at)"
            " VALUES (?, ?, ?, ?, ?) RETURNING id",
            (name, room_name_key(name), key_hash, admin_id, now),
        )
    except UniqueViolation as error:
        raise NameTaken(name) from error
    room_id = txn.inserted_id()
    txn.execute(
        "INSERT INTO room_members (room_id, user_id, joined_at) VALUES (?, ?, ?)",
        (room_id, admin_id, now),
    )
    return room_txn(txn, room_id, admin_id)


def room_txn(txn: Txn, room_id: int, user_id: int) -> RoomRow | None:
    """One room, with whether ``user_id`` is a member."""
    txn.execute(
        f"SELECT {_ROOM_COLUMNS}, EXISTS (SELECT 1 FROM room_members"
        " WHERE room_id = rooms.id AND user_id = ?)"
        " FROM rooms JOIN users AS admins ON admins.id = rooms.admin_id WHERE rooms.id = ?",
        (user_id, room_id),
    )
    row = txn.fetchone()
    return RoomRow(*row[:5], bool(row[5])) if row else None


def room_with_members_txn(txn: Txn, room_id: int) -> tuple[RoomRow | None, set[int]]:
    """One room (as seen by a member) and the ids of all its members."""
    txn.execute(
        f"SELECT {_ROOM_COLUMNS} FROM rooms JOIN users AS admins ON admins.id = rooms.admin_id"
        " WHERE rooms.id = ?",
        (room_id,),
    )
    row = txn.fetchone()
    if row is None:
        return None, set()
    txn.execute("SELECT user_id FROM room_members WHERE room_id = ?", (room_id,))
    return RoomRow(*row, member=True), {user_id for (user_id,) in txn.fetchall()}


def rooms_txn(txn: Txn, user_id: int) -> list[RoomRow]:
    """Every room by name (any case), with whether ``user_id`` is a member of each."""
    txn.execute(
        f"SELECT {_ROOM_COLUMNS}, room_members.user_id IS NOT NULL"
        " FROM rooms JOIN users AS admins ON admins.id = rooms.admin_id"
        " LEFT JOIN room_members ON room_members.room_id = rooms.id"
        " AND room_members.user_id = ? ORDER BY rooms.name_key, rooms.id",
        (user_id,),
    )
    return [RoomRow(*row[:5], bool(row[5])) for row in txn.fetchall()]


def is_banned_txn(txn: Txn, room_id: int, user_id: int) -> bool:
    txn.execute("SELECT 1 FROM room_bans WHERE room_id = ? AND user_id = ?", (room_id, user_id))
    return txn.fetchone() is not None


def join_room_txn(txn: Txn, room_id: int, user_id: int, now: float) -> None:
    txn.execute(
        "INSERT INTO room_members (room_id, user_id, joined_at) VALUES (?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        (room_id, user_id, now),
    )


def leave_room_txn(txn: Txn, room_id: int, user_id: int) -> bool:
    txn.execute("DELETE FROM room_members WHERE room_id = ? AND user_id = ?", (room_id, user_id))
    return txn.rowcount == 1


def delete_room_txn(txn: Txn, room_id: int) -> None:
    """The room and, by cascade in the same transaction, its messages, members and bans."""
    txn.execute("DELETE FROM rooms WHERE id = ?", (room_id,))


def members_txn(txn: Txn, room_id: int) -> list[MemberRow]:
    txn.execute(
        f"SELECT {_CARD_COLUMNS}, users.id = rooms.admin_id FROM room_members"
        " JOIN users ON users.id = room_members.user_id"
        " JOIN rooms ON rooms.id = room_members.room_id"
        " WHERE room_members.room_id = ? ORDER BY users.username_key",
        (room_id,),
    )
    return [MemberRow(Card(*row[:3]), bool(row[3])) for row in txn.fetchall()]


def ban_txn(txn: Txn, room_id: int, user_id: int, now: float) -> bool:
    """End a member's membership and ban them; False if they were not a member."""
    if not leave_room_txn(txn, room_id, user_id):
        return False
    txn.execute(
        "INSERT INTO room_bans (room_id, user_id, banned_at) VALUES (?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        (room_id, user_id, now),
    )
    return True


def bans_txn(txn: Txn, room_id: int) -> list[str]:
    txn.execute(
        "SELECT users.username FROM room_bans JOIN users ON users.id = room_bans.user_id"
        " WHERE room_bans.room_id = ? ORDER BY users.username_key",
        (room_id,),
    )
    return [row[0] for row in txn.fetchall()]


def unban_txn(txn: Txn, room_id: int, user_id: int) -> bool:
    txn.execute("DELETE FROM room_bans WHERE room_id = ? AND user_id = ?", (room_id, user_id))
    return txn.rowcount == 1


def history_txn(
    txn: Txn, column: str, channel_id: int, before: int | None, limit: int
) -> list[MessageRow]:
    """The ``limit`` newest messages of a room or conversation below ``before``, oldest first."""
    assert column in ("room_id", "conversation_id")
    txn.execute(
        f"{_MESSAGE_SELECT} WHERE messages.{column} = ? AND messages.id < ?"
        " ORDER BY messages.id DESC LIMIT ?",
        (channel_id, before if before is not None else 2**63 - 1, limit),
    )
    return [_message(row) for row in reversed(txn.fetchall())]


def _already_sent(txn: Txn, item: NewMessage) -> MessageRow | None:
    column, channel_id = (
        ("room_id", item.room_id)
        if item.room_id is not None
        else ("conversation_id", item.conversation_id)
    )
    txn.execute(
        f"{_MESSAGE_SELECT} WHERE messages.{column} = ? AND messages.author_id = ?"
        " AND messages.client_id = ?",
        (channel_id, item.author_id, item.client_id),
    )
    row = txn.fetchone()
    return _message(row) if row else None


def _store_one(txn: Txn, item: NewMessage) -> StoredMessage | None:
    if item.client_id is not None:
        earlier = _already_sent(txn, item)
        if earlier is not None:
            return StoredMessage(earlier, duplicate=True)
    if item.room_id is not None:
        # Membership is checked here, in the writing transaction, so a message
        # racing its author's ban or the room's deletion is never stored.
        txn.execute(
            "INSERT INTO messages (room_id, author_id, text, client_id, sent_at)"
            " SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM room_members"
            " WHERE room_id = ? AND user_id = ?) RETURNING id",
            (item.room_id, item.author_id, item.text, item.client_id, item.sent_at)
            + (item.room_id, item.author_id),
        )
        inserted = txn.fetchone()
        if inserted is None:
            return None
    else:
        txn.execute(
            "INSERT INTO messages (conversation_id, author_id, text, client_id, sent_at)"
            " VALUES (?, ?, ?, ?, ?) RETURNING id",
            (item.conversation_id, item.author_id, item.text, item.client_id, item.sent_at),
        )
        inserted = txn.fetchone()
    message_id = inserted[0]
    unread = None
    if item.conversation_id is not None:
        _add_each_other(txn, item.conversation_id, item.sent_at)
        unread = _unread(txn, item.recipient_id, item.author_id)
    txn.execute(f"SELECT {_CARD_COLUMNS} FROM users WHERE id = ?", (item.author_id,))
    author = Card(*txn.fetchone())
    row = MessageRow(message_id, author, item.text, item.sent_at)
    return StoredMessage(row, duplicate=False, recipient_unread=unread)


def _add_each_other(txn: Txn, conversation_id: int, now: float) -> None:
    """A message in a conversation makes its two users contacts of each other."""
    txn.execute(
        "INSERT INTO contacts (owner_id, contact_id, added_at)"
        " SELECT low_user_id, high_user_id, ? FROM conversations WHERE id = ?"
        " UNION ALL SELECT high_user_id, low_user_id, ? FROM conversations WHERE id = ?"
        " ON CONFLICT DO NOTHING",
        (now, conversation_id, now, conversation_id),
    )


def store_messages_txn(txn: Txn, batch: list[NewMessage]) -> list[StoredMessage | None]:
    """Store a batch of messages in one transaction (group commit), each once per client_id."""
    return [_store_one(txn, item) for item in batch]


def conversation_txn(txn: Txn, first: int, second: int, create: bool) -> int | None:
    """The id of the conversation of two users, made on first use when ``create``."""
    low, high = pair(first, second)
    if create:
        txn.execute(
            "INSERT INTO conversations (low_user_id, high_user_id) VALUES (?, ?)"
            " ON CONFLICT DO NOTHING",
            (low, high),
        )
    txn.execute(
        "SELECT id FROM conversations WHERE low_user_id = ? AND high_user_id = ?", (low, high)
    )
    row = txn.fetchone()
    return row[0] if row else None


def _unread(txn: Txn, reader_id: int, peer_id: int) -> int:
    """Messages from ``peer_id`` to ``reader_id`` after the reader's place."""
    low, high = pair(reader_id, peer_id)
    txn.execute(
        "SELECT COUNT(*) FROM conversations JOIN messages"
        " ON messages.conversation_id = conversations.id"
        " WHERE conversations.low_user_id = ? AND conversations.high_user_id = ?"
        " AND messages.author_id = ? AND messages.id > CASE"
        " WHEN conversations.low_user_id = ? THEN low_read_id ELSE high_read_id END",
        (low, high, peer_id, reader_id),
    )
    return txn.fetchone()[0]


def mark_read_txn(txn: Txn, batch: list[ReadMark]) -> list[int]:
    """Move each reader's place forward (never back); each reader's unread count after it."""
    counts = []
    for mark in batch:
        low, _ = pair(mark.reader_id, mark.peer_id)
        column = "low_read_id" if mark.reader_id == low else "high_read_id"
        txn.execute(
            f"UPDATE conversations SET {column} = ? WHERE id = ? AND {column} < ?",
            (mark.message_id, mark.conversation_id, mark.message_id),
        )
        counts.append(_unread(txn, mark.reader_id, mark.peer_id))
    return counts


def contacts_txn(txn: Txn, owner_id: int, contact_id: int | None = None) -> list[ContactRow]:
    """``owner_id``'s contacts (or the one ``contact_id``) by username, with unread counts."""
    only = "AND contacts.contact_id = ?" if contact_id is not None else ""
    txn.execute(
        f"SELECT {_CARD_COLUMNS}, users.id FROM contacts"
        " JOIN users ON users.id = contacts.contact_id"
        f" WHERE contacts.owner_id = ? {only} ORDER BY users.username_key",
        (owner_id,) if contact_id is None else (owner_id, contact_id),
    )
    rows = txn.fetchall()
    return [ContactRow(Card(*row[:3]), _unread(txn, owner_id, row[3])) for row in rows]


def add_contact_txn(txn: Txn, owner_id: int, contact_id: int, now: float) -> bool:
    """True if ``contact_id`` is a new contact, False if already one."""
    txn.execute(
        "INSERT INTO contacts (owner_id, contact_id, added_at) VALUES (?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        (owner_id, contact_id, now),
    )
    return txn.rowcount == 1


def remove_contact_txn(txn: Txn, owner_id: int, contact_id: int) -> bool:
    txn.execute(
        "DELETE FROM contacts WHERE owner_id = ? AND contact_id = ?", (owner_id, contact_id)
    )
    return txn.rowcount == 1


def user_card_txn(txn: Txn, username: str) -> tuple[int, Card] | None:
    txn.execute(
        f"SELECT users.id, {_CARD_COLUMNS} FROM users WHERE username_key = ?",
        (username_key(username),),
    )
    row = txn.fetchone()
    return (row[0], Card(*row[1:])) if row else None


class ChatStore:
    """Async access to chat for the reactor thread: writes on the writer, reads beside it."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def create_room(
        self, name: str, key_hash: str | None, admin_id: int, now: float
    ) -> RoomRow:
        return await self._database.run(create_room_txn, name, key_hash, admin_id, now)

    async def room(self, room_id: int, user_id: int) -> RoomRow | None:
        return await self._database.read(room_txn, room_id, user_id)

    async def room_with_members(self, room_id: int) -> tuple[RoomRow | None, set[int]]:
        return await self._database.read(room_with_members_txn, room_id)

    async def rooms(self, user_id: int) -> list[RoomRow]:
        return await self._database.read(rooms_txn, user_id)

    async def is_banned(self, room_id: int, user_id: int) -> bool:
        return await self._database.read(is_banned_txn, room_id, user_id)

    async def join_room(self, room_id: int, user_id: int, now: float) -> None:
        await self._database.run(join_room_txn, room_id, user_id, now)

    async def leave_room(self, room_id: int, user_id: int) -> bool:
        return await self._database.run(leave_room_txn, room_id, user_id)

    async def delete_room(self, room_id: int) -> None:
        await self._database.run(delete_room_txn, room_id)

    async def members(self, room_id: int) -> list[MemberRow]:
        return await self._database.read(members_txn, room_id)

    async def ban(self, room_id: int, user_id: int, now: float) -> bool:
        return await self._database.run(ban_txn, room_id, user_id, now)

    async def bans(self, room_id: int) -> list[str]:
        return await self._database.read(bans_txn, room_id)

    async def unban(self, room_id: int, user_id: int) -> bool:
        return await self._database.run(unban_txn, room_id, user_id)

    async def history(
        self, column: str, channel_id: int, before: int | None, limit: int
    ) -> list[MessageRow]:
        return await self._database.read(history_txn, column, channel_id, before, limit)

    async def store_messages(self, batch: list[NewMessage]) -> list[StoredMessage | None]:
        return await self._database.run(store_messages_txn, batch)

    async def conversation(self, first: int, second: int, create: bool) -> int | None:
        if create:
            return await self._database.run(conversation_txn, first, second, True)
        return await self._database.read(conversation_txn, first, second, False)

    async def mark_read(self, batch: list[ReadMark]) -> list[int]:
        return await self._database.run(mark_read_txn, batch)

    async def contacts(self, owner_id: int, contact_id: int | None = None) -> list[ContactRow]:
        return await self._database.read(contacts_txn, owner_id, contact_id)

    async def add_contact(self, owner_id: int, contact_id: int, now: float) -> bool:
        return await self._database.run(add_contact_txn, owner_id, contact_id, now)

    async def remove_contact(self, owner_id: int, contact_id: int) -> bool:
        return await self._database.run(remove_contact_txn, owner_id, contact_id)

    async def user_card(self, username: str) -> tuple[int, Card] | None:
        return await self._database.read(user_card_txn, username)
