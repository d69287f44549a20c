"""Question kinds, timers and anonymous polls over real sockets and a real SQLite file."""

import csv
import io

import pytest_twisted
from support import (
    body_of,
    connect,
    gather,
    instructor,
    sleep,
    start_lecture,
    start_server,
    students,
)
from test_courses import new_course, upload


async def ask_body(prof, lecture, body) -> dict:
    response = await prof.post(f"/api/lectures/{lecture['id']}/questions", body)
    assert response.code == 201, response.body
    return body_of(response)["question"]


async def close(prof, lecture, question) -> dict:
    path = f"/api/lectures/{lecture['id']}/questions/{question['id']}/close"
    response = await prof.post(path)
    assert response.code == 200, response.body
    return body_of(response)


async def classroom(server, count=3):
    prof = await instructor(server)
    class_ = await students(server, count)
    lecture = await start_lecture(prof)
    teacher = await connect(server, lecture["join_code"], prof)
    await teacher.next_of("hello")
    sockets = await gather(*(connect(server, lecture["join_code"], s) for s in class_))
    for client in sockets:
        await client.next_of("hello")
    return prof, lecture, teacher, sockets


async def answered(client, question, choice):
    client.send({"type": "answer", "question_id": question["id"], "choice": choice})
    ack = await client.next_of("answer_ack")
    assert ack["question_id"] == question["id"]
    return ack["choice"]


async def final_tally(teacher, answered_count) -> dict:
    while True:
        tally = await teacher.next_of("tally")
        if tally["answered"] == answered_count:
            return tally


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.body.decode("utf-8"), newline="")))


@pytest_twisted.ensureDeferred
async def test_each_kind_over_real_sockets(server):
    prof, lecture, teacher, sockets = await classroom(server)

    # multiple: select all that apply, right = the exact set
    question = await ask_body(
        prof,
        lecture,
        {"text": "Primes?", "kind": "multiple", "choices": ["2", "4", "5"], "correct": ["5", "2"]},
    )
    assert question["correct"] == ["2", "5"]
    seen = (await sockets[0].next_of("question"))["question"]
    assert seen["kind"] == "multiple" and "correct" not in seen
    assert await answered(sockets[0], question, ["5", "2"]) == ["2", "5"]
    await answered(sockets[1], question, ["2"])
    sockets[2].send({"type": "answer", "question_id": question["id"], "choice": ["9"]})
    assert (await sockets[2].next_of("error"))["code"] == "invalid_choice"
    sockets[2].send({"type": "answer", "question_id": question["id"], "choice": "2"})
    assert (await sockets[2].next_of("error"))["code"] == "bad_message"
    tally = await final_tally(teacher, 2)
    assert tally["counts"] == {"2": 2, "4": 0, "5": 1}
    result = await close(prof, lecture, question)
    assert result["counts"] == {"2": 2, "4": 0, "5": 1}
    closed = await sockets[1].next_of("question_closed")
    assert closed["correct"] == ["2", "5"] and closed["counts"]["2"] == 2
    assert closed["answered"] == 2  # people, while the counts are picks

    # numeric: a number within a tolerance, a histogram for the instructor
    question = await ask_body(
        prof,
        lecture,
        {"text": "g?", "kind": "numeric", "correct": 9.81, "tolerance": {"percent": 2}},
    )
    assert await answered(sockets[0], question, "9,8") == 9.8
    assert await answered(sockets[1], question, 12) == 12
    sockets[2].send({"type": "answer", "question_id": question["id"], "choice": "lots"})
    assert (await sockets[2].next_of("error"))["code"] == "invalid_answer"
    tally = await final_tally(teacher, 2)
    assert tally["histogram"]["count"] == 2 and tally["histogram"]["median"] == 10.9
    await close(prof, lecture, question)
    closed = await sockets[2].next_of("question_closed")
    assert closed["correct"] == 9.81 and closed["histogram"]["min"] == 9.8

    # text: a word cloud, hidden answers and accepted answers
    question = await ask_body(prof, lecture, {"text": "Capital of France?", "kind": "text"})
    await answered(sockets[0], question, "Paris")
    await answered(sockets[1], question, "  paris ")
    await answered(sockets[2], question, "something rude")
    path = f"/api/lectures/{lecture['id']}/questions/{question['id']}/marks"
    marked = await prof.post(path, {"answer": "Something  RUDE", "hidden": True})
    assert body_of(marked)["question"]["hidden"] == ["Something RUDE"]
    assert (await teacher.next_of("answers_marked"))["hidden"] == ["Something RUDE"]
    tally = await final_tally(teacher, 3)
    assert {a["text"]: (a["count"], a["hidden"]) for a in tally["answers"]} == {
        "Paris": (2, False),
        "something rude": (1, True),
    }
    await close(prof, lecture, question)
    closed = await sockets[0].next_of("question_closed")
    assert "answers" not in closed and closed["answered"] == 3
    assert [w["word"] for w in closed["words"]] == ["paris"]
    listed = body_of(await prof.get(f"/api/lectures/{lecture['id']}/questions"))["questions"][-1]
    assert [(a["text"], a["hidden"]) for a in listed["answers"]] == [
        ("Paris", False),
        ("something rude", True),
    ]
    assert (await prof.post(path, {"answer": "PARIS", "accepted": True})).code == 200

    rows = csv_rows(await prof.get(f"/api/lectures/{lecture['id']}/responses.csv"))
    cells = [(row[4], row[5]) for row in rows[1:]]
    assert cells == [
        ("2; 5", "true"),
        ("2", "false"),
        ("9.8", "true"),
        ("12", "false"),
        ("Paris", "true"),
        ("paris", "true"),
        ("something rude", "false"),
    ]


