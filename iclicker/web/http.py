"""Request and response helpers for the Klein routes: JSON bodies, cookies, body limits."""

import json
from collections.abc import Callable
from typing import Any

from klein import Klein
from twisted.web.server import Request

from iclicker.domain.errors import DomainError, Invalid
from iclicker.web.guards import Guards

MAX_JSON_BODY = 1024 * 1024
# The largest body stored at all; anything bigger is discarded as it arrives
# so a client cannot fill the disk, and the route answers 413.
MAX_STORED_BODY = 4 * 1024 * 1024


class TooLarge(DomainError):
    code = "too_large"


class CsrfFailed(DomainError):
    code = "csrf_failed"


class NetworkNotAllowed(DomainError):
    code = "network_not_allowed"


class LimitedRequest(Request):
    """A request that stops storing its body past ``MAX_STORED_BODY`` bytes."""

    body_too_large = False
    _received = 0

    def handleContentChunk(self, data: bytes) -> None:
        self._received += len(data)
        if self._received > MAX_STORED_BODY:
            self.body_too_large = True
            return
        super().handleContentChunk(data)


def header(request: Request, name: bytes) -> str | None:
    value = request.getHeader(name)
    return value.decode("latin-1") if value is not None else None


def client_address(request: Request, guards: Guards) -> str:
    return guards.client_address(
        request.getClientAddress().host, header(request, b"x-forwarded-for")
    )


def request_scheme(request: Request, guards: Guards) -> str:
    return guards.scheme(request.isSecure(), header(request, b"x-forwarded-proto"))


def check_network(request: Request, guards: Guards) -> None:
    if guards.allow_net_http and not guards.network_allowed(client_address(request, guards)):
        raise NetworkNotAllowed("Your network is not allowed to use this server.")


def check_origin(request: Request, guards: Guards) -> None:
    origin = header(request, b"origin")
    if origin is not None and not guards.origin_allowed(
        origin, request_scheme(request, guards), header(request, b"host")
    ):
        raise CsrfFailed("The request's Origin is not this server.")


def check_json_write(request: Request, guards: Guards) -> None:
    """CSRF rule for state-changing JSON calls: JSON media type and a matching Origin.

    A cross-site HTML form cannot send ``application/json``, so together with
    the Origin check this stops forged requests without a token.
    """
    media_type = (header(request, b"content-type") or "").split(";", 1)[0]
    if media_type.strip().lower() != "application/json":
        raise CsrfFailed("State-changing calls must send Content-Type: application/json.")
    check_origin(request, guards)


def read_json(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or a DomainError for the contract's 400/413."""
    if request.body_too_large:
        raise TooLarge("The request body is larger than 1 MiB.")
    raw = request.content.read()
    if len(raw) > MAX_JSON_BODY:
        raise TooLarge("The request body is larger than 1 MiB.")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise Invalid("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise Invalid("The request body must be a JSON object.")
    return body


_MISSING = object()


def field(body: dict[str, Any], name: str, kind: type, required: bool = True) -> Any:
    """``body[name]`` checked against ``kind``; None when optional and absent or null."""
    value = body.get(name, _MISSING)
    if value is _MISSING or value is None:
        if required:
            raise Invalid(f"The field {name!r} is required.")
        return None
    # bool is an int in Python, but not in JSON.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise Invalid(f"The field {name!r} must be a {kind.__name__}.")
    return value


def json_response(request: Request, status: int, body: Any) -> bytes:
    request.setResponseCode(status)
    request.setHeader(b"content-type", b"application/json")
    request.setHeader(b"cache-control", b"no-store")
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def add_route(
    app: Klein,
    path: str,
    handler: Callable,
    methods: list[str] | None = None,
    branch: bool = False,
) -> None:
    """Route ``path`` to a bound method, named after its class so names never clash."""
    owner = type(handler.__self__).__name__
    app.route(path, methods=methods, branch=branch, endpoint=f"{owner}.{handler.__name__}")(handler)
