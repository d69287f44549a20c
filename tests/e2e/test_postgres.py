"""``twistd iclicker --db postgresql://…`` against a real PostgreSQL the tests start:
a lecture round, a restart, PostgreSQL going away and coming back, and a SQLite
database copied over with ``iclicker-admin migrate-to-postgres``."""

import csv
import io

import pytest
import pytest_twisted
from support import (
    Server,
    TwistdProcess,
    User,
    ask,
    body_of,
    connect,
    instructor,
    make_account,
    sleep,
    start_lecture,
    students,
)


def as_server(process: TwistdProcess) -> Server:
    return Server(None, int(process.base.rsplit(":", 1)[1]), process.db_path)


@pytest.fixture
def on_postgres(tmp_path, postgres_url):
    """A twistd iclicker on a fresh PostgreSQL database; no traceback in its log."""
    process = TwistdProcess(tmp_path, db_path=postgres_url)
    process.start()
    yield process
    process.stop()
    assert b"Traceback" not in process.log_path.read_bytes()


async def answered_round(server: Server, prof: User, student: User, lecture: dict) -> dict:
    question = await ask(prof, lecture, "Pick", ("x", "y"), "y")
    client = await connect(server, lecture["join_code"], student)
    hello = await client.next_of("hello")
    assert hello["question"]["id"] == question["id"]
    client.send({"type": "answer", "question_id": question["id"], "choice": "y"})
    assert (await client.next_of("answer_ack"))["choice"] == "y"
    client.close()
    return question


@pytest_twisted.ensureDeferred
async def test_a_lecture_round_on_postgresql_survives_a_restart(on_postgres):
    server = as_server(on_postgres)
    prof = await instructor(server)
    (student,) = await students(server, 1)
    lecture = await start_lecture(prof)
    question = await answered_round(server, prof, student, lecture)

    on_postgres.kill()  # kill -9: what was acknowledged is committed
    on_postgres.start()

    assert (await student.get("/api/me")).code == 200, "sessions live in the database"
    export = await prof.get(f"/api/lectures/{lecture['id']}/responses.csv")
    [row] = list(csv.DictReader(io.StringIO(export.body.decode("utf-8"))))
    assert (row["question_id"], row["choice"]) == (str(question["id"]), "y")
    taken = await User(server).post(
        "/api/register", {"username": "Student000", "password": "x" * 8}
    )
    assert body_of(taken)["error"]["code"] == "username_taken"


@pytest_twisted.ensureDeferred
async def test_postgresql_going_away_gives_503_and_service_comes_back(on_postgres, postgres_server):
    server = as_server(on_postgres)
    prof = await instructor(server)
    (student,) = await students(server, 1)
    lecture = await start_lecture(prof)
    question = await ask(prof, lecture, "Pick", ("x", "y"), None)
    client = await connect(server, lecture["join_code"], student)
    await client.next_of("hello")

    postgres_server.stop()
    try:
        response = await prof.get(f"/api/lectures/{lecture['id']}")
        assert response.code == 503
        assert body_of(response)["error"]["code"] == "unavailable"
        health = await User(server).get("/healthz")
        assert health.code == 503 and "database" in body_of(health)["error"]["message"]
        client.send({"type": "answer", "question_id": question["id"], "choice": "x"})
        error = await client.next_of("error")
        assert error["code"] == "unavailable", "not acknowledged, so the page keeps it"
    finally:
        postgres_server.start()

    for _ in range(150):
        response = await prof.get(f"/api/lectures/{lecture['id']}")
        if response.code == 200:
            break
        await sleep(0.1)
    assert response.code == 200, "back within 15 s, the session still valid"
    client.send({"type": "answer", "question_id": question["id"], "choice": "x"})
    assert (await client.next_of("answer_ack"))["choice"] == "x"


@pytest_twisted.ensureDeferred
async def test_a_sqlite_database_copied_into_postgresql(tmp_path, postgres_url, server):
    """Accounts, sessions, lectures and answers made on SQLite are there on PostgreSQL
    (copied from the file while its server runs: WAL readers see committed data)."""
    prof = await instructor(server)
    (student,) = await students(server, 1)
    lecture = await start_lecture(prof)
    await answered_round(server, prof, student, lecture)

    from iclicker.admin import run

    out = io.StringIO()
    assert run(["--db", server.db_path, "migrate-to-postgres", postgres_url], out=out) == 0
    assert "answers: 1 rows" in out.getvalue()
    process = TwistdProcess(tmp_path, db_path=postgres_url, name="copied")
    process.start()
    try:
        copied = as_server(process)
        prof_there = User(copied, prof.cookies)
        export = await prof_there.get(f"/api/lectures/{lecture['id']}/responses.csv")
        assert export.code == 200 and b",y," in export.body
        newer = await start_lecture(prof_there)
        assert newer["id"] > lecture["id"], "ids continue after the copied ones"
        make_account(postgres_url, "assistant", "instructor")
    finally:
        process.stop()
