"""The session cookie: reading it, starting a session at login, clearing it at logout."""

from twisted.web.server import Request

from iclicker.auth.sessions import SESSION_COOKIE as SESSION_COOKIE_NAME
from iclicker.auth.sessions import Sessions
from iclicker.domain.accounts import User
from iclicker.domain.errors import NotAuthenticated
from iclicker.web.guards import Guards
from iclicker.web.http import check_json_write, read_json, request_scheme

SESSION_COOKIE = SESSION_COOKIE_NAME.encode("ascii")


def session_token(request: Request) -> str | None:
    value = request.getCookie(SESSION_COOKIE)
    return value.decode("ascii", "replace") if value else None


def _write_session_cookie(request: Request, guards: Guards, value: bytes, **extra) -> None:
    request.addCookie(
        SESSION_COOKIE,
        value,
        path=b"/",
        httpOnly=True,
        sameSite="lax",
        secure=request_scheme(request, guards) == "https",
        **extra,
    )


def set_session_cookie(request: Request, guards: Guards, token: str, max_age: int | None) -> None:
    """Persistent for ``max_age`` seconds, or a browser-session cookie when None."""
    extra = {"max_age": str(max_age).encode()} if max_age is not None else {}
    _write_session_cookie(request, guards, token.encode("ascii"), **extra)


def clear_session_cookie(request: Request, guards: Guards) -> None:
    _write_session_cookie(
        request, guards, b"", max_age=b"0", expires=b"Thu, 01 Jan 1970 00:00:00 GMT"
    )


async def start_session(
    request: Request, sessions: Sessions, guards: Guards, user: User, remember: bool
) -> None:
    """Log ``user`` in with a brand-new session id, ending any session the browser had."""
    await sessions.destroy(session_token(request))
    session = await sessions.create(user.id, remember)
    set_session_cookie(request, guards, session.token, session.max_age)


async def authenticated_user(request: Request, sessions: Sessions) -> User:
    user = await sessions.user(session_token(request))
    if user is None:
        raise NotAuthenticated("Log in first.")
    return user


async def json_write(request: Request, guards: Guards, sessions: Sessions) -> tuple[User, dict]:
    """The checks of a state-changing JSON call, in the contract's order, and its body."""
    check_json_write(request, guards)
    user = await authenticated_user(request, sessions)
    return user, read_json(request)
