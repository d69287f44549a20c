"""iclicker-admin on a database file."""

import sqlite3
from io import StringIO

import bcrypt
import pytest

from iclicker.admin import run
from iclicker.domain.errors import DomainError
from iclicker.store.users import UsernameTaken


def admin(db: str, *argv: str, stdin: str = "") -> str:
    out = StringIO()
    run(["--db", db, "--bcrypt-rounds", "4", *argv], stdin=StringIO(stdin), out=out)
    return out.getvalue()


def row(db: str, username: str):
    connection = sqlite3.connect(db)
    try:
        return connection.execute(
            "SELECT username, role, password_hash FROM users WHERE username_key = ?",
            (username.casefold(),),
        ).fetchone()
    finally:
        connection.close()


def test_adduser_setrole_and_passwd(tmp_path):
    """Accounts are created with the first stdin line as password; roles and passwords change."""
    db = str(tmp_path / "admin.sqlite3")
    assert (
        admin(
            db,
            "adduser",
            "Prof",
            "--role",
            "instructor",
            "--password-stdin",
            stdin="first password\nignored\n",
        )
        == "created instructor Prof\n"
    )
    username, role, hashed = row(db, "prof")
    assert (username, role) == ("Prof", "instructor")
    assert bcrypt.checkpw(b"first password", hashed.encode())
    admin(db, "setrole", "PROF", "admin")
    assert row(db, "prof")[1] == "admin"
    admin(db, "passwd", "prof", "--password-stdin", stdin="second password\r\n")
    assert bcrypt.checkpw(b"second password", row(db, "prof")[2].encode())


def test_admin_refuses_bad_input(tmp_path):
    """Taken names, bad names, weak passwords and unknown users are errors, nothing written."""
    db = str(tmp_path / "admin.sqlite3")
    admin(db, "adduser", "prof", "--password-stdin", stdin="long password\n")
    with pytest.raises(UsernameTaken):
        admin(db, "adduser", "PROF", "--password-stdin", stdin="long password\n")
    with pytest.raises(DomainError):
        admin(db, "adduser", "x", "--password-stdin", stdin="long password\n")
    with pytest.raises(DomainError):
        admin(db, "adduser", "eve", "--password-stdin", stdin="short\n")
    with pytest.raises(DomainError):
        admin(db, "setrole", "nobody", "admin")
    assert row(db, "eve") is None
    with pytest.raises(SystemExit):
        admin(db, "setrole", "prof", "king")
