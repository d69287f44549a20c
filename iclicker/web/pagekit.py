"""What the routes share: registering them, and rendering pages with the layout's context."""

from twisted.web.server import Request

from iclicker.auth.sessions import Sessions
from iclicker.domain.accounts import User
from iclicker.domain.errors import Forbidden, NotAuthenticated
from iclicker.web.cookies import session_token
from iclicker.web.csrf import CsrfTokens
from iclicker.web.forms import form_value
from iclicker.web.templating import Templates

_ERROR_TITLES = {
    403: "Not allowed",
    404: "Page not found",
    405: "Not allowed",
    500: "Something went wrong",
}


# Everything a page loads comes from this server: no inline script, no CDN.
CONTENT_SECURITY_POLICY = (
    b"default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    b"form-action 'self'; frame-ancestors 'none'"
)


def safe_next(target: str | None) -> str:
    """A post-login destination that stays on this site (no open redirect).

    Browsers drop tabs and newlines from URLs and read a backslash as a
    slash, so ``/%09/evil.example`` (a tab) would become ``//evil.example``: any
    control character, space or backslash makes the target unsafe.
    """
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not any(char <= " " or char in "\\\x7f" for char in target)
    ):
        return target
    return "/"


def redirect(request: Request, location: str) -> bytes:
    request.setResponseCode(303)
    request.setHeader(b"location", location.encode("utf-8"))
    return b""


class PageKit:
    """Renders templates with the signed-in user and a CSRF token, and guards pages."""

    def __init__(self, templates: Templates, csrf: CsrfTokens, sessions: Sessions) -> None:
        self._templates = templates
        self.csrf = csrf
        self._sessions = sessions

    async def viewer(self, request: Request) -> User | None:
        return await self._sessions.user(session_token(request))

    async def require_viewer(self, request: Request) -> User:
        """The signed-in user; otherwise NotAuthenticated, which redirects to login."""
        user = await self.viewer(request)
        if user is None:
            raise NotAuthenticated("Log in first.")
        return user

    def check_form(self, request: Request) -> None:
        """Refuse a form post whose CSRF token is missing or not this browser's."""
        if not self.csrf.valid(request, form_value(request, "csrf_token")):
            raise Forbidden("This form has expired. Go back, reload the page and try again.")

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
        request.setHeader(b"content-security-policy", CONTENT_SECURITY_POLICY)
        return self._templates.render(
            template, user=user, csrf_token=self.csrf.token(request), **context
        )

    async def viewer_if_any(self, request: Request) -> User | None:
        """The signed-in user for an error page's top bar; None if even that fails."""
        try:
            return await self.viewer(request)
        except Exception:
            return None

    def error_page(
        self, request: Request, status: int, message: str, user: User | None = None
    ) -> bytes:
        return self.render(
            request,
            "error.html",
            user,
            status=status,
            title=_ERROR_TITLES.get(status, "Request refused"),
            message=message,
            status_code=status,
        )
