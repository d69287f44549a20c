"""The accounts API over real loopback sockets against a server built by makeService."""

import json

import pytest_twisted
from support import PASSWORD, User, body_of, gather, start_server

JSON = {"Content-Type": ["application/json"]}


@pytest_twisted.ensureDeferred
async def test_register_me_logout_then_unauthenticated(server):
    """Register logs in; /api/me answers; logout destroys the session server-side."""
    user = User(server)
    response = await user.post(
        "/api/register", {"username": "Ada", "password": "correct horse", "display_name": "Ada L."}
    )
    assert response.code == 201
    assert body_of(response) == {
        "user": {
            "id": 1,
            "username": "Ada",
            "display_name": "Ada L.",
            "role": "student",
            "photo_url": None,
        }
    }
    cookie = response.headers.getRawHeaders("set-cookie")[0]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Max-Age" not in cookie, "after register the cookie lasts for the browser session"
    token = user.session_cookie
    assert body_of(await user.get("/api/me"))["user"]["username"] == "Ada"

    response = await user.post("/api/logout")
    assert response.code == 204
    response = await user.get("/api/me")
    assert response.code == 401
    assert body_of(response)["error"]["code"] == "not_authenticated"
    # The old token is dead on the server too, not just forgotten by the client.
    replay = User(server)
    response = await replay.get("/api/me", headers={"Cookie": [f"iclicker_session={token}"]})
    assert response.code == 401


@pytest_twisted.ensureDeferred
async def test_register_errors(server):
    """Taken usernames (any case), bad usernames, weak passwords and no role field."""
    await User(server).register("ada")
    cases = [
        ({"username": "ADA", "password": "correct horse"}, 409, "username_taken"),
        ({"username": "a", "password": "correct horse"}, 400, "invalid_username"),
        ({"username": "bob", "password": "short"}, 400, "weak_password"),
        ({"username": "bob", "password": "x" * 73}, 400, "weak_password"),
        (
            {"username": "bob", "password": "correct horse", "display_name": ""},
            400,
            "invalid_request",
        ),
        ({"username": "bob"}, 400, "invalid_request"),
        ({"username": 5, "password": "correct horse"}, 400, "invalid_request"),
    ]
    for body, status, code in cases:
        response = await User(server).post("/api/register", body)
        assert (response.code, body_of(response)["error"]["code"]) == (status, code), body
    response = await User(server).post(
        "/api/register", {"username": "eve", "password": "correct horse", "role": "admin"}
    )
    assert body_of(response)["user"]["role"] == "student"


@pytest_twisted.ensureDeferred
async def test_login_with_remember_sets_a_persistent_cookie_and_a_new_session_id(server):
    """remember: true gives a 30-day cookie; every login issues a fresh session id."""
    user = User(server)
    await user.register("ada")
    first = user.session_cookie
    response = await user.login("ADA", remember=True)
    assert response.code == 200
    assert "Max-Age=2592000" in response.headers.getRawHeaders("set-cookie")[0]
    assert user.session_cookie != first
    stale = User(server)
    assert (
        await stale.get("/api/me", headers={"Cookie": [f"iclicker_session={first}"]})
    ).code == 401
    assert (await User(server).login("ada", "wrong password")).code == 401


@pytest_twisted.ensureDeferred
async def test_login_throttling_locks_one_username_only(server):
    """Five failures give 429 even for the right password; other usernames work."""
    await User(server).register("ada")
    await User(server).register("bob")
    for _ in range(5):
        response = await User(server).login("ada", "wrong password")
        assert response.code == 401
        assert body_of(response)["error"]["code"] == "bad_credentials"
    response = await User(server).login("Ada")
    assert response.code == 429
    assert body_of(response)["error"]["code"] == "too_many_attempts"
    assert (await User(server).login("bob")).code == 200


@pytest_twisted.ensureDeferred
async def test_csrf_and_origin_rules(server):
    """JSON media type required (parameters and case ignored); a foreign Origin is refused."""
    user = User(server)
    body = json.dumps({"username": "ada", "password": "correct horse"}).encode()
    refused = [
        {},
        {"Content-Type": ["text/plain"]},
        {"Content-Type": ["application/x-www-form-urlencoded"]},
        {"Content-Type": ["application/json"], "Origin": ["http://evil.example"]},
        {"Content-Type": ["application/json"], "Origin": [f"http://localhost:{server.port}"]},
        {"Content-Type": ["application/json"], "Origin": [f"https://127.0.0.1:{server.port}"]},
    ]
    for headers in refused:
        response = await user.request("POST", "/api/register", data=body, headers=headers)
        assert response.code == 403, headers
        assert body_of(response)["error"]["code"] == "csrf_failed"
    response = await user.request(
        "POST",
        "/api/register",
        data=body,
        headers={
            "Content-Type": ["Application/JSON; charset=utf-8"],
            "Origin": [f"http://127.0.0.1:{server.port}"],
        },
    )
    assert response.code == 201
    # Logout is state-changing too.
    response = await user.request(
        "POST", "/api/logout", data=b"{}", headers={"Content-Type": ["text/plain"]}
    )
    assert response.code == 403
    assert (await user.get("/api/me")).code == 200


