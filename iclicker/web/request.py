"""The site's request class: bodies stored up to a limit, safe headers on every response."""

import random

from twisted.internet.interfaces import IDelayedCall
from twisted.logger import Logger
from twisted.web.server import Request

# The largest body stored at all; anything bigger is discarded as it arrives
# so a client cannot fill memory or disk, and the route answers 413.
MAX_STORED_BODY = 6 * 1024 * 1024
"""A 5 MiB photo and its multipart framing (found by bench/photo_uploads.py: at
4 MiB every photo over 4 MiB was refused though the contract allows 5)."""
HEADERS_DEADLINE = 20.0
"""Seconds (plus jitter) from a request's first line to its last header (slowloris)."""
DEADLINE_JITTER = 5.0
"""Up to this much is added to each deadline, so that a thousand lingering
connections opened at once are not all dropped in the same instant (which
stalled the reactor for ~100 ms in bench/slow_clients.py)."""
BODY_DEADLINE = 300.0
"""Seconds from the last header to the end of the body (a 5 MiB photo on a slow phone)."""
IDLE_TIMEOUT = 75
"""Seconds a keep-alive connection may sit silent between requests."""

_HELD_UNTIL_FINISHED = (
    "requestHeaders",
    "responseHeaders",
    "args",
    "received_cookies",
    "cookies",
    "_adapterCache",
    "client",
    "host",
    "prepath",
    "postpath",
)
"""What a request no longer needs once its response is finished and logged."""


class IclickerRequest(Request):
    """A request that stops storing its body past ``MAX_STORED_BODY`` bytes.

    The site is built with ``parsePOSTFormSubmission=False``: Twisted would
    otherwise parse every form and multipart body on the reactor thread, for
    any path and before any check. Routes that take forms read them with
    ``iclicker.web.forms``.
    """

    log = Logger()
    body_too_large = False
    _received = 0
    _deadline: IDelayedCall | None = None

    def __init__(self, channel, *args, **kwargs) -> None:
        super().__init__(channel, *args, **kwargs)
        # Twisted's idle timeout restarts with every byte, so a client that
        # dribbles a byte a second would hold its connection for hours.
        self._deadline = channel.callLater(
            HEADERS_DEADLINE + random.uniform(0, DEADLINE_JITTER), self._too_slow, "headers"
        )

    def gotLength(self, length: int | None) -> None:
        """All headers are in: the body gets its own, longer deadline."""
        self._cancel_deadline()
        self._deadline = self.channel.callLater(BODY_DEADLINE, self._too_slow, "body")
        super().gotLength(length)

    def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:
        self._cancel_deadline()
        super().requestReceived(command, path, version)

    def connectionLost(self, reason) -> None:
        self._cancel_deadline()
        super().connectionLost(reason)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None and self._deadline.active():
            self._deadline.cancel()
        self._deadline = None

    def _too_slow(self, part: str) -> None:
        self._deadline = None
        self.log.info("Dropping a client too slow to send its request {part}", part=part)
        if self.channel is not None and self.channel.transport is not None:
            self.channel.transport.abortConnection()

    def handleContentChunk(self, data: bytes) -> None:
        self._received += len(data)
        if self._received > MAX_STORED_BODY:
            self.body_too_large = True
            return
        super().handleContentChunk(data)

    def process(self) -> None:
        # Browsers must not guess a type other than the one we send (a JSON
        # error page read as HTML, an upload read as script).
        self.setHeader(b"x-content-type-options", b"nosniff")
        self.setHeader(b"referrer-policy", b"same-origin")
        super().process()

    def finish(self) -> None:
        """Finish and log the response, then drop what the request held.

        Klein's router leaves every request it routes in a reference cycle
        (twisted/klein#101), so what the request still holds waits for a full
        collection, which a busy server runs rarely. (A request whose client
        left is not finished: its handler may still be using it.)
        """
        super().finish()
        for name in _HELD_UNTIL_FINISHED:
            self.__dict__.pop(name, None)
