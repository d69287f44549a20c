"""Accounts: users, their roles and password hashes."""

import attrs

from iclicker.store.db import Database
from iclicker.store.engine import Txn, UniqueViolation


@attrs.frozen
class UserRow:
    id: int
    username: str
    display_name: str
    role: str
    password_hash: str
    disabled: bool = attrs.field(default=False, converter=bool)
    photo: str | None = None


_USER_FIELDS = ("id", "username", "display_name", "role", "password_hash")
USER_COLUMN_COUNT = len(_USER_FIELDS) + 2


def user_columns(table: str = "users") -> str:
    """The select list that ``UserRow(*row)`` expects, qualified by ``table``."""
    fields = [f"{table}.{field}" for field in _USER_FIELDS]
    return ", ".join([*fields, f"{table}.disabled_at IS NOT NULL", f"{table}.photo"])


class UsernameTaken(Exception):
    """Another account already has this username (compared case-insensitively)."""


def username_key(username: str) -> str:
    """The form usernames are compared in: case-insensitive, as typed otherwise."""
    return username.casefold()


def create_user_txn(
    txn: Txn,
    username: str,
    display_name: str,
    password_hash: str,
    role: str,
    now: float,
) -> UserRow:
    try:
        txn.execute(
            "INSERT INTO users (username, username_key, display_name, role,"
            " password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (username, username_key(username), display_name, role, password_hash, now),
        )
    except UniqueViolation as error:
        raise UsernameTaken(username) from error
    return UserRow(txn.inserted_id(), username, display_name, role, password_hash)


def user_by_username_txn(txn: Txn, username: str) -> UserRow | None:
    txn.execute(
        f"SELECT {user_columns()} FROM users WHERE username_key = ?", (username_key(username),)
    )
    row = txn.fetchone()
    return UserRow(*row) if row else None


def set_role_txn(txn: Txn, username: str, role: str) -> bool:
    txn.execute("UPDATE users SET role = ? WHERE username_key = ?", (role, username_key(username)))
    return txn.rowcount == 1


def set_password_hash_txn(txn: Txn, username: str, password_hash: str) -> bool:
    txn.execute(
        "UPDATE users SET password_hash = ? WHERE username_key = ?",
        (password_hash, username_key(username)),
    )
    return txn.rowcount == 1


def set_disabled_txn(txn: Txn, username: str, disabled_at: float | None) -> bool:
    """Disable (at a time) or enable an account; disabling ends all its sessions."""
    key = username_key(username)
    txn.execute("UPDATE users SET disabled_at = ? WHERE username_key = ?", (disabled_at, key))
    if txn.rowcount != 1:
        return False
    if disabled_at is not None:
        txn.execute(
            "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username_key = ?)",
            (key,),
        )
    return True


def disabled_since_txn(txn: Txn, since: float) -> list[int]:
    """Ids of accounts disabled after ``since`` (by a site admin or ``iclicker-admin``)."""
    txn.execute("SELECT id FROM users WHERE disabled_at > ?", (since,))
    return [row[0] for row in txn.fetchall()]


def set_display_name_txn(txn: Txn, user_id: int, display_name: str) -> None:
    txn.execute("UPDATE users SET display_name = ? WHERE id = ?", (display_name, user_id))


def set_photo_txn(txn: Txn, user_id: int, photo: str | None) -> str | None:
    """Set (or clear) a user's photo; returns the previous file name, to delete."""
    txn.execute("SELECT photo FROM users WHERE id = ?", (user_id,))
    row = txn.fetchone()
    txn.execute("UPDATE users SET photo = ? WHERE id = ?", (photo, user_id))
    return row[0] if row else None


def _like_prefix(prefix: str) -> str:
    """A LIKE pattern for "starts with ``prefix``", its wildcards escaped with ``\\``."""
    escaped = prefix.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def search_users_txn(txn: Txn, prefix: str | None, limit: int) -> list[UserRow]:
    """Users whose username or display name starts with ``prefix`` (any case), by username."""
    if prefix is None:
        txn.execute(f"SELECT {user_columns()} FROM users ORDER BY username_key LIMIT ?", (limit,))
    else:
        pattern = _like_prefix(prefix)
        txn.execute(
            f"SELECT {user_columns()} FROM users WHERE username_key LIKE ? ESCAPE '\\'"
            " OR lower(display_name) LIKE ? ESCAPE '\\' ORDER BY username_key LIMIT ?",
            (pattern, pattern, limit),
        )
    return [UserRow(*row) for row in txn.fetchall()]


class UserStore:
    """Async access to accounts for the reactor thread."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def create(
        self, username: str, display_name: str, password_hash: str, role: str, now: float
    ) -> UserRow:
        return await self._database.run(
            create_user_txn, username, display_name, password_hash, role, now
        )

    async def by_username(self, username: str) -> UserRow | None:
        return await self._database.run(user_by_username_txn, username)

    async def set_disabled(self, username: str, disabled_at: float | None) -> bool:
        return await self._database.run(set_disabled_txn, username, disabled_at)

    async def disabled_since(self, since: float) -> list[int]:
        # Polled every few seconds: on a reader, never in the answers' writer queue.
        return await self._database.read(disabled_since_txn, since)

    async def search(self, prefix: str | None, limit: int) -> list[UserRow]:
        return await self._database.read(search_users_txn, prefix, limit)

    async def set_role(self, username: str, role: str) -> bool:
        return await self._database.run(set_role_txn, username, role)

    async def set_photo(self, user_id: int, photo: str | None) -> str | None:
        return await self._database.run(set_photo_txn, user_id, photo)

    async def set_display_name(self, user_id: int, display_name: str) -> None:
        await self._database.run(set_display_name_txn, user_id, display_name)
