"""What differs between database engines, in one place (in the manner of Synapse's engines).

The store writes SQL in one dialect: ``?`` placeholders, ``INSERT … RETURNING
id`` for new ids, ``ON CONFLICT DO NOTHING`` for inserts that may repeat. A
``Txn`` wraps the driver's cursor, turns the SQL into the engine's own where
they differ, and reports unique-constraint violations as ``UniqueViolation``
whatever the driver calls them. SQLite is the embedded default; PostgreSQL
(``--db postgresql://…``) the engine for several machines.
"""

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from iclicker.domain.errors import Unavailable


class UniqueViolation(Exception):
    """A write broke a UNIQUE constraint or index (a name or code already taken)."""


class DatabaseUnavailable(Unavailable):
    """The database server cannot be reached (PostgreSQL down or restarting): 503."""


class SqliteEngine:
    """SQLite: the store's dialect is SQLite's own."""

    lock_for_share = ""
    """What makes a SELECT lock its rows against concurrent writers (SQLite has one writer)."""
    lock_for_update = ""
    """What makes a SELECT lock its rows for this transaction's own update."""
    outages: tuple[type[Exception], ...] = ()
    """The driver's errors that mean the server is away, not that the query is wrong."""

    @staticmethod
    def convert(sql: str) -> str:
        return sql

    @staticmethod
    def parameters(parameters: Sequence[Any]) -> Sequence[Any]:
        return parameters

    @staticmethod
    def is_unique_violation(error: Exception) -> bool:
        return isinstance(error, sqlite3.IntegrityError) and "UNIQUE" in str(error)


class PostgresEngine:
    """PostgreSQL through psycopg: ``%s`` placeholders, strict integer columns."""

    lock_for_share = " FOR SHARE"
    lock_for_update = " FOR UPDATE"

    def __init__(self) -> None:
        import psycopg
        from twisted.enterprise.adbapi import ConnectionLost

        self._converted: dict[str, str] = {}
        self.outages = (psycopg.OperationalError, ConnectionLost)

    def convert(self, sql: str) -> str:
        converted = self._converted.get(sql)
        if converted is None:
            converted = self._converted[sql] = sql.replace("%", "%%").replace("?", "%s")
        return converted

    @staticmethod
    def parameters(parameters: Sequence[Any]) -> Sequence[Any]:
        """Flags are stored as 0 and 1, as in SQLite."""
        return [int(value) if isinstance(value, bool) else value for value in parameters]

    @staticmethod
    def is_unique_violation(error: Exception) -> bool:
        import psycopg.errors

        return isinstance(error, psycopg.errors.UniqueViolation)


Engine = SqliteEngine | PostgresEngine


class Txn:
    """One transaction's cursor, in the store's dialect."""

    __slots__ = ("_cursor", "engine")

    def __init__(self, cursor: Any, engine: "Engine") -> None:
        self._cursor = cursor
        self.engine = engine

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> "Txn":
        engine = self.engine
        try:
            self._cursor.execute(engine.convert(sql), engine.parameters(parameters))
        except Exception as error:
            if self.engine.is_unique_violation(error):
                raise UniqueViolation(str(error)) from error
            raise
        return self

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> "Txn":
        engine = self.engine
        try:
            self._cursor.executemany(engine.convert(sql), [engine.parameters(row) for row in rows])
        except Exception as error:
            if self.engine.is_unique_violation(error):
                raise UniqueViolation(str(error)) from error
            raise
        return self

    def fetchone(self) -> tuple | None:
        return self._cursor.fetchone()

    def fetchall(self) -> list[tuple]:
        return self._cursor.fetchall()

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    def inserted_id(self) -> int:
        """The id an ``INSERT … RETURNING id`` just produced."""
        return self._cursor.fetchone()[0]
