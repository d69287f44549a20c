"""Login sessions: opaque cookie tokens backed by rows in the database.

The cookie holds 256 random bits; the database holds only their SHA-256, so a
copy of the database file does not let anyone log in as its users.
"""

import hashlib
import secrets

import attrs
from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

from iclicker.domain.accounts import FAILURE_WINDOW, User
from iclicker.domain.batch_writer import BatchWriter
from iclicker.store.sessions import SessionStore

SESSION_COOKIE = "iclicker_session"
IDLE_LIFETIME = 12 * 3600
REMEMBER_LIFETIME = 30 * 24 * 3600
SWEEP_INTERVAL = 3600
# Refreshing the idle deadline is a write; doing it at most once a minute per
# session keeps page loads and socket handshakes read-only.
TOUCH_INTERVAL = 60
MAX_WAITING_LOOKUPS = 20_000
"""Cookie lookups queued for the next batch; beyond it a request gets 503."""


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


@attrs.frozen
class NewSession:
    token: str
    max_age: int | None
    """Seconds for a persistent cookie, or None for a browser-session cookie."""


class Sessions:
    """Creates, resolves and destroys login sessions with an injected clock."""

    def __init__(self, store: SessionStore, clock: IReactorTime) -> None:
        self._store = store
        self._clock = clock
        # Every request and handshake resolves its cookie: the lookups that
        # arrive while one batch is on the database thread go together next.
        self._lookups = BatchWriter(
            store.get_many, MAX_WAITING_LOOKUPS, "The server is busy; try again in a moment."
        )

    async def create(self, user_id: int, remember: bool) -> NewSession:
        """Start a new session; a fresh id at every login prevents fixation."""
        token = secrets.token_urlsafe(32)
        now = self._clock.seconds()
        lifetime = REMEMBER_LIFETIME if remember else IDLE_LIFETIME
        await self._store.create(_hash_token(token), user_id, now, now + lifetime, remember)
        return NewSession(token, REMEMBER_LIFETIME if remember else None)

    async def user(self, token: str | None) -> User | None:
        """The user a cookie token belongs to, or None if it is unknown or expired."""
        if not token:
            return None
        id_hash = _hash_token(token)
        now = self._clock.seconds()
        session = await self._lookups.record((id_hash, now))
        if session is None or session.user.disabled:
            return None
        if not session.remember and now - session.last_seen >= TOUCH_INTERVAL:
            await self._store.touch(id_hash, now, now + IDLE_LIFETIME)
        return User.from_row(session.user)

    async def change_password(self, user_id: int, password_hash: str, token: str) -> None:
        """Store a new password hash; every other session of the account ends with it."""
        await self._store.set_password_ending_other_sessions(
            user_id, password_hash, _hash_token(token)
        )

    async def destroy(self, token: str | None) -> None:
        if token:
            await self._store.delete(_hash_token(token))


class Sweeper(Service):
    """Deletes expired sessions and stale login-throttle rows once an hour.

    Expired sessions are already refused (and deleted when presented); this
    only keeps the tables from growing with rows nobody will present again.
    """

    log = Logger()

    def __init__(self, store: SessionStore, clock: IReactorTime) -> None:
        self._store = store
        self._clock = clock
        self._loop = LoopingCall(self._sweep_now)
        self._loop.clock = clock

    def startService(self) -> None:
        super().startService()
        self._loop.start(SWEEP_INTERVAL, now=True)

    def stopService(self) -> None:
        super().stopService()
        if self._loop.running:
            self._loop.stop()

    def _sweep_now(self) -> Deferred:
        """One sweep; a failure is logged and the next sweep runs as planned.

        A LoopingCall stops for good when its call fails, so one locked or
        unavailable database must not end sweeping for the process's life.
        """
        return Deferred.fromCoroutine(self.sweep()).addErrback(
            lambda failure: self.log.failure("Sweeping sessions failed; will retry", failure)
        )

    async def sweep(self) -> None:
        now = self._clock.seconds()
        sessions = await self._store.delete_expired(now)
        throttles = await self._store.delete_stale_throttles(now, FAILURE_WINDOW)
        if sessions or throttles:
            self.log.info(
                "Swept {sessions} expired sessions and {throttles} stale login throttles",
                sessions=sessions,
                throttles=throttles,
            )
