"""The chat domain with a fake clock and a recording group registry, over a real database."""

import sqlite3

import pytest
import pytest_twisted
from chat_domain import ALICE, BOB, CAROL, ROOT, raises
from fakes import RecordingGroups
from twisted.internet import reactor
from twisted.internet.defer import Deferred, DeferredQueue
from twisted.internet.task import deferLater

from iclicker.domain.admin import user_group
from iclicker.domain.channels import (
    PRESENCE_INTERVAL,
    PRESENCE_PER_SECOND,
    PUBLISH_INTERVAL,
    Channels,
)
from iclicker.domain.chat_values import Channel, inbox_group
from iclicker.domain.conversations import Conversations
from iclicker.domain.errors import Conflict, Forbidden, Invalid, NotFound
from iclicker.domain.rooms import Rooms
from iclicker.store.chat import ChatStore
from iclicker.store.users import UserStore


@pytest.fixture
def chat(chat_database, tmp_path, clock):
    database, hasher = chat_database
    groups = RecordingGroups()
    store = ChatStore(database)
    channels = Channels(store, groups, clock)
    rooms = Rooms(store, channels, groups, hasher, clock)
    conversations = Conversations(store, UserStore(database), channels, groups, clock)
    return rooms, conversations, channels, groups, str(tmp_path / "chat.sqlite3")


def ack_into(acks: list):
    return acks.append


@pytest_twisted.ensureDeferred
async def test_membership_join_leave_and_the_admin(chat):
    """The creator is admin and member; members read, others get not_member; leaving tells."""
    rooms, _, _, groups, _ = chat
    room = await rooms.create(ALICE, "  Algebra ", None)
    assert (room["name"], room["admin"], room["member"], room["private"]) == (
        "Algebra",
        "alice",
        True,
        False,
    )
    await raises(Conflict, "name_taken", rooms.create(BOB, "ALGEBRA", None))
    await raises(Forbidden, "not_member", rooms.members(BOB, room["id"]))
    await raises(NotFound, "not_found", rooms.join(BOB, 999, None))
    assert (await rooms.join(BOB, room["id"], None))["member"] is True
    members = await rooms.members(BOB, room["id"])
    assert [(m["username"], m["admin"]) for m in members] == [("alice", True), ("bob", False)]
    await raises(Conflict, "conflict", rooms.leave(ALICE, room["id"]))
    await rooms.leave(BOB, room["id"])
    assert groups.sent[-1] == (
        user_group(BOB.id),
        {"type": "removed", "room_id": room["id"], "reason": "left"},
    )
    await raises(Forbidden, "not_member", rooms.history(BOB, room["id"], None, None))
    assert [r["member"] for r in await rooms.all(BOB)] == [False]


@pytest_twisted.ensureDeferred
async def test_a_private_rooms_key_is_checked_and_kept_hashed(chat):
    """No key or a wrong key is bad_key; the right one joins; a site admin needs none."""
    rooms, _, _, _, path = chat
    long_key = "k" * 128  # longer than bcrypt's 72 bytes: still checked in full
    room = await rooms.create(ALICE, "Secret", long_key)
    assert room["private"] is True
    for key in (None, "wrong", "k" * 127 + "x"):
        await raises(Forbidden, "bad_key", rooms.join(BOB, room["id"], key))
    assert (await rooms.join(BOB, room["id"], long_key))["member"] is True
    assert (await rooms.join(ROOT, room["id"], None))["member"] is True
    await raises(Invalid, "invalid_request", rooms.create(ALICE, "Short key", "abc"))
    assert (await rooms.create(ALICE, "Empty key is public", ""))["private"] is False
    with sqlite3.connect(path) as db:
        hashes = [
            row[0] for row in db.execute("SELECT key_hash FROM rooms WHERE key_hash IS NOT NULL")
        ]
    assert len(hashes) == 1 and long_key not in hashes[0]


@pytest_twisted.ensureDeferred
async def test_bans_end_membership_and_bar_rejoining(chat):
    """Only members are banned; the ban tells their sockets; lifting it does not readmit."""
    rooms, _, _, groups, _ = chat
    room = await rooms.create(ALICE, "Quiet", "the key")
    await raises(NotFound, "not_found", rooms.ban(ALICE, room["id"], "bob"))
    await rooms.join(BOB, room["id"], "the key")
    await raises(Forbidden, "forbidden", rooms.ban(BOB, room["id"], "alice"))
    await raises(Conflict, "conflict", rooms.ban(ROOT, room["id"], "alice"))
    await rooms.ban(ROOT, room["id"], "BOB")
    assert groups.sent[-1][1] == {"type": "removed", "room_id": room["id"], "reason": "banned"}
    await raises(Forbidden, "banned", rooms.join(BOB, room["id"], "the key"))
    assert await rooms.bans(ALICE, room["id"]) == ["bob"]
    await rooms.unban(ALICE, room["id"], "bob")
    await raises(NotFound, "not_found", rooms.unban(ALICE, room["id"], "bob"))
    await raises(Forbidden, "not_member", rooms.members(BOB, room["id"]))


