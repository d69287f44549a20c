"""JSON from clients, read defensively: bounded nesting, no NaN, 64-bit ints, no U+0000.

HTTP bodies and WebSocket frames both come through here, so a body nested a
hundred thousand levels deep (which would exhaust Python's recursion) or an
id that SQLite cannot bind is refused the same way everywhere.
"""

import json
import re
from typing import Any

MAX_DEPTH = 32
MIN_INT, MAX_INT = -(2**63), 2**63 - 1
"""What SQLite and PostgreSQL can store in an integer column."""

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


class MalformedJson(ValueError):
    """Input that is not JSON this server accepts; the message says why."""


def _too_deep(raw: bytes) -> bool:
    # Cheap first: a text with few brackets cannot be deep (every answer frame).
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return False
    depth = 0
    for bracket in _BRACKET.finditer(_STRING.sub(b'""', raw)):
        if bracket.group() in (b"[", b"{"):
            depth += 1
            if depth > MAX_DEPTH:
                return True
        else:
            depth -= 1
    return False


def _refuse_constant(name: str) -> None:
    raise MalformedJson(f"{name} is not JSON.")


# One decoder for every message: json.loads with any keyword argument would
# build a new decoder (and scanner) per call, on the lecture's hot path.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def loads(raw: bytes) -> Any:
    """Parse ``raw`` as JSON, or raise ``MalformedJson`` with a sentence for the client."""
    if _too_deep(raw):
        raise MalformedJson(f"The JSON is nested more than {MAX_DEPTH} levels deep.")
    try:
        return _DECODER.decode(raw.decode(json.detect_encoding(raw)))
    except MalformedJson:
        raise
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise MalformedJson("This is not valid JSON.") from None


def has_nul(value: Any) -> bool:
    """Does this string, or any string in this list, contain U+0000?

    The contract refuses it in every field read (PostgreSQL cannot store
    it); fields a server ignores may hold anything.
    """
    if isinstance(value, str):
        return "\0" in value
    if isinstance(value, list):
        return any(has_nul(item) for item in value)
    return False


def as_int64(value: Any) -> int | None:
    """The JSON integer that fits a database integer column, else None.

    JSON has one number type: ``5.0`` is the integer 5 (as JSON Schema says),
    ``true`` is not a number at all.
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and MIN_INT <= value <= MAX_INT:
        return value
    return None
