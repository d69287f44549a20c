"""HTML pages for accounts: register, login, logout."""

from klein import Klein
from twisted.web.server import Request

from iclicker.auth.sessions import Sessions
from iclicker.domain.accounts import Accounts, User
from iclicker.domain.errors import DomainError
from iclicker.web.cookies import clear_session_cookie, session_token, start_session
from iclicker.web.forms import form_value
from iclicker.web.guards import Guards
from iclicker.web.http import add_route
from iclicker.web.pagekit import PageKit, redirect, safe_next

_FIELD_OF_ERROR = {
    "invalid_username": "username",
    "username_taken": "username",
    "weak_password": "password",
    "invalid_request": "display_name",
}


class AccountPages:
    def __init__(
        self, kit: PageKit, accounts: Accounts, sessions: Sessions, guards: Guards
    ) -> None:
        self._kit = kit
        self._accounts = accounts
        self._sessions = sessions
        self._guards = guards

    def install(self, app: Klein) -> None:
        add_route(app, "/login", self.login_form, ["GET"])
        add_route(app, "/login", self.login, ["POST"])
        add_route(app, "/register", self.register_form, ["GET"])
        add_route(app, "/register", self.register, ["POST"])
        add_route(app, "/logout", self.logout, ["POST"])

    async def _log_in(self, request: Request, user: User, remember: bool) -> bytes:
        await start_session(request, self._sessions, self._guards, user, remember)
        return redirect(request, safe_next(form_value(request, "next")))

    async def login_form(self, request: Request) -> bytes:
        user = await self._kit.viewer(request)
        target = safe_next(form_value(request, "next"))
        if user is not None:
            return redirect(request, target)
        return self._kit.render(request, "login.html", None, next=target)

    async def login(self, request: Request) -> bytes:
        await self._kit.viewer(request)
        self._kit.check_form(request)
        username = form_value(request, "username") or ""
        remember = form_value(request, "remember") == "on"
        try:
            user = await self._accounts.login(username, form_value(request, "password") or "")
        except DomainError as error:
            return self._kit.render(
                request,
                "login.html",
                None,
                status=429 if error.code == "too_many_attempts" else 401,
                error=error.message,
                username=username,
                next=safe_next(form_value(request, "next")),
            )
        return await self._log_in(request, user, remember)

    async def register_form(self, request: Request) -> bytes:
        user = await self._kit.viewer(request)
        if user is not None:
            return redirect(request, "/")
        return self._kit.render(
            request, "register.html", None, next=safe_next(form_value(request, "next"))
        )

    async def register(self, request: Request) -> bytes:
        await self._kit.viewer(request)
        self._kit.check_form(request)
        username = form_value(request, "username") or ""
        display_name = (form_value(request, "display_name") or "").strip() or None
        try:
            user = await self._accounts.register(
                username, form_value(request, "password") or "", display_name
            )
        except DomainError as error:
            return self._kit.render(
                request,
                "register.html",
                None,
                status=409 if error.code == "username_taken" else 400,
                error=error.message,
                error_field=_FIELD_OF_ERROR.get(error.code),
                username=username,
                display_name=display_name or "",
                next=safe_next(form_value(request, "next")),
            )
        return await self._log_in(request, user, remember=False)

    async def logout(self, request: Request) -> bytes:
        self._kit.check_form(request)
        await self._sessions.destroy(session_token(request))
        clear_session_cookie(request, self._guards)
        return redirect(request, "/login")
