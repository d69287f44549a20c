"""Courses and rosters over real sockets: uploads, pending students, the roster-gated handshake."""

import csv
import io

import pytest_twisted
from support import (
    User,
    ask,
    body_of,
    connect,
    handshake_status,
    instructor,
    start_lecture,
    students,
)

UPLOAD = {"X-Requested-With": ["iclicker"]}


async def upload(
    user: User,
    course_id: int,
    content: bytes,
    replace: bool = False,
    headers=UPLOAD,
    path: str = "roster",
):
    return await user.request(
        "POST",
        f"/api/courses/{course_id}/{path}",
        files={"file": ("roster.csv", "text/csv", io.BytesIO(content))},
        data={"replace": "true"} if replace else {},
        headers=headers,
    )


async def new_course(prof: User, name: str = "Physics") -> dict:
    response = await prof.post("/api/courses", {"name": name})
    assert response.code == 201, response.body
    return body_of(response)["course"]


@pytest_twisted.ensureDeferred
async def test_courses_are_the_owners(server):
    """Create, list, rename and archive; students 403, other instructors 404."""
    prof = await instructor(server)
    other = await instructor(server, "other")
    (student,) = await students(server, 1)
    course = await new_course(prof)
    assert course == {"id": course["id"], "name": "Physics", "archived": False}
    assert (await student.post("/api/courses", {"name": "x"})).code == 403
    assert body_of(await other.get("/api/courses"))["courses"] == []
    path = f"/api/courses/{course['id']}"
    assert (await other.request("PATCH", path, json={"name": "Mine"})).code == 404
    response = await prof.request("PATCH", path, json={"name": " Physics I ", "archived": True})
    assert body_of(response)["course"] == {
        "id": course["id"],
        "name": "Physics I",
        "archived": True,
    }
    assert body_of(await prof.get("/api/courses"))["courses"][0]["name"] == "Physics I"
    for bad in [{"name": "  "}, {"name": "x" * 201}, {"archived": "yes"}]:
        assert (await prof.request("PATCH", path, json=bad)).code == 400


@pytest_twisted.ensureDeferred
async def test_roster_upload_counts_pending_students_and_replace(server):
    """Counts follow the contract; a pending student becomes active on registering."""
    prof = await instructor(server)
    course = await new_course(prof)
    await students(server, 2)  # student000 and student001 have accounts
    content = b"username,display_name\nstudent000,S Zero\nStudent001,S One\nnewbie,New\n"
    response = await upload(prof, course["id"], content)
    assert body_of(response) == {"added": 2, "updated": 0, "pending": 1, "removed": 0}
    response = await upload(prof, course["id"], b"username\nstudent000\nlater\n", replace=True)
    assert body_of(response) == {"added": 0, "updated": 1, "pending": 1, "removed": 2}
    roster = body_of(await prof.get(f"/api/courses/{course['id']}/roster"))["students"]
    assert [(s["username"], s["status"]) for s in roster] == [
        ("later", "pending"),
        ("student000", "active"),
    ]
    await User(server).register("LATER")
    roster = body_of(await prof.get(f"/api/courses/{course['id']}/roster"))["students"]
    assert ("later", "active") in [(s["username"], s["status"]) for s in roster]


@pytest_twisted.ensureDeferred
async def test_bad_files_import_nothing_and_say_why(server):
    """Every bad line is listed; oversize is 413; no upload header is 403; nothing changes."""
    prof = await instructor(server)
    course = await new_course(prof)
    response = await upload(prof, course["id"], b"username\nada\nno good\nbob\nx\n")
    error = body_of(response)["error"]
    assert (response.code, error["code"]) == (400, "invalid_csv")
    assert [line["line"] for line in error["lines"]] == [3, 5]
    response = await upload(prof, course["id"], b"username\n" + b"a" * (3 * 1024 * 1024))
    assert (response.code, body_of(response)["error"]["code"]) == (413, "too_large")
    response = await upload(prof, course["id"], b"username\nada\n", headers={})
    assert (response.code, body_of(response)["error"]["code"]) == (403, "csrf_failed")
    response = await upload(prof, course["id"], "username\nj\u00e9r\u00f4me\n".encode("latin-1"))
    assert body_of(response)["error"]["code"] == "invalid_csv"
    assert body_of(await prof.get(f"/api/courses/{course['id']}/roster"))["students"] == []


