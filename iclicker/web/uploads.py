"""File uploads: ``multipart/form-data`` read by the routes that take files, off the reactor.

The contract's CSRF rule for uploads is a multipart body plus the header
``X-Requested-With: iclicker`` (a cross-site form can send neither). The
body is parsed on a worker thread: a 2 MiB spreadsheet must not stall a
lecture while its MIME structure is taken apart.
"""

from email.parser import BytesParser
from email.policy import HTTP

import attrs
from twisted.web.server import Request

from iclicker.domain.errors import Invalid
from iclicker.web.guards import Guards
from iclicker.web.http import CsrfFailed, TooLarge, check_origin, header, read_body
from iclicker.web.request import MAX_STORED_BODY


@attrs.frozen
class Upload:
    file: bytes | None
    """The ``file`` field's content, or None when the form has no such field."""
    fields: dict[str, str]
    """The form's other (text) fields."""


def check_upload_write(request: Request, guards: Guards) -> None:
    """The CSRF rule for uploads, in place of ``check_json_write``."""
    media_type = (header(request, b"content-type") or "").split(";", 1)[0].strip().lower()
    if media_type != "multipart/form-data" or header(request, b"x-requested-with") != "iclicker":
        raise CsrfFailed(
            "Uploads must be multipart/form-data with the header X-Requested-With: iclicker."
        )
    check_origin(request, guards)


def parse_multipart(content_type: str, body: bytes) -> Upload:
    """Split a multipart body into its ``file`` field and its text fields (thread-safe)."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise Invalid("The upload is not a multipart form.")
    file, fields = None, {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        if name == "file":
            file = payload
        else:
            fields[name] = payload.decode("utf-8", "replace")
    return Upload(file, fields)


async def read_upload(request: Request, run_in_thread, file_limit: int, what: str) -> Upload:
    """The upload's parts; 413 ``too_large`` when the file is over ``file_limit`` bytes."""
    body = read_body(request, MAX_STORED_BODY, f"{what} is too large.")
    upload = await run_in_thread(parse_multipart, header(request, b"content-type") or "", body)
    if upload.file is None:
        raise Invalid("The upload has no field named “file”.")
    if len(upload.file) > file_limit:
        raise TooLarge(f"{what} is larger than {file_limit // (1024 * 1024)} MiB.")
    return upload
