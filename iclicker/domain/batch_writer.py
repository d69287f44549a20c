"""Group commit: one transaction per burst of writes, not one per write.

Answers (and attendance) arrive in bursts: a whole lecture hall taps, or
joins, at once. While one transaction is on the database thread, new items
queue up and go together in the next one. The queue is bounded, so a
database that falls behind makes students retry instead of growing the
server's memory. Bursts of lookups (session cookies at a reconnect storm)
are batched the same way.
"""

from collections.abc import Callable, Coroutine
from typing import Any

from twisted.internet.defer import Deferred

from iclicker.domain.errors import Unavailable

MAX_QUEUED = 100_000
"""Items waiting for the next batch (answers: at most 8 per socket, see ws.protocol)."""


class BatchWriter:
    """Group-commits items with ``write_batch(items) -> [result per item]``.

    ``record`` returns a Deferred that fires with the item's result once its
    batch is committed, so the caller acknowledges only what is on disk.
    """

    def __init__(
        self,
        write_batch: Callable[[list[Any]], Coroutine[Any, Any, list[Any]]],
        limit: int = MAX_QUEUED,
        busy: str = "The server is busy recording answers; answer again in a moment.",
    ) -> None:
        self._write_batch = write_batch
        self._limit = limit
        self._busy = busy
        self._queued: list[tuple[Any, Deferred]] = []
        self._writing: Deferred | None = None
        self._idle_waiters: list[Deferred] = []

    def record(self, item: Any) -> Deferred:
        if len(self._queued) >= self._limit:
            raise Unavailable(self._busy)
        done: Deferred = Deferred()
        self._queued.append((item, done))
        if self._writing is None:
            self._write_next()
        return done

    def _write_next(self) -> None:
        batch, self._queued = self._queued, []
        self._writing = Deferred.fromCoroutine(self._write_batch([item for item, _ in batch]))
        self._writing.addCallbacks(self._written, self._failed, (batch,), None, (batch,))

    def _written(self, results: list, batch: list) -> None:
        self._start_next()
        for (_, done), result in zip(batch, results, strict=True):
            done.callback(result)
        self._notify_idle()

    def _failed(self, failure, batch: list) -> None:
        self._start_next()
        for _, done in batch:
            done.errback(failure)
        self._notify_idle()

    def _start_next(self) -> None:
        """The next batch goes to the database before this one's callers hear back."""
        self._writing = None
        if self._queued:
            self._write_next()

    def _notify_idle(self) -> None:
        """Wake ``drain`` once nothing is queued or writing, after every callback ran."""
        if self._writing is None and not self._queued:
            waiters, self._idle_waiters = self._idle_waiters, []
            for waiter in waiters:
                waiter.callback(None)

    async def drain(self) -> None:
        """Wait until every item recorded so far is written (for shutdown)."""
        if self._writing is not None:
            waiter: Deferred = Deferred()
            self._idle_waiters.append(waiter)
            await waiter
