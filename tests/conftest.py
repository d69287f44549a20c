"""Shared fixtures: a running server on a fresh SQLite file, and users to talk to it; the
lecture and chat domains over a real database for their unit tests."""

import pytest
import pytest_twisted
from chat_domain import PEOPLE
from fakes import RecordingGroups, add_users
from lecture_domain import ACCOUNTS, new_lectures
from support import Server, User, start_server
from twisted.internet import reactor
from twisted.internet.task import Clock

from iclicker.auth.passwords import PasswordHasher
from iclicker.store.db import Database, prepare


@pytest.fixture
def db_path(tmp_path) -> str:
    return str(tmp_path / "iclicker.sqlite3")


@pytest_twisted.async_yield_fixture
async def server(db_path):
    running = await start_server(db_path)
    yield running
    await running.stop()


@pytest.fixture
def new_user(server: Server):
    return lambda: User(server)


@pytest.fixture
def clock() -> Clock:
    """A fake clock well past the epoch, for anything that reads or schedules time."""
    clock = Clock()
    clock.advance(1_000_000)
    return clock


@pytest.fixture
def groups():
    return RecordingGroups()


def database_of(path: str, users) -> Database:
    """A new real SQLite database at ``path`` holding ``users``."""
    prepare(path)
    add_users(path, users)
    return Database(path, reactor)


@pytest_twisted.async_yield_fixture
async def database(tmp_path):
    """A real SQLite database holding ``lecture_domain.ACCOUNTS``."""
    database = database_of(str(tmp_path / "l.sqlite3"), ACCOUNTS)
    yield database
    database.close()


@pytest_twisted.async_yield_fixture
async def chat_database(tmp_path):
    """A real SQLite database (``chat.sqlite3`` in ``tmp_path``) holding
    ``chat_domain.PEOPLE``, and bcrypt threads for room keys."""
    database = database_of(str(tmp_path / "chat.sqlite3"), PEOPLE)
    hasher = PasswordHasher(reactor, rounds=4)
    hasher.startService()
    yield database, hasher
    hasher.stopService()
    database.close()


@pytest.fixture
def lectures(database, groups, clock):
    return new_lectures(database, groups, clock)


@pytest.fixture
def redis_server(tmp_path_factory):
    """A real redis-server of the test's own on a free loopback port."""
    from servers import RedisServer

    running = RedisServer(tmp_path_factory.mktemp("redis"))
    running.start()
    yield running
    running.kill()


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL of the test run's own (initdb in a temporary directory that the
    unprivileged server user can reach), stopped at the end."""
    import shutil
    import tempfile
    from pathlib import Path

    from servers import PostgresServer

    workdir = Path(tempfile.mkdtemp(prefix="iclicker-pg-"))
    running = PostgresServer(workdir)
    running.start()
    yield running
    running.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A fresh, empty PostgreSQL database for one test."""
    import secrets

    return postgres_server.create_database(f"test_{secrets.token_hex(6)}")
