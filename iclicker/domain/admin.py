"""Site administration: find accounts, change roles, disable and enable accounts.

Disabling ends every session at once (in the same transaction) and tells
every socket of the account to close, through the account's own group. An
account disabled with ``iclicker-admin`` (another process) is noticed by
``DisabledWatcher`` within a few seconds.
"""

import sys

import attrs
from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

from iclicker.domain.accounts import ROLES, USERNAME_PATTERN, User
from iclicker.domain.errors import Conflict, Forbidden, Invalid, NotFound, Unavailable
from iclicker.groups.interface import IGroups
from iclicker.store.users import UserRow, UserStore

MAX_LISTED = 100
WATCH_INTERVAL = 3.0


def user_group(user_id: int) -> str:
    """Every socket of one account, whatever it is connected to (one string for all)."""
    return sys.intern(f"user:{user_id}")


ACCOUNT_DISABLED = {"type": "account_disabled"}


@attrs.frozen
class AdminUser:
    user: User
    disabled: bool

    @classmethod
    def from_row(cls, row: UserRow) -> "AdminUser":
        return cls(User.from_row(row), row.disabled)

    def as_json(self) -> dict:
        return {**self.user.as_json(), "disabled": self.disabled}


def _require_admin(user: User) -> None:
    if user.role != "admin":
        raise Forbidden("Only site admins can do that.")


class SiteAdmin:
    log = Logger()

    def __init__(self, users: UserStore, groups: IGroups, clock: IReactorTime) -> None:
        self._users = users
        self._groups = groups
        self._clock = clock

    async def users(self, admin: User, prefix: str | None) -> list[AdminUser]:
        _require_admin(admin)
        if prefix is not None and not 1 <= len(prefix) <= 64:
            raise Invalid("q is 1 to 64 characters.")
        return [AdminUser.from_row(row) for row in await self._users.search(prefix, MAX_LISTED)]

    async def update(
        self, admin: User, username: str, role: str | None, disabled: bool | None
    ) -> AdminUser:
        """Change an account's role or disabled state (an admin's own: 409)."""
        _require_admin(admin)
        if role is not None and role not in ROLES:
            raise Invalid(f"A role is one of {', '.join(ROLES)}.")
        target = (
            await self._users.by_username(username)
            if USERNAME_PATTERN.fullmatch(username)
            else None
        )
        if target is None:
            raise NotFound("No such user.")
        if target.id == admin.id and (role not in (None, target.role) or disabled):
            raise Conflict("Admins cannot change their own role or disable themselves.")
        if role is not None:
            await self._users.set_role(target.username, role)
        if disabled is not None and disabled != target.disabled:
            await self._users.set_disabled(
                target.username, self._clock.seconds() if disabled else None
            )
            if disabled:
                self._groups.group_send(user_group(target.id), ACCOUNT_DISABLED)
            self.log.info(
                "User {user_id} {state} by admin {admin_id}",
                user_id=target.id,
                state="disabled" if disabled else "enabled",
                admin_id=admin.id,
            )
        return AdminUser.from_row(await self._users.by_username(target.username))


class DisabledWatcher(Service):
    """Closes the sockets of accounts disabled from outside this process (``iclicker-admin``)."""

    log = Logger()

    def __init__(self, users: UserStore, groups: IGroups, clock: IReactorTime) -> None:
        self._users = users
        self._groups = groups
        self._clock = clock
        self._since = clock.seconds()
        self._loop = LoopingCall(self._check)
        self._loop.clock = clock

    def startService(self) -> None:
        super().startService()
        self._since = self._clock.seconds()
        self._loop.start(WATCH_INTERVAL, now=False)

    def stopService(self) -> None:
        super().stopService()
        if self._loop.running:
            self._loop.stop()

    def _check(self) -> Deferred:
        return Deferred.fromCoroutine(self._close_disabled()).addErrback(self._check_failed)

    def _check_failed(self, failure) -> None:
        if failure.check(Unavailable):
            # The database is away: the next check looks back far enough to catch up.
            self.log.warn("Checking for disabled accounts: {why}", why=failure.getErrorMessage())
        else:
            self.log.failure("Checking for disabled accounts", failure)

    async def _close_disabled(self) -> None:
        now = self._clock.seconds()
        # Moved on only after a successful check, so an outage skips no one.
        disabled = await self._users.disabled_since(self._since - WATCH_INTERVAL)
        self._since = now
        for user_id in disabled:
            # Every process watches for its own sockets.
            self._groups.local_send(user_group(user_id), ACCOUNT_DISABLED)
