"""Peer instruction and student Q&A over real sockets: a two-round question and its
export, confidence, posts and votes seen by every client, moderation, and a post
acknowledged just before kill -9 still there after the restart."""

import csv
import io
import signal

import pytest_twisted
from support import body_of, connect, gather, instructor, students
from test_lecture_question_kinds import answered, ask_body, classroom, close
from test_twistd import TwistdServer, add_instructor


async def next_votes(client, post_id: int, votes: int) -> None:
    while True:
        frame = await client.next_of("post_votes")
        if frame["votes"].get(str(post_id)) == votes:
            return


@pytest_twisted.ensureDeferred
async def test_a_two_round_question_with_confidence_and_its_export(server):
    prof, lecture, teacher, sockets = await classroom(server)
    question = await ask_body(
        prof, lecture, {"text": "Q", "choices": ["a", "b"], "correct": "b", "confidence": True}
    )
    seen = (await sockets[0].next_of("question"))["question"]
    assert seen["asks_confidence"] is True
    for client, choice in zip(sockets, "aab", strict=True):
        client.send(
            {
                "type": "answer",
                "question_id": question["id"],
                "choice": choice,
                "confidence": "high",
            }
        )
        assert (await client.next_of("answer_ack"))["confidence"] == "high"
    path = f"/api/lectures/{lecture['id']}/questions/{question['id']}"
    closed = body_of(await prof.post(f"{path}/close", {"show_results": False}))
    assert closed["counts"] == {"a": 2, "b": 1}
    assert closed["confidence"]["high"] == {"right": 1, "wrong": 2, "ungraded": 0}
    hidden = await sockets[0].next_of("question_closed")
    assert hidden["results_hidden"] is True and "counts" not in hidden

    reopened = await prof.post(f"{path}/rounds", {})
    assert reopened.code == 201 and body_of(reopened)["question"]["round"] == 2
    again = (await sockets[0].next_of("question"))["question"]
    assert again["round"] == 2
    for client, choice in zip(sockets, "bba", strict=True):
        await answered(client, question, choice)
    await close(prof, lecture, question)
    final = await sockets[2].next_of("question_closed")
    assert final["counts"] == {"a": 1, "b": 2}
    assert final["rounds"] == [{"round": 1, "counts": {"a": 2, "b": 1}}]
    assert final["moved"] == {"to_correct": 2, "to_wrong": 1, "stayed_correct": 0}

    export = await prof.get(f"/api/lectures/{lecture['id']}/responses.csv")
    rows = list(csv.DictReader(io.StringIO(export.body.decode("utf-8"))))
    assert [(r["username"], r["round"], r["choice"]) for r in rows] == [
        ("student000", "1", "a"),
        ("student001", "1", "a"),
        ("student002", "1", "b"),
        ("student000", "2", "b"),
        ("student001", "2", "b"),
        ("student002", "2", "a"),
    ]


@pytest_twisted.ensureDeferred
async def test_posts_votes_and_moderation_reach_every_client(server):
    prof, lecture, teacher, sockets = await classroom(server)
    sockets[0].send({"type": "post", "text": "Why 9.81?", "client_id": "p1"})
    added = await sockets[0].next_of("post_added")  # everyone's, before the author's ack
    ack = await sockets[0].next_of("post_ack")
    post = ack["post"]
    assert ack["client_id"] == "p1" and post["votes"] == 0 and "author" not in post
    assert added["post"] == post
    for client in [teacher, *sockets[1:]]:
        assert (await client.next_of("post_added"))["post"]["id"] == post["id"]
    sockets[0].send({"type": "post", "text": "Why 9.81?", "client_id": "p1"})  # a retry
    assert (await sockets[0].next_of("post_ack"))["post"]["id"] == post["id"]

    for client in sockets[1:]:
        client.send({"type": "vote", "post_id": post["id"], "up": True})
    for client in sockets[1:]:
        assert (await client.next_of("vote_ack"))["post_id"] == post["id"]
    sockets[1].send({"type": "vote", "post_id": post["id"], "up": True})  # double vote
    assert (await sockets[1].next_of("vote_ack"))["votes"] == 2
    sockets[2].send({"type": "vote", "post_id": post["id"], "up": False})  # withdrawn
    assert (await sockets[2].next_of("vote_ack"))["votes"] == 1
    for client in [teacher, *sockets]:
        await next_votes(client, post["id"], 1)

    listing = body_of(await prof.get(f"/api/lectures/{lecture['id']}/posts"))["posts"]
    assert listing[0]["author"] == "student000" and listing[0]["votes"] == 1
    moderated = await prof.post(
        f"/api/lectures/{lecture['id']}/posts/{post['id']}", {"answered": True}
    )
    assert body_of(moderated)["post"]["answered"] is True
    for client in [teacher, *sockets]:
        assert (await client.next_of("post_changed"))["post"]["answered"] is True
    await prof.post(f"/api/lectures/{lecture['id']}/posts/{post['id']}", {"hidden": True})
    for client in sockets:
        assert (await client.next_of("post_changed"))["post"]["hidden"] is True
    late = await connect(server, lecture["join_code"], (await students(server, 1, "late"))[0])
    hello = await late.next_of("hello")
    assert hello["posts"] == [] and hello["my_votes"] == []  # hidden from students

    ban = await prof.post(f"/api/lectures/{lecture['id']}/posting-bans", {"username": "student001"})
    assert ban.code == 204
    sockets[1].send({"type": "post", "text": "Let me in"})
    assert (await sockets[1].next_of("error"))["code"] == "posting_banned"
    teacher.send({"type": "post", "text": "I am the prof"})
    assert (await teacher.next_of("error"))["code"] == "forbidden"

    export = await prof.get(f"/api/lectures/{lecture['id']}/questions.csv")
    rows = list(csv.reader(io.StringIO(export.body.decode("utf-8"), newline="")))
    assert rows[0][:5] == ["post_id", "username", "display_name", "question", "votes"]
    assert rows[1][1:7] == ["student000", "student000", "Why 9.81?", "1", "true", "true"]


@pytest_twisted.ensureDeferred
async def test_an_acknowledged_post_survives_kill_9(tmp_path):
    db_path = str(tmp_path / "qa.sqlite3")
    twistd = TwistdServer(str(tmp_path), db_path)
    server = await twistd.start()
    try:
        assert add_instructor(db_path).returncode == 0
        prof = await instructor(server, "prof2")
        lecture = body_of(await prof.post("/api/lectures", {"title": "Durable Q&A"}))["lecture"]
        (student,) = await students(server, 1)
        client = await connect(server, lecture["join_code"], student)
        await client.next_of("hello")
        client.send({"type": "post", "text": "Will this survive?", "client_id": "k9"})
        post = (await client.next_of("post_ack"))["post"]
        client.send({"type": "vote", "post_id": post["id"], "up": True})
        await client.next_of("vote_ack")
        assert await twistd.signal("KILL") == -signal.SIGKILL
        await client.wait_closed()

        server = await twistd.start()
        student.server = server
        again = await connect(server, lecture["join_code"], student)
        hello = await again.next_of("hello")
        assert [(p["id"], p["text"], p["votes"]) for p in hello["posts"]] == [
            (post["id"], "Will this survive?", 1)
        ]
        assert hello["my_votes"] == [post["id"]]
        again.close()
        await gather(again.wait_closed())
    finally:
        if twistd.process.pid is not None:
            await twistd.signal("KILL")
