"""Reading client JSON: nesting depth, NaN, U+0000 and 64-bit integers."""

import pytest

from iclicker import wire
from iclicker.ws.messages import BadMessage, decode


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 33 + b"]" * 33,
        b'{"a":' * 40 + b"1" + b"}" * 40,
        b"[" * 100_000,
        b'{"x": NaN}',
        b'{"x": -Infinity}',
        b'{"x": "a\\u0000b"}',
        b'{"a\\u0000": 1}',
        b'[["\\u0000"]]',
        b"\xff\xfe not json",
        b"",
    ],
)
def test_refused_json(raw):
    """Deep, non-standard or NUL-carrying JSON is refused with MalformedJson."""
    with pytest.raises(wire.MalformedJson):
        wire.loads(raw)


@pytest.mark.parametrize(
    "raw, value",
    [
        (b"[" * 32 + b"]" * 32, eval("[" * 31 + "[]" + "]" * 31)),
        (b'{"text": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}', {"text": "[" * 40}),
        (b'{"a": "\\\\u0000"}', {"a": "\\u0000"}),
        (b'{"n": 9223372036854775807}', {"n": 2**63 - 1}),
    ],
)
def test_accepted_json(raw, value):
    """32 levels, brackets inside strings and an escaped backslash before u0000 are fine."""
    assert wire.loads(raw) == value


def test_int64_bounds():
    """Only integers (not booleans) that a database column holds are ids."""
    assert wire.is_int64(2**63 - 1) and wire.is_int64(-(2**63))
    assert not wire.is_int64(2**63) and not wire.is_int64(-(2**63) - 1)
    assert not wire.is_int64(True) and not wire.is_int64(1.0)


def test_frames_use_the_same_limits():
    """A frame with a huge question id or deep nesting is a bad_message."""
    with pytest.raises(BadMessage, match="64-bit"):
        decode(b'{"type": "answer", "question_id": 18446744073709551616, "choice": "a"}', False)
    with pytest.raises(BadMessage, match="nested"):
        decode(b"[" * 50 + b"]" * 50, False)
