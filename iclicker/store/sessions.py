"""Server-side login sessions and the failed-login throttle."""

import json
from collections.abc import Callable

import attrs

from iclicker.store.db import Database
from iclicker.store.engine import Txn
from iclicker.store.users import USER_COLUMN_COUNT, UserRow, user_columns


@attrs.frozen
class SessionRow:
    user: UserRow
    last_seen: float
    expires_at: float
    remember: bool


def create_session_txn(
    txn: Txn,
    id_hash: str,
    user_id: int,
    now: float,
    expires_at: float,
    remember: bool,
) -> None:
    txn.execute(
        "INSERT INTO sessions (id_hash, user_id, created_at, last_seen, expires_at,"
        " remember) VALUES (?, ?, ?, ?, ?, ?)",
        (id_hash, user_id, now, now, expires_at, int(remember)),
    )


LOOKUP_CHUNK = 500
"""Session ids per SELECT (well under SQLite's limit on bound parameters)."""


def sessions_txn(txn: Txn, lookups: list[tuple[str, float]]) -> list[SessionRow | None]:
    """The live session of each ``(id_hash, now)``, or None; expired ones are deleted on sight.

    A burst of handshakes (a lecture hall reconnecting) is answered with a
    few queries in one transaction instead of a database round trip each.
    """
    found: dict[str, tuple] = {}
    hashes = list({id_hash for id_hash, _ in lookups})
    for start in range(0, len(hashes), LOOKUP_CHUNK):
        chunk = hashes[start : start + LOOKUP_CHUNK]
        txn.execute(
            f"SELECT s.id_hash, {user_columns('u')}, s.last_seen, s.expires_at, s.remember"
            " FROM sessions s JOIN users u ON u.id = s.user_id"
            f" WHERE s.id_hash IN ({', '.join('?' * len(chunk))})",
            chunk,
        )
        found.update((row[0], row[1:]) for row in txn.fetchall())
    n = USER_COLUMN_COUNT
    sessions: list[SessionRow | None] = []
    for id_hash, now in lookups:
        row = found.get(id_hash)
        if row is not None and row[-2] <= now:
            txn.execute("DELETE FROM sessions WHERE id_hash = ?", (id_hash,))
            found.pop(id_hash)
            row = None
        sessions.append(
            None
            if row is None
            else SessionRow(UserRow(*row[:n]), row[n], row[n + 1], bool(row[n + 2]))
        )
    return sessions


def touch_session_txn(txn: Txn, id_hash: str, now: float, expires_at: float) -> None:
    txn.execute(
        "UPDATE sessions SET last_seen = ?, expires_at = ? WHERE id_hash = ?",
        (now, expires_at, id_hash),
    )


def delete_session_txn(txn: Txn, id_hash: str) -> None:
    txn.execute("DELETE FROM sessions WHERE id_hash = ?", (id_hash,))


def delete_user_sessions_txn(txn: Txn, username_key: str) -> int:
    """End every session of one account (its password changed, or it was disabled)."""
    txn.execute(
        "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE username_key = ?)",
        (username_key,),
    )
    return txn.rowcount


def set_password_ending_other_sessions_txn(
    txn: Txn, user_id: int, password_hash: str, keep_id_hash: str
) -> None:
    """A new password, and every session of the account but the one that changed it ends."""
    txn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))
    txn.execute("DELETE FROM sessions WHERE user_id = ? AND id_hash != ?", (user_id, keep_id_hash))


def delete_expired_sessions_txn(txn: Txn, now: float) -> int:
    txn.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))
    return txn.rowcount


@attrs.frozen
class ThrottleRow:
    """Recent failed logins for one username, and the lock they caused."""

    recent_failures: tuple[float, ...] = ()
    locked_until: float | None = None


def throttle_txn(txn: Txn, key: str, for_update: bool = False) -> ThrottleRow:
    lock = txn.engine.lock_for_update if for_update else ""
    txn.execute(
        "SELECT recent_failures, locked_until FROM login_throttle WHERE username_key = ?" + lock,
        (key,),
    )
    found = txn.fetchone()
    return ThrottleRow(tuple(json.loads(found[0])), found[1]) if found else ThrottleRow()


def update_throttle_txn(
    txn: Txn, key: str, update: Callable[[ThrottleRow], ThrottleRow]
) -> ThrottleRow:
    """Replace the throttle row for ``key`` by ``update(row)`` atomically (the row locked
    on PostgreSQL, so two processes' failed logins both count)."""
    new = update(throttle_txn(txn, key, for_update=True))
    txn.execute(
        "INSERT INTO login_throttle (username_key, recent_failures, locked_until)"
        " VALUES (?, ?, ?) ON CONFLICT (username_key) DO UPDATE SET"
        " recent_failures = excluded.recent_failures,"
        " locked_until = excluded.locked_until",
        (key, json.dumps(new.recent_failures), new.locked_until),
    )
    return new


def clear_throttle_txn(txn: Txn, key: str) -> None:
    txn.execute("DELETE FROM login_throttle WHERE username_key = ?", (key,))


def delete_stale_throttles_txn(txn: Txn, now: float, window: float) -> int:
    """Forget usernames with no lock in force and no failure within ``window``.

    Failed logins for made-up usernames would otherwise pile up for ever.
    """
    txn.execute(
        "SELECT username_key, recent_failures FROM login_throttle"
        " WHERE locked_until IS NULL OR locked_until <= ?",
        (now,),
    )
    stale = [
        (key,)
        for key, failures in txn.fetchall()
        if not any(failure > now - window for failure in json.loads(failures))
    ]
    txn.executemany("DELETE FROM login_throttle WHERE username_key = ?", stale)
    return len(stale)


class SessionStore:
    """Async access to sessions and the login throttle for the reactor thread."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def create(
        self, id_hash: str, user_id: int, now: float, expires_at: float, remember: bool
    ) -> None:
        await self._database.run(create_session_txn, id_hash, user_id, now, expires_at, remember)

    async def get_many(self, lookups: list[tuple[str, float]]) -> list[SessionRow | None]:
        return await self._database.run(sessions_txn, lookups)

    async def touch(self, id_hash: str, now: float, expires_at: float) -> None:
        await self._database.run(touch_session_txn, id_hash, now, expires_at)

    async def delete(self, id_hash: str) -> None:
        await self._database.run(delete_session_txn, id_hash)

    async def delete_expired(self, now: float) -> int:
        return await self._database.run(delete_expired_sessions_txn, now)

    async def throttle(self, key: str) -> ThrottleRow:
        return await self._database.run(throttle_txn, key)

    async def update_throttle(
        self, key: str, update: Callable[[ThrottleRow], ThrottleRow]
    ) -> ThrottleRow:
        return await self._database.run(update_throttle_txn, key, update)

    async def clear_throttle(self, key: str) -> None:
        await self._database.run(clear_throttle_txn, key)

    async def delete_stale_throttles(self, now: float, window: float) -> int:
        return await self._database.run(delete_stale_throttles_txn, now, window)

    async def set_password_ending_other_sessions(
        self, user_id: int, password_hash: str, keep_id_hash: str
    ) -> None:
        await self._database.run(
            set_password_ending_other_sessions_txn, user_id, password_hash, keep_id_hash
        )