@pytest_twisted.ensureDeferred
async def test_deleting_cascades_and_tells_the_room(chat):
    """Messages, members and bans go with the room; the room's group hears room_deleted."""
    rooms, _, channels, groups, path = chat
    room = await rooms.create(ALICE, "Gone", None)
    await rooms.join(BOB, room["id"], None)
    await rooms.join(CAROL, room["id"], None)
    await rooms.ban(ALICE, room["id"], "carol")
    await channels.post(Channel("room", room["id"]), BOB, "hi", None, lambda message: None)
    await raises(Forbidden, "forbidden", rooms.delete(BOB, room["id"]))
    await rooms.delete(ALICE, room["id"])
    assert groups.sent[-1] == (
        f"room:{room['id']}",
        {"type": "room_deleted", "room_id": room["id"]},
    )
    with sqlite3.connect(path) as db:
        for table in ("rooms", "room_members", "room_bans", "messages"):
            assert db.execute(f"SELECT COUNT(*) FROM {table}").fetchone() == (0,), table
    await raises(NotFound, "not_found", rooms.delete(ALICE, room["id"]))


@pytest_twisted.ensureDeferred
async def test_a_message_is_acked_then_published_once_per_client_id(chat, clock):
    """The ack comes first; a repeated client_id is acked with the original and not sent;
    after a quiet spell a message goes out at once, in a busy one with the next 20 ms'."""
    rooms, _, channels, groups, _ = chat
    room = await rooms.create(ALICE, "Echo", None)
    channel = Channel("room", room["id"])
    events = []

    def sent(group, message):
        inner = message["messages"] if message["type"] == "batch" else [message]
        events.append(("sent", [m["message"]["text"] for m in inner]))

    def ack(message):
        events.append(("ack", message["text"]))

    groups.group_send = sent
    await channels.post(channel, ALICE, " hi ", "c1", ack)
    clock.advance(0)
    await channels.post(channel, ALICE, "hi", "c1", ack)
    await channels.post(channel, ALICE, "two", "c2", ack)
    clock.advance(0)
    await channels.post(channel, ALICE, "three", "c3", ack)
    assert events == [
        ("ack", "hi"),
        ("sent", ["hi"]),
        ("ack", "hi"),
        ("ack", "two"),
        ("ack", "three"),
    ]
    clock.advance(PUBLISH_INTERVAL)
    assert events[-1] == ("sent", ["two", "three"]), "one batch: one write per socket"
    history = await channels.history(channel, None, 50)
    assert [m["text"] for m in history] == ["hi", "two", "three"]
    for text in ("", " \t", "x" * 4001):
        await raises(Invalid, "invalid_message", channels.post(channel, ALICE, text, None, print))
    await raises(Invalid, "invalid_message", channels.post(channel, ALICE, "ok", "", print))
    await raises(Forbidden, "not_member", channels.post(channel, BOB, "not in", None, print))


@pytest_twisted.ensureDeferred
async def test_one_conversation_per_pair_and_its_unread_counts(chat):
    """Either side opens the same conversation; unread counts follow reads, live."""
    _, conversations, _, groups, _ = chat
    to_bob = await conversations.open(ALICE, "bob")
    to_alice = await conversations.open(BOB, "ALICE")
    assert to_bob.channel == to_alice.channel
    await raises(NotFound, "not_found", conversations.open(ALICE, "alice"))
    await raises(NotFound, "not_found", conversations.open(ALICE, "nobody"))

    acks = []
    for text in ("one", "two"):
        await conversations.post(to_bob, text, None, acks.append)
    bob_contacts = await conversations.contacts(BOB)
    assert [(c["username"], c["unread"]) for c in bob_contacts] == [("alice", 2)]
    assert [c["unread"] for c in await conversations.contacts(ALICE)] == [0]
    conversations.read(to_alice, acks[0]["id"])
    await conversations._reads.drain()
    assert [c["unread"] for c in await conversations.contacts(BOB)] == [1]
    conversations.read(to_alice, acks[1]["id"])
    conversations.read(to_alice, acks[0]["id"])  # a late, older mark never moves back
    await conversations._reads.drain()
    assert [c["unread"] for c in await conversations.contacts(BOB)] == [0]
    inbox = [m["contact"]["unread"] for g, m in groups.sent if g == inbox_group(BOB.id)]
    assert 1 in inbox and 0 in inbox, "each read tells the open contacts pages"


class HeldHistory:
    """A chat store whose history reads, once done, wait for the test to hand them over."""

    def __init__(self, store: ChatStore) -> None:
        self._store = store
        self.reads: DeferredQueue = DeferredQueue()
        """(rows read, the Deferred that hands them over) per read."""

    def __getattr__(self, name):
        return getattr(self._store, name)

    async def history(self, *args):
        rows = await self._store.history(*args)
        handed = Deferred()
        self.reads.put((rows, handed))
        return await handed

    async def next_read(self) -> tuple[list, Deferred]:
        """The next read, once its reader waits for it to be handed over."""
        read = await self.reads.get()
        await deferLater(reactor, 0)
        return read


