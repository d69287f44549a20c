"""The accounts JSON API: register, login, logout, me."""

from klein import Klein
from twisted.web.server import Request

from iclicker.auth.sessions import Sessions
from iclicker.domain.accounts import Accounts
from iclicker.web.cookies import (
    authenticated_user,
    clear_session_cookie,
    json_write,
    session_token,
    start_session,
)
from iclicker.web.guards import Guards
from iclicker.web.http import (
    add_route,
    check_json_write,
    field,
    json_response,
    read_json,
)


class AccountsApi:
    def __init__(self, accounts: Accounts, sessions: Sessions, guards: Guards) -> None:
        self._accounts = accounts
        self._sessions = sessions
        self._guards = guards

    def install(self, app: Klein) -> None:
        add_route(app, "/api/register", self.register, ["POST"])
        add_route(app, "/api/login", self.login, ["POST"])
        add_route(app, "/api/logout", self.logout, ["POST"])
        add_route(app, "/api/me", self.me, ["GET"])
        add_route(app, "/api/me", self.update_me, ["PATCH"])
        add_route(app, "/api/me/password", self.change_password, ["POST"])

    def _check_write(self, request: Request) -> None:
        check_json_write(request, self._guards)

    async def register(self, request: Request) -> bytes:
        self._check_write(request)
        body = read_json(request)
        user = await self._accounts.register(
            field(body, "username", str),
            field(body, "password", str),
            field(body, "display_name", str, required=False),
        )
        await start_session(request, self._sessions, self._guards, user, remember=False)
        return json_response(request, 201, {"user": user.as_json()})

    async def login(self, request: Request) -> bytes:
        self._check_write(request)
        body = read_json(request)
        username = field(body, "username", str)
        password = field(body, "password", str)
        remember = bool(field(body, "remember", bool, required=False))
        user = await self._accounts.login(username, password)
        await start_session(request, self._sessions, self._guards, user, remember)
        return json_response(request, 200, {"user": user.as_json()})

    async def logout(self, request: Request) -> bytes:
        self._check_write(request)
        await self._sessions.destroy(session_token(request))
        clear_session_cookie(request, self._guards)
        request.setResponseCode(204)
        return b""

    async def me(self, request: Request) -> bytes:
        user = await authenticated_user(request, self._sessions)
        return json_response(request, 200, {"user": user.as_json()})

    async def update_me(self, request: Request) -> bytes:
        """Change one's own display name."""
        user, body = await json_write(request, self._guards, self._sessions)
        user = await self._accounts.rename(user, field(body, "display_name", str))
        return json_response(request, 200, {"user": user.as_json()})

    async def change_password(self, request: Request) -> bytes:
        """A new password (the current one required); every other session ends."""
        user, body = await json_write(request, self._guards, self._sessions)
        hashed = await self._accounts.new_password_hash(
            user, field(body, "old_password", str), field(body, "new_password", str)
        )
        await self._sessions.change_password(user.id, hashed, session_token(request))
        request.setResponseCode(204)
        return b""
