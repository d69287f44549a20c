"""Chat over real loopback sockets: rooms, keys, bans, deletion, retries, DMs and contacts."""

import signal
import sqlite3

import pytest_twisted
from support import (
    User,
    body_of,
    handshake_status,
    make_account,
    open_socket,
)
from test_twistd import TwistdServer
from twisted.internet.defer import Deferred, gatherResults


async def registered(server, *names: str) -> list[User]:
    users = []
    for name in names:
        user = User(server)
        await user.register(name)
        users.append(user)
    return users


async def new_room(owner: User, name: str = "Study group", key: str | None = None) -> dict:
    body = {"name": name} if key is None else {"name": name, "key": key}
    response = await owner.post("/api/rooms", body)
    assert response.code == 201, response.body
    return body_of(response)["room"]


async def room_socket(server, user: User, room_id: int):
    socket = await open_socket(server, f"/ws/rooms/{room_id}", user)
    return socket, await socket.next_of("hello")


async def delete(user: User, path: str):
    return await user.request("DELETE", path, headers={"Content-Type": ["application/json"]})


def error_code(response) -> str:
    return body_of(response)["error"]["code"]


@pytest_twisted.ensureDeferred
async def test_two_users_chat_in_a_public_room(server):
    """Create, join, open sockets; a message is acked to its sender first, then reaches both."""
    alice, bob = await registered(server, "alice", "bob")
    room = await new_room(alice)
    assert room == {
        "id": room["id"],
        "name": "Study group",
        "private": False,
        "admin": "alice",
        "member": True,
    }
    assert body_of(await bob.get("/api/rooms"))["rooms"][0]["member"] is False
    joined = await bob.post(f"/api/rooms/{room['id']}/join", {})
    assert joined.code == 200 and body_of(joined)["room"]["member"] is True

    a_socket, a_hello = await room_socket(server, alice, room["id"])
    assert a_hello["room"]["name"] == "Study group" and a_hello["messages"] == []
    assert a_hello["online"] == ["alice"]
    b_socket, b_hello = await room_socket(server, bob, room["id"])
    assert b_hello["online"] == ["alice", "bob"]
    assert (await a_socket.next_of("presence"))["online"] == ["alice", "bob"]

    a_socket.send({"type": "message", "text": "  hello <b>bob</b>  ", "client_id": "c-1"})
    ack = await a_socket.next_of("message_ack")
    own = await a_socket.next_of("message")
    assert ack["client_id"] == "c-1" and ack["message"] == own["message"]
    message = (await b_socket.next_of("message"))["message"]
    assert message["text"] == "hello <b>bob</b>", "trimmed, never escaped"
    assert (message["author"], message["display_name"]) == ("alice", "alice")
    assert message["sent_at"].endswith("Z")

    members = body_of(await bob.get(f"/api/rooms/{room['id']}/members"))["members"]
    assert [(m["username"], m["admin"]) for m in members] == [("alice", True), ("bob", False)]

    for number in range(6):  # a busy spell: published together, still one frame each
        a_socket.send({"type": "message", "text": f"burst {number}"})
    burst = [(await b_socket.next_of("message"))["message"]["text"] for _ in range(6)]
    assert burst == [f"burst {number}" for number in range(6)]

    b_socket.close()
    assert (await a_socket.next_of("presence"))["online"] == ["alice"]
    assert (await bob.post(f"/api/rooms/{room['id']}/leave", {})).code == 204
    left = await bob.get(f"/api/rooms/{room['id']}/members")
    assert (left.code, error_code(left)) == (403, "not_member")
    assert await handshake_status(server, f"/ws/rooms/{room['id']}", bob) == 403
    a_socket.close()


