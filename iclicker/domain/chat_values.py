"""Chat values: the rules messages, names and keys follow, group names and wire shapes.

Shared by the HTTP API, the chat sockets and the chat domain, so that a Room,
a Message or a UserCard looks the same wherever it is sent.
"""

import sys

import attrs

from iclicker.domain.accounts import USERNAME_PATTERN
from iclicker.domain.errors import Invalid
from iclicker.domain.lecture_values import iso_time
from iclicker.domain.text import trim
from iclicker.store.chat import Card, ChatStore, ContactRow, MessageRow, RoomRow

MAX_MESSAGE_TEXT = 4000
MAX_CLIENT_ID = 64
MAX_ROOM_NAME = 64
MIN_KEY, MAX_KEY = 4, 128
HELLO_MESSAGES = 50
MAX_PAGE = 100


@attrs.frozen
class Channel:
    """Where messages go: a room, or the conversation of two users."""

    kind: str
    """"room" or "dm"."""
    id: int

    @property
    def group(self) -> str:
        """Every socket open on this room or conversation (one string for all of them)."""
        return sys.intern(f"{self.kind}:{self.id}")

    @property
    def column(self) -> str:
        return "room_id" if self.kind == "room" else "conversation_id"


def room_channel(room_id: int) -> Channel:
    return Channel("room", room_id)


def inbox_group(user_id: int) -> str:
    """One user's open contacts pages: told of new and read messages."""
    return f"inbox:{user_id}"


def photo_url(photo: str | None) -> str | None:
    return f"/photos/{photo}" if photo else None


def card_json(card: Card) -> dict:
    return {
        "username": card.username,
        "display_name": card.display_name,
        "photo_url": photo_url(card.photo),
    }


def contact_json(contact: ContactRow) -> dict:
    return {**card_json(contact.card), "unread": contact.unread}


def message_json(message: MessageRow) -> dict:
    return {
        "id": message.id,
        "author": message.author.username,
        "display_name": message.author.display_name,
        "photo_url": photo_url(message.author.photo),
        "text": message.text,
        "sent_at": iso_time(message.sent_at, "milliseconds"),
    }


def room_json(room: RoomRow, member: bool | None = None) -> dict:
    return {
        "id": room.id,
        "name": room.name,
        "private": room.key_hash is not None,
        "admin": room.admin_username,
        "member": room.member if member is None else member,
    }


def check_text(text: str) -> str:
    """A message's text as stored: trimmed, 1 to 4000 characters."""
    text = trim(text)
    if not 1 <= len(text) <= MAX_MESSAGE_TEXT:
        raise Invalid(
            f"A message is 1 to {MAX_MESSAGE_TEXT} characters (after trimming).",
            "invalid_message",
        )
    return text


def check_client_id(client_id: str | None) -> str | None:
    if client_id is not None and not 1 <= len(client_id) <= MAX_CLIENT_ID:
        raise Invalid(f"A client_id is 1 to {MAX_CLIENT_ID} characters.", "invalid_message")
    return client_id


def check_room_name(name: str) -> str:
    name = trim(name)
    if not 1 <= len(name) <= MAX_ROOM_NAME:
        raise Invalid(f"A room name is 1 to {MAX_ROOM_NAME} characters (after trimming).")
    return name


def check_key(key: str | None) -> str | None:
    """A room key as given (not trimmed); empty or absent means a public room."""
    if not key:
        return None
    if not MIN_KEY <= len(key) <= MAX_KEY:
        raise Invalid(f"A room key is {MIN_KEY} to {MAX_KEY} characters.")
    return key


def check_page(before: int | None, limit: int | None) -> tuple[int | None, int]:
    """A history page's ``before`` and ``limit`` (1 to 100, default 50)."""
    limit = HELLO_MESSAGES if limit is None else limit
    if not 1 <= limit <= MAX_PAGE:
        raise Invalid(f"limit is 1 to {MAX_PAGE}.")
    if before is not None and before < 0:
        raise Invalid("before is a message id.")
    return before, limit


async def find_user(store: ChatStore, username: str) -> tuple[int, Card] | None:
    """A user's id and card by username (any case); None for no such user."""
    if not USERNAME_PATTERN.fullmatch(username):
        return None
    return await store.user_card(username)
