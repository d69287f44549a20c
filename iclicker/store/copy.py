"""Copy a SQLite database into an empty PostgreSQL one, so a campus can grow without
losing a term's data (``iclicker-admin --db OLD.sqlite3 migrate-to-postgres URL``)."""

import sqlite3

from iclicker.store.db import connect_postgres
from iclicker.store.schema import migrate_postgres

TABLES = (
    "users",
    "sessions",
    "login_throttle",
    "courses",
    "roster",
    "lectures",
    "questions",
    "answers",
    "attendance",
    "bank_questions",
    "rooms",
    "room_members",
    "room_bans",
    "conversations",
    "contacts",
    "messages",
)
"""Every table, parents before children (foreign keys)."""
WITH_IDS = (
    "users",
    "courses",
    "lectures",
    "questions",
    "bank_questions",
    "rooms",
    "conversations",
    "messages",
)
BATCH = 5_000


class TargetNotEmpty(Exception):
    """The PostgreSQL database already has accounts: copying would mix two servers' data."""


def copy_to_postgres(source: sqlite3.Connection, url: str) -> dict[str, int]:
    """Copy every row in one PostgreSQL transaction; the rows copied per table.

    Ids are kept, and each table's id sequence continues after the highest.
    """
    target = connect_postgres(url)
    try:
        migrate_postgres(target)
        copied = {}
        with target.transaction():
            if target.execute("SELECT count(*) FROM users").fetchone()[0]:
                raise TargetNotEmpty(url)
            for table in TABLES:
                columns = [row[1] for row in source.execute(f"PRAGMA table_info({table})")]
                names = ", ".join(columns)
                insert = (
                    f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
                )
                rows = source.execute(f"SELECT {names} FROM {table}")
                copied[table] = 0
                with target.cursor() as cursor:
                    while batch := rows.fetchmany(BATCH):
                        cursor.executemany(insert, batch)
                        copied[table] += len(batch)
            for table in WITH_IDS:
                target.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
                )
        return copied
    finally:
        target.close()
