"""Registration rules and login throttling, on a real database with a fake clock."""

import pytest
import pytest_twisted
from twisted.internet import reactor
from twisted.internet.defer import Deferred

from iclicker.auth.passwords import MAX_WAITING, PasswordHasher
from iclicker.domain.accounts import LOCK_DURATION, Accounts
from iclicker.domain.errors import (
    BadCredentials,
    Conflict,
    Invalid,
    TooManyAttempts,
    Unavailable,
)
from iclicker.store.db import Database, prepare
from iclicker.store.sessions import SessionStore
from iclicker.store.users import UserStore

PASSWORD = "long enough"


@pytest_twisted.async_yield_fixture
async def accounts(tmp_path, clock):
    path = str(tmp_path / "a.sqlite3")
    prepare(path)
    database = Database(path, reactor)
    hasher = PasswordHasher(reactor, rounds=4)
    hasher.startService()
    yield Accounts(UserStore(database), SessionStore(database), hasher, clock)
    hasher.stopService()
    database.close()


async def _fails(coroutine, kind):
    with pytest.raises(kind) as caught:
        await coroutine
    return caught.value


@pytest_twisted.ensureDeferred
async def test_register_validates_username_password_and_display_name(accounts):
    """Each rule gets its contract code."""
    assert (
        await _fails(accounts.register("ab", PASSWORD, None), Invalid)
    ).code == "invalid_username"
    assert (
        await _fails(accounts.register("a b c", PASSWORD, None), Invalid)
    ).code == "invalid_username"
    assert (await _fails(accounts.register("abc", "short", None), Invalid)).code == "weak_password"
    assert (await _fails(accounts.register("abc", "é" * 37, None), Invalid)).code == "weak_password"
    assert (
        await _fails(accounts.register("abc", PASSWORD, "   "), Invalid)
    ).code == "invalid_request"
    user = await accounts.register("Ada.L", PASSWORD, "  Ada  ")
    assert (user.username, user.display_name, user.role) == ("Ada.L", "Ada", "student")
    taken = await _fails(accounts.register("ada.l", PASSWORD, None), Conflict)
    assert taken.code == "username_taken"


@pytest_twisted.ensureDeferred
async def test_login_is_case_insensitive_and_checks_the_password(accounts):
    """Usernames match in any case; a wrong password and an unknown user look alike."""
    await accounts.register("Ada", PASSWORD, None)
    assert (await accounts.login("ADA", PASSWORD)).username == "Ada"
    await _fails(accounts.login("ada", "wrong password"), BadCredentials)
    await _fails(accounts.login("nobody", PASSWORD), BadCredentials)


@pytest_twisted.ensureDeferred
async def test_five_failures_lock_the_username_for_fifteen_minutes(accounts, clock):
    """The right password is refused while locked; the lock ends 15 minutes after failure 5."""
    await accounts.register("ada", PASSWORD, None)
    await accounts.register("bob", PASSWORD, None)
    for _ in range(5):
        clock.advance(10)
        await _fails(accounts.login("ada", "wrong password"), BadCredentials)
    await _fails(accounts.login("ADA", PASSWORD), TooManyAttempts)
    assert (await accounts.login("bob", PASSWORD)).username == "bob"
    clock.advance(LOCK_DURATION - 1)
    # Attempts during the lock do not extend it.
    await _fails(accounts.login("ada", "wrong password"), TooManyAttempts)
    clock.advance(1)
    assert (await accounts.login("ada", PASSWORD)).username == "ada"


@pytest_twisted.ensureDeferred
async def test_failures_outside_the_window_and_success_reset_the_count(accounts, clock):
    """Only failures within 15 minutes count, and a success clears them."""
    await accounts.register("ada", PASSWORD, None)
    for _ in range(4):
        await _fails(accounts.login("ada", "wrong password"), BadCredentials)
    clock.advance(15 * 60)
    await _fails(accounts.login("ada", "wrong password"), BadCredentials)
    assert (await accounts.login("ada", PASSWORD)).username == "ada"
    for _ in range(4):
        await _fails(accounts.login("ada", "wrong password"), BadCredentials)
    assert (await accounts.login("ada", PASSWORD)).username == "ada"


@pytest_twisted.ensureDeferred
async def test_unknown_usernames_are_throttled_alike(accounts):
    """Probing a username that does not exist locks it the same way."""
    for _ in range(5):
        await _fails(accounts.login("ghost", PASSWORD), BadCredentials)
    await _fails(accounts.login("Ghost", PASSWORD), TooManyAttempts)


@pytest_twisted.ensureDeferred
async def test_overlong_passwords_and_malformed_usernames_fail_like_wrong_ones(accounts):
    """Over 72 bytes cannot match (bcrypt would raise); a malformed name is never a key."""
    await accounts.register("ada", "correct horse", None)
    with pytest.raises(BadCredentials):
        await accounts.login("ada", "correct horse" + "x" * 100)
    for name in ["a" * 5000, "no spaces", "", "ab"]:
        with pytest.raises(BadCredentials):
            await accounts.login(name, "correct horse")
    assert (await accounts.login("ADA", "correct horse")).username == "ada"


@pytest_twisted.ensureDeferred
async def test_the_bcrypt_queue_is_bounded():
    """Past MAX_WAITING queued jobs the hasher says Unavailable instead of queueing more."""
    hasher = PasswordHasher(reactor, rounds=4)  # never started: its jobs wait forever
    waiting = [
        Deferred.fromCoroutine(hasher.check("a password", "$2b$04$x")) for _ in range(MAX_WAITING)
    ]
    with pytest.raises(Unavailable):
        await hasher.check("one more", "$2b$04$x")
    assert not any(job.called for job in waiting)
    for job in waiting:
        job.cancel()
        job.addErrback(lambda failure: None)


@pytest_twisted.ensureDeferred
async def test_bcrypt_threads_run_at_the_lowest_cpu_priority():
    """A login storm's bcrypt work must not take the core from the reactor."""
    import os
    import threading

    from twisted.internet.threads import deferToThreadPool

    hasher = PasswordHasher(reactor, rounds=4, threads=1)
    hasher.startService()
    try:
        await hasher.hash("a password")
        niceness = await deferToThreadPool(
            reactor,
            hasher._pool,
            lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id()),
        )
    finally:
        hasher.stopService()
    assert niceness == 19
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) < 19, "not the reactor's"