@pytest_twisted.ensureDeferred
async def test_a_course_roster_gates_its_lectures_at_the_handshake(server):
    """Rostered students join, others get 403; owner passes; a new upload applies at once."""
    prof = await instructor(server)
    rostered, outsider = await students(server, 2)
    course = await new_course(prof)
    response = await prof.post("/api/lectures", {"title": "Week 1", "course_id": course["id"]})
    lecture = body_of(response)["lecture"]
    assert lecture["course_id"] == course["id"]
    path = f"/ws/lectures/{lecture['join_code']}"
    client = await connect(server, lecture["join_code"], outsider)  # no roster yet: open
    await client.next_of("hello")
    client.close()

    await upload(prof, course["id"], b"username\nstudent000\nlate_comer\n")
    assert await handshake_status(server, path, outsider) == 403
    client = await connect(server, lecture["join_code"], rostered)
    assert (await client.next_of("hello"))["role"] == "student"
    teacher = await connect(server, lecture["join_code"], prof)
    assert (await teacher.next_of("hello"))["role"] == "instructor"
    late = User(server)
    await late.register("Late_Comer")
    late_client = await connect(server, lecture["join_code"], late)
    await late_client.next_of("hello")

    await upload(prof, course["id"], b"username\nstudent001\n", replace=True)
    assert await handshake_status(server, path, rostered) == 403
    client = await connect(server, lecture["join_code"], outsider)
    await client.next_of("hello")
    for socket in (client, teacher, late_client):
        socket.close()


@pytest_twisted.ensureDeferred
async def test_lectures_only_in_your_own_courses(server):
    """course_id must name one of the instructor's courses (404 otherwise)."""
    prof = await instructor(server)
    other = await instructor(server, "other")
    course = await new_course(prof)
    response = await other.post("/api/lectures", {"title": "T", "course_id": course["id"]})
    assert response.code == 404
    assert (await start_lecture(prof))["course_id"] is None


@pytest_twisted.ensureDeferred
async def test_question_bank_upload_and_its_bad_lines(server):
    """A bank file adds questions with the lecture rules; a bad one names its lines."""
    prof = await instructor(server)
    course = await new_course(prof)
    content = (
        b'text;choice_a;choice_b;choice_c;correct\n"2 + 2?";3;4;5;b\nFavourite colour?;red;blue;;\n'
    )
    response = await upload(prof, course["id"], content, path="questions")
    body = body_of(response)
    assert body["added"] == 2
    assert [(q["text"], q["choices"], q["correct"]) for q in body["questions"]] == [
        ("2 + 2?", ["3", "4", "5"], "4"),
        ("Favourite colour?", ["red", "blue"], None),
    ]
    bad = b"text,choice_a,choice_b,correct\nOK?,yes,no,a\nOne choice,only,,\nWrong,x,y,d\n,a,b,\n"
    response = await upload(prof, course["id"], bad, path="questions")
    assert [line["line"] for line in body_of(response)["error"]["lines"]] == [3, 4, 5]
    assert len(body_of(await prof.get(f"/api/courses/{course['id']}/questions"))["questions"]) == 2


