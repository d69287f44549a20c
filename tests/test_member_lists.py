"""Letting room sockets in from each process's member list, over a real database and two
simulated processes (their group registries linked the way Redis links them)."""

import pytest
import pytest_twisted
from chat_domain import ALICE, BOB, CAROL, DAVE, raises
from fakes import Processes
from twisted.internet.defer import Deferred, gatherResults

from iclicker.domain.accounts import User
from iclicker.domain.channels import Channels
from iclicker.domain.errors import Forbidden, NotFound, Unavailable
from iclicker.domain.member_lists import members_group
from iclicker.domain.rooms import Rooms
from iclicker.store.chat import ChatStore
from iclicker.store.db import Database


class CountingStore(ChatStore):
    """Counts the reads that let sockets in; ``hold`` makes the next member-list read wait
    (with what it read) until the test releases it."""

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self.list_reads = 0
        self.member_reads = 0
        self.hold: Deferred | None = None
        self.holding = Deferred()
        self.broken = False

    async def room_with_members(self, room_id: int):
        self.list_reads += 1
        if self.broken:
            raise Unavailable("The database is not answering.")
        found = await super().room_with_members(room_id)
        if self.hold is not None:
            hold, self.hold = self.hold, None
            self.holding.callback(None)
            await hold
        return found

    async def room(self, room_id: int, user_id: int):
        self.member_reads += 1
        return await super().room(room_id, user_id)


@pytest.fixture
def processes(chat_database, clock):
    """Rooms in processes A and B on one database; A's store counts its reads."""
    database, hasher = chat_database
    bus = Processes(2)
    stores = [CountingStore(database), ChatStore(database)]
    rooms = [
        Rooms(store, Channels(store, groups, clock), groups, hasher, clock)
        for store, groups in zip(stores, bus.registries)
    ]
    return rooms, stores[0], bus.registries[0]


async def a_room(rooms: Rooms, *members: User) -> int:
    """Alice's room, joined by ``members``."""
    room = await rooms.create(ALICE, "Study group", None)
    for member in members:
        await rooms.join(member, room["id"], None)
    return room["id"]


@pytest_twisted.ensureDeferred
async def test_a_rooms_sockets_are_let_in_with_one_read(processes):
    """However many members open sockets at once; strangers and unknown rooms are refused."""
    (a, b), store, _ = processes
    room_id = await a_room(b, BOB, CAROL)
    users = [ALICE, BOB, CAROL] * 10
    entries = await gatherResults(
        [Deferred.fromCoroutine(a.enter(user, room_id)) for user in users]
    )
    assert {entry.room.name for entry in entries} == {"Study group"}
    assert all(entry.room.member for entry in entries)
    assert len({id(entry) for entry in entries}) == 1, "one admission object for all"
    assert (store.list_reads, store.member_reads) == (1, 0)
    await raises(Forbidden, "not_member", a.enter(DAVE, room_id))
    assert store.member_reads == 1
    await raises(NotFound, "not_found", a.enter(DAVE, room_id + 1))


@pytest_twisted.ensureDeferred
async def test_someone_who_joined_through_another_process_is_looked_up_once(processes):
    (a, b), store, _ = processes
    room_id = await a_room(b, BOB)
    await a.enter(BOB, room_id)
    await b.join(DAVE, room_id, None)
    await a.enter(DAVE, room_id)
    await a.enter(DAVE, room_id)
    assert (store.list_reads, store.member_reads) == (1, 1)


@pytest_twisted.ensureDeferred
async def test_a_ban_or_leaving_in_another_process_shuts_the_list(processes):
    """And a socket let in just before is told why when it opens."""
    (a, b), _, _ = processes
    room_id = await a_room(b, BOB, CAROL)
    bob_entry = await a.enter(BOB, room_id)
    carol_entry = await a.enter(CAROL, room_id)
    assert a.gone_since(BOB, bob_entry) is None
    await b.ban(ALICE, room_id, "bob")
    await b.leave(CAROL, room_id)
    await raises(Forbidden, "not_member", a.enter(BOB, room_id))
    await raises(Forbidden, "not_member", a.enter(CAROL, room_id))
    assert a.gone_since(BOB, bob_entry) == {
        "type": "removed",
        "room_id": room_id,
        "reason": "banned",
    }
    assert a.gone_since(CAROL, carol_entry)["reason"] == "left"
    # Carol comes back: let in (looked up, since she left while the list lived).
    await b.join(CAROL, room_id, None)
    carol_again = await a.enter(CAROL, room_id)
    assert a.gone_since(CAROL, carol_again) is None
    alice_entry = await a.enter(ALICE, room_id)
    assert alice_entry is not bob_entry, "a new admission after the removals"
    assert a.gone_since(BOB, alice_entry) is None and a.gone_since(BOB, bob_entry) is not None


@pytest_twisted.ensureDeferred
async def test_a_removal_during_the_first_read_is_not_missed(processes):
    (a, b), store, _ = processes
    room_id = await a_room(b, BOB)
    store.hold = hold = Deferred()
    entering = Deferred.fromCoroutine(a.enter(BOB, room_id))
    await store.holding  # the read has Bob as a member
    await b.ban(ALICE, room_id, "bob")
    hold.callback(None)
    await raises(Forbidden, "not_member", entering)
    assert store.member_reads == 1


@pytest_twisted.ensureDeferred
async def test_deleting_the_room_refuses_and_tells_sockets_let_in_before(processes):
    (a, b), _, _ = processes
    room_id = await a_room(b, BOB, CAROL)
    entry = await a.enter(BOB, room_id)
    await b.delete(ALICE, room_id)
    assert a.gone_since(BOB, entry) == {"type": "room_deleted", "room_id": room_id}
    await raises(NotFound, "not_found", a.enter(CAROL, room_id))


@pytest_twisted.ensureDeferred
async def test_a_list_lives_as_long_as_its_sockets(processes):
    """Forgotten with the last socket (read again after), and at once if the read fails."""
    (a, b), store, groups = processes
    room_id = await a_room(b, BOB)
    alice = await a.enter(ALICE, room_id)
    bob = await a.enter(BOB, room_id)
    a.left(alice)
    assert members_group(room_id) in groups.groups()
    a.left(bob)
    assert members_group(room_id) not in groups.groups()
    store.broken = True
    await raises(Unavailable, "unavailable", a.enter(BOB, room_id))
    assert members_group(room_id) not in groups.groups()
    store.broken = False
    await a.enter(BOB, room_id)
    assert store.list_reads == 3


@pytest_twisted.ensureDeferred
async def test_after_redis_was_away_every_list_is_read_again(processes):
    """Removals may have been missed; sockets let in from the old list let go of it alone."""
    (a, b), store, groups = processes
    room_id = await a_room(b, BOB)
    old = await a.enter(BOB, room_id)
    a.forget_member_lists()
    assert members_group(room_id) not in groups.groups()
    new = await a.enter(BOB, room_id)
    assert store.list_reads == 2
    a.left(old)
    assert members_group(room_id) in groups.groups()
    a.left(new)
    assert members_group(room_id) not in groups.groups()
