"""HTML pages over real sockets: redirects to login and back, CSRF tokens on forms."""

import re
from html import unescape
from urllib.parse import urlencode

import pytest_twisted
from support import User

FORM = {"Content-Type": ["application/x-www-form-urlencoded"]}


def csrf_token(html: bytes) -> str:
    return re.search(rb'name="csrf_token" value="([0-9a-f]+)"', html).group(1).decode()


async def post_form(user: User, path: str, fields: dict):
    return await user.request("POST", path, data=urlencode(fields).encode(), headers=FORM)


def hidden_fields(html: bytes) -> dict[str, str]:
    pairs = re.findall(rb'<input type="hidden" name="([^"]+)" value="([^"]*)">', html)
    return {name.decode(): unescape(value.decode()) for name, value in pairs}


async def submit(user: User, page_path: str, **fields: str):
    """Fill in the form on a page as a browser would: its hidden fields plus ``fields``."""
    page = await user.get(page_path)
    action = re.search(rb'<form method="post" action="([^"]+)"', page.body).group(1).decode()
    return await post_form(user, action, {**hidden_fields(page.body), **fields})


@pytest_twisted.ensureDeferred
async def test_private_page_redirects_to_login_and_back(server):
    """An anonymous visit to a private page goes to login, and login returns there."""
    user = User(server)
    await User(server).register("ada")
    response = await user.get("/lectures?x=1")
    assert response.code == 303
    assert response.headers.getRawHeaders("location") == ["/login?next=%2Flectures%3Fx%3D1"]
    response = await submit(
        user, "/login?next=%2Flectures%3Fx%3D1", username="ada", password="correct horse"
    )
    assert response.code == 303
    assert response.headers.getRawHeaders("location") == ["/lectures?x=1"]


@pytest_twisted.ensureDeferred
async def test_forms_need_this_browsers_csrf_token(server):
    """No token, a wrong token, or another browser's token: 403 page, nothing done."""
    await User(server).register("ada")
    user = User(server)
    other = User(server)
    other_token = csrf_token((await other.get("/login")).body)
    await user.get("/login")
    fields = {"username": "ada", "password": "correct horse"}
    for token in [None, "0" * 64, other_token]:
        data = dict(fields, csrf_token=token) if token else fields
        response = await post_form(user, "/login", data)
        assert response.code == 403
        assert b"expired" in response.body
    assert user.session_cookie is None


@pytest_twisted.ensureDeferred
async def test_register_page_logs_in_and_shows_home(server):
    """Registering through the form signs in; the home page greets the user."""
    user = User(server)
    response = await submit(
        user, "/register", username="ada", password="correct horse", display_name="Ada <b>L</b>"
    )
    assert response.code == 303
    home = await user.get("/")
    assert home.code == 200
    assert b"Hello, Ada &lt;b&gt;L&lt;/b&gt;" in home.body, "templates autoescape"


@pytest_twisted.ensureDeferred
async def test_form_errors_rerender_with_a_message(server):
    """A bad login re-renders the form with an error, no traceback."""
    response = await submit(User(server), "/login", username="ghost", password="whatever1")
    assert response.code == 401
    assert b"Wrong username or password" in response.body


@pytest_twisted.ensureDeferred
async def test_next_cannot_leave_the_site(server):
    """An absolute or protocol-relative next is replaced by /."""
    await User(server).register("ada")
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = await submit(
            User(server), "/login", username="ada", password="correct horse", next=target
        )
        assert response.headers.getRawHeaders("location") == ["/"], target


@pytest_twisted.ensureDeferred
async def test_pages_forbid_framing_and_foreign_scripts(server):
    """Pages send a same-origin Content-Security-Policy and refuse to be framed."""
    response = await User(server).get("/login")
    policy = response.headers.getRawHeaders("content-security-policy")[0]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers.getRawHeaders("x-frame-options") == ["DENY"]