@pytest_twisted.ensureDeferred
async def test_sockets_opening_together_share_one_snapshot_read_after_they_opened(
    chat, chat_database, clock
):
    """Whoever asks while a snapshot is read gets the next read, started after it asked:
    three openings, two reads, and nothing committed before an opening is missed."""
    rooms, _, _, groups, _ = chat
    store = HeldHistory(ChatStore(chat_database[0]))
    channels = Channels(store, groups, clock)
    room = await rooms.create(ALICE, "Storm", None)
    channel = Channel("room", room["id"])

    channels.opened(channel, "alice")
    first = channels.snapshot(channel)
    rows, hand_over = await store.next_read()
    assert rows == []
    acks = []
    await channels.post(channel, ALICE, "meanwhile", None, acks.append)
    for name in ("bob", "carol"):
        channels.opened(channel, name)
    second, third = channels.snapshot(channel), channels.snapshot(channel)
    assert not store.reads.pending, "no second read while the first runs"
    hand_over.callback(rows)
    assert (first.result.messages, first.result.online) == ([], ["alice", "bob", "carol"])

    rows, hand_over = await store.next_read()
    hand_over.callback(rows)
    assert second.result is third.result, "one snapshot for both"
    assert [m["text"] for m in second.result.messages] == ["meanwhile"]
    assert second.result.newest == acks[0]["id"]
    assert not store.reads.pending

    failing = channels.snapshot(channel)
    _, hand_over = await store.next_read()
    hand_over.errback(sqlite3.OperationalError("database is locked"))
    with pytest.raises(sqlite3.OperationalError):
        await failing
    after = channels.snapshot(channel)
    rows, hand_over = await store.next_read()
    hand_over.callback(rows)
    assert after.result.newest == acks[0]["id"], "a failed read leaves the next one possible"


@pytest_twisted.ensureDeferred
async def test_presence_is_coalesced(chat, clock):
    """Three openings in a moment make one presence frame, sent after the interval."""
    _, _, channels, groups, _ = chat
    channel = Channel("room", 1)
    for name in ("carol", "Alice", "bob"):
        channels.opened(channel, name)
    channels.opened(channel, "bob")  # a second tab changes nothing
    assert channels.online(channel) == ["Alice", "bob", "carol"]
    assert groups.of_type("presence") == []
    clock.advance(PRESENCE_INTERVAL)
    assert groups.of_type("presence") == [
        ("room:1", {"type": "presence", "online": ["Alice", "bob", "carol"]})
    ]
    channels.closed(channel, "bob")
    clock.advance(PRESENCE_INTERVAL)
    assert len(groups.of_type("presence")) == 1, "bob still has a tab open"
    channels.closed(channel, "bob")
    clock.advance(PRESENCE_INTERVAL)
    assert groups.of_type("presence")[-1][1]["online"] == ["Alice", "carol"]


def test_online_is_sorted_case_insensitively(chat):
    _, _, channels, _, _ = chat
    lower, mixed = Channel("room", 1), Channel("room", 2)
    for name in ("bob", "carol", "alice"):
        channels.opened(lower, name)
    for name in ("bob", "Carol", "alice", "Alice_2"):
        channels.opened(mixed, name)
    assert channels.online(lower) == ["alice", "bob", "carol"]
    assert channels.online(mixed) == ["alice", "Alice_2", "bob", "Carol"]


def test_a_join_storm_in_a_big_room_costs_few_presence_lists(chat, clock):
    """The gap between two broadcasts grows with the room's size when the next one is due:
    a thousand joining over a second get two lists, the second once they are all in."""
    _, _, channels, groups, _ = chat
    channel = Channel("room", 1)
    names = [f"m{number:04d}" for number in range(1000)]
    start = clock.seconds()
    for second in range(10):
        for name in names[second * 100 : second * 100 + 100]:
            channels.opened(channel, name)
        clock.advance(0.1)

    def sent() -> list[int]:
        return [len(message["online"]) for _, message in groups.of_type("presence")]

    assert sent() == [200], "the first after the interval; the next waits for the storm to end"
    first_at = start + PRESENCE_INTERVAL
    clock.advance(first_at + 1000 / PRESENCE_PER_SECOND - clock.seconds() - 0.01)
    assert sent() == [200], "1,000 online now: two seconds apart"
    clock.advance(0.02)
    assert sent() == [200, 1000]
    channels.closed(channel, "m0000")
    clock.advance(999 / PRESENCE_PER_SECOND - 0.01)
    assert sent() == [200, 1000]
    clock.advance(0.02)
    assert sent() == [200, 1000, 999]
