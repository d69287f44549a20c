"""The real ``twistd iclicker`` process: start-up, usage errors, SIGTERM, kill -9, admin tool."""

import os
import shutil
import signal
import subprocess
import sys

import pytest_twisted
from support import PASSWORD, Server, User, body_of, connect, free_port, sleep
from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.protocol import ProcessProtocol


class Captured(ProcessProtocol):
    def __init__(self) -> None:
        self.output = b""
        self.ended: Deferred = Deferred()

    def outReceived(self, data: bytes) -> None:
        self.output += data

    errReceived = outReceived

    def processEnded(self, reason) -> None:
        """Fires with the exit code, or the negative signal number that ended it."""
        status = reason.value
        self.ended.callback(-status.signal if status.signal else status.exitCode)


def installed_script(name: str) -> str:
    """A console script of this environment (twistd, iclicker-admin)."""
    return shutil.which(name, path=os.path.dirname(sys.executable)) or shutil.which(name)


class TwistdServer:
    """``twistd -n iclicker`` as a child process on a free loopback port."""

    def __init__(self, workdir: str, db_path: str) -> None:
        self.workdir = workdir
        self.db_path = db_path
        self.port = free_port()
        self.process = None
        self.captured = None

    async def start(self) -> Server:
        self.captured = Captured()
        twistd = installed_script("twistd")
        argv = [
            twistd,
            "--pidfile=",
            "-n",
            "iclicker",
            "--port",
            f"tcp:{self.port}:interface=127.0.0.1",
            "--db",
            self.db_path,
            "--bcrypt-rounds",
            "4",
        ]
        self.process = reactor.spawnProcess(
            self.captured, twistd, argv, env=os.environ.copy(), path=self.workdir
        )
        server = Server(None, self.port, self.db_path)
        for _ in range(200):
            try:
                if (await User(server).get("/healthz")).code == 200:
                    return server
            except Exception:
                await sleep(0.05)
        raise AssertionError(self.captured.output.decode())

    async def signal(self, name: str) -> int:
        self.process.signalProcess(name)
        return await self.captured.ended


def admin(db_path: str, *argv: str, password: str | None = None) -> subprocess.CompletedProcess:
    """Run the installed iclicker-admin console script."""
    return subprocess.run(
        [installed_script("iclicker-admin"), "--db", db_path, "--bcrypt-rounds", "4", *argv],
        input=None if password is None else password + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )


def add_instructor(db_path: str, username: str = "prof") -> subprocess.CompletedProcess:
    return admin(
        db_path, "adduser", username, "--role", "instructor", "--password-stdin", password=PASSWORD
    )


@pytest_twisted.ensureDeferred
async def test_bad_options_are_usage_errors_not_tracebacks(tmp_path):
    """A bad CIDR stops ``python -m twisted iclicker`` with a usage message, non-zero."""
    captured = Captured()
    argv = [sys.executable, "-m", "twisted", "iclicker", "--allow-net", "10.0.0.0/99"]
    reactor.spawnProcess(captured, sys.executable, argv, env=os.environ.copy(), path=str(tmp_path))
    assert await captured.ended != 0
    assert b"--allow-net '10.0.0.0/99' is not a CIDR network" in captured.output
    assert b"Traceback" not in captured.output


@pytest_twisted.ensureDeferred
async def test_admin_tool_works_beside_a_running_server_and_kill_9_keeps_acked_answers(tmp_path):
    """iclicker-admin adds an instructor live; an acknowledged answer survives kill -9."""
    db_path = str(tmp_path / "live.sqlite3")
    twistd = TwistdServer(str(tmp_path), db_path)
    server = await twistd.start()
    try:
        result = add_instructor(db_path)
        assert result.returncode == 0, result.stderr
        assert (
            admin(db_path, "adduser", "PROF", "--password-stdin", password=PASSWORD).returncode != 0
        )
        student = User(server)
        await student.register("stu")
        result = admin(db_path, "setrole", "stu", "instructor")
        assert result.returncode == 0 and "stu is now instructor" in result.stdout
        assert body_of(await student.get("/api/me"))["user"]["role"] == "instructor"
        assert admin(db_path, "setrole", "stu", "student").returncode == 0
        prof = User(server)
        assert (await prof.login("prof")).code == 200, "usable at once"

        lecture = body_of(await prof.post("/api/lectures", {"title": "Durability"}))["lecture"]
        question = body_of(
            await prof.post(
                f"/api/lectures/{lecture['id']}/questions", {"text": "Q", "choices": ["a", "b"]}
            )
        )["question"]
        client = await connect(server, lecture["join_code"], student)
        await client.next_of("hello")
        client.send({"type": "answer", "question_id": question["id"], "choice": "b"})
        await client.next_of("answer_ack")
        assert await twistd.signal("KILL") == -signal.SIGKILL
        await client.wait_closed()

        server = await twistd.start()
        for user in (prof, student):
            user.server = server
        again = await connect(server, lecture["join_code"], student)
        hello = await again.next_of("hello")
        assert (hello["question"]["id"], hello["my_answer"]) == (question["id"], "b")
        export = await prof.get(f"/api/lectures/{lecture['id']}/responses.csv")
        assert b"stu,stu," in export.body
        again.close()
        await again.wait_closed()
    finally:
        if twistd.process.pid is not None:
            await twistd.signal("KILL")


@pytest_twisted.ensureDeferred
async def test_sigterm_closes_sockets_with_1001_and_exits_cleanly(tmp_path):
    """On SIGTERM clients see 'going away' and the server shuts down without errors.

    twistd shuts down cleanly and then re-raises the signal, as a well-behaved
    Unix daemon should, so its status is "terminated by SIGTERM".
    """
    db_path = str(tmp_path / "term.sqlite3")
    twistd = TwistdServer(str(tmp_path), db_path)
    server = await twistd.start()
    assert add_instructor(db_path).returncode == 0
    prof = User(server)
    await prof.login("prof")
    lecture = body_of(await prof.post("/api/lectures", {"title": "Goodbye"}))["lecture"]
    client = await connect(server, lecture["join_code"], prof)
    await client.next_of("hello")
    assert await twistd.signal("TERM") in (0, -signal.SIGTERM)
    assert await client.wait_closed() == 1001
    log = twistd.captured.output
    assert b"Server Shut Down." in log
    assert b"Traceback" not in log and b"Unhandled" not in log, log.decode()
