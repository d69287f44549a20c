"""Per-browser CSRF tokens for HTML forms.

A random cookie identifies the browser; the form carries an HMAC of it under
the server's secret. A cross-site page can make the browser send the cookie
but cannot read it, so it cannot compute the token.
"""

import hashlib
import hmac
import secrets

from twisted.web.server import Request

from iclicker.web.guards import Guards
from iclicker.web.http import request_scheme

CSRF_COOKIE = b"iclicker_csrf"


class CsrfTokens:
    def __init__(self, secret: bytes, guards: Guards) -> None:
        self._secret = secret
        self._guards = guards

    def _sign(self, browser_id: bytes) -> str:
        return hmac.new(self._secret, b"csrf:" + browser_id, hashlib.sha256).hexdigest()

    def token(self, request: Request) -> str:
        """The token for this browser's forms, setting its cookie on first visit."""
        browser_id = request.getCookie(CSRF_COOKIE)
        if not browser_id:
            browser_id = secrets.token_urlsafe(32).encode("ascii")
            request.received_cookies[CSRF_COOKIE] = browser_id
            request.addCookie(
                CSRF_COOKIE,
                browser_id,
                path=b"/",
                httpOnly=True,
                sameSite="lax",
                secure=request_scheme(request, self._guards) == "https",
            )
        return self._sign(browser_id)

    def valid(self, request: Request, submitted: str | None) -> bool:
        browser_id = request.getCookie(CSRF_COOKIE)
        if not browser_id or not submitted:
            return False
        return hmac.compare_digest(self._sign(browser_id), submitted)
