"""One table from domain errors to HTTP statuses, and the JSON error handlers of the API."""

from klein import Klein
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.server import Request
from werkzeug.exceptions import HTTPException

from iclicker.domain.errors import (
    BadCredentials,
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotAuthenticated,
    NotFound,
    TooManyAttempts,
)
from iclicker.web.http import CsrfFailed, NetworkNotAllowed, TooLarge, json_response

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
}

_ROUTING_CODES = {404: "not_found", 405: "method_not_allowed"}


def status_for(error: DomainError) -> int:
    for kind in type(error).__mro__:
        if kind in _STATUS:
            return _STATUS[kind]
    return 400


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def log_unexpected(request: Request, failure: Failure) -> None:
    log.failure(
        "Unhandled error in {method} {path}",
        failure,
        method=request.method.decode("latin-1"),
        path=request.path.decode("latin-1", "replace"),
    )


def install_json_errors(app: Klein) -> None:
    """Make every failure of ``app``'s routes a JSON error body, never a traceback.

    Handlers receive the route object first because the API's Klein apps are
    bound to instances (Klein's "non-global state" pattern).
    """

    @app.handle_errors(DomainError)
    def domain_error(_routes: object, request: Request, failure: Failure) -> bytes:
        error = failure.value
        return json_response(request, status_for(error), error_body(error.code, error.message))

    @app.handle_errors(HTTPException)
    def routing_error(_routes: object, request: Request, failure: Failure) -> bytes:
        error = failure.value
        code = _ROUTING_CODES.get(error.code, "invalid_request")
        return json_response(request, error.code, error_body(code, error.description or code))

    @app.handle_errors(Exception)
    def unexpected_error(_routes: object, request: Request, failure: Failure) -> bytes:
        log_unexpected(request, failure)
        return json_response(
            request, 500, error_body("internal_error", "Something went wrong on the server.")
        )
