"""Decoding client frames and the per-socket rate limit."""

import pytest

from iclicker.ws.chat_sockets import ChannelSocket
from iclicker.ws.lecture_socket import LectureSocket
from iclicker.ws.messages import BadMessage, decode
from iclicker.ws.ratelimit import BURST, RateLimiter
from iclicker.ws.socket import session_token_from

LECTURE = LectureSocket.client_messages
CHAT = ChannelSocket.client_messages


@pytest.mark.parametrize(
    "payload, binary",
    [
        (b"not json", False),
        (b"[1, 2]", False),
        (b'"answer"', False),
        (b'{"type": "dance"}', False),
        (b'{"no_type": 1}', False),
        (b'{"type": "answer", "choice": "a"}', False),
        (b'{"type": "answer", "question_id": "5", "choice": "a"}', False),
        (b'{"type": "answer", "question_id": true, "choice": "a"}', False),
        (b'{"type": "answer", "question_id": 5, "choice": {"a": 1}}', False),
        (b'{"type": "answer", "question_id": 5, "choice": null}', False),
        (b'{"type": "ping"}', True),
        (b'{"type": "message", "text": "hi"}', False),
    ],
)
def test_malformed_frames_are_bad_messages(payload, binary):
    """Each malformed lecture frame raises BadMessage (answered with bad_message)."""
    with pytest.raises(BadMessage):
        decode(payload, binary, LECTURE)


@pytest.mark.parametrize(
    "payload",
    [
        b'{"type": "message"}',
        b'{"type": "message", "text": 5}',
        b'{"type": "message", "text": "hi", "client_id": 7}',
        b'{"type": "message", "text": "a\\u0000b"}',
        b'{"type": "answer", "question_id": 5, "choice": "a"}',
    ],
)
def test_malformed_chat_frames_are_bad_messages(payload):
    """A chat socket wants a string text; client_id, when given, is a string too."""
    with pytest.raises(BadMessage):
        decode(payload, False, CHAT)


def test_a_chat_message_without_client_id_decodes():
    """client_id is optional, and null counts as absent."""
    assert decode(b'{"type": "message", "text": "hi"}', False, CHAT)["text"] == "hi"
    message = decode(b'{"type": "message", "text": "hi", "client_id": null}', False, CHAT)
    assert message["client_id"] is None


def test_well_formed_messages_decode_with_extra_fields_ignored():
    """Extra fields are allowed."""
    message = decode(b'{"type": "answer", "question_id": 5, "choice": "a", "x": 1}', False, LECTURE)
    assert (message["question_id"], message["choice"]) == (5, "a")
    assert decode(b'{"type": "ping"}', False, LECTURE)["type"] == "ping"
    assert decode(b'{"type": "ping"}', False, CHAT)["type"] == "ping"


def test_bursts_pass_and_the_excess_is_dropped():
    """Twenty at once are fine; the twenty-first in the same instant is dropped."""
    limiter = RateLimiter(updated=100.0)
    assert all(limiter.allow(100.0) for _ in range(BURST))
    assert not limiter.allow(100.0)
    assert limiter.allow(100.06), "tokens refill at 20 a second"


def test_sustained_twenty_a_second_is_fine():
    """A steady 20/s never drops or closes."""
    limiter = RateLimiter(updated=0.0)
    now = 0.0
    for _ in range(400):
        now += 0.05
        assert limiter.allow(now)
    assert not limiter.should_close(now)


def test_staying_over_the_rate_for_five_seconds_closes():
    """At 40/s the socket is over the rate continuously and is closed after 5 s."""
    limiter = RateLimiter(updated=0.0)
    now = 0.0
    closed_at = None
    while now < 10 and closed_at is None:
        now += 0.025
        if not limiter.allow(now) and limiter.should_close(now):
            closed_at = now
    assert closed_at is not None and 5.0 <= closed_at < 6.5


def test_a_short_burst_over_the_rate_does_not_close():
    """Over the rate for a moment, then calm: the spell ends and nothing closes."""
    limiter = RateLimiter(updated=0.0)
    for _ in range(40):
        limiter.allow(0.0)
    now = 0.0
    for _ in range(200):
        now += 0.1
        assert limiter.allow(now)
    assert not limiter.should_close(now)


def test_rate_limited_errors_are_at_most_one_a_second():
    """should_warn is true once per second at most."""
    limiter = RateLimiter()
    assert limiter.should_warn(10.0)
    assert not limiter.should_warn(10.5)
    assert limiter.should_warn(11.0)


def test_session_cookie_is_found_among_messy_cookies():
    """Other sites' odd cookies on the same host must not hide the session."""

    header = 'prefs={"a":[1,2]}; iclicker_session=abc_DEF-123; theme=dark'
    assert session_token_from(header) == "abc_DEF-123"
    assert session_token_from("iclicker_session=") is None
    assert session_token_from(None) is None
