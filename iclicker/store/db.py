"""The database handle: one adbapi connection for writes, two for big reads.

``--db`` is a SQLite file (the embedded default) or a ``postgresql://`` URL
(several machines; psycopg). Either way a process writes through one
connection, so its group commits stay in order.

SQLite allows one writer at a time. Rather than let concurrent writers race
into "database is locked", the write pool holds exactly one connection on one
thread, so every transaction of this process runs in turn; other processes
(``iclicker-admin``) wait on the busy timeout. Exports read through their own
read-only connections (WAL lets them run beside the writer), so a gradebook
download never delays an answer's acknowledgement.
"""

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from twisted.enterprise import adbapi
from twisted.internet.interfaces import IReactorCore, IReactorThreads
from twisted.logger import Logger

from iclicker.store.engine import DatabaseUnavailable, PostgresEngine, SqliteEngine, Txn
from iclicker.store.schema import migrate, migrate_postgres
from iclicker.threads import yield_cpu_to_the_reactor

T = TypeVar("T")

BUSY_TIMEOUT_MS = 10_000
START_WAIT = 30.0
"""Seconds a starting server waits for an unreachable PostgreSQL before giving up."""


def is_postgres(location: str) -> bool:
    return location.startswith(("postgresql://", "postgres://"))


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


def prepare(location: str) -> None:
    """Create or upgrade the database before the reactor starts."""
    if is_postgres(location):
        connection = connect_postgres(location, START_WAIT)
        try:
            migrate_postgres(connection)
        finally:
            connection.close()
        return
    connection = connect(location)
    try:
        migrate(connection)
    finally:
        connection.close()


SECRET_TABLE = (
    "CREATE TABLE IF NOT EXISTS server_secret"
    " (id INTEGER PRIMARY KEY CHECK (id = 1), value TEXT NOT NULL)"
)


def postgres_secret(url: str, candidate: bytes) -> bytes:
    """The key every process on this PostgreSQL database shares (``candidate`` if first)."""
    connection = connect_postgres(url, START_WAIT)
    try:
        with connection.transaction():
            connection.execute(SECRET_TABLE)
            connection.execute(
                "INSERT INTO server_secret (id, value) VALUES (1, %s) ON CONFLICT DO NOTHING",
                (candidate.decode("ascii"),),
            )
            row = connection.execute("SELECT value FROM server_secret").fetchone()
        return row[0].encode("ascii")
    finally:
        connection.close()


def connect_postgres(url: str, wait: float = 0.0):
    """A psycopg connection, retrying for ``wait`` seconds while the server is unreachable."""
    import psycopg

    deadline = time.monotonic() + wait
    while True:
        try:
            return psycopg.connect(url)
        except psycopg.OperationalError as error:
            if time.monotonic() >= deadline:
                raise DatabaseUnavailable(f"PostgreSQL is unreachable: {error}") from None
            time.sleep(1.0)


class Database:
    """Runs ``*_txn`` functions on the database thread, one transaction each."""

    def __init__(self, location: str, reactor: IReactorCore | IReactorThreads) -> None:
        if is_postgres(location):
            self._engine = PostgresEngine()
            self._pool, self._readers = (
                PostgresPool(
                    "psycopg",
                    location,
                    cp_min=1,
                    cp_max=size,
                    cp_reconnect=True,
                    cp_reactor=reactor,
                    cp_noisy=False,
                )
                for size in (1, 2)
            )
            return
        path = location
        self._engine = SqliteEngine()
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
        return await self._interact(self._readers, function, args)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function(txn, *args)`` in a transaction on the database thread.

        The transaction commits when ``function`` returns and rolls back when
        it raises; the function must not touch the reactor.
        """
        return await self._interact(self._pool, function, args)

    async def _interact(self, pool: adbapi.ConnectionPool, function: Callable[..., T], args):
        """A transaction; a lost PostgreSQL connection is ``DatabaseUnavailable`` (503), and
        the pool reconnects for the next one."""
        try:
            return await pool.runInteraction(self._in_txn, function, *args)
        except self._engine.outages as error:
            raise DatabaseUnavailable("The database is unavailable; try again soon.") from error

    def _in_txn(self, cursor, function: Callable[..., T], *args: Any) -> T:
        """On the database thread: ``function`` gets the cursor in the store's dialect."""
        return function(Txn(cursor, self._engine), *args)

    async def ping(self) -> None:
        """Return once the database answers a query."""
        await self.run(ping_txn)

    def close(self) -> None:
        self._pool.close()
        self._readers.close()


class _PostgresConnection(adbapi.Connection):
    """A pooled connection whose failed rollback is expected, not logged: PostgreSQL went
    away, the caller gets ``DatabaseUnavailable`` and the next transaction reconnects."""

    def rollback(self) -> None:
        try:
            self._connection.rollback()
        except Exception:
            self._pool.disconnect(self._connection)
            raise adbapi.ConnectionLost() from None


class PostgresPool(adbapi.ConnectionPool):
    """adbapi's pool without its tracebacks for a lost connection (one warning instead)."""

    connectionFactory = _PostgresConnection
    log = Logger()

    def _runInteraction(self, interaction, *args, **kw):
        connection = self.connectionFactory(self)
        transaction = self.transactionFactory(self, connection)
        try:
            result = interaction(transaction, *args, **kw)
            transaction.close()
            connection.commit()
            return result
        except BaseException:
            try:
                connection.rollback()
            except adbapi.ConnectionLost:
                self.log.warn("Lost the connection to PostgreSQL; reconnecting on next use")
            raise
