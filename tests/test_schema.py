"""Schema migrations: fresh databases, in-place upgrades, refusing newer files."""

import sqlite3

import pytest

from iclicker.store.db import connect, prepare
from iclicker.store.schema import MIGRATIONS, SchemaTooNew, current_version, migrate


def test_fresh_database_gets_every_migration():
    """A new database ends at the latest version with all tables."""
    connection = sqlite3.connect(":memory:", isolation_level=None)
    assert migrate(connection) == len(MIGRATIONS)
    assert current_version(connection) == len(MIGRATIONS)
    tables = {
        row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
    }
    assert {"users", "sessions", "login_throttle", "lectures", "questions", "answers"} <= tables
    assert migrate(connection) == 0


def test_old_database_is_upgraded_in_place(tmp_path):
    """A file at version 1 keeps its rows and gains the later tables."""
    path = str(tmp_path / "old.sqlite3")
    connection = connect(path)
    connection.executescript(f"BEGIN; {MIGRATIONS[0]} PRAGMA user_version = 1; COMMIT;")
    connection.execute(
        "INSERT INTO users (username, username_key, display_name, role, password_hash, created_at)"
        " VALUES ('ada', 'ada', 'Ada', 'student', 'x', 0)"
    )
    connection.close()
    prepare(path)
    connection = connect(path)
    assert current_version(connection) == len(MIGRATIONS)
    assert connection.execute("SELECT username FROM users").fetchall() == [("ada",)]
    assert connection.execute("SELECT count(*) FROM lectures").fetchone() == (0,)


def test_newer_database_is_refused():
    """Code never touches a schema from its future."""
    connection = sqlite3.connect(":memory:", isolation_level=None)
    connection.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(SchemaTooNew):
        migrate(connection)


def test_connections_use_wal_and_foreign_keys(tmp_path):
    """Every connection runs in WAL mode with foreign keys enforced."""
    connection = connect(str(tmp_path / "x.sqlite3"))
    assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert connection.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert connection.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
