"""The people of the chat domain's unit tests (the ``chat_database`` fixture, conftest,
holds their accounts), and a helper those tests share."""

import pytest

from iclicker.domain.accounts import User

ALICE = User(1, "alice", "Alice", "student")
BOB = User(2, "bob", "Bob", "student")
CAROL = User(3, "carol", "Carol", "student")
ROOT = User(4, "root", "Root", "admin")
DAVE = User(5, "dave", "Dave", "student")
PEOPLE = [ALICE, BOB, CAROL, ROOT, DAVE]


async def raises(kind, code: str, coroutine) -> None:
    """Awaiting ``coroutine`` raises ``kind`` with this error ``code``."""
    with pytest.raises(kind) as caught:
        await coroutine
    assert caught.value.code == code
