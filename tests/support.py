"""Test helpers: a real server on a loopback port, HTTP users with cookie jars, WS clients."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from http.cookiejar import CookieJar
from typing import Any

import attrs
import treq
from autobahn.twisted.websocket import WebSocketClientFactory, WebSocketClientProtocol
from autobahn.websocket.compress import PerMessageDeflateOffer
from treq.client import HTTPClient
from twisted.internet import defer, reactor
from twisted.internet.defer import Deferred, DeferredQueue
from twisted.internet.endpoints import TCP4ClientEndpoint, TCP6ClientEndpoint
from twisted.web.client import Agent, HTTPConnectionPool

from iclicker.tap import Options, makeService

PASSWORD = "correct horse"


async def start_server(db_path: str, *extra: str):
    """The service ``twistd iclicker`` would run, on an ephemeral loopback port.

    ``extra`` options come last, so a test may give its own ``--port``.
    """
    options = Options()
    options.parseOptions(
        ["--port", "tcp:0:interface=127.0.0.1", "--db", db_path, "--bcrypt-rounds", "4", *extra]
    )
    service = makeService(options)
    service.startService()
    port = await service.getServiceNamed("http")._waitingForPort
    return Server(service, getattr(port.getHost(), "port", 0), db_path)


@attrs.define
class Server:
    service: Any
    port: int
    db_path: str
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    async def stop(self) -> None:
        await self.service.stopService()


def loopback_endpoint(host: str, port: int):
    """A client endpoint for a loopback literal, IPv4 or IPv6 (no name resolution)."""
    kind = TCP6ClientEndpoint if ":" in host else TCP4ClientEndpoint
    return kind(reactor, host, port)


class User:
    """One browser-like HTTP client with its own cookie jar."""

    def __init__(self, server: Server, cookies: CookieJar | None = None) -> None:
        self.server = server
        self.cookies = CookieJar() if cookies is None else cookies
        self._pool = HTTPConnectionPool(reactor, persistent=False)
        self.http = HTTPClient(Agent(reactor, pool=self._pool), cookiejar=self.cookies)

    async def request(self, method: str, path: str, **kwargs):
        kwargs.setdefault("allow_redirects", False)
        response = await self.http.request(method, self.server.url + path, **kwargs)
        response.body = await response.content()
        return response

    async def post(self, path: str, body: Any = None, **kwargs):
        return await self.request("POST", path, json={} if body is None else body, **kwargs)

    async def get(self, path: str, **kwargs):
        return await self.request("GET", path, **kwargs)

    @property
    def session_cookie(self) -> str | None:
        for cookie in self.cookies:
            if cookie.name == "iclicker_session":
                return cookie.value
        return None

    async def register(self, username: str, password: str = PASSWORD) -> dict:
        response = await self.post("/api/register", {"username": username, "password": password})
        assert response.code == 201, response.body
        return json.loads(response.body)["user"]

    async def login(self, username: str, password: str = PASSWORD, remember: bool = False):
        return await self.post(
            "/api/login", {"username": username, "password": password, "remember": remember}
        )


def body_of(response) -> Any:
    return json.loads(response.body)


def make_account(db_path: str, username: str, role: str, password: str = PASSWORD) -> None:
    """Create an account the way an operator would: with iclicker-admin."""
    from io import StringIO

    from iclicker.admin import run

    run(
        [
            "--db",
            db_path,
            "--bcrypt-rounds",
            "4",
            "adduser",
            username,
            "--role",
            role,
            "--password-stdin",
        ],
        stdin=StringIO(password + "\n"),
        out=StringIO(),
    )


class _ClientProtocol(WebSocketClientProtocol):
    def onOpen(self) -> None:
        self.factory.client._opened(self)

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        self.factory.client.messages.put(json.loads(payload))

    def onClose(self, wasClean: bool, code: int, reason: str) -> None:
        self.factory.client._closed(code, reason)


class SocketClient:
    """A test WebSocket client: queued incoming messages, and the close code."""

    def __init__(self) -> None:
        self.messages: DeferredQueue = DeferredQueue()
        self.protocol: _ClientProtocol | None = None
        self.opened: Deferred = Deferred()
        self.closed: Deferred = Deferred()
        self.close_code: int | None = None

    def _opened(self, protocol: _ClientProtocol) -> None:
        self.protocol = protocol
        self.opened.callback(self)

    def _closed(self, code: int, reason: str) -> None:
        self.close_code = code
        if not self.opened.called:
            self.opened.errback(ConnectionError(reason))
        if not self.closed.called:
            self.closed.callback(code)

    async def next(self, timeout: float = 5.0) -> dict:
        message = self.messages.get()
        message.addTimeout(timeout, reactor)
        return await message

    async def next_of(self, kind: str, timeout: float = 5.0) -> dict:
        """The next message of type ``kind``, skipping others (e.g. tallies)."""
        while True:
            message = await self.next(timeout)
            if message["type"] == kind:
                return message

    def send(self, message: dict) -> None:
        self.protocol.sendMessage(json.dumps(message).encode())

    def send_raw(self, payload: bytes, binary: bool = False) -> None:
        self.protocol.sendMessage(payload, isBinary=binary)

    async def wait_closed(self, timeout: float = 5.0) -> int:
        self.closed.addTimeout(timeout, reactor)
        return await self.closed

    def close(self) -> None:
        if self.protocol is not None and self.close_code is None:
            self.protocol.sendClose(1000)


async def connect(
    server: Server, join_code: str, user: User | None, **headers: str
) -> SocketClient:
    """A lecture socket."""
    return await open_socket(server, f"/ws/lectures/{join_code}", user, **headers)


async def open_socket(
    server: Server, path: str, user: User | None, compression: bool = False, **headers: str
) -> SocketClient:
    """Any WebSocket of the server, as ``user``; returns once it is open.

    ``compression`` offers permessage-deflate, as browsers do.
    """
    client = SocketClient()
    all_headers = dict(headers)
    if user is not None and user.session_cookie:
        all_headers["Cookie"] = f"iclicker_session={user.session_cookie}"
    factory = WebSocketClientFactory(f"{server.ws_url}{path}", headers=all_headers)
    factory.protocol = _ClientProtocol
    factory.client = client
    factory.setProtocolOptions(autoPingInterval=0, openHandshakeTimeout=10)
    if compression:
        factory.setProtocolOptions(perMessageCompressionOffers=[PerMessageDeflateOffer()])
    await loopback_endpoint(server.host.strip("[]"), server.port).connect(factory)
    await client.opened
    return client


async def handshake_status(
    server: Server, path: str, user: User | None = None, **headers: str
) -> int:
    """The HTTP status of a WebSocket upgrade request that the server refuses."""
    all_headers = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
        **headers,
    }
    if user is not None and user.session_cookie:
        all_headers["Cookie"] = f"iclicker_session={user.session_cookie}"
    pool = HTTPConnectionPool(reactor, persistent=False)
    response = await treq.get(
        server.url + path, headers={k: [v] for k, v in all_headers.items()}, pool=pool
    )
    await response.content()
    return response.code


def sleep(seconds: float) -> Deferred:
    from twisted.internet.task import deferLater

    return deferLater(reactor, seconds)


async def gather(*coroutines):
    """Run coroutines concurrently; their results in order."""
    return await defer.gatherResults(
        [Deferred.fromCoroutine(c) for c in coroutines], consumeErrors=True
    )


def artifact_dir() -> str:
    path = os.environ.get("ICLICKER_ARTIFACTS", os.path.join(os.getcwd(), "test-artifacts"))
    os.makedirs(path, exist_ok=True)
    return path


# -- lecture scenes -------------------------------------------------------------


async def instructor(server, name: str = "prof") -> User:
    make_account(server.db_path, name, "instructor")
    user = User(server)
    assert (await user.login(name)).code == 200
    return user


async def students(server, count: int, prefix: str = "student") -> list[User]:
    users = [User(server) for _ in range(count)]
    await gather(*(user.register(f"{prefix}{i:03d}") for i, user in enumerate(users)))
    return users


async def start_lecture(prof: User) -> dict:
    response = await prof.post("/api/lectures", {"title": "Physics 101"})
    assert response.code == 201
    return body_of(response)["lecture"]


async def ask(
    prof: User, lecture: dict, text="2 + 2?", choices=("3", "4", "5"), correct="4"
) -> dict:
    body = {"text": text, "choices": list(choices)}
    if correct is not None:
        body["correct"] = correct
    response = await prof.post(f"/api/lectures/{lecture['id']}/questions", body)
    assert response.code == 201, response.body
    return body_of(response)["question"]


@attrs.frozen
class Scene:
    """An instructor's lecture with one student connected (and maybe a question open)."""

    prof: User
    student: User
    lecture: dict
    question: dict | None
    client: SocketClient
    hello: dict


