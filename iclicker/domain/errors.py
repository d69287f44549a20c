"""Errors the domain raises; the web and socket layers turn them into responses.

Each carries a stable snake_case ``code`` (the wire contract's) and a human
message. No HTTP status lives here: ``iclicker.web.errors`` maps the kinds.
"""


class DomainError(Exception):
    """A request that the rules refuse."""

    code = "invalid_request"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def details(self) -> dict:
        """Fields the error adds to ``{"code", "message"}`` on the wire (none by default)."""
        return {}


class Invalid(DomainError):
    code = "invalid_request"


class NotAuthenticated(DomainError):
    code = "not_authenticated"


class BadCredentials(DomainError):
    code = "bad_credentials"


class Forbidden(DomainError):
    code = "forbidden"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class TooManyAttempts(DomainError):
    code = "too_many_attempts"


class Unavailable(DomainError):
    """The server is too busy for this right now; the client should retry shortly."""

    code = "unavailable"
    retry_after = 1
