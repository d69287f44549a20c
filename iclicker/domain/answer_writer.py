"""Group commit of answers: one transaction per burst, not one per answer.

Answers arrive in bursts (a whole lecture hall taps at once): while one
transaction is on the database thread, new answers queue up and go together
in the next one. The queue is bounded, so a database that falls behind makes
students retry instead of growing the server's memory.
"""

from twisted.internet.defer import Deferred

from iclicker.domain.errors import Unavailable
from iclicker.store.lectures import Answer, LectureStore

MAX_QUEUED_ANSWERS = 100_000
"""Answers waiting for the next batch (at most 8 per socket: see ws.protocol)."""


class AnswerWriter:
    """Group-commits answers: one transaction per burst, not one per answer.

    ``record`` returns a Deferred that fires with True once the answer is
    committed (False if its question had closed), so the caller acknowledges
    only what is on disk.
    """

    def __init__(self, store: LectureStore, limit: int = MAX_QUEUED_ANSWERS) -> None:
        self._store = store
        self._limit = limit
        self._queued: list[tuple[Answer, Deferred]] = []
        self._writing: Deferred | None = None
        self._idle_waiters: list[Deferred] = []

    def record(self, answer: Answer) -> Deferred:
        if len(self._queued) >= self._limit:
            raise Unavailable("The server is busy recording answers; answer again in a moment.")
        done: Deferred = Deferred()
        self._queued.append((answer, done))
        if self._writing is None:
            self._write_next()
        return done

    def _write_next(self) -> None:
        batch, self._queued = self._queued, []
        self._writing = Deferred.fromCoroutine(
            self._store.store_answers([answer for answer, _ in batch])
        )
        self._writing.addCallbacks(self._written, self._failed, (batch,), None, (batch,))

    def _written(self, accepted: list[bool], batch: list) -> None:
        self._after_batch()
        for (_, done), ok in zip(batch, accepted, strict=True):
            done.callback(ok)

    def _failed(self, failure, batch: list) -> None:
        self._after_batch()
        for _, done in batch:
            done.errback(failure)

    def _after_batch(self) -> None:
        self._writing = None
        if self._queued:
            self._write_next()
            return
        waiters, self._idle_waiters = self._idle_waiters, []
        for waiter in waiters:
            waiter.callback(None)

    async def drain(self) -> None:
        """Wait until every answer recorded so far is written (for shutdown)."""
        if self._writing is not None:
            waiter: Deferred = Deferred()
            self._idle_waiters.append(waiter)
            await waiter