async def one_student(server, with_question: bool = True) -> Scene:
    prof = await instructor(server)
    (student,) = await students(server, 1)
    lecture = await start_lecture(prof)
    question = await ask(prof, lecture) if with_question else None
    client = await connect(server, lecture["join_code"], student)
    hello = await client.next_of("hello")
    return Scene(prof, student, lecture, question, client, hello)


# -- a twistd process for blocking clients ------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class TwistdProcess:
    """A ``twistd iclicker`` process, driven without the reactor (for blocking clients:
    Playwright, requests), that can be killed and started again on the same port."""

    def __init__(self, workdir, *extra: str, db_path: str | None = None, name: str = "twistd"):
        self.workdir = workdir
        self.db_path = db_path or str(workdir / "iclicker.sqlite3")
        self.extra = extra
        self.base = f"http://127.0.0.1:{free_port()}"
        self.process = None
        self.log_path = workdir / f"{name}.log"
        self.log = open(self.log_path, "ab")

    def start(self) -> None:
        twistd = shutil.which("twistd", path=os.path.dirname(sys.executable)) or "twistd"
        port = self.base.rsplit(":", 1)[1]
        self.process = subprocess.Popen(
            [
                twistd,
                "--pidfile=",
                "-n",
                "iclicker",
                "--port",
                f"tcp:{port}:interface=127.0.0.1",
                "--db",
                self.db_path,
                "--bcrypt-rounds",
                "4",
                *self.extra,
            ],
            cwd=self.workdir,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise AssertionError(self.log_path.read_text()) from None
                time.sleep(0.1)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=20)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)
        self.log.close()
