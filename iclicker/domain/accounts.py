"""Registration and login rules: username and password policy, login throttling."""

import re

import attrs
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from iclicker.auth.passwords import MAX_PASSWORD_BYTES, MIN_PASSWORD_BYTES, PasswordHasher
from iclicker.domain.errors import BadCredentials, Conflict, Forbidden, Invalid, TooManyAttempts
from iclicker.domain.text import trim
from iclicker.store.sessions import SessionStore, ThrottleRow
from iclicker.store.users import UsernameTaken, UserRow, UserStore, username_key

ROLES = ("student", "instructor", "admin")
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]{3,32}")
MAX_DISPLAY_NAME = 64

FAILURES_BEFORE_LOCK = 5
FAILURE_WINDOW = 15 * 60
LOCK_DURATION = 15 * 60


@attrs.frozen
class User:
    """An account as the rest of iclicker sees it: never with its password hash."""

    id: int
    username: str
    display_name: str
    role: str
    photo: str | None = None
    """The file name of the profile photo, if any."""

    @classmethod
    def from_row(cls, row: UserRow) -> "User":
        return cls(row.id, row.username, row.display_name, row.role, row.photo)

    @property
    def can_teach(self) -> bool:
        return self.role in ("instructor", "admin")

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "username": self.username,
            "display_name": self.display_name,
            "role": self.role,
            "photo_url": f"/photos/{self.photo}" if self.photo else None,
        }


def may_manage(user: User, owner_id: int) -> bool:
    """Its owner and site admins run a course, a lecture or a chat room."""
    return user.id == owner_id or user.role == "admin"


def require_teacher(user: User) -> None:
    """Courses and lectures are run by instructors and admins only."""
    if not user.can_teach:
        raise Forbidden("Only instructors can do that.")


def check_username(username: str) -> str:
    if not USERNAME_PATTERN.fullmatch(username):
        raise Invalid("A username is 3 to 32 letters, digits, '_', '.' or '-'.", "invalid_username")
    return username


def check_password(password: str) -> str:
    if not MIN_PASSWORD_BYTES <= len(password.encode("utf-8")) <= MAX_PASSWORD_BYTES:
        raise Invalid(
            f"A password is {MIN_PASSWORD_BYTES} to {MAX_PASSWORD_BYTES} bytes long.",
            "weak_password",
        )
    return password


def check_display_name(display_name: str | None, username: str) -> str:
    if display_name is None:
        return username
    display_name = trim(display_name)
    if not 1 <= len(display_name) <= MAX_DISPLAY_NAME:
        raise Invalid(f"A display name is 1 to {MAX_DISPLAY_NAME} characters.")
    return display_name


def record_failure(row: ThrottleRow, now: float) -> ThrottleRow:
    """The throttle state after one more failed login at ``now``.

    The fifth failure within the window locks the username for a fixed time
    from that failure; attempts during the lock are refused before they count,
    so nobody can extend a lock indefinitely by hammering a username.
    """
    recent = tuple(t for t in row.recent_failures if now - t < FAILURE_WINDOW) + (now,)
    if len(recent) >= FAILURES_BEFORE_LOCK:
        return ThrottleRow((), now + LOCK_DURATION)
    return ThrottleRow(recent, None)


def is_locked(row: ThrottleRow, now: float) -> bool:
    return row.locked_until is not None and now < row.locked_until


class Accounts:
    """Registers users and checks logins."""

    log = Logger()

    def __init__(
        self,
        users: UserStore,
        sessions: SessionStore,
        hasher: PasswordHasher,
        clock: IReactorTime,
    ) -> None:
        self._users = users
        self._sessions = sessions
        self._hasher = hasher
        self._clock = clock

    async def register(self, username: str, password: str, display_name: str | None) -> User:
        check_username(username)
        check_password(password)
        display_name = check_display_name(display_name, username)
        if await self._users.by_username(username) is not None:
            raise Conflict("That username is taken.", "username_taken")
        password_hash = await self._hasher.hash(password)
        try:
            row = await self._users.create(
                username, display_name, password_hash, "student", self._clock.seconds()
            )
        except UsernameTaken:
            raise Conflict("That username is taken.", "username_taken") from None
        return User.from_row(row)

    async def login(self, username: str, password: str) -> User:
        """The user whose credentials these are; raises on failure or while locked.

        A name that breaks the username rule belongs to nobody, so it is
        refused at once: it is never kept as a throttle key or logged.
        """
        if not USERNAME_PATTERN.fullmatch(username):
            raise BadCredentials("Wrong username or password.")
        key = username_key(username)
        throttle = await self._sessions.throttle(key)
        if is_locked(throttle, self._clock.seconds()):
            raise TooManyAttempts("Too many failed logins; try again in 15 minutes.")
        row = await self._users.by_username(username)
        valid = await self._hasher.check(password, row.password_hash if row else None)
        if row is None or not valid:
            now = self._clock.seconds()
            throttle = await self._sessions.update_throttle(
                key, lambda old: record_failure(old, now)
            )
            if is_locked(throttle, now):
                self.log.warn("Logins for {username} locked after repeated failures", username=key)
            raise BadCredentials("Wrong username or password.")
        if row.disabled:
            raise Forbidden(
                "This account is disabled; ask the site's administrators.", "account_disabled"
            )
        if throttle != ThrottleRow():
            # Only a username with failures has a row to clear: a lecture
            # hall logging in at nine o'clock makes no writes for it.
            await self._sessions.clear_throttle(key)
        return User.from_row(row)

    async def rename(self, user: User, display_name: str) -> User:
        """Change one's own display name (the username never changes)."""
        await self._users.set_display_name(user.id, check_display_name(display_name, user.username))
        return User.from_row(await self._users.by_username(user.username))

    async def new_password_hash(self, user: User, old_password: str, new_password: str) -> str:
        """The hash of a new password, once the old one is proven (a wrong one: 403)."""
        check_password(new_password)
        row = await self._users.by_username(user.username)
        if row is None or not await self._hasher.check(old_password, row.password_hash):
            raise Forbidden("The current password is not right.", "bad_credentials")
        return await self._hasher.hash(new_password)
