"""Background work on threads that never take the core, or the queue, from the reactor."""

import os
import threading

from twisted.application.service import Service
from twisted.internet.interfaces import IReactorFromThreads
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

from iclicker.domain.errors import Unavailable

_state = threading.local()


def yield_cpu_to_the_reactor() -> None:
    """Give the calling thread the lowest CPU priority (once per thread).

    bcrypt, Pillow and SQLite release the GIL, so their threads compete with
    the reactor for the core, not for the interpreter; at nice 19 a login
    storm, a batch of photos or a gradebook export gets only the CPU a
    lecture leaves over. On Linux the priority of a thread id is that
    thread's alone.
    """
    if getattr(_state, "lowered", False):
        return
    _state.lowered = True
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (OSError, AttributeError):
        pass  # not permitted, or not Linux: run at normal priority


def _at_low_priority(function, *args):
    yield_cpu_to_the_reactor()
    return function(*args)


class BackgroundPool(Service):
    """A few low-priority threads with a bounded queue: past it, callers get ``Unavailable``.

    Few threads, because each one that holds the GIL delays the reactor;
    a bounded queue, because a storm must not queue minutes of work (and
    memory) behind it.
    """

    def __init__(
        self, reactor: IReactorFromThreads, name: str, threads: int, max_waiting: int, busy: str
    ) -> None:
        self._reactor = reactor
        self._pool = ThreadPool(minthreads=0, maxthreads=threads, name=name)
        self._max_waiting = max_waiting
        self._busy = busy
        self._waiting = 0

    def startService(self) -> None:
        super().startService()
        self._pool.start()

    def stopService(self) -> None:
        super().stopService()
        self._pool.stop()

    async def run(self, function, *args):
        """``function(*args)`` on a pool thread; its result, once done."""
        if self._waiting >= self._max_waiting:
            raise Unavailable(self._busy)
        self._waiting += 1
        try:
            return await deferToThreadPool(
                self._reactor, self._pool, _at_low_priority, function, *args
            )
        finally:
            self._waiting -= 1
