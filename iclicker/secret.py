"""The server's own secret key, generated on first start and kept beside the database
(in the database itself on PostgreSQL, so that every machine's processes share it)."""

import os
import secrets

from iclicker.store.db import is_postgres, postgres_secret


def secret_path(db_path: str) -> str:
    return f"{db_path}.secret"


def server_secret(location: str) -> bytes:
    if is_postgres(location):
        return postgres_secret(location, secrets.token_hex(32).encode("ascii"))
    return load_or_create_secret(secret_path(location))


def load_or_create_secret(path: str) -> bytes:
    """Read the key at ``path``, creating it (mode 0600) if it does not exist yet.

    ``O_EXCL`` makes two processes starting at once agree on one key: the loser
    of the race reads the winner's file.
    """
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        with open(path, "rb") as existing:
            key = existing.read().strip()
        if len(key) < 32:
            raise ValueError(f"{path} does not hold a usable secret key") from None
        return key
    key = secrets.token_hex(32).encode("ascii")
    with os.fdopen(descriptor, "wb") as new:
        new.write(key + b"\n")
    return key
