"""The Redis group registry against a real redis-server: two registries are two processes."""

import subprocess

import pytest
import pytest_twisted
from test_groups import Recorder, counting_encoder
from twisted.internet import reactor
from twisted.internet.task import deferLater
from zope.interface.verify import verifyObject

from iclicker.groups.interface import IGroups
from iclicker.groups.redis import RedisAddress, RedisGroups


async def eventually(condition, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await deferLater(reactor, 0.02)
    assert condition()


@pytest_twisted.async_yield_fixture
async def pair(redis_server):
    """Two registries on one Redis, started and connected, as two processes would be."""
    started = []
    for origin in ("a" * 16, "b" * 16):
        encode, calls = counting_encoder()
        groups = RedisGroups(encode, RedisAddress.parse(redis_server.url), reactor, origin)
        groups.encode_calls = calls
        groups.startService()
        started.append(groups)
    await eventually(lambda: all(groups.connected for groups in started))
    yield started
    for groups in started:
        await groups.stopService()


async def subscribed(sender, group: str, probe: Recorder) -> None:
    """Wait until ``sender``'s messages to ``group`` reach ``probe`` in the other registry,
    then until every probe sent meanwhile has arrived, and forget them."""

    def arrived():
        sender.others_send(group, {"type": "probe"})
        return bool(probe.received)

    await eventually(arrived)
    sender.others_send(group, {"type": "last_probe"})
    await eventually(lambda: probe.received[-1][0] == "last_probe")
    probe.received.clear()


def test_address_parsing():
    """URLs give host, port, database and credentials; anything else is refused."""
    assert RedisAddress.parse("redis://cache.example:6390/2") == RedisAddress(
        "cache.example", 6390, 2
    )
    assert RedisAddress.parse("redis://:s%40cret@localhost") == RedisAddress(
        "localhost", 6379, 0, password="s@cret"
    )
    for bad in ("http://localhost", "redis://", "redis://localhost/x", "redis://h/1/2"):
        with pytest.raises(ValueError):
            RedisAddress.parse(bad)


@pytest_twisted.ensureDeferred
async def test_a_broadcast_reaches_members_in_both_processes_encoded_once_in_each(pair):
    a, b = pair
    assert verifyObject(IGroups, a)
    here, there, there_too = Recorder(), Recorder(), Recorder()
    a.group_add("lecture:1", here)
    b.group_add("lecture:1", there)
    b.group_add("lecture:1", there_too)
    await subscribed(a, "lecture:1", there)
    there_too.received.clear()
    a.encode_calls.clear()
    b.encode_calls.clear()

    a.group_send("lecture:1", {"type": "question", "text": "é?"})

    assert here.received == [("question", "frame-1")]
    await eventually(lambda: there.received and there_too.received)
    assert there.received == there_too.received
    assert len(a.encode_calls) == len(b.encode_calls) == 1
    assert b.encode_calls[0] == {"type": "question", "text": "é?"}


@pytest_twisted.ensureDeferred
async def test_local_and_others_sends_stay_on_their_side(pair):
    a, b = pair
    here, there = Recorder(), Recorder()
    a.group_add("tally", here)
    b.group_add("tally", there)
    await subscribed(a, "tally", there)

    a.local_send("tally", {"type": "local"})
    a.others_send("tally", {"type": "others"})
    await eventually(lambda: there.received)

    assert [kind for kind, _ in here.received] == ["local"]
    assert [kind for kind, _ in there.received] == ["others"]


@pytest_twisted.ensureDeferred
async def test_a_process_without_members_unsubscribes(pair):
    """Once its last member leaves, a process no longer receives the group's messages."""
    a, b = pair
    leaving, staying = Recorder(), Recorder()
    b.group_add("room:1", leaving)
    b.group_add("room:2", staying)
    await subscribed(a, "room:1", leaving)
    await subscribed(a, "room:2", staying)

    b.group_discard("room:1", leaving)
    await deferLater(reactor, 0.05)
    a.group_send("room:1", {"type": "message"})
    a.group_send("room:2", {"type": "message"})
    await eventually(lambda: staying.received)

    assert leaving.received == []


@pytest_twisted.ensureDeferred
async def test_databases_are_separate_servers(redis_server):
    """Pub/sub ignores Redis's database number, so the channel names carry it."""
    url = redis_server.url.rsplit("/", 1)[0]
    zero = RedisGroups(counting_encoder()[0], RedisAddress.parse(url + "/0"), reactor)
    one = RedisGroups(counting_encoder()[0], RedisAddress.parse(url + "/1"), reactor)
    zero_too = RedisGroups(counting_encoder()[0], RedisAddress.parse(url + "/0"), reactor)
    for groups in (zero, one, zero_too):
        groups.startService()
    try:
        await eventually(lambda: zero.connected and one.connected and zero_too.connected)
        other_db, same_db = Recorder(), Recorder()
        one.group_add("g", other_db)
        zero_too.group_add("g", same_db)
        await subscribed(zero, "g", same_db)
        zero.group_send("g", {"type": "x"})
        await eventually(lambda: same_db.received)
        await deferLater(reactor, 0.05)
        assert other_db.received == []
    finally:
        for groups in (zero, one, zero_too):
            await groups.stopService()


@pytest_twisted.ensureDeferred
async def test_redis_restarting_keeps_local_delivery_and_recovers(pair, redis_server):
    """While Redis is away each process serves its own members; when it returns the
    subscriptions come back by themselves and ``resync`` callbacks run."""
    a, b = pair
    recovered = []
    b.on_resync(lambda: recovered.append("b"))
    here, there = Recorder(), Recorder()
    a.group_add("lecture:9", here)
    b.group_add("lecture:9", there)
    await subscribed(a, "lecture:9", there)

    redis_server.kill()
    await eventually(lambda: not a.connected and not b.connected)
    a.group_send("lecture:9", {"type": "during"})
    assert [kind for kind, _ in here.received] == ["during"]

    redis_server.start()
    await eventually(lambda: a.connected and b.connected, timeout=10)
    assert "b" in recovered
    await subscribed(a, "lecture:9", there)
    a.group_send("lecture:9", {"type": "after"})
    await eventually(lambda: there.received)
    assert [kind for kind, _ in there.received] == ["after"]


@pytest_twisted.ensureDeferred
async def test_a_process_that_lost_publications_makes_the_others_resync(pair, redis_server):
    """Only A's publishing connection drops (subscriptions stay): what A sent meanwhile
    never reached B, so once A can publish again B is told to resync, and A is not."""
    a, b = pair
    resyncs = []
    a.on_resync(lambda: resyncs.append("a"))
    b.on_resync(lambda: resyncs.append("b"))
    there = Recorder()
    b.group_add("lecture:3", there)
    await subscribed(a, "lecture:3", there)

    subprocess.run(
        ["redis-cli", "-p", str(redis_server.port), "CLIENT", "KILL", "TYPE", "normal"],
        check=True,
        capture_output=True,
    )
    await eventually(lambda: not a.connected)
    a.group_send("lecture:3", {"type": "lost"})
    await eventually(lambda: resyncs, timeout=10)

    assert resyncs == ["b"]
    assert there.received == []


@pytest_twisted.ensureDeferred
async def test_a_stalled_redis_bounds_what_waits_and_the_others_resync(pair, redis_server):
    """While Redis does not answer, at most ``max_pending`` publications wait for it; the
    rest are dropped, and once it answers the other processes are told to resync."""
    a, b = pair
    resyncs = []
    b.on_resync(lambda: resyncs.append("b"))
    there = Recorder()
    b.group_add("lecture:4", there)
    await subscribed(a, "lecture:4", there)
    a.max_pending = 5

    stall = subprocess.Popen(
        ["redis-cli", "-p", str(redis_server.port), "DEBUG", "SLEEP", "1"],
        stdout=subprocess.DEVNULL,
    )
    await deferLater(reactor, 0.2)
    for number in range(20):
        a.group_send("lecture:4", {"type": "m", "n": number})
    await eventually(lambda: resyncs, timeout=10)
    stall.wait()

    assert resyncs == ["b"]
    assert [message for message in there.received if message[0] == "m"] != []
    assert len(there.received) <= 5
