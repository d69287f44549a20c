"""Request and response helpers for the Klein routes: JSON bodies, CSRF rules, routing."""

import json
from collections.abc import Callable
from typing import Any

from klein import Klein
from twisted.web.server import Request
from werkzeug.routing import BaseConverter

from iclicker import wire
from iclicker.domain.errors import DomainError, Invalid
from iclicker.web.guards import Guards

MAX_JSON_BODY = 1024 * 1024


class TooLarge(DomainError):
    code = "too_large"


class CsrfFailed(DomainError):
    code = "csrf_failed"


class NetworkNotAllowed(DomainError):
    code = "network_not_allowed"


def header(request: Request, name: bytes) -> str | None:
    value = request.getHeader(name)
    return value.decode("latin-1") if value is not None else None


def client_address(request: Request, guards: Guards) -> str | None:
    """The client's IP, or None when the peer has none (a unix socket without a proxy)."""
    return guards.client_address(
        getattr(request.getClientAddress(), "host", None), header(request, b"x-forwarded-for")
    )


def request_scheme(request: Request, guards: Guards) -> str:
    return guards.scheme(request.isSecure(), header(request, b"x-forwarded-proto"))


def check_network(request: Request, guards: Guards) -> None:
    if not guards.network_allowed(client_address(request, guards)):
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


def read_body(request: Request, limit: int, too_large: str) -> bytes:
    """The whole request body, or ``TooLarge`` (413) past ``limit`` bytes."""
    if request.body_too_large:
        raise TooLarge(too_large)
    request.content.seek(0)
    raw = request.content.read(limit + 1)
    if len(raw) > limit:
        raise TooLarge(too_large)
    return raw


def read_json(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or a DomainError for the contract's 400/413."""
    raw = read_body(request, MAX_JSON_BODY, "The request body is larger than 1 MiB.")
    try:
        body = wire.loads(raw)
    except wire.MalformedJson as error:
        raise Invalid(f"The request body: {error}") from None
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
    if kind is int:
        value = wire.as_int64(value)
        if value is None:
            raise Invalid(f"The field {name!r} must be a 64-bit integer.")
    elif not isinstance(value, kind):
        raise Invalid(f"The field {name!r} must be a {kind.__name__}.")
    if wire.has_nul(value):
        raise Invalid(f"The field {name!r} may not contain the character U+0000.")
    return value


def json_response(request: Request, status: int, body: Any) -> bytes:
    request.setResponseCode(status)
    request.setHeader(b"content-type", b"application/json")
    request.setHeader(b"cache-control", b"no-store")
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


class IdConverter(BaseConverter):
    """``<id:name>``: a database id, so no route ever hands SQLite a number it cannot bind.

    Werkzeug's ``int`` converter takes any number of digits. Here 20 digits
    or more match no route (404), and a 19-digit number past 2**63 - 1 becomes
    0, an id that nothing has, so the route answers as for any unknown id
    (a converter that refused it would make Werkzeug answer 405 instead).
    """

    regex = r"\d{1,19}"
    weight = 50

    def to_python(self, value: str) -> int:
        number = int(value)
        return number if number <= wire.MAX_INT else 0

    def to_url(self, value: int) -> str:
        return str(value)


def make_app() -> Klein:
    """A Klein app whose routes may use ``<id:...>``."""
    app = Klein()
    app.url_map.converters["id"] = IdConverter
    return app


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
