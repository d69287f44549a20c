"""Lectures over real sockets: dozens of students, refusals, resume, bad input, slow readers."""

import csv
import io
import socket

import attrs
import pytest
import pytest_twisted
from support import (
    User,
    ask,
    body_of,
    connect,
    gather,
    handshake_status,
    instructor,
    one_student,
    open_socket,
    sleep,
    start_lecture,
    start_server,
    students,
)
from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.protocol import Protocol

STUDENTS = 30


@pytest.fixture(params=["sqlite", "postgresql"])
def db_path(request, tmp_path) -> str:
    """Every lecture test here runs on both engines: a SQLite file, a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "iclicker.sqlite3")
    return request.getfixturevalue("postgres_url")


async def wait_for_tally(socket_client, **expected) -> dict:
    while True:
        tally = await socket_client.next_of("tally")
        if all(tally[key] == value for key, value in expected.items()):
            return tally


@pytest_twisted.ensureDeferred
async def test_full_lecture_with_dozens_of_students(server):
    """Ask, answer with receipts, change answers, live tally, close, export, end and kick."""
    prof = await instructor(server)
    class_ = await students(server, STUDENTS)
    lecture = await start_lecture(prof)
    teacher = await connect(server, lecture["join_code"], prof)
    hello = await teacher.next_of("hello")
    assert (hello["role"], hello["question"], hello["my_answer"]) == ("instructor", None, None)
    sockets = await gather(*(connect(server, lecture["join_code"].lower(), s) for s in class_))
    for client in sockets:
        hello = await client.next_of("hello")
        assert hello["role"] == "student" and hello["lecture"]["id"] == lecture["id"]
    await wait_for_tally(teacher, present=STUDENTS)

    question = await ask(prof, lecture)
    for client in sockets:
        broadcast = await client.next_of("question")
        assert broadcast["question"] == {
            "id": question["id"],
            "text": "2 + 2?",
            "choices": ["3", "4", "5"],
            "status": "open",
        }

    for client in sockets:
        client.send({"type": "answer", "question_id": question["id"], "choice": "3"})
    for client in sockets:
        assert await client.next_of("answer_ack") == {
            "type": "answer_ack",
            "question_id": question["id"],
            "choice": "3",
        }
    # Two thirds change their minds: the last answer wins.
    for i, client in enumerate(sockets):
        if i % 3:
            client.send({"type": "answer", "question_id": question["id"], "choice": "4"})
    for i, client in enumerate(sockets):
        if i % 3:
            assert (await client.next_of("answer_ack"))["choice"] == "4"
    tally = await wait_for_tally(teacher, answered=STUDENTS, counts={"3": 10, "4": 20, "5": 0})
    assert tally["present"] == STUDENTS

    overview = body_of(await prof.get(f"/api/lectures/{lecture['id']}"))
    assert overview["present"] == STUDENTS and overview["question"]["correct"] == "4"

    response = await prof.post(f"/api/lectures/{lecture['id']}/questions/{question['id']}/close")
    assert body_of(response)["counts"] == {"3": 10, "4": 20, "5": 0}
    for client in [teacher, *sockets]:
        closed = await client.next_of("question_closed")
        assert closed == {
            "type": "question_closed",
            "question_id": question["id"],
            "counts": {"3": 10, "4": 20, "5": 0},
            "correct": "4",
        }
    sockets[0].send({"type": "answer", "question_id": question["id"], "choice": "5"})
    assert (await sockets[0].next_of("error"))["code"] == "question_closed"

    export = await prof.get(f"/api/lectures/{lecture['id']}/responses.csv")
    assert export.headers.getRawHeaders("content-type")[0].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.body.decode("utf-8"), newline="")))
    assert rows[0] == [
        "username",
        "display_name",
        "question_id",
        "question",
        "choice",
        "correct",
        "answered_at",
        "round",
    ]
    assert len(rows) == STUDENTS + 1
    assert rows[1][:6] == ["student000", "student000", str(question["id"]), "2 + 2?", "3", "false"]
    assert rows[2][4:6] == ["4", "true"]

    response = await prof.post(f"/api/lectures/{lecture['id']}/end")
    assert body_of(response)["lecture"]["status"] == "ended"
    for client in [teacher, *sockets]:
        assert (await client.next_of("lecture_ended"))["lecture_id"] == lecture["id"]
        assert await client.wait_closed() == 4000
    assert await handshake_status(server, f"/ws/lectures/{lecture['join_code']}", class_[0]) == 404
    assert (await prof.post(f"/api/lectures/{lecture['id']}/end")).code == 409


@pytest_twisted.ensureDeferred
async def test_lecture_api_roles_and_validation(server):
    """Students 403, anonymous 401, other instructors 404, bad bodies 400, conflicts 409."""
    prof = await instructor(server)
    other = await instructor(server, "other")
    (student,) = await students(server, 1)
    lecture = await start_lecture(prof)
    base = f"/api/lectures/{lecture['id']}"
    assert (await User(server).post("/api/lectures", {"title": "x"})).code == 401
    assert (await student.post("/api/lectures", {"title": "x"})).code == 403
    assert (await student.get(base)).code == 403
    assert (await other.get(base)).code == 404
    assert (await other.get(f"{base}/responses.csv")).code == 404
    assert (await student.post("/api/lectures", {"title": 5})).code == 400, (
        "body is checked before role"
    )
    for body in [
        {"title": "   "},
        {"title": "x" * 201},
    ]:
        assert (await prof.post("/api/lectures", body)).code == 400
    for body in [
        {"text": "Q", "choices": ["a"]},
        {"text": "Q", "choices": "ab"},
        {"text": "Q", "choices": ["a", "A"]},
        {"text": "Q", "choices": ["a", "b"], "correct": "c"},
        {"text": "", "choices": ["a", "b"]},
    ]:
        response = await prof.post(f"{base}/questions", body)
        assert (response.code, body_of(response)["error"]["code"]) == (400, "invalid_request"), body
    question = await ask(prof, lecture)
    assert (await prof.post(f"{base}/questions/{question['id']}/close")).code == 200
    assert (await prof.post(f"{base}/questions/{question['id']}/close")).code == 409
    assert (await prof.post(f"{base}/questions/99999/close")).code == 404
    assert (await prof.post(f"{base}/end")).code == 200
    assert (await prof.post(f"{base}/questions", {"text": "Q", "choices": ["a", "b"]})).code == 409
    assert len(body_of(await prof.get("/api/lectures"))["lectures"]) == 1
    assert body_of(await other.get("/api/lectures"))["lectures"] == []


@pytest_twisted.ensureDeferred
async def test_handshake_refusals_in_order(db_path):
    """401 without a session, 404 for unknown or ended codes, 403 for Origin and network."""
    server = await start_server(db_path, "--allow-net", "10.0.0.0/8", "--trust-proxy")
    try:
        prof = await instructor(server)
        (student,) = await students(server, 1)
        lecture = await start_lecture(prof)
        path = f"/ws/lectures/{lecture['join_code']}"
        inside = {"X-Forwarded-For": "10.1.2.3"}
        assert await handshake_status(server, path, student) == 403, "127.0.0.1 is not in 10/8"
        assert await handshake_status(server, path, None) == 403, (
            "network is checked before session"
        )
        assert await handshake_status(server, path, None, **inside) == 401
        assert await handshake_status(server, "/ws/lectures/ZZZZZZ", student, **inside) == 404
        plain = await student.get(path, headers={k: [v] for k, v in inside.items()})
        assert plain.code == 426, "a plain GET is refused, with no server status page"
        assert await handshake_status(server, "/ws/lectures/not-a-code", student, **inside) == 404
        assert (
            await handshake_status(server, path, student, Origin="http://evil.example", **inside)
            == 403
        )
        assert (
            await handshake_status(server, path, None, Origin="http://evil.example", **inside)
            == 403
        )
        good_origin = f"http://127.0.0.1:{server.port}"
        client = await connect(server, lecture["join_code"], student, Origin=good_origin, **inside)
        assert (await client.next_of("hello"))["role"] == "student"
        client.close()
        await client.wait_closed()
        await prof.post(f"/api/lectures/{lecture['id']}/end")
        assert await handshake_status(server, path, student, **inside) == 404
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_forwarded_for_is_ignored_without_trust_proxy(db_path):
    """Without --trust-proxy a client cannot talk its way in with X-Forwarded-For."""
    server = await start_server(db_path, "--allow-net", "10.0.0.0/8")
    try:
        prof = await instructor(server)
        lecture = await start_lecture(prof)
        path = f"/ws/lectures/{lecture['join_code']}"
        assert await handshake_status(server, path, prof, **{"X-Forwarded-For": "10.1.2.3"}) == 403
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_ipv6_peers_are_matched_against_ipv6_networks(db_path):
    """A WebSocket from ::1 is let in by ::1/128 and refused by another IPv6 network."""
    for allowed, admitted in (("::1/128", True), ("2001:db8::/32", False)):
        # Dual-stack listener: HTTP set-up over 127.0.0.1, the socket over ::1.
        server = await start_server(
            db_path, "--allow-net", allowed, "--port", r"tcp6:0:interface=\:\:"
        )
        try:
            prof = await instructor(server, name=f"prof{int(admitted)}")
            lecture = await start_lecture(prof)
            over_ipv6 = attrs.evolve(server, host="[::1]")
            if admitted:
                client = await connect(over_ipv6, lecture["join_code"], prof)
                assert (await client.next_of("hello"))["role"] == "instructor"
                client.close()
                await client.wait_closed()
            else:
                with pytest.raises(ConnectionError, match="403"):
                    await connect(over_ipv6, lecture["join_code"], prof)
        finally:
            await server.stop()


@pytest_twisted.ensureDeferred
async def test_reconnect_resumes_question_and_answer(server):
    """A dropped student reconnects to the same question with its recorded answer."""
    scene = await one_student(server)
    student, lecture, question, client = scene.student, scene.lecture, scene.question, scene.client
    assert scene.hello["my_answer"] is None
    client.send({"type": "answer", "question_id": question["id"], "choice": "5"})
    await client.next_of("answer_ack")
    client.protocol.transport.abortConnection()
    await client.wait_closed()
    again = await connect(server, lecture["join_code"], student)
    hello = await again.next_of("hello")
    assert hello["question"]["id"] == question["id"]
    assert hello["my_answer"] == "5"
    assert "correct" not in hello["question"]
    again.close()
    await again.wait_closed()


@pytest_twisted.ensureDeferred
async def test_restart_resumes_the_open_question(db_path):
    """Stop the server mid-question; a new one on the same file resumes it for everyone."""
    server = await start_server(db_path)
    prof = await instructor(server)
    class_ = await students(server, 5)
    lecture = await start_lecture(prof)
    question = await ask(prof, lecture)
    sockets = await gather(*(connect(server, lecture["join_code"], s) for s in class_))
    for i, client in enumerate(sockets):
        await client.next_of("hello")
        client.send({"type": "answer", "question_id": question["id"], "choice": ["3", "4"][i % 2]})
        await client.next_of("answer_ack")
    await server.stop()
    codes = [await client.wait_closed() for client in sockets]
    assert codes == [1001] * 5, "a stopping server says 'going away'"

    restarted = await start_server(db_path)
    try:
        for user in [prof, *class_]:
            user.server = restarted
        sockets = await gather(*(connect(restarted, lecture["join_code"], s) for s in class_))
        for i, client in enumerate(sockets):
            hello = await client.next_of("hello")
            assert hello["question"]["id"] == question["id"]
            assert hello["my_answer"] == ["3", "4"][i % 2]
        sockets[0].send({"type": "answer", "question_id": question["id"], "choice": "5"})
        await sockets[0].next_of("answer_ack")
        response = await prof.post(
            f"/api/lectures/{lecture['id']}/questions/{question['id']}/close"
        )
        assert body_of(response)["counts"] == {"3": 2, "4": 2, "5": 1}
        for client in sockets:
            client.close()
            await client.wait_closed()
    finally:
        await restarted.stop()


@pytest_twisted.ensureDeferred
async def test_bad_frames_get_errors_and_the_socket_lives(server):
    """Junk, binary, non-objects, unknown types, wrong types: bad_message, then ping still works."""
    scene = await one_student(server)
    prof, lecture, question, client = scene.prof, scene.lecture, scene.question, scene.client
    bad = [
        (b"{nope", False),
        (b"\x00\x01", True),
        (b"[]", False),
        (b'{"type": "shout"}', False),
        (b'{"type": "answer", "question_id": "%d", "choice": "4"}' % question["id"], False),
        (b'{"type": "answer", "choice": "4"}', False),
    ]
    for payload, binary in bad:
        client.send_raw(payload, binary)
        error = await client.next_of("error")
        assert error["code"] == "bad_message" and error["message"]
    client.send({"type": "answer", "question_id": question["id"], "choice": "42"})
    assert (await client.next_of("error"))["code"] == "invalid_choice"
    client.send({"type": "answer", "question_id": 999999, "choice": "4"})
    assert (await client.next_of("error"))["code"] == "unknown_question"
    client.send({"type": "ping", "extra": True})
    assert await client.next_of("pong") == {"type": "pong"}

    teacher = await connect(server, lecture["join_code"], prof)
    await teacher.next_of("hello")
    teacher.send({"type": "answer", "question_id": question["id"], "choice": "4"})
    assert (await teacher.next_of("error"))["code"] == "forbidden"
    for c in (client, teacher):
        c.close()
        await c.wait_closed()


@pytest_twisted.ensureDeferred
async def test_oversize_and_invalid_utf8_close_with_their_codes(server):
    """Over 64 KiB closes with 1009; invalid UTF-8 in a text frame closes with 1007."""
    prof = await instructor(server)
    (student,) = await students(server, 1)
    lecture = await start_lecture(prof)
    client = await connect(server, lecture["join_code"], student)
    await client.next_of("hello")
    client.send_raw(b'{"type": "ping", "pad": "' + b"x" * 65536 + b'"}')
    assert await client.wait_closed() == 1009
    client = await connect(server, lecture["join_code"], student)
    await client.next_of("hello")
    client.send_raw(b'{"type": "ping", "pad": "' + b"x" * 65000 + b'"}')
    assert await client.next_of("pong") == {"type": "pong"}, "just under the limit is fine"
    client.protocol.sendMessage(b'{"type": "ping", "x": "\xff"}')
    assert await client.wait_closed() == 1007


@pytest_twisted.ensureDeferred
async def test_flood_is_rate_limited_then_closed(server):
    """Bursts of 20 pass; excess gets one rate_limited a second at most; 5 s over closes 1008."""
    client = (await one_student(server, with_question=False)).client
    for _ in range(20):
        client.send({"type": "ping"})
    for _ in range(20):
        assert (await client.next())["type"] == "pong"
    start = reactor.seconds()
    while client.close_code is None and reactor.seconds() - start < 10:
        for _ in range(5):
            client.send({"type": "ping"})
        await sleep(0.05)
    code = await client.wait_closed()
    elapsed = reactor.seconds() - start
    assert code == 1008
    assert 4.5 <= elapsed < 8
    received = []
    while client.messages.pending:
        received.append(client.messages.pending.pop(0)["type"])
    errors = received.count("error")
    assert 1 <= errors <= elapsed + 1, "at most one rate_limited error a second"
    assert received.count("pong") > 50, "traffic within the rate still gets through"


class StalledReader(Protocol):
    """Sends a WebSocket upgrade, then never reads another byte."""

    def __init__(self, request: bytes) -> None:
        self.request = request
        self.upgraded: Deferred = Deferred()
        self.lost: Deferred = Deferred()

    def connectionMade(self) -> None:
        self.transport.getHandle().setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.transport.write(self.request)

    def dataReceived(self, data: bytes) -> None:
        if not self.upgraded.called:
            assert data.startswith(b"HTTP/1.1 101"), data[:80]
            self.transport.pauseProducing()
            self.upgraded.callback(None)

    def connectionLost(self, reason) -> None:
        self.lost.callback(None)


@pytest_twisted.ensureDeferred
async def test_a_client_that_never_reads_is_dropped(db_path):
    """Past the send-buffer limit the server drops a stalled client; the others carry on."""
    server = await start_server(db_path, "--max-send-buffer", "65536")
    try:
        prof = await instructor(server)
        stalled_user, reader = await students(server, 2)
        lecture = await start_lecture(prof)
        request = (
            f"GET /ws/lectures/{lecture['join_code']} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            f"Cookie: iclicker_session={stalled_user.session_cookie}\r\n\r\n"
        ).encode()
        stalled = StalledReader(request)
        await connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", server.port), stalled)
        await stalled.upgraded
        healthy = await connect(server, lecture["join_code"], reader)
        await healthy.next_of("hello")
        choices = [f"{letter} " + "x" * 190 for letter in "ABCDEFGH"]
        for round_ in range(3000):
            await ask(prof, lecture, text=f"{round_} " + "q" * 1990, choices=choices, correct=None)
            await healthy.next_of("question")
            if round_ % 25 == 0:
                present = body_of(await prof.get(f"/api/lectures/{lecture['id']}"))["present"]
                if present == 1:
                    break
        assert present == 1, "the stalled student was dropped; the healthy one stays"
        assert healthy.close_code is None
        healthy.close()
        await healthy.wait_closed()
        stalled.transport.abortConnection()
        await stalled.lost
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_a_browser_offering_compression_is_answered_uncompressed(server):
    """Browsers offer permessage-deflate: the handshake succeeds and the server declines it
    (compressing every student's copy of a broadcast would cost a compression each)."""
    scene = await one_student(server, with_question=False)
    client = await connect_with(server, scene)
    assert (await client.next_of("hello"))["lecture"]["id"] == scene.lecture["id"]
    assert client.protocol._perMessageCompress is None


async def connect_with(server, scene):
    return await open_socket(
        server, f"/ws/lectures/{scene.lecture['join_code']}", scene.student, compression=True
    )
