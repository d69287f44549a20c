"""Two ``twistd iclicker`` processes on one database and one Redis act as one server.

Real processes, a real redis-server of the test's own (killed and restarted
in one test), real sockets; the two processes share a SQLite file here, the
way two processes on one machine can.
"""

import csv
import io
from pathlib import Path

import pytest
import pytest_twisted
from servers import NginxServer
from support import (
    Server,
    TwistdProcess,
    User,
    ask,
    body_of,
    connect,
    handshake_status,
    instructor,
    open_socket,
    sleep,
    start_lecture,
    students,
)


@pytest.fixture(params=["sqlite", "postgresql"])
def pair(request, tmp_path, redis_server):
    """Processes A and B with ``--redis`` on one database (a SQLite file they share, or
    PostgreSQL); no traceback may appear in their logs."""
    if request.param == "sqlite":
        db_path = str(tmp_path / "shared.sqlite3")
    else:
        db_path = request.getfixturevalue("postgres_url")
    processes = [
        TwistdProcess(tmp_path, "--redis", redis_server.url, db_path=db_path, name=name)
        for name in ("a", "b")
    ]
    for process in processes:
        process.start()
    yield [as_server(process) for process in processes]
    for process in processes:
        process.stop()
        assert b"Traceback" not in process.log_path.read_bytes()


def as_server(process: TwistdProcess) -> Server:
    return Server(None, int(process.base.rsplit(":", 1)[1]), process.db_path)


def on(server: Server, user: User) -> User:
    """The same logged-in person, talking to another process (sessions are shared)."""
    return User(server, user.cookies)


async def until(condition, client, kind: str, timeout: float = 10.0) -> dict:
    """The first ``kind`` message on ``client`` that satisfies ``condition``."""
    while True:
        message = await client.next_of(kind, timeout)
        if condition(message):
            return message


async def redis_state(user: User, state: str, timeout: float = 10.0) -> dict:
    """``/healthz`` once it reports Redis in ``state`` (or after ``timeout``)."""
    for _ in range(int(timeout / 0.1)):
        health = body_of(await user.get("/healthz"))
        if health["redis"] == state:
            break
        await sleep(0.1)
    return health


@pytest_twisted.ensureDeferred
async def test_one_lecture_across_two_processes(pair):
    a, b = pair
    prof = await instructor(a)
    first, second = await students(a, 2)
    lecture = await start_lecture(prof)
    code = lecture["join_code"]
    screen = await connect(b, code, prof)  # the projector talks to B
    await screen.next_of("hello")
    on_a = await connect(a, code, first)
    on_b = await connect(b, code, on(b, second))
    for client in (on_a, on_b):
        await client.next_of("hello")
    await until(lambda tally: tally["present"] == 2, screen, "tally")

    question = await ask(prof, lecture, "Pick", ("x", "y"), "y")  # asked through A
    for client, choice in ((on_a, "x"), (on_b, "y")):
        assert (await client.next_of("question"))["question"]["id"] == question["id"]
        client.send({"type": "answer", "question_id": question["id"], "choice": choice})
        assert (await client.next_of("answer_ack"))["choice"] == choice
    tally = await until(lambda tally: tally["answered"] == 2, screen, "tally")
    assert tally["counts"] == {"x": 1, "y": 1} and tally["present"] == 2

    overview = body_of(await on(b, prof).get(f"/api/lectures/{lecture['id']}"))
    assert overview["question"]["id"] == question["id"] and overview["present"] == 2
    export = await on(b, prof).get(f"/api/lectures/{lecture['id']}/responses.csv")
    rows = list(csv.DictReader(io.StringIO(export.body.decode("utf-8"))))
    assert sorted(row["choice"] for row in rows) == ["x", "y"]

    ended = await on(b, prof).post(f"/api/lectures/{lecture['id']}/end", {})
    assert ended.code == 200
    assert (await on_a.next_of("lecture_ended"))["lecture_id"] == lecture["id"]
    assert await on_a.wait_closed(10) == 4000
    # Neither process admits anyone to the ended lecture any more.
    for server in (a, b):
        assert await handshake_status(server, f"/ws/lectures/{code}", first) == 404


@pytest_twisted.ensureDeferred
async def test_a_timer_closes_its_question_once_across_two_processes(pair):
    """Both processes arm the timer; the database lets one close it, and every socket
    hears question_closed exactly once."""
    a, b = pair
    prof = await instructor(a)
    first, second = await students(a, 2)
    lecture = await start_lecture(prof)
    clients = [
        await connect(a, lecture["join_code"], first),
        await connect(b, lecture["join_code"], on(b, second)),
    ]
    for client in clients:
        await client.next_of("hello")
    body = {"text": "Quick", "choices": ["x", "y"], "timer": 5, "kind": "multiple"}
    asked = await prof.post(f"/api/lectures/{lecture['id']}/questions", body)
    question = body_of(asked)["question"]
    for client in clients:
        await client.next_of("question")
    for client in clients:
        closed = await client.next_of("question_closed", 10)
        assert closed["question_id"] == question["id"]
    await sleep(1.0)
    for client in clients:  # nothing more queued: no second close from the other process
        assert [m["type"] for m in client.messages.pending] == []


