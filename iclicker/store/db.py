"""The database handle: one adbapi connection to SQLite for writes, two for big reads.

SQLite allows one writer at a time. Rather than let concurrent writers race
into "database is locked", the write pool holds exactly one connection on one
thread, so every transaction of this process runs in turn; other processes
(``iclicker-admin``) wait on the busy timeout. Exports read through their own
read-only connections (WAL lets them run beside the writer), so a gradebook
download never delays an answer's acknowledgement.
"""

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from twisted.enterprise import adbapi
from twisted.internet.interfaces import IReactorCore, IReactorThreads

from iclicker.store.schema import migrate
from iclicker.threads import yield_cpu_to_the_reactor

T = TypeVar("T")

BUSY_TIMEOUT_MS = 10_000


def configure_connection(connection: sqlite3.Connection) -> None:
    """Apply the per-connection settings every iclicker connection needs.

    WAL lets readers in other processes proceed during a write, and with
    ``synchronous=FULL`` a commit is on disk before it returns, so an
    acknowledged write survives ``kill -9`` and power loss alike.
    """
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute("PRAGMA foreign_keys = ON")


def configure_reader(connection: sqlite3.Connection) -> None:
    """Exports are background work: their thread (this one) yields the core to the reactor."""
    yield_cpu_to_the_reactor()
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def connect(path: str) -> sqlite3.Connection:
    """Open a configured connection outside the pool (start-up, admin tool, tests)."""
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    configure_connection(connection)
    return connection


def ping_txn(txn) -> None:
    txn.execute("SELECT 1")


def prepare(path: str) -> None:
    """Create or upgrade the database file before the reactor starts."""
    connection = connect(path)
    try:
        migrate(connection)
    finally:
        connection.close()


class Database:
    """Runs ``*_txn`` functions on the database thread, one transaction each."""

    def __init__(self, path: str, reactor: IReactorCore | IReactorThreads) -> None:
        self._pool = adbapi.ConnectionPool(
            "sqlite3",
            path,
            check_same_thread=False,
            cp_min=1,
            cp_max=1,
            cp_openfun=configure_connection,
            cp_reactor=reactor,
            cp_noisy=False,
        )
        self._readers = adbapi.ConnectionPool(
            "sqlite3",
            Path(path).absolute().as_uri() + "?mode=ro",
            uri=True,
            check_same_thread=False,
            cp_min=1,
            cp_max=2,
            cp_openfun=configure_reader,
            cp_reactor=reactor,
            cp_noisy=False,
        )

    async def read(self, function: Callable[..., T], *args: Any) -> T:
        """Run a long read-only ``function(txn, *args)`` beside the writer (exports)."""
        return await self._readers.runInteraction(function, *args)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function(txn, *args)`` in a transaction on the database thread.

        The transaction commits when ``function`` returns and rolls back when
        it raises; the function must not touch the reactor.
        """
        return await self._pool.runInteraction(function, *args)

    async def ping(self) -> None:
        """Return once the database answers a query."""
        await self.run(ping_txn)

    def close(self) -> None:
        self._pool.close()
        self._readers.close()