@pytest_twisted.ensureDeferred
async def test_members_opening_a_room_at_once_each_get_a_whole_hello(server):
    """Sockets opening together share a history read and a hello frame; still, every hello
    names everyone who opened before it, itself included, and has the newest messages."""
    names = [f"m{number:02d}" for number in range(12)]
    owner, late, *members = await registered(server, "owner", "late", *names)
    room = await new_room(owner)
    for member in (late, *members):
        await member.post(f"/api/rooms/{room['id']}/join", {})
    o_socket, _ = await room_socket(server, owner, room["id"])
    o_socket.send({"type": "message", "text": "before"})
    await o_socket.next_of("message_ack")

    opening = [Deferred.fromCoroutine(room_socket(server, m, room["id"])) for m in members]
    opened = await gatherResults(opening)
    for name, (_, hello) in zip(names, opened, strict=True):
        assert {"owner", name} <= set(hello["online"]), hello["online"]
        assert [m["text"] for m in hello["messages"]] == ["before"]

    o_socket.send({"type": "message", "text": "after"})
    await o_socket.next_of("message_ack")
    l_socket, hello = await room_socket(server, late, room["id"])
    assert [m["text"] for m in hello["messages"]] == ["before", "after"]
    assert hello["online"] == ["late", *names, "owner"]
    for socket in (o_socket, l_socket, *(socket for socket, _ in opened)):
        socket.close()


@pytest_twisted.ensureDeferred
async def test_room_rules_names_admin_and_history_pages(server):
    """Names are unique in any case; the admin cannot leave; history pages go back by id."""
    alice, bob = await registered(server, "alice", "bob")
    room = await new_room(alice, "Physics")
    taken = await bob.post("/api/rooms", {"name": "  PHYSICS "})
    assert (taken.code, error_code(taken)) == (409, "name_taken")
    for bad in ({"name": "   "}, {"name": "x" * 65}, {"name": "ok", "key": "abc"}, {"name": 5}):
        assert (await bob.post("/api/rooms", bad)).code == 400, bad
    assert (await alice.post(f"/api/rooms/{room['id']}/leave", {})).code == 409
    assert (await bob.post("/api/rooms/999/join", {})).code == 404
    for path in ("999", "x", "%C2%B2", "1" * 20):
        assert await handshake_status(server, f"/ws/rooms/{path}", alice) == 404, path

    socket, _ = await room_socket(server, alice, room["id"])
    for number in range(7):
        socket.send({"type": "message", "text": f"m{number}"})
        await socket.next_of("message")
    base = f"/api/rooms/{room['id']}/messages"
    newest = body_of(await alice.get(f"{base}?limit=3"))["messages"]
    assert [m["text"] for m in newest] == ["m4", "m5", "m6"]
    older = body_of(await alice.get(f"{base}?limit=3&before={newest[0]['id']}"))["messages"]
    assert [m["text"] for m in older] == ["m1", "m2", "m3"]
    assert len(body_of(await alice.get(base))["messages"]) == 7
    for query in ("limit=0", "limit=101", "limit=x", "before=-1", "before=1.5"):
        response = await alice.get(f"{base}?{query}")
        assert (response.code, error_code(response)) == (400, "invalid_request"), query
    assert (await bob.get(base)).code == 403

    for bad in ({"type": "message", "text": " \n "}, {"type": "message", "text": "x" * 4001}):
        socket.send(bad)
        assert (await socket.next_of("error"))["code"] == "invalid_message"
    socket.send({"type": "message", "text": "hi", "client_id": "x" * 65})
    assert (await socket.next_of("error"))["code"] == "invalid_message"
    socket.send({"type": "message", "text": 5})
    assert (await socket.next_of("error"))["code"] == "bad_message"
    socket.send({"type": "ping"})
    assert (await socket.next())["type"] == "pong", "the socket lives on"
    socket.close()


