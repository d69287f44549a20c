"""Q&A upvote storm: every student of a lecture upvotes one of the same 10 questions
within 2 seconds; how long until each vote is acknowledged (after its commit), and how
often each client's list is updated (``post_votes`` frames, coalesced by the server).

    # server on core 0, load generator on core 1:
    python bench/qa_storm.py --spawn --students 1000
"""

import argparse
import random
import time

from lecture_load import Bench, add_common_arguments, percentile, run_scenario
from twisted.internet import defer, reactor, task

POSTS = 10
STORM_SECONDS = 2.0


class StormBench(Bench):
    def __init__(self, args) -> None:
        super().__init__(args)
        self.vote_sent: dict[int, float] = {}
        self.vote_ms: list[float] = []
        self.updates: dict[int, list[float]] = {}
        self.acked: defer.Deferred | None = None

    def frame(self, student, payload: bytes, now: float) -> None:
        if payload.startswith(b'{"type":"post_votes"'):
            self.updates.setdefault(id(student), []).append(now)
            return
        if payload.startswith(b'{"type":"vote_ack"'):
            self.vote_ms.append((now - self.vote_sent[id(student)]) * 1000)
            if len(self.vote_ms) == len(self.students) and self.acked is not None:
                self.acked.callback(None)
            return
        super().frame(student, payload, now)

    async def run(self) -> dict:
        await self.setup()
        posted = self.expect("post_ack", POSTS)
        for number, student in enumerate(self.students[:POSTS]):
            student.send({"type": "post", "text": f"Question {number}?", "client_id": "q"})
        await posted
        await task.deferLater(reactor, 1.0)
        post_ids = sorted({p["id"] for p in await self.post_ids()})
        assert len(post_ids) == POSTS, post_ids
        self.acked = defer.Deferred()
        rng = random.Random(1)
        started = time.perf_counter()
        for student in self.students:
            delay = rng.uniform(0, STORM_SECONDS)
            reactor.callLater(delay, self.vote, student, rng.choice(post_ids))
        await self.acked
        storm_seconds = time.perf_counter() - started
        await task.deferLater(reactor, 0.5)
        gaps = [
            (later - earlier) * 1000
            for times in self.updates.values()
            for earlier, later in zip(times, times[1:])
        ]
        per_client = [len(times) / storm_seconds for times in self.updates.values()]
        await self.finish()
        return {
            "students": len(self.students),
            "votes": len(self.vote_ms),
            "storm_seconds": round(storm_seconds, 2),
            "vote_ack_p50_ms": round(percentile(self.vote_ms, 0.5), 1),
            "vote_ack_p99_ms": round(percentile(self.vote_ms, 0.99), 1),
            "vote_ack_max_ms": round(max(self.vote_ms), 1),
            "updates_per_client_per_second_max": round(max(per_client), 1),
            "closest_updates_ms": round(min(gaps), 1) if gaps else None,
        }

    def vote(self, student, post_id: int) -> None:
        self.vote_sent[id(student)] = time.perf_counter()
        student.send({"type": "vote", "post_id": post_id, "up": True})

    async def post_ids(self) -> list[dict]:
        response = await self.prof.get(self.url + f"/api/lectures/{self.lecture['id']}/posts")
        return (await response.json())["posts"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser, students=1000)
    run_scenario(parser.parse_args(), lambda args: StormBench(args).run())


if __name__ == "__main__":
    main()
