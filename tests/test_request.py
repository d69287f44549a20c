"""The site's request class in memory: deadlines for slow clients, safe headers."""

from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.web.resource import Resource
from twisted.web.server import Site

from iclicker.web.request import (
    BODY_DEADLINE,
    DEADLINE_JITTER,
    HEADERS_DEADLINE,
    IclickerRequest,
)


class Hello(Resource):
    isLeaf = True

    def render(self, request) -> bytes:
        return b"hello"


def connection() -> tuple[Clock, StringTransport, object]:
    clock = Clock()
    site = Site(Hello(), requestFactory=IclickerRequest, reactor=clock, timeout=None)
    protocol = site.buildProtocol(None)
    transport = StringTransport()
    protocol.makeConnection(transport)
    return clock, transport, protocol


def test_a_client_dribbling_its_headers_is_dropped_at_the_deadline():
    """A byte a second keeps Twisted's idle timer happy, but not the header deadline."""
    clock, transport, protocol = connection()
    protocol.dataReceived(b"GET / HTTP/1.1\r\nHost: example\r\nX-Slow: ")
    for _ in range(int(HEADERS_DEADLINE) - 1):
        clock.advance(1)
        protocol.dataReceived(b"x")
    assert not transport.disconnecting
    clock.advance(DEADLINE_JITTER + 1.5)
    assert transport.disconnecting


def test_a_slow_body_gets_its_own_longer_deadline():
    """Headers on time, then a body that never finishes: dropped after BODY_DEADLINE."""
    clock, transport, protocol = connection()
    protocol.dataReceived(b"POST / HTTP/1.1\r\nHost: example\r\nContent-Length: 100\r\n\r\nab")
    clock.advance(HEADERS_DEADLINE + DEADLINE_JITTER + 1)
    assert not transport.disconnecting
    clock.advance(BODY_DEADLINE)
    assert transport.disconnecting


def test_a_prompt_request_is_answered_and_keeps_no_timer():
    """A whole request in time is served with nosniff; no deadline is left behind."""
    clock, transport, protocol = connection()
    protocol.dataReceived(b"GET / HTTP/1.1\r\nHost: example\r\n\r\n")
    assert b"hello" in transport.value()
    assert b"X-Content-Type-Options: nosniff" in transport.value()
    assert clock.getDelayedCalls() == []
