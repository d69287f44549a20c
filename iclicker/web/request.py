"""The site's request class: bodies stored up to a limit, safe headers on every response."""

from twisted.web.server import Request

# The largest body stored at all; anything bigger is discarded as it arrives
# so a client cannot fill memory or disk, and the route answers 413.
MAX_STORED_BODY = 4 * 1024 * 1024


class IclickerRequest(Request):
    """A request that stops storing its body past ``MAX_STORED_BODY`` bytes.

    The site is built with ``parsePOSTFormSubmission=False``: Twisted would
    otherwise parse every form and multipart body on the reactor thread, for
    any path and before any check. Routes that take forms read them with
    ``iclicker.web.forms``.
    """

    body_too_large = False
    _received = 0

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