@pytest_twisted.ensureDeferred
async def test_an_anonymous_question_exports_no_names(server):
    prof, lecture, teacher, sockets = await classroom(server)
    question = await ask_body(
        prof, lecture, {"text": "Too fast?", "choices": ["yes", "no"], "anonymous": True}
    )
    broadcast = (await sockets[0].next_of("question"))["question"]
    assert broadcast["anonymous"] is True
    await answered(sockets[0], question, "yes")
    await answered(sockets[1], question, "no")
    await answered(sockets[0], question, "no")
    await close(prof, lecture, question)
    rows = csv_rows(await prof.get(f"/api/lectures/{lecture['id']}/responses.csv"))
    assert [row[:2] + row[4:] for row in rows[1:]] == [["", "", "no", "", "", "1"]] * 2
    results = body_of(await prof.get(f"/api/lectures/{lecture['id']}/questions"))
    assert results["questions"][0]["counts"] == {"yes": 0, "no": 2}


@pytest_twisted.ensureDeferred
async def test_a_timer_that_expires_while_the_server_restarts(db_path):
    server = await start_server(db_path)
    try:
        prof = await instructor(server)
        (student,) = await students(server, 1)
        lecture = await start_lecture(prof)
        client = await connect(server, lecture["join_code"], student)
        await client.next_of("hello")
        question = await ask_body(
            prof, lecture, {"text": "Quick!", "choices": ["a", "b"], "timer": 5}
        )
        seen = (await client.next_of("question"))["question"]
        assert 4 < seen["time_left"] <= 5
        await answered(client, question, "a")
    finally:
        await server.stop()
    await sleep(5.2)
    restarted = await start_server(db_path)
    try:
        for user in (prof, student):
            user.server = restarted
        # The server closed it at start; nobody sees it open, the answer before it counts.
        results = body_of(await prof.get(f"/api/lectures/{lecture['id']}/questions"))
        assert results["questions"][0]["status"] == "closed"
        assert results["questions"][0]["counts"] == {"a": 1, "b": 0}
        client = await connect(restarted, lecture["join_code"], student)
        assert (await client.next_of("hello"))["question"] is None
        teacher = await connect(restarted, lecture["join_code"], prof)
        assert (await teacher.next_of("hello"))["results"]["question"]["id"] == question["id"]
    finally:
        await restarted.stop()


@pytest_twisted.ensureDeferred
async def test_a_timer_closes_the_question_and_added_time_is_broadcast(server):
    prof, lecture, teacher, sockets = await classroom(server, 1)
    question = await ask_body(prof, lecture, {"text": "Q", "choices": ["a", "b"], "timer": 5})
    path = f"/api/lectures/{lecture['id']}/questions/{question['id']}/time"
    extended = body_of(await prof.post(path, {"seconds": 1}))["question"]
    timer = await sockets[0].next_of("question_timer")
    assert timer["deadline"] == extended["deadline"] and 5 < timer["time_left"] <= 6
    closed = await sockets[0].next_of("question_closed", timeout=10)
    assert closed["question_id"] == question["id"]
    sockets[0].send({"type": "answer", "question_id": question["id"], "choice": "a"})
    assert (await sockets[0].next_of("error"))["code"] == "question_closed"
    assert (await prof.post(path, {"seconds": 30})).code == 409


@pytest_twisted.ensureDeferred
async def test_grades_and_records_follow_each_kind_and_anonymity(server):
    """An anonymous question counts as taking part only; a numeric one within its
    tolerance counts as right; the student's record says so in words."""
    prof = await instructor(server)
    (alice,) = await students(server, 1)
    course = await new_course(prof)
    await upload(prof, course["id"], b"username\nstudent000\n")
    created = await prof.post("/api/lectures", {"title": "W1", "course_id": course["id"]})
    lecture = body_of(created)["lecture"]
    client = await connect(server, lecture["join_code"], alice)
    await client.next_of("hello")
    poll = {"text": "Honest?", "choices": ["a", "b"], "correct": "a", "anonymous": True}
    numeric = {"text": "g?", "kind": "numeric", "correct": 9.81, "tolerance": {"absolute": 0.1}}
    for body, answer in ((poll, "a"), (numeric, "9,75")):
        question = await ask_body(prof, lecture, body)
        await client.next_of("question")
        await answered(client, question, answer)
        await close(prof, lecture, question)
    rows = csv_rows(await prof.get(f"/api/courses/{course['id']}/gradebook.csv"))
    assert rows[1] == ["student000", "student000", "1", "2", "1", "100"]
    record = body_of(await alice.get(f"/api/courses/{course['id']}/record"))
    (week,) = record["lectures"]
    assert [(q["my_answer_text"], q["correct_text"], q["result"]) for q in week["questions"]] == [
        (None, "a", "anonymous"),
        ("9.75", "9.81", "correct"),
    ]
