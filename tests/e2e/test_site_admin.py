"""Site administration over real sockets: roles, disabling (sockets closed at once), enabling."""

import subprocess

import pytest_twisted
from support import (
    User,
    body_of,
    connect,
    instructor,
    make_account,
    start_lecture,
    students,
)
from test_twistd import installed_script


async def site_admin(server) -> User:
    make_account(server.db_path, "root", "admin")
    admin = User(server)
    assert (await admin.login("root")).code == 200
    return admin


@pytest_twisted.ensureDeferred
async def test_admins_search_users_and_change_roles(server):
    """Search by prefix (the caller included), set roles; others 403; oneself 409."""
    admin = await site_admin(server)
    (student,) = await students(server, 1)
    found = body_of(await admin.get("/api/admin/users?q=STUD"))["users"]
    assert found == [
        {
            "id": found[0]["id"],
            "username": "student000",
            "display_name": "student000",
            "role": "student",
            "photo_url": None,
            "disabled": False,
        }
    ]
    assert [u["username"] for u in body_of(await admin.get("/api/admin/users"))["users"]] == [
        "root",
        "student000",
    ]
    response = await admin.post("/api/admin/users/Student000", {"role": "instructor"})
    assert body_of(response)["user"]["role"] == "instructor"
    assert (await student.get("/api/lectures")).code == 200, "the new role applies at once"
    assert (await student.get("/api/admin/users")).code == 403
    assert (await admin.post("/api/admin/users/root", {"role": "student"})).code == 409
    assert (await admin.post("/api/admin/users/root", {"disabled": True})).code == 409
    assert (await admin.post("/api/admin/users/nobody", {"role": "student"})).code == 404
    assert (await admin.post("/api/admin/users/student000", {"role": "king"})).code == 400


@pytest_twisted.ensureDeferred
async def test_disabling_ends_sessions_and_closes_sockets_at_once(server):
    """A disabled user's socket closes (4003), requests get 401, login 403; enabling undoes it."""
    admin = await site_admin(server)
    prof = await instructor(server)
    (student,) = await students(server, 1)
    lecture = await start_lecture(prof)
    socket = await connect(server, lecture["join_code"], student)
    await socket.next_of("hello")
    response = await admin.post("/api/admin/users/student000", {"disabled": True})
    assert body_of(response)["user"]["disabled"] is True
    assert (await socket.next_of("account_disabled"))["type"] == "account_disabled"
    assert await socket.wait_closed() == 4003
    assert (await student.get("/api/me")).code == 401
    response = await User(server).login("student000")
    assert (response.code, body_of(response)["error"]["code"]) == (403, "account_disabled")
    response = await User(server).login("student000", "wrong password")
    assert (response.code, body_of(response)["error"]["code"]) == (401, "bad_credentials")
    await admin.post("/api/admin/users/student000", {"disabled": False})
    assert (await User(server).login("student000")).code == 200


@pytest_twisted.ensureDeferred
async def test_iclicker_admin_disable_closes_sockets_of_a_running_server(server):
    """Disabled from the shell (another process): the server closes the sockets within seconds."""
    prof = await instructor(server)
    (student,) = await students(server, 1)
    lecture = await start_lecture(prof)
    socket = await connect(server, lecture["join_code"], student)
    await socket.next_of("hello")
    result = subprocess.run(
        [installed_script("iclicker-admin"), "--db", server.db_path, "disable", "student000"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert await socket.wait_closed(timeout=10) == 4003
    assert (await student.get("/api/me")).code == 401