@pytest_twisted.ensureDeferred
async def test_gradebook_after_a_scripted_term(server):
    """Two course lectures, a changed answer, a lecture outside the course: exact numbers."""
    prof = await instructor(server)
    alice, bob, carol = await students(server, 3)
    course = await new_course(prof)
    await upload(
        prof,
        course["id"],
        b'username,display_name\nstudent000,=HYPERLINK("x")\nstudent001,Bob\nghost,G\n',
    )
    week1 = body_of(await prof.post("/api/lectures", {"title": "W1", "course_id": course["id"]}))
    week2 = body_of(await prof.post("/api/lectures", {"title": "W2", "course_id": course["id"]}))
    outside = body_of(await prof.post("/api/lectures", {"title": "Other"}))
    a_sock = await connect(server, week1["lecture"]["join_code"], alice)
    b_sock = await connect(server, week1["lecture"]["join_code"], bob)
    for sock in (a_sock, b_sock):
        await sock.next_of("hello")
    q1 = await ask(prof, week1["lecture"], text="Q1", choices=("x", "y"), correct="x")
    for sock in (a_sock, b_sock):
        await sock.next_of("question")
    a_sock.send({"type": "answer", "question_id": q1["id"], "choice": "y"})
    await a_sock.next_of("answer_ack")
    a_sock.send({"type": "answer", "question_id": q1["id"], "choice": "x"})  # changed: right
    await a_sock.next_of("answer_ack")
    b_sock.send({"type": "answer", "question_id": q1["id"], "choice": "y"})
    await b_sock.next_of("answer_ack")
    await ask(prof, week1["lecture"], text="Q2", choices=("x", "y"), correct=None)
    a2 = await connect(server, week2["lecture"]["join_code"], alice)
    await a2.next_of("hello")
    q3 = await ask(prof, week2["lecture"], text="Q3", choices=("p", "q"), correct="q")
    await a2.next_of("question")
    a2.send({"type": "answer", "question_id": q3["id"], "choice": "q"})
    await a2.next_of("answer_ack")
    c_sock = await connect(server, outside["lecture"]["join_code"], carol)
    await c_sock.next_of("hello")
    await ask(prof, outside["lecture"], text="Elsewhere", choices=("a", "b"), correct="a")
    for sock in (a_sock, b_sock, a2, c_sock):
        sock.close()

    response = await prof.get(f"/api/courses/{course['id']}/gradebook.csv")
    assert response.headers.getRawHeaders("content-type")[0].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.body.decode("utf-8"), newline="")))
    assert rows == [
        [
            "username",
            "display_name",
            "lectures_attended",
            "questions_answered",
            "answered_correctly",
            "participation_percent",
        ],
        ["ghost", "G", "0", "0", "0", "0"],
        ["student000", "student000", "2", "2", "2", "66.7"],
        ["student001", "student001", "1", "1", "0", "33.3"],
    ]
    await upload(prof, course["id"], b'username,display_name\nghost,=HYPERLINK("evil")\n')
    response = await prof.get(f"/api/courses/{course['id']}/gradebook.csv")
    assert "'=HYPERLINK" in response.body.decode("utf-8"), "formula injection neutralised"


@pytest_twisted.ensureDeferred
async def test_students_see_their_own_record_and_instructors_see_attendance(server):
    """A student's record shows attendance and answers, the verdict once closed."""
    prof = await instructor(server)
    alice, outsider = await students(server, 2)
    course = await new_course(prof)
    await upload(prof, course["id"], b"username\nstudent000\n")
    lecture = body_of(await prof.post("/api/lectures", {"title": "W1", "course_id": course["id"]}))[
        "lecture"
    ]
    sock = await connect(server, lecture["join_code"], alice)
    await sock.next_of("hello")
    first = await ask(prof, lecture, text="Q1", choices=("x", "y"), correct="x")
    await sock.next_of("question")
    sock.send({"type": "answer", "question_id": first["id"], "choice": "y"})
    await sock.next_of("answer_ack")
    second = await ask(prof, lecture, text="Q2", choices=("x", "y"), correct="y")
    await sock.next_of("question")
    sock.send({"type": "answer", "question_id": second["id"], "choice": "y"})
    await sock.next_of("answer_ack")

    record = body_of(await alice.get(f"/api/courses/{course['id']}/record"))
    (week,) = record["lectures"]
    assert week["attended"] is True and week["title"] == "W1"
    assert [(q["my_answer"], q["correct"], q["result"]) for q in week["questions"]] == [
        ("y", "x", "wrong"),
        ("y", None, None),  # still open: no verdict yet
    ]
    assert (await outsider.get(f"/api/courses/{course['id']}/record")).code == 404
    attendance = body_of(await prof.get(f"/api/lectures/{lecture['id']}/attendance"))
    assert attendance == {"students": [{"username": "student000", "display_name": "student000"}]}
    assert (await alice.get(f"/api/lectures/{lecture['id']}/attendance")).code == 403
    sock.close()
