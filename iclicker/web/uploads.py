"""File uploads: ``multipart/form-data`` read by the routes that take files, off the reactor.

The contract's CSRF rule for uploads is a multipart body plus the header
``X-Requested-With: iclicker`` (a cross-site form can send neither). The
body is split on a low-priority worker thread, with bytes operations only,
so a burst of 5 MiB photos does not stall a lecture.
"""

import attrs
from twisted.web.server import Request

from iclicker.auth.sessions import Sessions
from iclicker.domain.accounts import User
from iclicker.domain.errors import Invalid
from iclicker.web.cookies import authenticated_user
from iclicker.web.guards import Guards
from iclicker.web.http import CsrfFailed, TooLarge, check_origin, header, read_body
from iclicker.web.request import MAX_STORED_BODY


@attrs.frozen
class Upload:
    file: bytes | None
    """The ``file`` field's content, or None when the form has no such field."""
    fields: dict[str, str]
    """The form's other (text) fields."""


def _check_upload_write(request: Request, guards: Guards) -> None:
    """The CSRF rule for uploads (multipart and the header), in place of ``check_json_write``."""
    media_type = (header(request, b"content-type") or "").split(";", 1)[0].strip().lower()
    if media_type != "multipart/form-data" or header(request, b"x-requested-with") != "iclicker":
        raise CsrfFailed(
            "Uploads must be multipart/form-data with the header X-Requested-With: iclicker."
        )
    check_origin(request, guards)


def _boundary(content_type: str) -> bytes:
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.strip().partition("=")
        if name.strip().lower() == "boundary" and value.strip('"'):
            return value.strip('"').encode("latin-1")
    raise Invalid("The upload's Content-Type has no multipart boundary.")


def _field_name(headers: bytes) -> str | None:
    for line in headers.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-disposition":
            for parameter in value.split(b";")[1:]:
                key, _, quoted = parameter.strip().partition(b"=")
                if key.strip().lower() == b"name":
                    return quoted.strip().strip(b'"').decode("utf-8", "replace")
    return None


def parse_multipart(content_type: str, body: bytes) -> Upload:
    """Split a multipart body into its ``file`` field and its text fields (thread-safe).

    Bytes operations only (no per-byte Python): a 5 MiB body is split in
    milliseconds and holds the GIL, which the reactor also needs, hardly at all.
    """
    delimiter = b"--" + _boundary(content_type)
    parts = body.split(delimiter)
    if len(parts) < 3 or not parts[-1].startswith(b"--"):
        raise Invalid("The upload is not a complete multipart form.")
    file, fields = None, {}
    for part in parts[1:-1]:
        headers, separator, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        name = _field_name(headers) if separator else None
        if name is None:
            continue
        content = content.removesuffix(b"\r\n")
        if name == "file":
            file = content
        else:
            fields[name] = content.decode("utf-8", "replace")
    return Upload(file, fields)


def _read_and_split(request: Request, content_type: str, what: str) -> Upload:
    # The body is complete and nothing else touches it: reading its file
    # here keeps megabytes of copying off the reactor thread.
    return parse_multipart(
        content_type, read_body(request, MAX_STORED_BODY, f"{what} is too large.")
    )


async def _read_upload(request: Request, run_in_thread, file_limit: int, what: str) -> Upload:
    """The upload's parts; 413 ``too_large`` when the file is over ``file_limit`` bytes."""
    content_type = header(request, b"content-type") or ""
    upload = await run_in_thread(_read_and_split, request, content_type, what)
    if upload.file is None:
        raise Invalid("The upload has no field named “file”.")
    if len(upload.file) > file_limit:
        raise TooLarge(f"{what} is larger than {file_limit // (1024 * 1024)} MiB.")
    return upload


async def upload_write(
    request: Request, guards: Guards, sessions: Sessions, run_in_thread, file_limit: int, what: str
) -> tuple[User, Upload]:
    """The checks of an upload, in the contract's order (CSRF, session, size), and its parts."""
    _check_upload_write(request, guards)
    user = await authenticated_user(request, sessions)
    return user, await _read_upload(request, run_in_thread, file_limit, what)
