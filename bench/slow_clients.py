"""Slow and hostile clients beside a live lecture: does the lecture notice?

A lecture of 300 students (by default) answers rounds of questions, first
alone, then while the server is also held by

- 200 slowloris clients that send one header byte a second,
- 1,000 half-open WebSocket handshakes (a request line and some headers,
  then silence), and
- a login storm of 500 wrong passwords for unknown usernames (bcrypt work),

and the answer round's p99 acknowledgement time is compared with the quiet
figure (target: within 1.5x). The attack comes in waves (two by default) of at least
30 s each (past the server's 20 s header deadline, which drops the
lingerers); server memory is read before, during and after each wave, so a
leak shows as growth from the first wave's "after" to the second's.

    python bench/slow_clients.py --spawn
    python bench/slow_clients.py --spawn --bcrypt-rounds 12   # production bcrypt cost
"""

import argparse
import sys
import time

from lecture_load import (
    Bench,
    add_common_arguments,
    median_round,
    percentile,
    rss_kib,
    run_scenario,
)
from twisted.internet import defer, reactor, task
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.protocol import Protocol


class Lingerer(Protocol):
    """A client that opens a request and then dribbles it out (or goes quiet)."""

    def __init__(self, opening: bytes, dribble: bool) -> None:
        self.opening = opening
        self.dribble = dribble
        self.closed_by_server = False
        self.loop: task.LoopingCall | None = None

    def connectionMade(self) -> None:
        self.transport.write(self.opening)
        if self.dribble:
            self.loop = task.LoopingCall(self.transport.write, b"x")
            self.loop.start(1.0, now=False)

    def dataReceived(self, data: bytes) -> None:
        pass

    def connectionLost(self, reason) -> None:
        self.closed_by_server = True
        if self.loop is not None and self.loop.running:
            self.loop.stop()

    def stop(self) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.transport.abortConnection()


class Attack:
    def __init__(self, bench: Bench, args) -> None:
        self.bench = bench
        self.args = args
        self.host, port = bench.host.rsplit(":", 1)
        self.port = int(port)
        self.lingerers: list[Lingerer] = []
        self.login_codes: dict[int, int] = {}
        self.storm: defer.Deferred | None = None

    async def _open(self, opening: bytes, dribble: bool) -> None:
        client = Lingerer(opening, dribble)
        await connectProtocol(TCP4ClientEndpoint(reactor, self.host, self.port), client)
        self.lingerers.append(client)

    async def start(self) -> None:
        slowloris = f"GET / HTTP/1.1\r\nHost: {self.bench.host}\r\nX-Slow: ".encode()
        half_open = (
            f"GET /ws/lectures/{self.bench.lecture['join_code']} HTTP/1.1\r\n"
            f"Host: {self.bench.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        ).encode()
        openings = [(slowloris, True)] * self.args.slowloris + [
            (half_open, False)
        ] * self.args.half_open
        await self.bench.limited([self._open(o, d) for o, d in openings], 100)
        self.storm = defer.Deferred.fromCoroutine(self._login_storm())

    async def _wrong_login(self, number: int) -> None:
        client = self.bench.client()
        response = await client.post(
            self.bench.url + "/api/login",
            json={"username": f"intruder{number:04d}", "password": "not the password"},
        )
        await response.content()
        self.login_codes[response.code] = self.login_codes.get(response.code, 0) + 1

    async def _login_storm(self) -> None:
        await self.bench.limited(
            [self._wrong_login(n) for n in range(self.args.logins)], self.args.login_concurrency
        )

    async def stop(self) -> dict:
        if self.storm is not None:
            await self.storm
        dropped = sum(client.closed_by_server for client in self.lingerers)
        for client in self.lingerers:
            client.stop()
        return {"attack_connections_closed_by_server": dropped, "login_answers": self.login_codes}


async def attacked_rounds(bench: Bench, args, first: int) -> tuple[list[dict], dict, int]:
    """Answer rounds while under attack, for at least ``--attack-seconds``."""
    attack = Attack(bench, args)
    started = time.perf_counter()
    await attack.start()
    print(f"attack in place after {time.perf_counter() - started:.1f}s", file=sys.stderr)
    rounds = []
    while len(rounds) < args.rounds or time.perf_counter() - started < args.attack_seconds:
        rounds.append(await bench.answer_round(first + len(rounds)))
    rss = rss_kib(args.server_pid) if args.server_pid else None
    return rounds, await attack.stop(), rss


async def scenario(args) -> dict:
    bench = Bench(args)
    await bench.setup()
    pid = args.server_pid
    quiet = [await bench.answer_round(number) for number in range(args.rounds)]
    quiet_acks, bench.ack_samples = bench.ack_samples, []
    rss = {"quiet": rss_kib(pid) if pid else None}
    attacked, outcomes = [], []
    for wave in range(1, args.waves + 1):
        rounds, outcome, rss[f"attack_{wave}"] = await attacked_rounds(
            bench, args, args.rounds + len(attacked)
        )
        attacked += rounds
        outcomes.append(outcome)
        await task.deferLater(reactor, args.settle_seconds)
        rss[f"after_{wave}"] = rss_kib(pid) if pid else None
    await bench.finish()
    attacked_acks = bench.ack_samples

    result = {
        "students": args.students,
        "bcrypt_rounds": args.bcrypt_rounds,
        "attack": {
            "slowloris": args.slowloris,
            "half_open_handshakes": args.half_open,
            "wrong_logins": args.logins,
            "waves": outcomes,
        },
        "rounds": {"quiet": len(quiet), "attacked": len(attacked)},
        "quiet": median_round(quiet),
        "attacked": median_round(attacked),
        # Every answer of every round pooled: the p99 a student lives with.
        "answer_ack_p99_ms": {
            "quiet": round(percentile(quiet_acks, 0.99), 1),
            "attacked": round(percentile(attacked_acks, 0.99), 1),
        },
        "answer_ack_p99_ratio": round(
            percentile(attacked_acks, 0.99) / percentile(quiet_acks, 0.99), 2
        ),
    }
    if pid:
        result["server_rss_kib"] = rss
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser, students=300)
    parser.add_argument("--slowloris", type=int, default=200)
    parser.add_argument("--half-open", type=int, default=1000)
    parser.add_argument("--logins", type=int, default=500)
    parser.add_argument("--login-concurrency", type=int, default=100)
    parser.add_argument("--settle-seconds", type=float, default=5.0)
    parser.add_argument("--waves", type=int, default=2, help="attack waves, one after another")
    parser.add_argument(
        "--attack-seconds",
        type=float,
        default=30.0,
        help="keep each wave going at least this long (past the 20 s header deadline)",
    )
    args = parser.parse_args()
    if args.rounds < 5:
        parser.error("--rounds must be at least 5 for a p99 worth reading")
    run_scenario(args, scenario)


if __name__ == "__main__":
    main()
