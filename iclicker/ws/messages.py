"""Client frames to checked dicts, and dicts to frames."""

import json
from types import UnionType
from typing import Any

from autobahn.websocket.protocol import PreparedMessage

from iclicker import wire

MAX_MESSAGE_BYTES = 65536

MessageFields = dict[str, type | UnionType]
"""A client message's fields and their JSON types; ``str | None`` marks an optional one."""


class BadMessage(Exception):
    """A frame that is not a well-formed client message; answered with ``bad_message``."""

    code = "bad_message"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def prepared_frame(message: dict[str, Any]) -> bytes:
    """Frame a server message once, to be written as is on many sockets (unmasked).

    A ``batch`` (messages published together) is its messages' frames back
    to back, so each socket gets them in one write.
    """
    if message["type"] == "batch":
        return b"".join(prepared_frame(inner) for inner in message["messages"])
    frame = PreparedMessage(encode(message), isBinary=False, applyMask=False, doNotCompress=True)
    return frame.payloadHybi


def _type_name(expected: type | UnionType) -> str:
    if isinstance(expected, UnionType):
        names = [kind.__name__ for kind in expected.__args__ if kind is not type(None)]
        return " or ".join(names)
    return expected.__name__


def decode(payload: bytes, is_binary: bool, messages: dict[str, MessageFields]) -> dict[str, Any]:
    """The client message in a text frame, with its fields checked against its type.

    ``messages`` are the endpoint's own; ``ping`` is understood everywhere.
    """
    if is_binary:
        raise BadMessage("Binary frames are not understood; send JSON text.")
    try:
        message = wire.loads(payload)
    except wire.MalformedJson as error:
        raise BadMessage(str(error)) from None
    if not isinstance(message, dict):
        raise BadMessage("A message is a JSON object.")
    kind = message.get("type")
    fields = messages.get(kind, {} if kind == "ping" else None) if isinstance(kind, str) else None
    if fields is None:
        raise BadMessage(f"Unknown message type {kind!r}.")
    for name, expected in fields.items():
        value = message.get(name)
        if expected is int:
            message[name] = wire.as_int64(value)
            if message[name] is None:
                raise BadMessage(f"{kind}: the field {name!r} must be a 64-bit integer.")
        elif not isinstance(value, expected) or wire.has_nul(value):
            raise BadMessage(f"{kind}: the field {name!r} must be a {_type_name(expected)}.")
    return message


def error_frame(code: str, message: str) -> dict[str, str]:
    return {"type": "error", "code": code, "message": message}