@pytest_twisted.ensureDeferred
async def test_a_private_room_refuses_a_wrong_key(server):
    """The key is needed once, never shown; members rejoin without it."""
    alice, bob, carol = await registered(server, "alice", "bob", "carol")
    room = await new_room(alice, "Secret", key="open sesame")
    assert room["private"] is True and "key" not in room
    path = f"/api/rooms/{room['id']}/join"
    for body in ({}, {"key": "wrong key"}, {"key": "OPEN SESAME"}):
        refused = await bob.post(path, body)
        assert (refused.code, error_code(refused)) == (403, "bad_key"), body
    assert (await bob.post(path, {"key": "open sesame"})).code == 200
    assert (await bob.post(path, {})).code == 200, "a member joins again without the key"
    assert await handshake_status(server, f"/ws/rooms/{room['id']}", carol) == 403
    with sqlite3.connect(server.db_path) as db:
        (stored,) = db.execute("SELECT key_hash FROM rooms").fetchone()
    assert "open sesame" not in stored and stored.startswith("$2")


@pytest_twisted.ensureDeferred
async def test_a_banned_member_is_closed_out_and_cannot_rejoin(server):
    """A ban closes the member's socket with 4003 and refuses their joins, key or not."""
    alice, bob, carol = await registered(server, "alice", "bob", "carol")
    room = await new_room(alice, "Moderated", key="letmein")
    await bob.post(f"/api/rooms/{room['id']}/join", {"key": "letmein"})
    socket, _ = await room_socket(server, bob, room["id"])
    elsewhere, _ = await room_socket(server, bob, (await new_room(bob, "Bob's own"))["id"])

    refused = await carol.post(f"/api/rooms/{room['id']}/bans", {"username": "bob"})
    assert (refused.code, error_code(refused)) == (403, "forbidden")
    missing = await alice.post(f"/api/rooms/{room['id']}/bans", {"username": "carol"})
    assert missing.code == 404, "only members can be banned"
    assert (await alice.post(f"/api/rooms/{room['id']}/bans", {"username": "alice"})).code == 409
    assert (await alice.post(f"/api/rooms/{room['id']}/bans", {"username": "BOB"})).code == 204

    removed = await socket.next_of("removed")
    assert removed == {"type": "removed", "room_id": room["id"], "reason": "banned"}
    assert await socket.wait_closed() == 4003
    elsewhere.send({"type": "ping"})
    assert (await elsewhere.next_of("pong")) and elsewhere.close_code is None, "other rooms stay"
    again = await bob.post(f"/api/rooms/{room['id']}/join", {"key": "letmein"})
    assert (again.code, error_code(again)) == (403, "banned")
    assert await handshake_status(server, f"/ws/rooms/{room['id']}", bob) == 403
    assert body_of(await alice.get(f"/api/rooms/{room['id']}/bans"))["bans"] == ["bob"]

    assert (await delete(alice, f"/api/rooms/{room['id']}/bans/Bob")).code == 204
    assert (await delete(alice, f"/api/rooms/{room['id']}/bans/bob")).code == 404
    members = body_of(await alice.get(f"/api/rooms/{room['id']}/members"))["members"]
    assert [m["username"] for m in members] == ["alice"], "lifting a ban does not restore"
    assert (await bob.post(f"/api/rooms/{room['id']}/join", {"key": "letmein"})).code == 200


@pytest_twisted.ensureDeferred
async def test_deleting_a_room_closes_its_sockets_and_leaves_no_rows(server, db_path):
    """The room, messages, members and bans go together; every socket hears and closes."""
    alice, bob, carol = await registered(server, "alice", "bob", "carol")
    make_account(db_path, "root", "admin")
    root = User(server)
    await root.login("root")
    room = await new_room(alice, "Doomed")
    for user in (bob, carol):
        await user.post(f"/api/rooms/{room['id']}/join", {})
    await alice.post(f"/api/rooms/{room['id']}/bans", {"username": "carol"})
    sockets = [(await room_socket(server, user, room["id"]))[0] for user in (alice, bob, bob)]
    sockets[0].send({"type": "message", "text": "soon gone"})
    await sockets[0].next_of("message_ack")
    assert (await delete(bob, f"/api/rooms/{room['id']}")).code == 403
    keep = await new_room(alice, "Kept")
    assert (await delete(root, f"/api/rooms/{room['id']}")).code == 204, "site admins may"
    for socket in sockets:
        assert (await socket.next_of("room_deleted"))["room_id"] == room["id"]
        assert await socket.wait_closed() == 4001
    with sqlite3.connect(db_path) as db:
        for table in ("room_members", "room_bans", "messages"):
            rows = db.execute(f"SELECT COUNT(*) FROM {table} WHERE room_id = ?", (room["id"],))
            assert rows.fetchone() == (0,), table
        assert db.execute("SELECT id FROM rooms").fetchall() == [(keep["id"],)]
    assert (await delete(alice, f"/api/rooms/{room['id']}")).code == 404