@pytest_twisted.ensureDeferred
async def test_configured_origin_is_accepted(db_path):
    """--origin adds an allowed origin for the JSON API."""
    server = await start_server(db_path, "--origin", "https://clicker.example.edu")
    try:
        response = await User(server).post(
            "/api/register",
            {"username": "ada", "password": "correct horse"},
            headers={"Origin": ["https://clicker.example.edu"]},
        )
        assert response.code == 201
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_bad_bodies_get_json_errors_never_500(server):
    """Malformed JSON, non-objects, wrong types and oversized bodies: 400/413 JSON."""
    user = User(server)
    cases = [
        (b"{not json", 400, "invalid_request"),
        (b"[1, 2, 3]", 400, "invalid_request"),
        (b'"text"', 400, "invalid_request"),
        (b"\xff\xfe", 400, "invalid_request"),
        (b'{"username": ["a"], "password": "correct horse"}', 400, "invalid_request"),
        (
            b'{"username": "abc", "password": "correct horse", "remember": "yes"}',
            400,
            "invalid_request",
        ),
        (b'{"username": null, "password": "x"}', 400, "invalid_request"),
        (b'{"pad": "' + b"x" * (1024 * 1024) + b'"}', 413, "too_large"),
        (b'{"pad": "' + b"x" * (5 * 1024 * 1024) + b'"}', 413, "too_large"),
    ]
    for payload, status, code in cases:
        response = await user.request("POST", "/api/login", data=payload, headers=JSON)
        assert response.code == status, payload[:40]
        assert response.headers.getRawHeaders("content-type") == ["application/json"]
        assert body_of(response)["error"]["code"] == code
        assert set(body_of(response)["error"]) == {"code", "message"}


@pytest_twisted.ensureDeferred
async def test_unknown_routes_and_methods_are_json_under_api(server):
    """404 and 405 under /api are JSON; elsewhere they are friendly HTML pages."""
    user = User(server)
    response = await user.get("/api/nothing-here")
    assert (response.code, body_of(response)["error"]["code"]) == (404, "not_found")
    response = await user.get("/api/login")
    assert (response.code, body_of(response)["error"]["code"]) == (405, "method_not_allowed")
    response = await user.get("/no-such-page")
    assert response.code == 404
    assert b"Page not found" in response.body and b"Traceback" not in response.body


@pytest_twisted.ensureDeferred
async def test_concurrent_writes_never_hit_a_locked_database(server):
    """Forty registrations and logins at once all succeed: one writer, no 'database is locked'."""
    users = [User(server) for _ in range(40)]
    responses = await gather(
        *(
            user.post("/api/register", {"username": f"u{i:02d}", "password": "correct horse"})
            for i, user in enumerate(users)
        )
    )
    assert [response.code for response in responses] == [201] * 40
    responses = await gather(*(user.login(f"u{i:02d}") for i, user in enumerate(users)))
    assert [response.code for response in responses] == [200] * 40


@pytest_twisted.ensureDeferred
async def test_healthz(server):
    """/healthz answers 200 {"status": "ok"} once the database is open."""
    response = await User(server).get("/healthz")
    assert (response.code, body_of(response)) == (200, {"status": "ok"})


@pytest_twisted.ensureDeferred
async def test_session_survives_a_server_restart(db_path):
    """Sessions live in the database: a new server on the same file knows the cookie."""
    first = await start_server(db_path)
    user = User(first)
    await user.register("ada")
    token = user.session_cookie
    await first.stop()
    second = await start_server(db_path)
    try:
        again = User(second)
        response = await again.get("/api/me", headers={"Cookie": [f"iclicker_session={token}"]})
        assert response.code == 200
        assert body_of(response)["user"]["username"] == "ada"
    finally:
        await second.stop()


@pytest_twisted.ensureDeferred
async def test_http_allowlist_applies_only_when_asked(db_path):
    """--allow-net-http refuses other networks on every route but /healthz."""
    server = await start_server(db_path, "--allow-net", "10.0.0.0/8", "--allow-net-http")
    try:
        user = User(server)
        response = await user.post(
            "/api/register", {"username": "ada", "password": "correct horse"}
        )
        assert (response.code, body_of(response)["error"]["code"]) == (403, "network_not_allowed")
        assert (await user.get("/api/me")).code == 403
        assert (await user.get("/login")).code == 403
        assert (await user.get("/healthz")).code == 200
    finally:
        await server.stop()
    server = await start_server(db_path, "--allow-net", "10.0.0.0/8")
    try:
        response = await User(server).post(
            "/api/register", {"username": "ada", "password": "correct horse"}
        )
        assert response.code == 201, "without --allow-net-http the allowlist is for WebSockets only"
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_users_change_their_display_name_and_password(server):
    """Display name and password are self-service; other sessions end with a new password."""
    laptop, phone = User(server), User(server)
    await laptop.register("ada")
    assert (await phone.login("ada")).code == 200
    response = await laptop.request("PATCH", "/api/me", json={"display_name": " Ada L. "})
    assert body_of(response)["user"]["display_name"] == "Ada L."
    assert (await laptop.request("PATCH", "/api/me", json={"display_name": " "})).code == 400
    response = await laptop.post(
        "/api/me/password", {"old_password": "wrong one!", "new_password": "brand new pass"}
    )
    assert (response.code, body_of(response)["error"]["code"]) == (403, "bad_credentials")
    response = await laptop.post(
        "/api/me/password", {"old_password": PASSWORD, "new_password": "short"}
    )
    assert body_of(response)["error"]["code"] == "weak_password"
    response = await laptop.post(
        "/api/me/password", {"old_password": PASSWORD, "new_password": "brand new pass"}
    )
    assert response.code == 204
    assert (await laptop.get("/api/me")).code == 200, "this session goes on"
    assert (await phone.get("/api/me")).code == 401, "the others end"
    assert (await User(server).login("ada", "brand new pass")).code == 200
