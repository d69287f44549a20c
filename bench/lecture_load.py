"""Lecture load benchmark: N students on real sockets against a running iclicker server.

Reports connect time, question fan-out latency (p50/p99/max, measured from the
moment the instructor's POST is sent), the time until every answer of a round
is acknowledged (each ack is sent only after the answer is committed), server
memory per connected student (RSS growth / N, from /proc), and the server's
CPU use while everyone sits connected and idle.

    # server on core 0, load generator on core 1 (what the README reports):
    python bench/lecture_load.py --spawn --students 1000
    # against a server you started yourself (with a low --bcrypt-rounds):
    python bench/lecture_load.py --url http://127.0.0.1:8080 --db iclicker.sqlite3 --server-pid PID
    # two processes sharing groups through a redis-server of the script's own, students
    # split between them (or all on the process the instructor does not use):
    python bench/lecture_load.py --spawn --processes 2 --students 2000
    python bench/lecture_load.py --spawn --processes 2 --students 1000 --students-on others
    # on PostgreSQL (an empty database of yours):
    python bench/lecture_load.py --spawn --spawn-db postgresql://USER@HOST/NAME
    # a round of each question kind in turn (medians per kind; the instructor's socket
    # counts its tallies, to show the word cloud is recomputed at most ten times a second):
    python bench/lecture_load.py --spawn --rounds 8 --kinds single,multiple,numeric,text
    # memory per socket alone: the set-up's garbage collected before the sockets open
    # (chat_load.py takes the same option, to compare a room member with a student)
    python bench/lecture_load.py --spawn --collect-setup-garbage

Students are plain WebSocket clients written for this script (handshake and
framing by hand) so that the load generator's own cost stays small next to
the server's; messages are still parsed as JSON.
"""

import argparse
import gc
import json
import os
import resource
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from http.cookiejar import CookieJar
from io import StringIO

from treq.client import HTTPClient
from twisted.internet import defer, reactor, task
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.protocol import Protocol
from twisted.web.client import Agent, HTTPConnectionPool

PASSWORD = "benchmark password"


class Student(Protocol):
    """A minimal WebSocket client: one handshake, unmasked frames in, masked frames out."""

    def __init__(self, bench: "Bench", path: str, cookie: str, host: str) -> None:
        self.bench = bench
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            f"Sec-WebSocket-Version: 13\r\nCookie: iclicker_session={cookie}\r\n\r\n"
        ).encode()
        self.buffer = b""
        self.upgraded = False
        self.hello: defer.Deferred = defer.Deferred()

    def connectionMade(self) -> None:
        self.transport.write(self.request)

    def dataReceived(self, data: bytes) -> None:
        now = time.perf_counter()
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.buffer.startswith(b"HTTP/1.1 101"):
                self.hello.errback(RuntimeError(self.buffer[:60]))
                return
            self.upgraded = True
            self.buffer = self.buffer[end + 4 :]
        buffer, offset = self.buffer, 0  # one slice at the end, not one per frame
        while len(buffer) - offset >= 2:
            length = buffer[offset + 1] & 0x7F
            start = offset + 2
            if length == 126:
                if len(buffer) - offset < 4:
                    break
                length = struct.unpack_from("!H", buffer, offset + 2)[0]
                start = offset + 4
            elif length == 127:
                if len(buffer) - offset < 10:
                    break
                length = struct.unpack_from("!Q", buffer, offset + 2)[0]
                start = offset + 10
            if len(buffer) < start + length:
                break
            opcode = buffer[offset] & 0x0F
            payload = buffer[start : start + length]
            offset = start + length
            if opcode == 1:
                self.bench.frame(self, payload, now)
            elif opcode == 9:
                self.send_frame(payload, opcode=10)
        self.buffer = buffer[offset:]

    def send_frame(self, payload: bytes, opcode: int = 1) -> None:
        # An all-zero mask is legal and makes masking a no-op.
        if len(payload) < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | len(payload))
        else:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, len(payload))
        self.transport.write(header + b"\0\0\0\0" + payload)

    def send(self, message: dict) -> None:
        self.send_frame(json.dumps(message).encode())


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


