"""Session lifetimes with a fake clock: idle expiry, remember me, logout."""

import pytest
import pytest_twisted
from twisted.internet import reactor

from iclicker.auth.sessions import (
    IDLE_LIFETIME,
    REMEMBER_LIFETIME,
    SWEEP_INTERVAL,
    Sessions,
    Sweeper,
)
from iclicker.domain.accounts import FAILURE_WINDOW
from iclicker.store.db import Database, connect, prepare
from iclicker.store.engine import SqliteEngine, Txn
from iclicker.store.sessions import SessionStore, ThrottleRow
from iclicker.store.users import create_user_txn


@pytest_twisted.async_yield_fixture
async def sessions_db(tmp_path):
    """A database with one user, and its session store."""
    path = str(tmp_path / "s.sqlite3")
    prepare(path)
    connection = connect(path)
    create_user_txn(Txn(connection.cursor(), SqliteEngine()), "ada", "Ada", "hash", "student", 0)
    connection.close()
    database = Database(path, reactor)
    yield database, SessionStore(database)
    database.close()


@pytest.fixture
def sessions(sessions_db, clock):
    return Sessions(sessions_db[1], clock)


@pytest_twisted.ensureDeferred
async def test_session_expires_after_twelve_idle_hours(sessions, clock):
    """Use keeps a session alive; twelve hours without use ends it."""
    session = await sessions.create(1, remember=False)
    assert session.max_age is None
    assert len(session.token) >= 43  # 256 bits, base64url
    for _ in range(3):
        clock.advance(IDLE_LIFETIME - 120)
        assert (await sessions.user(session.token)).username == "ada"
    clock.advance(IDLE_LIFETIME)
    assert await sessions.user(session.token) is None


@pytest_twisted.ensureDeferred
async def test_remembered_session_lasts_thirty_days_from_login(sessions, clock):
    """Remember me survives idleness but not past 30 days."""
    session = await sessions.create(1, remember=True)
    assert session.max_age == REMEMBER_LIFETIME
    clock.advance(REMEMBER_LIFETIME - 10)
    assert (await sessions.user(session.token)).username == "ada"
    clock.advance(10)
    assert await sessions.user(session.token) is None


@pytest_twisted.ensureDeferred
async def test_each_login_gets_a_new_id_and_destroy_ends_it(sessions):
    """Ids are never reused and logout removes the session server-side."""
    first = await sessions.create(1, remember=False)
    second = await sessions.create(1, remember=False)
    assert first.token != second.token
    await sessions.destroy(first.token)
    assert await sessions.user(first.token) is None
    assert await sessions.user(second.token) is not None
    assert await sessions.user("forged") is None
    assert await sessions.user(None) is None


def _count_sessions_txn(txn) -> int:
    txn.execute("SELECT count(*) FROM sessions")
    return txn.fetchone()[0]


@pytest_twisted.ensureDeferred
async def test_sweeper_removes_expired_sessions_and_stale_throttles(sessions_db, clock):
    """Sweeping deletes what can never be used again and keeps the rest."""
    database, store = sessions_db
    sessions = Sessions(store, clock)
    await sessions.create(1, remember=False)
    now = clock.seconds()
    await store.update_throttle("stale", lambda row: ThrottleRow((now,), None))
    await store.update_throttle("locked", lambda row: ThrottleRow((), now + 2 * IDLE_LIFETIME))
    clock.advance(IDLE_LIFETIME + FAILURE_WINDOW)
    fresh = await sessions.create(1, remember=False)
    now = clock.seconds()
    await store.update_throttle("recent", lambda row: ThrottleRow((now,), None))

    await Sweeper(store, clock).sweep()

    assert await database.run(_count_sessions_txn) == 1, "only the live session is left"
    assert await sessions.user(fresh.token) is not None
    assert await store.throttle("stale") == ThrottleRow()
    assert (await store.throttle("locked")).locked_until is not None
    assert (await store.throttle("recent")).recent_failures == (now,)


class FlakyStore:
    """A session store whose first sweep fails (a locked or unreachable database)."""

    def __init__(self) -> None:
        self.sweeps = 0

    async def delete_expired(self, now: float) -> int:
        self.sweeps += 1
        if self.sweeps == 1:
            raise RuntimeError("database is locked")
        return 0

    async def delete_stale_throttles(self, now: float, window: float) -> int:
        return 0


def test_a_failed_sweep_does_not_stop_the_sweeper(clock):
    """The hourly sweep runs again after one that failed."""
    store = FlakyStore()
    sweeper = Sweeper(store, clock)
    sweeper.startService()
    try:
        assert store.sweeps == 1
        clock.advance(SWEEP_INTERVAL)
        clock.advance(SWEEP_INTERVAL)
        assert store.sweeps == 3
    finally:
        sweeper.stopService()
