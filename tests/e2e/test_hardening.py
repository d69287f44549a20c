"""Hostile and broken clients over real sockets: every one gets a clear answer, none a 500."""

import pytest_twisted
from support import (
    PASSWORD,
    User,
    body_of,
    connect,
    handshake_status,
    instructor,
    one_student,
    start_lecture,
    start_server,
)
from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import UNIXClientEndpoint, connectProtocol
from twisted.internet.protocol import Protocol

from iclicker.store.db import connect as connect_db

DEEP = 100_000
TOO_BIG_ID = "99999999999999999999999999"


def error_code(response) -> str:
    assert response.headers.getRawHeaders("content-type") == ["application/json"]
    return body_of(response)["error"]["code"]


@pytest_twisted.ensureDeferred
async def test_deeply_nested_json_body_is_400_not_500(server):
    """A body nested 100,000 levels deep is invalid_request, not a RecursionError."""
    user = User(server)
    for body in [b"[" * DEEP + b"]" * DEEP, b'{"a":' * DEEP + b"1" + b"}" * DEEP]:
        response = await user.request(
            "POST",
            "/api/login",
            data=body,
            headers={"Content-Type": ["application/json"]},
        )
        assert response.code == 400
        assert error_code(response) == "invalid_request"


@pytest_twisted.ensureDeferred
async def test_nul_characters_and_nan_are_invalid_request(server):
    """U+0000 in any string field and JSON's missing NaN are 400 invalid_request."""
    user = User(server)
    for raw in [
        b'{"username": "ab\\u0000cd", "password": "long enough"}',
        b'{"username": "abcd", "password": "long enough", "x": NaN}',
    ]:
        response = await user.request(
            "POST", "/api/register", data=raw, headers={"Content-Type": ["application/json"]}
        )
        assert (response.code, error_code(response)) == (400, "invalid_request")


@pytest_twisted.ensureDeferred
async def test_deep_and_huge_frames_get_bad_message_and_the_socket_lives(server):
    """A deeply nested frame and a 2^64 question id are bad_message; the socket stays open."""
    scene = await one_student(server)
    client = scene.client
    client.send_raw(b"[" * 30_000 + b"]" * 30_000)
    assert (await client.next_of("error"))["code"] == "bad_message"
    client.send({"type": "answer", "question_id": 2**64, "choice": "4"})
    assert (await client.next_of("error"))["code"] == "bad_message"
    client.send({"type": "answer", "question_id": -(2**63) - 1, "choice": "4"})
    assert (await client.next_of("error"))["code"] == "bad_message"
    client.send({"type": "ping"})
    assert (await client.next_of("pong"))["type"] == "pong"
    client.send({"type": "answer", "question_id": scene.question["id"], "choice": "4"})
    assert (await client.next_of("answer_ack"))["choice"] == "4"


@pytest_twisted.ensureDeferred
async def test_huge_ids_in_paths_and_bodies_are_404_and_400(server):
    """Ids beyond 64 bits never reach SQLite: 404 in a path, 400 in a body."""
    prof = await instructor(server)
    lecture = await start_lecture(prof)
    for path in [
        f"/api/lectures/{TOO_BIG_ID}",
        f"/api/lectures/{2**63}",
        f"/api/lectures/{'9' * 5000}",
        f"/api/lectures/{lecture['id']}/questions/{TOO_BIG_ID}/close",
        f"/lectures/{TOO_BIG_ID}",
    ]:
        method = "POST" if path.endswith("/close") else "GET"
        response = await prof.request(method, path, json={} if method == "POST" else None)
        assert response.code == 404, path
    response = await prof.post("/api/lectures", {"title": "T", "course_id": 2**70})
    assert (response.code, error_code(response)) == (400, "invalid_request")
    assert (await prof.get(f"/api/lectures/{2**63 - 1}")).code == 404


@pytest_twisted.ensureDeferred
async def test_null_and_malformed_origins_are_refused_with_403(server):
    """Origin: null (sandboxed iframes, file: pages) and garbage origins get 403, not 400."""
    scene = await one_student(server, with_question=False)
    path = f"/ws/lectures/{scene.lecture['join_code']}"
    for origin in ["null", "file://", "not a url", "http://"]:
        assert await handshake_status(server, path, scene.student, Origin=origin) == 403, origin