TWISTD_COLLECTING_ON_SIGUSR2 = (
    "import gc, signal, sys\n"
    "signal.signal(signal.SIGUSR2, lambda *_: gc.collect())\n"
    "from twisted.scripts.twistd import run\n"
    "sys.argv[0] = 'twistd'\n"
    "run()\n"
)
"""A spawned server: twistd, plus a full collection on SIGUSR2 (--collect-setup-garbage)."""


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class Bench:
    def __init__(self, args) -> None:
        self.args = args
        self.url = args.url.rstrip("/")
        self.host = self.url.split("://", 1)[1]
        self.student_hosts = [url.split("://", 1)[1] for url in student_urls(args)]
        self.pool = HTTPConnectionPool(reactor, persistent=True)
        self.pool.maxPersistentPerHost = 64
        self.waiting: dict[str, tuple[int, defer.Deferred]] = {}
        self.ack_samples: list[float] = []
        """Every answer's acknowledgement time (ms) since the caller last cleared it."""
        self.times: dict[str, list[float]] = {}
        self.tallies: list[float] = []
        """When the instructor's socket got each tally."""

    async def rss_before_sockets(self) -> int | None:
        """The server's memory before the sockets open. With --collect-setup-garbage, after a
        full collection there: Klein leaves each HTTP request of the set-up (sign-ups, room
        joins) in a reference cycle, and when the collector happens to free those during
        the connect storm decides whether the sockets reuse that memory or grow the heap."""
        if not self.args.server_pid:
            return None
        if self.args.collect_setup_garbage:
            os.kill(self.args.server_pid, signal.SIGUSR2)
            await task.deferLater(reactor, 1.0)
        return rss_kib(self.args.server_pid)

    def client(self) -> HTTPClient:
        return HTTPClient(Agent(reactor, pool=self.pool), cookiejar=CookieJar())

    async def account(self, username: str) -> str:
        """Register (or log in) a student; returns the session cookie value."""
        client = self.client()
        body = {"username": username, "password": PASSWORD}
        response = await client.post(self.url + "/api/register", json=body)
        await response.content()
        if response.code == 409:
            response = await client.post(self.url + "/api/login", json=body)
            await response.content()
        assert response.code in (200, 201), response.code
        return next(c.value for c in client._cookiejar if c.name == "iclicker_session")

    async def instructor(self) -> HTTPClient:
        from iclicker.admin import run

        try:
            run(
                [
                    "--db",
                    self.args.db,
                    "--bcrypt-rounds",
                    "4",
                    "adduser",
                    "bench-prof",
                    "--role",
                    "instructor",
                    "--password-stdin",
                ],
                stdin=StringIO(PASSWORD + "\n"),
                out=StringIO(),
            )
        except Exception:
            pass  # already there from an earlier run
        client = self.client()
        response = await client.post(
            self.url + "/api/login", json={"username": "bench-prof", "password": PASSWORD}
        )
        await response.content()
        assert response.code == 200, "could not log the instructor in"
        return client

    def expect(self, kind: str, count: int) -> defer.Deferred:
        done: defer.Deferred = defer.Deferred()
        self.times[kind] = []
        self.waiting[kind] = (count, done)
        return done

    def frame(self, student: Student, payload: bytes, now: float) -> None:
        """A text frame from the server.

        Results of a closed question (a word cloud, a histogram) are not
        parsed unless waited for: a thousand clients in this one process
        parsing them would delay the next frames and be measured as the
        server's fan-out.
        """
        if (
            payload.startswith(b'{"type":"question_closed"')
            and "question_closed" not in self.waiting
        ):
            return
        self.received(student, json.loads(payload), now)

    def received(self, student: Student, message: dict, now: float) -> None:
        kind = message["type"]
        if kind == "tally":
            self.tallies.append(now)
        if kind == "hello" and not student.hello.called:
            student.hello.callback(message)
        if kind == "question":
            student.question = message["question"]
        if kind in self.waiting:
            self.times[kind].append(now)
            count, done = self.waiting[kind]
            if len(self.times[kind]) == count:
                del self.waiting[kind]
                done.callback(self.times[kind])

    async def limited(self, coroutines, concurrency: int):
        semaphore = defer.DeferredSemaphore(concurrency)
        return await defer.gatherResults(
            [semaphore.run(lambda c=c: defer.Deferred.fromCoroutine(c)) for c in coroutines],
            consumeErrors=True,
        )

    async def setup(self) -> None:
        """An instructor's lecture with every student registered, connected and idle."""
        n = self.args.students
        self.rss_start = rss_kib(self.args.server_pid) if self.args.server_pid else None
        self.prof = await self.instructor()
        response = await self.prof.post(self.url + "/api/lectures", json={"title": "Benchmark"})
        self.lecture = (await response.json())["lecture"]
        started = time.perf_counter()
        cookies = await self.limited([self.account(f"bench-s{i:05d}") for i in range(n)], 32)
        print(f"registered {n} students in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        await task.deferLater(reactor, 1.0)
        self.rss_before = await self.rss_before_sockets()

        path = f"/ws/lectures/{self.lecture['join_code']}"
        started = time.perf_counter()
        self.students = []

        async def join(number: int, cookie: str) -> None:
            where = self.student_hosts[number % len(self.student_hosts)]
            host, port = where.rsplit(":", 1)
            student = Student(self, path, cookie, where)
            await connectProtocol(TCP4ClientEndpoint(reactor, host, int(port)), student)
            await student.hello
            self.students.append(student)

        await self.limited(
            [join(number, cookie) for number, cookie in enumerate(cookies)],
            self.args.connect_concurrency,
        )
        self.connect_seconds = time.perf_counter() - started
        prof_cookie = next(c.value for c in self.prof._cookiejar if c.name == "iclicker_session")
        host, port = self.host.rsplit(":", 1)
        self.screen = Student(self, path, prof_cookie, self.host)
        await connectProtocol(TCP4ClientEndpoint(reactor, host, int(port)), self.screen)
        await self.screen.hello
        # Keep the load generator's own GC pauses out of the measurements.
        gc.collect()
        gc.freeze()
        await task.deferLater(reactor, 2.0)
        self.rss_connected = rss_kib(self.args.server_pid) if self.args.server_pid else None

    async def answer_round(self, number: int, kind: str = "single") -> dict:
        """Ask a question of ``kind``, every student answers; fan-out and acknowledgement
        times in ms, and the tallies the instructor's screen got meanwhile."""
        n = len(self.students)
        received = self.expect("question", n)
        t0 = time.perf_counter()
        response = await self.prof.post(
            self.url + f"/api/lectures/{self.lecture['id']}/questions",
            json={"text": f"Round {number}: a {kind} question", **QUESTIONS[kind]},
        )
        await response.content()
        arrivals = await received
        fanout_ms = [(t - t0) * 1000 for t in arrivals]
        acked = self.expect("answer_ack", n)
        self.tallies = []
        t1 = time.perf_counter()
        for i, student in enumerate(self.students):
            student.send(
                {"type": "answer", "question_id": student.question["id"], "choice": ANSWER[kind](i)}
            )
        ack_ms = [(t - t1) * 1000 for t in await acked]
        await task.deferLater(reactor, 0.3)  # the last tally
        gaps = [(b - a) * 1000 for a, b in zip(self.tallies, self.tallies[1:])]
        self.ack_samples.extend(ack_ms)
        result = {
            "fanout_p50_ms": percentile(fanout_ms, 0.5),
            "fanout_p99_ms": percentile(fanout_ms, 0.99),
            "fanout_max_ms": max(fanout_ms),
            "ack_p99_ms": percentile(ack_ms, 0.99),
            "all_answers_acked_ms": max(ack_ms),
            "tallies": len(self.tallies),
            # At most ten a second means no two closer than 100 ms (less a network jitter).
            "min_tally_gap_ms": min(gaps) if gaps else 0.0,
        }
        print(
            f"round {number} ({kind}): " + ", ".join(f"{k}={v:.1f}" for k, v in result.items()),
            file=sys.stderr,
        )
        await task.deferLater(reactor, 0.5)
        return result

    async def finish(self) -> None:
        response = await self.prof.post(
            self.url + f"/api/lectures/{self.lecture['id']}/end", json={}
        )
        await response.content()
        await self.pool.closeCachedConnections()

    async def run(self) -> dict:
        await self.setup()
        n = self.args.students
        idle_cpu = None
        if self.args.server_pid:
            before = cpu_seconds(self.args.server_pid)
            await task.deferLater(reactor, self.args.idle_seconds)
            idle_cpu = cpu_seconds(self.args.server_pid) - before
        cpu_before = [cpu_seconds(pid) for pid in self.args.server_pids]
        started = time.perf_counter()
        kinds = self.args.kinds.split(",")
        rounds = []
        for number in range(self.args.rounds):
            rounds.append(await self.answer_round(number, kinds[number % len(kinds)]))
        elapsed = time.perf_counter() - started
        cpu_in_rounds = [
            cpu_seconds(pid) - cpu for pid, cpu in zip(self.args.server_pids, cpu_before)
        ]
        await self.finish()
        result = {
            "students": n,
            "connect_all_seconds": round(self.connect_seconds, 3),
            "rounds": rounds,
            "median_round": median_round(rounds),
            "median_round_by_kind": {
                kind: median_round(rounds[i :: len(kinds)]) for i, kind in enumerate(kinds)
            }
            if len(kinds) > 1
            else None,
            "processes": len(self.args.server_pids) or None,
            "server_cpu_percent_in_rounds": [
                round(100 * cpu / elapsed, 1) for cpu in cpu_in_rounds
            ],
        }
        if self.rss_before is not None:
            result["server_rss_kib_start"] = self.rss_start
            result["server_rss_kib_before"] = self.rss_before
            result["server_rss_kib_connected"] = self.rss_connected
            # Growth while the students connect; and, as an upper bound, growth
            # since before they even registered (sessions, caches, allocator slack).
            result["server_kib_per_student"] = round((self.rss_connected - self.rss_before) / n, 1)
            result["server_kib_per_student_upper_bound"] = round(
                (self.rss_connected - self.rss_start) / n, 1
            )
            result["server_cpu_percent_while_idle"] = round(
                100 * idle_cpu / self.args.idle_seconds, 2
            )
        return result


QUESTIONS = {
    "single": {"choices": ["A", "B", "C", "D"], "correct": "B"},
    "multiple": {"kind": "multiple", "choices": ["A", "B", "C", "D"], "correct": ["B", "C"]},
    "numeric": {"kind": "numeric", "correct": 9.81, "tolerance": {"percent": 1}},
    "text": {"kind": "text", "correct": ["gravity"]},
}
_WORDS = "gravity mass inertia force energy momentum friction weight speed orbit".split()
ANSWER = {
    "single": lambda i: "ABCD"[i % 4],
    "multiple": lambda i: ["ABCD"[i % 4], "ABCD"[(i + 1) % 4]],
    "numeric": lambda i: round(9 + (i % 50) * 0.05, 2),
    # About 150 distinct answers of one to three words, as a lecture hall gives.
    "text": lambda i: (
        " ".join(_WORDS[(i * k) % len(_WORDS)] for k in range(1, 2 + i % 3))
        + ("" if i % 7 else f" {i % 150}")
    ),
}
"""Each kind's question and the i-th student's answer to it."""


def median_round(rounds: list[dict]) -> dict:
    return {key: round(statistics.median(r[key] for r in rounds), 1) for key in rounds[0]}


def student_urls(args) -> list[str]:
    """Where students connect: the instructor's process, all processes in turn, or the others."""
    urls = args.urls if args.spawn else [args.url]
    if args.students_on == "others" and len(urls) > 1:
        return urls[1:]
    if args.students_on == "split":
        return urls
    return urls[:1]


def spawn_redis(workdir: str) -> tuple[subprocess.Popen, str]:
    """A redis-server of the run's own, without persistence, on a free loopback port."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
            "--logfile",
            os.path.join(workdir, "redis.log"),
        ]
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.05)
    return process, f"redis://127.0.0.1:{port}/0"


def spawn_servers(args) -> list[subprocess.Popen]:
    """Fresh servers (on the cores but the last, in turn; the benchmark itself on the last
    core); with several processes, or --redis, they share a redis-server of the run's own."""
    workdir = tempfile.mkdtemp(prefix="iclicker-bench-")
    args.db = args.spawn_db or os.path.join(workdir, "bench.sqlite3")
    cores = os.cpu_count() or 1
    started = []
    extra = []
    if args.processes > 1 or args.redis:
        redis, url = spawn_redis(workdir)
        started.append(redis)
        extra = ["--redis", url]
    args.urls = [f"http://127.0.0.1:{args.port + i}" for i in range(args.processes)]
    args.url = args.urls[0]
    servers = []
    for i, url in enumerate(args.urls):
        port = url.rsplit(":", 1)[1]
        command = [
            sys.executable,
            "-c",
            TWISTD_COLLECTING_ON_SIGUSR2,
            "--pidfile=",
            "-n",
            "--logfile",
            os.path.join(workdir, f"twistd-{i}.log"),
            "iclicker",
            "--port",
            f"tcp:{port}:interface=127.0.0.1",
            "--db",
            args.db,
            "--bcrypt-rounds",
            str(args.bcrypt_rounds),
            *extra,
        ]
        if shutil.which("taskset") and cores > 1:
            command = ["taskset", "-c", str(i % (cores - 1)), *command]
        servers.append(subprocess.Popen(command, cwd=workdir))
        wait_healthy(url)
    args.server_pids = [server.pid for server in servers]
    args.server_pid = args.server_pids[0]
    if cores > 1:
        os.sched_setaffinity(0, {cores - 1})
    return servers + started


def wait_healthy(url: str) -> None:
    import urllib.request

    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.05)


