"""What every HTML page shares: rendering with the layout's context, and friendly errors."""

from urllib.parse import quote

from klein import Klein
from twisted.python.failure import Failure
from twisted.web.server import Request
from werkzeug.exceptions import HTTPException

from iclicker.auth.sessions import Sessions
from iclicker.domain.accounts import User
from iclicker.domain.errors import DomainError, NotAuthenticated
from iclicker.web.csrf import CsrfTokens
from iclicker.web.errors import log_unexpected, status_for
from iclicker.web.guards import Guards
from iclicker.web.cookies import session_token
from iclicker.web.http import check_network
from iclicker.web.templating import Templates

_ERROR_TITLES = {
    403: "Not allowed",
    404: "Page not found",
    405: "Not allowed",
    500: "Something went wrong",
}


def safe_next(target: str | None) -> str:
    """A post-login destination that stays on this site (no open redirect)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def form_value(request: Request, name: str) -> str | None:
    values = request.args.get(name.encode("ascii"))
    return values[0].decode("utf-8", "replace") if values else None


class PageKit:
    """Renders templates with the signed-in user and a CSRF token, and guards pages."""

    def __init__(
        self, templates: Templates, csrf: CsrfTokens, sessions: Sessions, guards: Guards
    ) -> None:
        self._templates = templates
        self.csrf = csrf
        self._sessions = sessions
        self._guards = guards

    async def viewer(self, request: Request) -> User | None:
        check_network(request, self._guards)
        return await self._sessions.user(session_token(request))

    async def require_viewer(self, request: Request) -> User:
        """The signed-in user; otherwise NotAuthenticated, which redirects to login."""
        user = await self.viewer(request)
        if user is None:
            raise NotAuthenticated("Log in first.")
        return user

    def render(
        self,
        request: Request,
        template: str,
        user: User | None,
        status: int = 200,
        **context: object,
    ) -> bytes:
        request.setResponseCode(status)
        request.setHeader(b"content-type", b"text/html; charset=utf-8")
        request.setHeader(b"cache-control", b"no-store")
        request.setHeader(b"x-frame-options", b"DENY")
        return self._templates.render(
            template, user=user, csrf_token=self.csrf.token(request), **context
        )

    def error_page(self, request: Request, status: int, message: str) -> bytes:
        return self.render(
            request,
            "error.html",
            None,
            status=status,
            title=_ERROR_TITLES.get(status, "Request refused"),
            message=message,
            status_code=status,
        )


def install_page_errors(app: Klein) -> None:
    """Friendly HTML for every failure of ``app``; anonymous visitors go to login.

    The handlers receive the bound page object, whose ``kit`` renders.
    """

    @app.handle_errors(NotAuthenticated)
    def to_login(_pages: object, request: Request, failure: Failure) -> bytes:
        request.setResponseCode(303)
        target = quote(request.uri.decode("latin-1"), safe="")
        request.setHeader(b"location", f"/login?next={target}".encode("ascii"))
        return b""

    @app.handle_errors(DomainError)
    def refused(pages: object, request: Request, failure: Failure) -> bytes:
        error = failure.value
        return pages.kit.error_page(request, status_for(error), error.message)

    @app.handle_errors(HTTPException)
    def routing(pages: object, request: Request, failure: Failure) -> bytes:
        error = failure.value
        return pages.kit.error_page(request, error.code, error.description or "")

    @app.handle_errors(Exception)
    def unexpected(pages: object, request: Request, failure: Failure) -> bytes:
        log_unexpected(request, failure)
        return pages.kit.error_page(
            request, 500, "The server hit an error. It has been logged; please try again."
        )