@pytest_twisted.ensureDeferred
async def test_http_allowlist_covers_every_path_but_healthz(db_path):
    """With --allow-net-http a refused network gets 403 everywhere: static, unknown, /ws, logout."""
    server = await start_server(db_path, "--allow-net", "10.0.0.0/8", "--allow-net-http")
    try:
        user = User(server)
        for method, path in [
            ("GET", "/static/style.css"),
            ("GET", "/static/"),
            ("GET", "/no/such/page"),
            ("GET", "/api/no/such/route"),
            ("POST", "/logout"),
            ("GET", "/ws/lectures/ABCDEF"),
        ]:
            response = await user.request(method, path)
            assert response.code == 403, path
            if path.startswith("/api/"):
                assert error_code(response) == "network_not_allowed"
        assert await handshake_status(server, "/ws/lectures/ABCDEF") == 403
        assert (await user.get("/healthz")).code == 200
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_multipart_body_without_the_upload_header_is_csrf_failed(server):
    """A multipart POST is refused by our CSRF rule (403), never by Twisted's parser (400)."""
    prof = await instructor(server)
    for body in [
        b"--xyz\r\nContent-Disposition: form-data; name=file\r\n\r\nabc\r\n--xyz--\r\n",
        b"not multipart at all",
    ]:
        response = await prof.request(
            "POST",
            "/api/lectures",
            data=body,
            headers={"Content-Type": ["multipart/form-data; boundary=xyz"]},
        )
        assert (response.code, error_code(response)) == (403, "csrf_failed")


@pytest_twisted.ensureDeferred
async def test_overlong_password_at_login_is_401_not_500(server):
    """A password over bcrypt's 72 bytes fails like a wrong one, on the API and the page."""
    user = User(server)
    await user.register("alice")
    response = await User(server).login("alice", "x" * 100)
    assert (response.code, error_code(response)) == (401, "bad_credentials")
    response = await User(server).login("alice", PASSWORD + "é" * 40)
    assert response.code == 401
    page = User(server)
    form = await page.get("/login")
    token = form.body.split(b'name="csrf_token" value="')[1].split(b'"')[0].decode()
    response = await page.request(
        "POST",
        "/login",
        data={"csrf_token": token, "username": "alice", "password": "y" * 200},
    )
    assert response.code == 401
    assert (await User(server).login("alice")).code == 200


@pytest_twisted.ensureDeferred
async def test_overlong_usernames_are_refused_without_a_throttle_row(server):
    """A 1 MiB username at login is 401 and is never stored as a throttle key."""
    response = await User(server).login("u" * (1024 * 1024 - 100), "whatever password")
    assert (response.code, error_code(response)) == (401, "bad_credentials")
    connection = connect_db(server.db_path)
    try:
        rows = connection.execute("SELECT count(*) FROM login_throttle").fetchone()[0]
    finally:
        connection.close()
    assert rows == 0


@pytest_twisted.ensureDeferred
async def test_next_with_a_tab_cannot_leave_the_site(server):
    """/login?next=/%09/evil.example sends a signed-in user home, not off-site."""
    user = User(server)
    await user.register("alice")
    for target in ["/%09/evil.example", "/%0a/evil.example", "/%5cevil.example", "/%20/x"]:
        response = await user.get(f"/login?next={target}")
        assert response.code == 303
        assert response.headers.getRawHeaders("location") == ["/"], target


@pytest_twisted.ensureDeferred
async def test_one_account_keeps_at_most_16_sockets(server):
    """The 17th socket of one account closes that account's oldest with 1008."""
    scene = await one_student(server, with_question=False)
    clients = [scene.client]
    for _ in range(16):
        client = await connect(server, scene.lecture["join_code"], scene.student)
        await client.next_of("hello")
        clients.append(client)
    assert await clients[0].wait_closed() == 1008
    clients[-1].send({"type": "ping"})
    assert (await clients[-1].next_of("pong"))["type"] == "pong"
    assert all(client.close_code is None for client in clients[1:])


class _RawHttp(Protocol):
    def __init__(self, request: bytes) -> None:
        self.request = request
        self.received = b""
        self.done: Deferred = Deferred()

    def connectionMade(self) -> None:
        self.transport.write(self.request)

    def dataReceived(self, data: bytes) -> None:
        self.received += data
        if b"\r\n\r\n" in self.received and not self.done.called:
            self.done.callback(self.received)


async def _raw_request_over_unix(path: str, request: bytes) -> bytes:
    protocol = _RawHttp(request)
    await connectProtocol(UNIXClientEndpoint(reactor, path), protocol)
    response = await protocol.done.addTimeout(5, reactor)
    protocol.transport.loseConnection()
    return response


