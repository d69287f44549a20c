"""Does a big gradebook export slow a live lecture? And how fast is a 5,000-row roster?

A 1,000-student lecture answers rounds of questions, first alone, then
while the instructor downloads, again and again, the gradebook of a course
with 1,000 students x 40 lectures x 10 questions (400,000 answers, seeded
straight into the database file). The answer round's pooled p99 is compared
(target: less than 20 % higher). A 5,000-row roster upload is timed (target:
under 1 s).

    python bench/gradebook_export.py --spawn
"""

import argparse
import io
import json
import random
import sqlite3
import time

from lecture_load import Bench, add_common_arguments, median_round, percentile, run_scenario
from twisted.internet import defer, reactor, task

LECTURES, QUESTIONS = 40, 10


def seed_term(db_path: str, course_id: int, owner_id: int) -> None:
    """40 ended lectures of 10 questions, every rostered student answering most of them."""
    connection = sqlite3.connect(db_path, timeout=60)
    connection.execute("PRAGMA busy_timeout = 60000")
    students = [
        row[0]
        for row in connection.execute(
            "SELECT u.id FROM users u JOIN roster r ON r.username_key = u.username_key"
            " WHERE r.course_id = ?",
            (course_id,),
        )
    ]
    rng = random.Random(7)
    with connection:
        for number in range(LECTURES):
            cursor = connection.execute(
                "INSERT INTO lectures (owner_id, title, join_code, status, created_at, course_id)"
                " VALUES (?, ?, ?, 'ended', ?, ?)",
                (owner_id, f"Week {number}", f"S{number:05d}", time.time(), course_id),
            )
            lecture_id = cursor.lastrowid
            connection.executemany(
                "INSERT INTO attendance (lecture_id, user_id, joined_at) VALUES (?, ?, ?)",
                [(lecture_id, s, time.time()) for s in students if rng.random() < 0.9],
            )
            for q in range(QUESTIONS):
                cursor = connection.execute(
                    "INSERT INTO questions (lecture_id, text, choices, correct, status, opened_at)"
                    " VALUES (?, ?, ?, 'A', 'closed', ?)",
                    (lecture_id, f"Q{q}", json.dumps(["A", "B", "C", "D"]), time.time()),
                )
                connection.executemany(
                    "INSERT INTO answers (question_id, user_id, choice, answered_at)"
                    " VALUES (?, ?, ?, ?)",
                    [
                        (cursor.lastrowid, s, rng.choice("ABCD"), time.time())
                        for s in students
                        if rng.random() < 0.95
                    ],
                )
    connection.close()


async def upload_roster(bench: Bench, course_id: int, usernames: list[str]) -> dict:
    content = ("username\n" + "\n".join(usernames) + "\n").encode()
    started = time.perf_counter()
    response = await bench.prof.post(
        bench.url + f"/api/courses/{course_id}/roster",
        files={"file": ("roster.csv", "text/csv", io.BytesIO(content))},
        headers={"X-Requested-With": "iclicker"},
    )
    body = await response.json()
    assert response.code == 200, body
    return {"seconds": round(time.perf_counter() - started, 3), **body}


async def new_course(bench: Bench, name: str) -> int:
    response = await bench.prof.post(bench.url + "/api/courses", json={"name": name})
    return (await response.json())["course"]["id"]


async def scenario(args) -> dict:
    bench = Bench(args)
    await bench.setup()
    big = await new_course(bench, "Roster of 5,000")
    roster_5000 = await upload_roster(bench, big, [f"person{i:05d}" for i in range(5000)])
    course = await new_course(bench, "Benchmark term")
    await upload_roster(bench, course, [f"bench-s{i:05d}" for i in range(args.students)])
    me = await (await bench.prof.get(bench.url + "/api/me")).json()
    started = time.perf_counter()
    seed_term(args.db, course, me["user"]["id"])
    seeded = round(time.perf_counter() - started, 1)

    quiet = [await bench.answer_round(n) for n in range(args.rounds)]
    quiet_acks, bench.ack_samples = bench.ack_samples, []

    downloads: list[float] = []
    running = True

    async def export_loop() -> None:
        while running:
            started = time.perf_counter()
            response = await bench.prof.get(bench.url + f"/api/courses/{course}/gradebook.csv")
            body = await response.content()
            assert response.code == 200 and body.count(b"\n") == args.students + 1
            downloads.append(time.perf_counter() - started)

    exporting = defer.Deferred.fromCoroutine(export_loop())
    await task.deferLater(reactor, 0.2)
    exported = [await bench.answer_round(args.rounds + n) for n in range(args.rounds)]
    running = False
    await exporting
    await bench.finish()
    return {
        "students": args.students,
        "term": f"{args.students} students x {LECTURES} lectures x {QUESTIONS} questions",
        "seed_seconds": seeded,
        "roster_5000_upload": roster_5000,
        "gradebook_downloads": len(downloads),
        "gradebook_seconds_median": round(sorted(downloads)[len(downloads) // 2], 3),
        "quiet": median_round(quiet),
        "exporting": median_round(exported),
        "answer_ack_p99_ms": {
            "quiet": round(percentile(quiet_acks, 0.99), 1),
            "exporting": round(percentile(bench.ack_samples, 0.99), 1),
        },
        "answer_ack_p99_ratio": round(
            percentile(bench.ack_samples, 0.99) / percentile(quiet_acks, 0.99), 2
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser, students=1000)
    run_scenario(parser.parse_args(), scenario)


if __name__ == "__main__":
    main()
