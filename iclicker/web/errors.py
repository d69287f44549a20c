"""One table from domain errors to HTTP statuses, and the site's error handlers.

Under ``/api/`` every failure becomes ``{"error": {"code", "message"}}``; on
the pages it becomes a friendly HTML page, and an anonymous visitor to a
private page is sent to log in and brought back afterwards.
"""

from urllib.parse import quote, urlsplit

from klein import Klein
from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.resource import Resource
from twisted.web.server import Request
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import RequestRedirect

from iclicker.domain.errors import (
    BadCredentials,
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotAuthenticated,
    NotFound,
    TooManyAttempts,
    Unavailable,
)
from iclicker.web.http import CsrfFailed, NetworkNotAllowed, TooLarge, json_response
from iclicker.web.pagekit import PageKit, redirect

log = Logger()

_STATUS = {
    Invalid: 400,
    NotAuthenticated: 401,
    BadCredentials: 401,
    Forbidden: 403,
    CsrfFailed: 403,
    NetworkNotAllowed: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    TooManyAttempts: 429,
    Unavailable: 503,
}

_ROUTING_CODES = {404: "not_found", 405: "method_not_allowed"}
_ROUTING_MESSAGES = {
    404: "There is nothing at this address.",
    405: "This address does not take that method.",
}


def status_for(error: DomainError) -> int:
    for kind in type(error).__mro__:
        if kind in _STATUS:
            return _STATUS[kind]
    return 400


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, **(details or {})}}


def _is_api(request: Request) -> bool:
    return request.path.startswith(b"/api/")


def error_response(
    kit: PageKit,
    request: Request,
    status: int,
    code: str,
    message: str,
    details: dict | None = None,
) -> bytes:
    """JSON under /api/, the friendly error page everywhere else."""
    if _is_api(request):
        return json_response(request, status, error_body(code, message, details))
    return kit.error_page(request, status, message)


class ErrorResource(Resource):
    """A resource that answers every request with one error (missing static files)."""

    isLeaf = True

    def __init__(self, kit: PageKit, status: int, code: str, message: str) -> None:
        super().__init__()
        self._kit = kit
        self._error = (status, code, message)

    def render(self, request: Request) -> bytes:
        return error_response(self._kit, request, *self._error)


def install_error_handlers(app: Klein, kit: PageKit) -> None:
    """Turn every failure of ``app``'s routes into JSON or a page, never a traceback."""

    def respond(
        request: Request, status: int, code: str, message: str, details: dict | None = None
    ) -> bytes | Deferred:
        """As ``error_response``, but a page shows who is signed in (its top bar)."""
        if _is_api(request):
            return error_response(kit, request, status, code, message, details)

        async def page() -> bytes:
            user = await kit.viewer_if_any(request)
            return kit.error_page(request, status, message, user)

        return Deferred.fromCoroutine(page())

    @app.handle_errors(DomainError)
    def refused(request: Request, failure: Failure) -> bytes:
        error = failure.value
        if isinstance(error, NotAuthenticated) and not _is_api(request):
            target = quote(request.uri.decode("latin-1"), safe="")
            return redirect(request, f"/login?next={target}")
        if isinstance(error, Unavailable):
            request.setHeader(b"retry-after", str(error.retry_after).encode("ascii"))
        return respond(request, status_for(error), error.code, error.message, error.details())

    @app.handle_errors(RequestRedirect)
    def moved(request: Request, failure: Failure) -> bytes:
        """Werkzeug's slash redirects (``/static`` to ``/static/``), with a Location."""
        target = urlsplit(failure.value.new_url)
        location = target.path + (f"?{target.query}" if target.query else "")
        request.setResponseCode(308)
        request.setHeader(b"location", location.encode("utf-8"))
        return b""

    @app.handle_errors(HTTPException)
    def unrouted(request: Request, failure: Failure) -> bytes:
        status = failure.value.code
        if isinstance(failure.value, MethodNotAllowed) and failure.value.valid_methods:
            request.setHeader(b"allow", ", ".join(failure.value.valid_methods).encode("ascii"))
        message = _ROUTING_MESSAGES.get(status, "The request was not understood.")
        code = _ROUTING_CODES.get(status, "invalid_request")
        return respond(request, status, code, message)

    @app.handle_errors(Exception)
    def unexpected(request: Request, failure: Failure) -> bytes:
        log.failure(
            "Unhandled error in {method} {path}",
            failure,
            method=request.method.decode("latin-1"),
            path=request.path.decode("latin-1", "replace"),
        )
        return respond(
            request,
            500,
            "internal_error",
            "The server hit an error. It has been logged; please try again.",
        )