@pytest_twisted.ensureDeferred
async def test_unix_socket_port_serves_handshakes(tmp_path):
    """Over --port unix:PATH a handshake is judged (401 without a session), never a 500."""
    socket_path = str(tmp_path / "iclicker.sock")
    server = await start_server(str(tmp_path / "db.sqlite3"), "--port", f"unix:{socket_path}")
    try:
        upgrade = (
            b"GET /ws/lectures/ABCDEF HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            b"Sec-WebSocket-Version: 13\r\n\r\n"
        )
        response = await _raw_request_over_unix(socket_path, upgrade)
        assert response.startswith(b"HTTP/1.1 401"), response[:80]
        health = await _raw_request_over_unix(
            socket_path, b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
        )
        assert health.startswith(b"HTTP/1.1 200")
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_unix_socket_with_an_allowlist_refuses_without_a_500(tmp_path):
    """A unix-socket peer has no address: an allowlist refuses it with 403, not a crash."""
    socket_path = str(tmp_path / "iclicker.sock")
    server = await start_server(
        str(tmp_path / "db.sqlite3"),
        "--port",
        f"unix:{socket_path}",
        "--allow-net",
        "127.0.0.0/8",
        "--allow-net-http",
    )
    try:
        response = await _raw_request_over_unix(
            socket_path, b"GET /api/me HTTP/1.1\r\nHost: localhost\r\n\r\n"
        )
        assert response.startswith(b"HTTP/1.1 403"), response[:80]
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_slash_redirects_carry_a_location(server):
    """/static (no slash) is a 308 to /static/ with a Location header."""
    response = await User(server).get("/static")
    assert response.code == 308
    assert response.headers.getRawHeaders("location") == ["/static/"]


@pytest_twisted.ensureDeferred
async def test_bad_paths_and_hosts_get_the_json_error_under_api(server):
    """A path not UTF-8 or with NUL, or a Host no router can bind, is a 400 (JSON under /api)."""
    user = User(server)
    response = await user.get("/api/lectures/%ff%fe")
    assert (response.code, error_code(response)) == (400, "invalid_request")
    response = await user.get("/lectures/%ff")
    assert response.code == 400
    assert response.headers.getRawHeaders("content-type")[0].startswith("text/html")
    for path in ["/static/%00", "/api/lectures/%00", "/join/%00"]:
        assert (await user.get(path)).code == 400, "found by the fuzzer: /static/%00 was a 500"
    for path in ["/ws%2F", "/ws%2Flectures%2FABC"]:
        assert (await user.get(path)).code == 404, "/ws%2F (routed as /ws/) was a 500"
    for host in [b".", b".)", b"\xff"]:  # found by the fuzzer: werkzeug's BadHost was a 500
        response = await user.get("/api/me", headers={"Host": [host]})
        assert (response.code, error_code(response)) == (400, "invalid_request"), host


@pytest_twisted.ensureDeferred
async def test_static_directory_is_not_listed_and_missing_files_are_404(server):
    """/static/ lists nothing; a missing file gets the site's 404 page."""
    user = User(server)
    for path in ["/static/", "/static/nothing-here.js"]:
        response = await user.get(path)
        assert response.code == 404, path
        assert b"instructor.js" not in response.body
        assert b"Page not found" in response.body
    assert (await user.get("/static/style.css")).code == 200


@pytest_twisted.ensureDeferred
async def test_every_response_says_nosniff(server):
    """Pages, API answers, errors and static files all carry X-Content-Type-Options."""
    user = User(server)
    for path in ["/login", "/api/me", "/static/style.css", "/nothing", "/healthz"]:
        response = await user.get(path)
        assert response.headers.getRawHeaders("x-content-type-options") == ["nosniff"], path


@pytest_twisted.ensureDeferred
async def test_admin_passwd_ends_the_accounts_sessions(server):
    """After iclicker-admin passwd, the account's open sessions no longer work."""
    from io import StringIO

    from iclicker.admin import run

    user = User(server)
    await user.register("alice")
    assert (await user.get("/api/me")).code == 200
    run(
        ["--db", server.db_path, "--bcrypt-rounds", "4", "passwd", "alice", "--password-stdin"],
        stdin=StringIO("a brand new password\n"),
        out=StringIO(),
    )
    assert (await user.get("/api/me")).code == 401
    assert (await User(server).login("alice", "a brand new password")).code == 200