@pytest_twisted.ensureDeferred
async def test_a_retried_client_id_is_stored_once(server, db_path):
    """The same client_id again: the original comes back in the ack, nothing is broadcast."""
    alice, bob = await registered(server, "alice", "bob")
    room = await new_room(alice)
    await bob.post(f"/api/rooms/{room['id']}/join", {})
    first, _ = await room_socket(server, alice, room["id"])
    watcher, _ = await room_socket(server, bob, room["id"])
    first.send({"type": "message", "text": "once", "client_id": "k1"})
    original = (await first.next_of("message_ack"))["message"]
    first.close()
    await first.wait_closed()

    retry, hello = await room_socket(server, alice, room["id"])
    assert [m["id"] for m in hello["messages"]] == [original["id"]]
    retry.send({"type": "message", "text": "once", "client_id": "k1"})
    assert (await retry.next_of("message_ack"))["message"] == original
    retry.send({"type": "message", "text": "next", "client_id": "k2"})
    await retry.next_of("message_ack")
    seen = [(await watcher.next_of("message"))["message"]["text"] for _ in range(2)]
    assert seen == ["once", "next"], "the retry was not broadcast"
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT COUNT(*) FROM messages WHERE client_id = 'k1'").fetchone() == (1,)


@pytest_twisted.ensureDeferred
async def test_direct_messages_contacts_and_live_unread_counts(server):
    """One conversation per pair; the first message makes contacts; unread counts go live."""
    alice, bob, _ = await registered(server, "alice", "bob", "bobby")
    found = body_of(await alice.get("/api/users?q=BO"))["users"]
    assert found == [
        {"username": "bob", "display_name": "bob", "photo_url": None},
        {"username": "bobby", "display_name": "bobby", "photo_url": None},
    ]
    assert body_of(await alice.get("/api/users?q=ali"))["users"] == [], "never oneself"
    for query in ("", "q=" + "x" * 65):
        assert (await alice.get(f"/api/users?{query}")).code == 400

    inbox = await open_socket(server, "/ws/contacts", bob)
    assert (await inbox.next_of("hello"))["contacts"] == []
    to_bob = await open_socket(server, "/ws/dm/BOB", alice)
    hello = await to_bob.next_of("hello")
    assert hello["peer"]["username"] == "bob" and hello["online"] == ["alice"]
    for text in ("one", "two"):
        to_bob.send({"type": "message", "text": text})
        await to_bob.next_of("message_ack")
    update = (await inbox.next_of("contact"))["contact"]
    assert (update["username"], update["unread"]) == ("alice", 1)
    assert (await inbox.next_of("contact"))["contact"]["unread"] == 2
    contacts = body_of(await bob.get("/api/contacts"))["contacts"]
    assert [(c["username"], c["unread"]) for c in contacts] == [("alice", 2)]
    assert [c["username"] for c in body_of(await alice.get("/api/contacts"))["contacts"]] == ["bob"]

    to_alice = await open_socket(server, "/ws/dm/alice", bob)
    hello = await to_alice.next_of("hello")
    assert [m["text"] for m in hello["messages"]] == ["one", "two"], "the same conversation"
    assert (await inbox.next_of("contact"))["contact"]["unread"] == 0, "opening reads all"
    to_bob.send({"type": "message", "text": "three"})
    assert (await to_alice.next_of("message"))["message"]["text"] == "three"
    counts = [(await inbox.next_of("contact"))["contact"]["unread"] for _ in range(2)]
    assert counts == [1, 0], "new, then read on the open conversation"
    history = body_of(await bob.get("/api/dm/alice/messages?limit=2"))["messages"]
    assert [m["text"] for m in history] == ["two", "three"]

    assert (await alice.get("/api/dm/alice/messages")).code == 404
    assert await handshake_status(server, "/ws/dm/alice", alice) == 404
    assert await handshake_status(server, "/ws/dm/nobody", alice) == 404
    for socket in (inbox, to_bob, to_alice):
        socket.close()


