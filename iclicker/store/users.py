"""Accounts: users, their roles and password hashes."""

import sqlite3

import attrs

from iclicker.store.db import Database


@attrs.frozen
class UserRow:
    id: int
    username: str
    display_name: str
    role: str
    password_hash: str


_USER_FIELDS = ("id", "username", "display_name", "role", "password_hash")


def user_columns(table: str = "users") -> str:
    """The select list that ``UserRow(*row)`` expects, qualified by ``table``."""
    return ", ".join(f"{table}.{field}" for field in _USER_FIELDS)


class UsernameTaken(Exception):
    """Another account already has this username (compared case-insensitively)."""


def username_key(username: str) -> str:
    """The form usernames are compared in: case-insensitive, as typed otherwise."""
    return username.casefold()


def create_user_txn(
    txn: sqlite3.Cursor,
    username: str,
    display_name: str,
    password_hash: str,
    role: str,
    now: float,
) -> UserRow:
    try:
        txn.execute(
            "INSERT INTO users (username, username_key, display_name, role,"
            " password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (username, username_key(username), display_name, role, password_hash, now),
        )
    except sqlite3.IntegrityError as error:
        raise UsernameTaken(username) from error
    return UserRow(txn.lastrowid, username, display_name, role, password_hash)


def user_by_username_txn(txn: sqlite3.Cursor, username: str) -> UserRow | None:
    txn.execute(
        f"SELECT {user_columns()} FROM users WHERE username_key = ?", (username_key(username),)
    )
    row = txn.fetchone()
    return UserRow(*row) if row else None


def set_role_txn(txn: sqlite3.Cursor, username: str, role: str) -> bool:
    txn.execute("UPDATE users SET role = ? WHERE username_key = ?", (role, username_key(username)))
    return txn.rowcount == 1


def set_password_hash_txn(txn: sqlite3.Cursor, username: str, password_hash: str) -> bool:
    txn.execute(
        "UPDATE users SET password_hash = ? WHERE username_key = ?",
        (password_hash, username_key(username)),
    )
    return txn.rowcount == 1


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
