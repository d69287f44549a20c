"""``iclicker-admin``: create accounts and change roles and passwords from the shell.

It works on the database directly, beside a running server: it uses the
same migrations and ``*_txn`` functions, and SQLite's busy timeout (or
PostgreSQL's own concurrency) lets it wait its turn behind the server's
writes. ``migrate-to-postgres`` copies a SQLite database into PostgreSQL.
"""

import argparse
import getpass
import sys
import time
from collections.abc import Callable
from typing import TextIO

from iclicker.auth.passwords import hash_password
from iclicker.config import DEFAULT_BCRYPT_ROUNDS, DEFAULT_DB
from iclicker.domain.accounts import (
    ROLES,
    check_display_name,
    check_password,
    check_username,
)
from iclicker.domain.errors import DomainError
from iclicker.store.copy import TargetNotEmpty, copy_to_postgres
from iclicker.store.db import connect, connect_postgres, is_postgres
from iclicker.store.engine import PostgresEngine, SqliteEngine, Txn
from iclicker.store.schema import migrate, migrate_postgres
from iclicker.store.sessions import delete_user_sessions_txn
from iclicker.store.users import (
    UsernameTaken,
    create_user_txn,
    set_disabled_txn,
    set_password_hash_txn,
    set_role_txn,
    username_key,
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="iclicker-admin", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db", default=DEFAULT_DB, help="SQLite database file or postgresql:// URL"
    )
    parser.add_argument(
        "--bcrypt-rounds", type=int, default=DEFAULT_BCRYPT_ROUNDS, help="bcrypt cost (4-31)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("adduser", help="create an account")
    add.add_argument("username")
    add.add_argument("--role", choices=ROLES, default="student")
    add.add_argument("--display-name")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    role = commands.add_parser("setrole", help="change an account's role")
    role.add_argument("username")
    role.add_argument("role", choices=ROLES)
    password = commands.add_parser("passwd", help="set an account's password")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true")
    for name, what in [
        ("disable", "disable an account: end its sessions, close its sockets"),
        ("enable", "enable a disabled account"),
    ]:
        commands.add_parser(name, help=what).add_argument("username")
    copy = commands.add_parser(
        "migrate-to-postgres", help="copy this SQLite database into an empty PostgreSQL one"
    )
    copy.add_argument("url", help="postgresql://USER[:PASSWORD]@HOST:PORT/NAME")
    return parser


def read_password(from_stdin: bool, stdin: TextIO) -> str:
    """The first line of stdin without its newline, or a twice-typed prompt."""
    if from_stdin:
        return stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise DomainError("The passwords do not match.")
    return first


class _Database:
    """The database the command works on, migrated, with one transaction per call."""

    def __init__(self, location: str) -> None:
        self._postgres = is_postgres(location)
        if self._postgres:
            self.connection = connect_postgres(location)
            self.connection.autocommit = True
            migrate_postgres(self.connection)
        else:
            self.connection = connect(location)
            migrate(self.connection)

    def transaction(self, function: Callable, *args):
        if self._postgres:
            with self.connection.transaction():
                return function(Txn(self.connection.cursor(), PostgresEngine()), *args)
        cursor = self.connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        try:
            result = function(Txn(cursor, SqliteEngine()), *args)
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        cursor.execute("COMMIT")
        return result


def change_password_txn(txn, username: str, password_hash: str) -> bool:
    """Set a new password and log the account out everywhere, in one transaction."""
    if not set_password_hash_txn(txn, username, password_hash):
        return False
    delete_user_sessions_txn(txn, username_key(username))
    return True


def run(argv: list[str], stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> int:
    args = _parser().parse_args(argv)
    if args.command == "migrate-to-postgres":
        return _copy(args.db, args.url, out)
    database = _Database(args.db)
    try:
        if args.command == "adduser":
            username = check_username(args.username)
            display_name = check_display_name(args.display_name, username)
            password = check_password(read_password(args.password_stdin, stdin))
            hashed = hash_password(password, args.bcrypt_rounds)
            database.transaction(
                create_user_txn, username, display_name, hashed, args.role, time.time()
            )
            print(f"created {args.role} {username}", file=out)
        elif args.command in ("disable", "enable"):
            # A running server closes the account's sockets within a few seconds.
            disabled_at = time.time() if args.command == "disable" else None
            if not database.transaction(set_disabled_txn, args.username, disabled_at):
                raise DomainError(f"no user {args.username!r}")
            print(f"{args.username} is now {args.command}d", file=out)
        elif args.command == "setrole":
            if not database.transaction(set_role_txn, args.username, args.role):
                raise DomainError(f"no user {args.username!r}")
            print(f"{args.username} is now {args.role}", file=out)
        else:
            password = check_password(read_password(args.password_stdin, stdin))
            hashed = hash_password(password, args.bcrypt_rounds)
            if not database.transaction(change_password_txn, args.username, hashed):
                raise DomainError(f"no user {args.username!r}")
            print(f"password of {args.username} changed; its sessions ended", file=out)
    finally:
        database.connection.close()
    return 0


def _copy(source: str, url: str, out: TextIO) -> int:
    if is_postgres(source) or not is_postgres(url):
        raise DomainError("migrate-to-postgres copies --db SQLITE_FILE into a postgresql:// URL")
    connection = connect(source)
    try:
        migrate(connection)
        copied = copy_to_postgres(connection, url)
    except TargetNotEmpty:
        raise DomainError(
            "the PostgreSQL database already has accounts; use an empty one"
        ) from None
    finally:
        connection.close()
    for table, rows in copied.items():
        print(f"{table}: {rows} rows", file=out)
    print("copied; start the server with --db " + url, file=out)
    return 0


def main() -> None:
    try:
        sys.exit(run(sys.argv[1:]))
    except UsernameTaken as taken:
        sys.exit(f"iclicker-admin: the username {taken} is taken")
    except DomainError as error:
        sys.exit(f"iclicker-admin: {error.message}")


if __name__ == "__main__":
    main()