@pytest_twisted.ensureDeferred
async def test_contacts_are_added_and_removed(server):
    """201 new, 200 again; oneself 400; unknown 404; removing twice 404."""
    alice, _ = await registered(server, "alice", "bob")
    added = await alice.post("/api/contacts", {"username": "BOB"})
    assert added.code == 201
    assert body_of(added)["contact"] == {
        "username": "bob",
        "display_name": "bob",
        "photo_url": None,
        "unread": 0,
    }
    assert (await alice.post("/api/contacts", {"username": "bob"})).code == 200
    assert (await alice.post("/api/contacts", {"username": "alice"})).code == 400
    assert (await alice.post("/api/contacts", {"username": "ghost"})).code == 404
    assert (await delete(alice, "/api/contacts/bob")).code == 204
    assert (await delete(alice, "/api/contacts/bob")).code == 404
    assert body_of(await alice.get("/api/contacts"))["contacts"] == []


@pytest_twisted.ensureDeferred
async def test_acknowledged_messages_survive_kill_9(tmp_path):
    """Every message_ack'ed message, in a room and a conversation, is there after kill -9."""
    twistd = TwistdServer(str(tmp_path), str(tmp_path / "chat.sqlite3"))
    server = await twistd.start()
    try:
        alice, bob = await registered(server, "alice", "bob")
        room = await new_room(alice)
        in_room, _ = await room_socket(server, alice, room["id"])
        to_bob = await open_socket(server, "/ws/dm/bob", alice)
        await to_bob.next_of("hello")
        acked = []
        for burst in (0, 8):  # eight in flight per socket, twenty a burst
            for number in range(burst, burst + 8):
                in_room.send({"type": "message", "text": f"r{number}", "client_id": f"r{number}"})
                to_bob.send({"type": "message", "text": f"d{number}"})
            for _ in range(8):
                acked.append((await in_room.next_of("message_ack"))["message"]["text"])
                acked.append((await to_bob.next_of("message_ack"))["message"]["text"])
        assert await twistd.signal("KILL") == -signal.SIGKILL

        server = await twistd.start()
        alice.server = bob.server = server
        rooms_page = body_of(await alice.get(f"/api/rooms/{room['id']}/messages?limit=100"))
        dms = body_of(await bob.get("/api/dm/alice/messages?limit=100"))
        stored = {m["text"] for m in rooms_page["messages"] + dms["messages"]}
        assert set(acked) <= stored and len(acked) == 32
    finally:
        if twistd.process.pid is not None:
            await twistd.signal("KILL")


@pytest_twisted.ensureDeferred
async def test_photos_follow_people_into_chat(server):
    """A profile photo is on one's card in search, contacts, members and messages."""
    from test_photos_api import jpeg, upload

    alice, bob = await registered(server, "alice", "bob")
    photo_url = body_of(await upload(alice, jpeg()))["user"]["photo_url"]
    assert body_of(await bob.get("/api/users?q=al"))["users"][0]["photo_url"] == photo_url
    await bob.post("/api/contacts", {"username": "alice"})
    assert body_of(await bob.get("/api/contacts"))["contacts"][0]["photo_url"] == photo_url
    room = await new_room(alice)
    members = body_of(await alice.get(f"/api/rooms/{room['id']}/members"))["members"]
    assert members[0]["photo_url"] == photo_url
    socket, _ = await room_socket(server, alice, room["id"])
    socket.send({"type": "message", "text": "with my face"})
    assert (await socket.next_of("message"))["message"]["photo_url"] == photo_url
    socket.close()
