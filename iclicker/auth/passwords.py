"""bcrypt hashing and checking on a dedicated thread pool.

A bcrypt check at cost 12 takes a quarter of a second of CPU; on the reactor
thread it would freeze every socket of a lecture, so it never runs there.
"""

import bcrypt
from twisted.internet.interfaces import IReactorFromThreads

from iclicker.threads import BackgroundPool

MAX_PASSWORD_BYTES = 72
MIN_PASSWORD_BYTES = 8
MAX_WAITING = 64
"""bcrypt jobs queued or running at once; past it, callers are told to retry."""


def _hash(password: bytes, rounds: int) -> str:
    return bcrypt.hashpw(password, bcrypt.gensalt(rounds)).decode("ascii")


def _check(password: bytes, hashed: str) -> bool:
    return bcrypt.checkpw(password, hashed.encode("ascii"))


def hash_password(password: str, rounds: int) -> str:
    """Hash synchronously: for the command-line tool, never on the reactor."""
    return _hash(password.encode("utf-8"), rounds)


class PasswordHasher(BackgroundPool):
    """Hashes and checks passwords on its own small thread pool, with a bounded queue.

    A storm of logins must not queue minutes of bcrypt work (and memory)
    behind it: past ``MAX_WAITING`` jobs the caller gets ``Unavailable``.
    """

    def __init__(self, reactor: IReactorFromThreads, rounds: int, threads: int = 2) -> None:
        super().__init__(
            reactor,
            "bcrypt",
            threads,
            MAX_WAITING,
            "The server is busy checking passwords; try again in a moment.",
        )
        self._rounds = rounds
        self._dummy_hash: str | None = None

    async def hash(self, password: str) -> str:
        return await self.run(_hash, password.encode("utf-8"), self._rounds)

    async def check(self, password: str, hashed: str | None) -> bool:
        """Check ``password``; with no hash (unknown user) spend the same time and fail.

        Answering an unknown username faster than a wrong password would let a
        caller discover which usernames exist. A password longer than bcrypt
        takes can match no account (registration refuses it); it costs the
        same time too, and fails.
        """
        encoded = password.encode("utf-8")
        if len(encoded) > MAX_PASSWORD_BYTES:
            encoded, hashed = encoded[:MAX_PASSWORD_BYTES], None
        if hashed is None:
            if self._dummy_hash is None:
                self._dummy_hash = await self.hash("not a password of anyone")
            await self.run(_check, encoded, self._dummy_hash)
            return False
        return await self.run(_check, encoded, hashed)
