"""Reading client JSON: nesting depth, NaN, U+0000 and 64-bit integers."""

import pytest

from iclicker import wire
from iclicker.ws.lecture_socket import LectureSocket
from iclicker.ws.messages import BadMessage, decode


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 33 + b"]" * 33,
        b'{"a":' * 40 + b"1" + b"}" * 40,
        b"[" * 100_000,
        b'{"x": NaN}',
        b'{"x": -Infinity}',
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
        (b'{"ignored": "a\\u0000b"}', {"ignored": "a\0b"}),
        (b'{"n": 9223372036854775807}', {"n": 2**63 - 1}),
    ],
)
def test_accepted_json(raw, value):
    """32 levels, brackets inside strings, U+0000 in a field nobody reads: all fine."""
    assert wire.loads(raw) == value


def test_nul_is_found_in_strings_and_lists_of_strings():
    """U+0000 in a read field (a string or a list of them) is refused by its reader."""
    assert wire.has_nul("a\0") and wire.has_nul(["ok", "b\0"])
    assert not wire.has_nul("a\\u0000") and not wire.has_nul(5)


def test_int64_bounds():
    """Only integers (5.0 too, not booleans) that a database column holds are ids."""
    assert wire.as_int64(2**63 - 1) == 2**63 - 1 and wire.as_int64(-(2**63)) == -(2**63)
    assert wire.as_int64(5.0) == 5 and type(wire.as_int64(5.0)) is int
    for bad in [2**63, -(2**63) - 1, True, 1.5, 1e300, "5", None]:
        assert wire.as_int64(bad) is None, bad


def test_frames_use_the_same_limits():
    """A frame with a huge question id or deep nesting is a bad_message."""
    with pytest.raises(BadMessage, match="64-bit"):
        huge = b'{"type": "answer", "question_id": 18446744073709551616, "choice": "a"}'
        decode(huge, False, LectureSocket.client_messages)
    with pytest.raises(BadMessage, match="nested"):
        decode(b"[" * 50 + b"]" * 50, False, {})
