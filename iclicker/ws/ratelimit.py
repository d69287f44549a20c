"""Per-socket message rate limit: a token bucket, plus "over the limit for too long"."""

import attrs

BURST = 20
RATE = 20.0
MAX_OVER_SECONDS = 5.0
ERROR_INTERVAL = 1.0


@attrs.define(slots=True)
class RateLimiter:
    """Decides, message by message, whether a socket is within its rate.

    ``over_since`` marks the start of a spell of dropped messages; it ends
    only after a full second without a drop, so a client that stays above the
    rate (even if some of its messages squeeze through) is caught.
    """

    tokens: float = BURST
    updated: float = 0.0
    over_since: float | None = None
    last_drop: float = 0.0
    last_error: float = float("-inf")

    def allow(self, now: float) -> bool:
        self.tokens = min(BURST, self.tokens + (now - self.updated) * RATE)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            if self.over_since is not None and now - self.last_drop >= 1.0:
                self.over_since = None
            return True
        if self.over_since is None:
            self.over_since = now
        self.last_drop = now
        return False

    def should_close(self, now: float) -> bool:
        return self.over_since is not None and now - self.over_since >= MAX_OVER_SECONDS

    def should_warn(self, now: float) -> bool:
        """At most one ``rate_limited`` error a second."""
        if now - self.last_error >= ERROR_INTERVAL:
            self.last_error = now
            return True
        return False
