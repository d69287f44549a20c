"""HTML form fields, read by the routes that take forms (never by the request itself)."""

from urllib.parse import parse_qs

from twisted.web.server import Request

from iclicker import wire
from iclicker.domain.errors import Invalid
from iclicker.web.http import header, read_body

MAX_FORM_BODY = 64 * 1024


def _fields(request: Request) -> dict[str, str]:
    """The query string's fields, overridden by a urlencoded POST body's; parsed once."""
    cached = getattr(request, "_iclicker_form", None)
    if cached is not None:
        return cached
    fields: dict[str, str] = {}
    query = request.uri.split(b"?", 1)[1] if b"?" in request.uri else b""
    for source in (query, _urlencoded_body(request)):
        parsed = parse_qs(source.decode("utf-8", "replace"), keep_blank_values=True)
        fields.update((name, values[0]) for name, values in parsed.items())
    request._iclicker_form = fields
    return fields


def _urlencoded_body(request: Request) -> bytes:
    media_type = (header(request, b"content-type") or "").split(";", 1)[0].strip().lower()
    if request.method != b"POST" or media_type != "application/x-www-form-urlencoded":
        return b""
    return read_body(request, MAX_FORM_BODY, "The form is larger than 64 KiB.")


def form_value(request: Request, name: str) -> str | None:
    """The field ``name`` (a body field wins over the query's), or None."""
    value = _fields(request).get(name)
    if value is not None and "\0" in value:
        raise Invalid("Form fields may not contain the character U+0000.")
    return value


def form_int(request: Request, name: str) -> int | None:
    """The field ``name`` as a 64-bit integer (digits only), or None when absent."""
    value = form_value(request, name)
    if value is None:
        return None
    number = int(value) if value.isascii() and value.isdigit() and len(value) <= 19 else None
    if number is None or number > wire.MAX_INT:
        raise Invalid(f"{name} must be a whole number.")
    return number
