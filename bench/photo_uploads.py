"""Twenty 5 MiB photos uploaded at once: how fast are they processed, and does the reactor stall?

A probe socket in a lecture pings the server every 55 ms (just under the
socket rate limit of 20 a second); the longest wait for a pong while the
uploads are processed is the reactor's longest stall (target: under 50 ms:
Pillow must work on threads, not on the reactor).

    python bench/photo_uploads.py --spawn
"""

import argparse
import io
import random
import time

from lecture_load import Bench, Student, add_common_arguments, percentile, run_scenario
from PIL import Image
from twisted.internet import defer, reactor, task
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol

MAX_PHOTO = 5 * 1024 * 1024


def big_jpeg() -> bytes:
    """A noisy photo just under 5 MiB (noise does not compress)."""
    rng = random.Random(1)
    side = 1400
    while True:
        image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=95)
        if out.tell() <= MAX_PHOTO:
            if out.tell() > 0.85 * MAX_PHOTO:
                return out.getvalue()
            side += 100
        else:
            side -= 60


class Probe:
    """Collects pong round trips from one socket that pings every 55 ms."""

    def __init__(self) -> None:
        self.sent: float | None = None
        self.round_trips: list[float] = []
        self.hello: defer.Deferred = defer.Deferred()

    def received(self, student: Student, message: dict, now: float) -> None:
        if message["type"] == "hello" and not self.hello.called:
            self.hello.callback(message)
        elif message["type"] == "pong" and self.sent is not None:
            self.round_trips.append((now - self.sent) * 1000)
            self.sent = None

    def ping(self, student: Student) -> None:
        if self.sent is None:
            self.sent = time.perf_counter()
            student.send({"type": "ping"})


async def scenario(args) -> dict:
    bench = Bench(args)
    prof = await bench.instructor()
    bench.prof = prof
    response = await prof.post(bench.url + "/api/lectures", json={"title": "Probe"})
    lecture = (await response.json())["lecture"]
    cookie = await bench.account("photo-probe")
    probe = Probe()
    student = Student(probe, f"/ws/lectures/{lecture['join_code']}", cookie, bench.host)
    host, port = bench.host.rsplit(":", 1)
    await connectProtocol(TCP4ClientEndpoint(reactor, host, int(port)), student)
    await probe.hello
    pinger = task.LoopingCall(probe.ping, student)
    pinger.start(0.055)
    await task.deferLater(reactor, 1.0)
    quiet = list(probe.round_trips)
    probe.round_trips.clear()

    photo = big_jpeg()
    cookies = [await bench.account(f"photo-user{i:02d}") for i in range(args.uploads)]

    async def upload(cookie: str) -> int:
        response = await bench.client().post(
            bench.url + "/api/me/photo",
            files={"file": ("me.jpg", "image/jpeg", io.BytesIO(photo))},
            headers={"X-Requested-With": "iclicker", "Cookie": f"iclicker_session={cookie}"},
        )
        await response.content()
        return response.code

    started = time.perf_counter()
    codes = await defer.gatherResults(
        [defer.Deferred.fromCoroutine(upload(c)) for c in cookies], consumeErrors=True
    )
    seconds = time.perf_counter() - started
    pinger.stop()
    busy = list(probe.round_trips)
    student.transport.loseConnection()
    await bench.pool.closeCachedConnections()
    return {
        "uploads": args.uploads,
        "photo_bytes": len(photo),
        "answers": {str(code): codes.count(code) for code in set(codes)},
        "seconds_for_all": round(seconds, 2),
        "photos_per_second": round(args.uploads / seconds, 1),
        "ping_round_trip_ms_quiet": {
            "p50": round(percentile(quiet, 0.5), 1),
            "max": round(max(quiet), 1),
        },
        "ping_round_trip_ms_during_uploads": {
            "p50": round(percentile(busy, 0.5), 1),
            "p99": round(percentile(busy, 0.99), 1),
            "max (the longest stall)": round(max(busy), 1),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser, students=0)
    parser.add_argument("--uploads", type=int, default=20)
    run_scenario(parser.parse_args(), scenario)


if __name__ == "__main__":
    main()
