"""Chat load benchmark: rooms on real sockets against a running iclicker server.

Two phases, each in a room of its own:

- broadcast: ``--members`` people connected to one room; one of them sends a
  message, and the time until every member has it is measured from the send
  (p50/p99/max; the message is committed before anyone gets it), with the
  server's memory per connected member;
- sustained: ``--senders`` people in a room each send one message a second
  for ``--seconds``; every message must be acknowledged (after its commit)
  and delivered to every member; reports the ack latency p50/p99/max.

    # server on core 0, load generator on core 1 (what the README reports):
    python bench/chat_load.py --spawn

Clients are the lecture benchmark's hand-written WebSocket clients; they
count the server's ``message`` frames without parsing them, so the load
generator keeps up with 40,000 frames a second.
"""

import argparse
import gc
import json
import random
import sys
import time

from lecture_load import (
    Bench,
    Student,
    add_common_arguments,
    cpu_seconds,
    percentile,
    rss_kib,
    run_scenario,
)
from twisted.internet import defer, reactor, task
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol

MESSAGE_PREFIX = b'{"type":"message",'
ACK_PREFIX = b'{"type":"message_ack",'


def summary(samples: list[float]) -> dict:
    return {
        "p50_ms": round(percentile(samples, 0.5), 1),
        "p99_ms": round(percentile(samples, 0.99), 1),
        "max_ms": round(max(samples), 1),
    }


