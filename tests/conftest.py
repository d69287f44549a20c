"""Shared fixtures: a running server on a fresh SQLite file, and users to talk to it."""

import pytest
import pytest_twisted
from support import Server, User, start_server
from twisted.internet.task import Clock


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
def redis_server(tmp_path_factory):
    """A real redis-server of the test's own on a free loopback port."""
    from servers import RedisServer

    running = RedisServer(tmp_path_factory.mktemp("redis"))
    running.start()
    yield running
    running.kill()
