"""HTML pages for accounts: home, register, login, logout."""

from klein import Klein
from twisted.web.server import Request

from iclicker.auth.sessions import Sessions
from iclicker.domain.accounts import Accounts, User
from iclicker.domain.errors import DomainError, Forbidden
from iclicker.web.guards import Guards
from iclicker.web.cookies import clear_session_cookie, session_token, start_session
from iclicker.web.pagekit import PageKit, form_value, install_page_errors, safe_next


def redirect(request: Request, location: str) -> bytes:
    request.setResponseCode(303)
    request.setHeader(b"location", location.encode("utf-8"))
    return b""


class AccountPages:
    app = Klein()

    def __init__(
        self, kit: PageKit, accounts: Accounts, sessions: Sessions, guards: Guards
    ) -> None:
        self.kit = kit
        self._accounts = accounts
        self._sessions = sessions
        self._guards = guards

    def _check_form(self, request: Request) -> None:
        if not self.kit.csrf.valid(request, form_value(request, "csrf_token")):
            raise Forbidden("This form has expired. Go back, reload the page and try again.")

    async def _log_in(self, request: Request, user: User, remember: bool) -> bytes:
        await start_session(request, self._sessions, self._guards, user, remember)
        return redirect(request, safe_next(form_value(request, "next")))

    @app.route("/", methods=["GET"])
    async def home(self, request: Request) -> bytes:
        user = await self.kit.require_viewer(request)
        return self.kit.render(request, "home.html", user)

    @app.route("/login", methods=["GET"])
    async def login_form(self, request: Request) -> bytes:
        user = await self.kit.viewer(request)
        target = safe_next(form_value(request, "next"))
        if user is not None:
            return redirect(request, target)
        return self.kit.render(request, "login.html", None, next=target)

    @app.route("/login", methods=["POST"])
    async def login(self, request: Request) -> bytes:
        await self.kit.viewer(request)
        self._check_form(request)
        username = form_value(request, "username") or ""
        remember = form_value(request, "remember") == "on"
        try:
            user = await self._accounts.login(username, form_value(request, "password") or "")
        except DomainError as error:
            return self.kit.render(
                request,
                "login.html",
                None,
                status=429 if error.code == "too_many_attempts" else 401,
                error=error.message,
                username=username,
                next=safe_next(form_value(request, "next")),
            )
        return await self._log_in(request, user, remember)

    @app.route("/register", methods=["GET"])
    async def register_form(self, request: Request) -> bytes:
        user = await self.kit.viewer(request)
        if user is not None:
            return redirect(request, "/")
        return self.kit.render(
            request, "register.html", None, next=safe_next(form_value(request, "next"))
        )

    @app.route("/register", methods=["POST"])
    async def register(self, request: Request) -> bytes:
        await self.kit.viewer(request)
        self._check_form(request)
        username = form_value(request, "username") or ""
        display_name = (form_value(request, "display_name") or "").strip() or None
        try:
            user = await self._accounts.register(
                username, form_value(request, "password") or "", display_name
            )
        except DomainError as error:
            return self.kit.render(
                request,
                "register.html",
                None,
                status=409 if error.code == "username_taken" else 400,
                error=error.message,
                username=username,
                display_name=display_name or "",
                next=safe_next(form_value(request, "next")),
            )
        return await self._log_in(request, user, remember=False)

    @app.route("/logout", methods=["POST"])
    async def logout(self, request: Request) -> bytes:
        self._check_form(request)
        await self._sessions.destroy(session_token(request))
        clear_session_cookie(request, self._guards)
        return redirect(request, "/login")


install_page_errors(AccountPages.app)