class ChatBench(Bench):
    def __init__(self, args) -> None:
        super().__init__(args)
        self.delivered = 0
        self.arrivals: list[float] = []
        self.sent_at: dict[str, float] = {}
        self.ack_ms: list[float] = []
        self.all_delivered: defer.Deferred | None = None
        self.expected = 0

    def frame(self, student: Student, payload: bytes, now: float) -> None:
        if payload.startswith(MESSAGE_PREFIX):
            self.delivered += 1
            self.arrivals.append(now)
            if self.all_delivered is not None and self.delivered >= self.expected:
                done, self.all_delivered = self.all_delivered, None
                done.callback(None)
        elif payload.startswith(ACK_PREFIX):
            client_id = json.loads(payload)["client_id"]
            self.ack_ms.append((now - self.sent_at.pop(client_id)) * 1000)
        else:
            super().frame(student, payload, now)

    async def room_of(self, prefix: str, count: int) -> list[Student]:
        """``count`` registered people in a new room, each with an open socket on it."""
        cookies = await self.limited([self.account(f"{prefix}{i:05d}") for i in range(count)], 32)
        owner = self.client()
        headers = {"Cookie": [f"iclicker_session={cookies[0]}"]}
        response = await owner.post(
            self.url + "/api/rooms", json={"name": f"{prefix} {time.time()}"}, headers=headers
        )
        room = (await response.json())["room"]

        async def join(cookie: str) -> None:
            response = await self.client().post(
                self.url + f"/api/rooms/{room['id']}/join",
                json={},
                headers={"Cookie": [f"iclicker_session={cookie}"]},
            )
            await response.content()
            assert response.code == 200, response.code

        await self.limited([join(cookie) for cookie in cookies[1:]], 32)
        await task.deferLater(reactor, 1.0)
        self.rss_before = await self.rss_before_sockets()
        host, port = self.host.rsplit(":", 1)
        members: list[Student] = []

        async def connect(cookie: str) -> None:
            member = Student(self, f"/ws/rooms/{room['id']}", cookie, self.host)
            await connectProtocol(TCP4ClientEndpoint(reactor, host, int(port)), member)
            await member.hello
            members.append(member)

        started = time.perf_counter()
        await self.limited([connect(c) for c in cookies], self.args.connect_concurrency)
        self.connect_seconds = time.perf_counter() - started
        gc.collect()
        gc.freeze()
        await task.deferLater(reactor, 3.0)  # presence broadcasts settle
        return members

    def expect_deliveries(self, count: int) -> defer.Deferred:
        self.delivered = 0
        self.arrivals = []
        self.expected = count
        self.all_delivered = defer.Deferred()
        return self.all_delivered

    async def broadcast(self) -> dict:
        members = await self.room_of("chat-b", self.args.members)
        rss_connected = rss_kib(self.args.server_pid) if self.args.server_pid else None
        rounds = []
        for number in range(self.args.rounds):
            delivered = self.expect_deliveries(len(members))
            sender = members[number % len(members)]
            client_id = f"broadcast-{number}"
            t0 = time.perf_counter()
            self.sent_at[client_id] = t0
            sender.send({"type": "message", "text": f"Broadcast {number}", "client_id": client_id})
            await delivered
            rounds.append(summary([(t - t0) * 1000 for t in self.arrivals]))
            print(f"broadcast {number}: {rounds[-1]}", file=sys.stderr)
            await task.deferLater(reactor, 0.5)
        result = {
            "members": len(members),
            "connect_all_seconds": round(self.connect_seconds, 2),
            "rounds": rounds,
            "median_p99_ms": sorted(r["p99_ms"] for r in rounds)[len(rounds) // 2],
        }
        if rss_connected is not None:
            growth = (rss_connected - self.rss_before) / len(members)
            result["server_kib_per_member"] = round(growth, 1)
        for member in members:
            member.transport.loseConnection()
        await task.deferLater(reactor, 2.0)
        return result

    async def sustained(self) -> dict:
        members = await self.room_of("chat-s", self.args.senders)
        seconds = self.args.seconds
        total = len(members) * seconds
        delivered = self.expect_deliveries(total * len(members))
        self.ack_ms = []
        loops = []

        def sender(index: int, member: Student) -> task.LoopingCall:
            sent = [0]

            def tick() -> None:
                if sent[0] >= seconds:
                    loop.stop()
                    return
                client_id = f"s{index}-{sent[0]}"
                sent[0] += 1
                self.sent_at[client_id] = time.perf_counter()
                member.send({"type": "message", "text": f"tick {sent[0]}", "client_id": client_id})

            loop = task.LoopingCall(tick)
            return loop

        started = time.perf_counter()
        server_cpu = cpu_seconds(self.args.server_pid) if self.args.server_pid else None
        own_cpu = time.process_time()
        for index, member in enumerate(members):
            loop = sender(index, member)
            loops.append(loop)
            task.deferLater(reactor, random.random(), loop.start, 1.0)
        await defer.DeferredList(
            [defer.Deferred.fromCoroutine(self._with_timeout(delivered, seconds + 60))]
        )
        elapsed = time.perf_counter() - started
        result = {
            "server_cpu_percent": round(
                100 * (cpu_seconds(self.args.server_pid) - server_cpu) / elapsed
            )
            if server_cpu is not None
            else None,
            "load_generator_cpu_percent": round(100 * (time.process_time() - own_cpu) / elapsed),
            "senders": len(members),
            "seconds": seconds,
            "messages_sent": total,
            "messages_acked": len(self.ack_ms),
            "frames_delivered": self.delivered,
            "frames_expected": total * len(members),
            "frames_per_second": round(self.delivered / elapsed),
            "ack": summary(self.ack_ms) if self.ack_ms else None,
        }
        print(f"sustained: {result}", file=sys.stderr)
        return result

    @staticmethod
    async def _with_timeout(deferred: defer.Deferred, seconds: float) -> None:
        deferred.addTimeout(seconds, reactor)
        try:
            await deferred
        except defer.TimeoutError:
            print("sustained: not everything arrived in time", file=sys.stderr)

    async def run(self) -> dict:
        self.rss_start = rss_kib(self.args.server_pid) if self.args.server_pid else None
        result = {"broadcast": await self.broadcast(), "sustained": await self.sustained()}
        await self.pool.closeCachedConnections()
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser, students=0)
    parser.add_argument("--members", type=int, default=1000, help="people in the broadcast room")
    parser.add_argument("--senders", type=int, default=200, help="people in the sustained room")
    parser.add_argument("--seconds", type=int, default=30, help="length of the sustained phase")
    run_scenario(parser.parse_args(), lambda args: ChatBench(args).run())


if __name__ == "__main__":
    main()