def add_common_arguments(parser: argparse.ArgumentParser, students: int) -> None:
    parser.add_argument("--students", type=int, default=students)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument(
        "--db", default="iclicker.sqlite3", help="the server's database (to create the instructor)"
    )
    parser.add_argument("--server-pid", type=int, help="measure this process's memory")
    parser.add_argument(
        "--spawn", action="store_true", help="start a server of our own for the run"
    )
    parser.add_argument("--port", type=int, default=8765, help="port for --spawn")
    parser.add_argument(
        "--bcrypt-rounds", type=int, default=4, help="bcrypt cost of a --spawn server"
    )
    parser.add_argument("--connect-concurrency", type=int, default=200)
    parser.add_argument(
        "--collect-setup-garbage",
        action="store_true",
        help="a full collection in the --spawn server before its memory is measured for sockets",
    )
    parser.add_argument("--processes", type=int, default=1, help="server processes for --spawn")
    parser.add_argument(
        "--spawn-db", help="a postgresql:// URL (an empty database) for --spawn servers"
    )
    parser.add_argument(
        "--redis", action="store_true", help="share groups through Redis even with one process"
    )
    parser.add_argument(
        "--students-on",
        choices=("first", "split", "others"),
        default="split",
        help="students on the instructor's process, on all in turn, or on the others only",
    )


def run_scenario(args, scenario) -> None:
    """Run ``scenario(args)`` (a coroutine returning a dict) on the reactor; print its JSON."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    args.server_pids = [args.server_pid] if args.server_pid else []
    spawned = spawn_servers(args) if args.spawn else []
    outcome = {}

    async def go():
        outcome["result"] = await scenario(args)

    def finished(_):
        reactor.stop()

    def failed(failure):
        outcome["error"] = failure
        reactor.stop()

    reactor.callWhenRunning(
        lambda: defer.Deferred.fromCoroutine(go()).addCallbacks(finished, failed)
    )
    try:
        reactor.run()
    finally:
        for process in spawned:
            process.terminate()
            process.wait(timeout=30)
    if "error" in outcome:
        outcome["error"].printTraceback(file=sys.stderr)
        sys.exit(1)
    print(json.dumps(outcome["result"], indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser, students=1000)
    parser.add_argument(
        "--idle-seconds", type=float, default=5.0, help="how long to watch idle server CPU"
    )
    parser.add_argument(
        "--kinds",
        default="single",
        help="question kinds asked in turn, of single,multiple,numeric,text",
    )
    run_scenario(parser.parse_args(), lambda args: Bench(args).run())


if __name__ == "__main__":
    main()