@pytest_twisted.ensureDeferred
async def test_redis_restarting_mid_lecture(pair, redis_server):
    """Each process keeps its own sockets while Redis is away; once it is back, clients
    are made to reconnect and cross-process delivery resumes."""
    a, b = pair
    prof = await instructor(a)
    (student,) = await students(a, 1)
    lecture = await start_lecture(prof)
    code = lecture["join_code"]
    on_b = await connect(b, code, on(b, student))
    await on_b.next_of("hello")

    redis_server.kill()
    health = await redis_state(on(b, prof), "unreachable")
    assert health == {"status": "ok", "redis": "unreachable"}
    redis_server.start()

    assert await on_b.wait_closed(15) == 1012
    for server in (a, b):
        assert (await redis_state(on(server, prof), "ok"))["redis"] == "ok"
    await sleep(0.3)  # a resync asked by the other process lands on the old sockets
    back = await connect(b, code, on(b, student))
    await back.next_of("hello")
    question = await ask(prof, lecture, "After", ("x", "y"), None)  # through A
    assert (await back.next_of("question", 10))["question"]["id"] == question["id"]


@pytest_twisted.ensureDeferred
async def test_a_room_across_two_processes(pair):
    """Messages, presence and a ban reach the sockets of both processes; the process that
    let the banned member in from its member list refuses them after a ban made on the
    other, and lets in someone who joined through the other."""
    a, b = pair
    alice, bob = User(a), User(a)
    await alice.register("alice")
    await bob.register("bob")
    room = body_of(await alice.post("/api/rooms", {"name": "Study group"}))["room"]
    assert (await bob.post(f"/api/rooms/{room['id']}/join", {})).code == 200
    on_a = await open_socket(a, f"/ws/rooms/{room['id']}", alice)
    await on_a.next_of("hello")
    on_b = await open_socket(b, f"/ws/rooms/{room['id']}", on(b, bob))
    await on_b.next_of("hello")
    alice_on_b = await open_socket(b, f"/ws/rooms/{room['id']}", on(b, alice))
    await alice_on_b.next_of("hello")  # B keeps the room's member list while she is there
    await until(lambda presence: presence["online"] == ["alice", "bob"], on_a, "presence")
    await until(lambda presence: presence["online"] == ["alice", "bob"], on_b, "presence")

    on_b.send({"type": "message", "text": "hi from B", "client_id": "b-1"})
    assert (await on_a.next_of("message"))["message"]["text"] == "hi from B"

    banned = await alice.post(f"/api/rooms/{room['id']}/bans", {"username": "bob"})
    assert banned.code in (200, 201, 204), banned.body
    assert await on_b.wait_closed(10) == 4003
    await until(lambda presence: presence["online"] == ["alice"], on_a, "presence")
    assert await handshake_status(b, f"/ws/rooms/{room['id']}", on(b, bob)) == 403

    carol = User(a)
    await carol.register("carol")
    assert (await carol.post(f"/api/rooms/{room['id']}/join", {})).code == 200
    carol_on_b = await open_socket(b, f"/ws/rooms/{room['id']}", on(b, carol))
    assert (await carol_on_b.next_of("hello"))["room"]["id"] == room["id"]


@pytest_twisted.ensureDeferred
async def test_a_lecture_behind_the_documented_nginx(tmp_path, redis_server):
    """deploy/nginx.conf (the README's and docker-compose's) in front of two processes:
    WebSocket upgrades pass, sockets spread over both without sticky sessions, and the
    lecture works as one."""
    db_path = str(tmp_path / "shared.sqlite3")
    processes = [
        TwistdProcess(
            tmp_path, "--redis", redis_server.url, "--trust-proxy", db_path=db_path, name=name
        )
        for name in ("a", "b")
    ]
    for process in processes:
        process.start()
    config = Path(__file__).parents[2] / "deploy" / "nginx.conf"
    ports = [int(process.base.rsplit(":", 1)[1]) for process in processes]
    nginx = NginxServer(tmp_path, config, ports)
    nginx.start()
    try:
        front = Server(None, nginx.port, db_path)
        prof = await instructor(front)
        class_ = await students(front, 6)
        lecture = await start_lecture(prof)
        clients = [await connect(front, lecture["join_code"], student) for student in class_]
        for client in clients:
            await client.next_of("hello")
        question = await ask(prof, lecture, "Pick", ("x", "y"), None)
        for client in clients:
            assert (await client.next_of("question"))["question"]["id"] == question["id"]
            client.send({"type": "answer", "question_id": question["id"], "choice": "x"})
            await client.next_of("answer_ack")
        for _ in range(50):  # presence is told between processes within 0.1 s
            overview = body_of(await prof.get(f"/api/lectures/{lecture['id']}"))
            if overview["present"] == 6:
                break
            await sleep(0.1)
        assert overview["present"] == 6
        for client in clients:
            client.close()
            await client.wait_closed()
        nginx.stop()  # its log lines are written as connections end
        served = nginx.upstreams_of("/ws/lectures/")
        assert served == {f"127.0.0.1:{port}" for port in ports}, "sockets on both processes"
    finally:
        nginx.stop()
        for process in processes:
            process.stop()
