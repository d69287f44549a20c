"""``iclicker-admin``: create accounts and change roles and passwords from the shell.

It works on the database file directly, beside a running server: it uses the
same migrations and ``*_txn`` functions, and SQLite's busy timeout lets it
wait its turn behind the server's writes.
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
from iclicker.store.db import connect
from iclicker.store.engine import SqliteEngine, Txn
from iclicker.store.schema import migrate
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
    parser.add_argument("--db", default=DEFAULT_DB, help="SQLite database file")
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
    return parser


def read_password(from_stdin: bool, stdin: TextIO) -> str:
    """The first line of stdin without its newline, or a twice-typed prompt."""
    if from_stdin:
        return stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise DomainError("The passwords do not match.")
    return first


def _in_transaction(connection, function: Callable, *args):
    cursor = connection.cursor()
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
    connection = connect(args.db)
    try:
        migrate(connection)
        if args.command == "adduser":
            username = check_username(args.username)
            display_name = check_display_name(args.display_name, username)
            password = check_password(read_password(args.password_stdin, stdin))
            hashed = hash_password(password, args.bcrypt_rounds)
            _in_transaction(
                connection, create_user_txn, username, display_name, hashed, args.role, time.time()
            )
            print(f"created {args.role} {username}", file=out)
        elif args.command in ("disable", "enable"):
            # A running server closes the account's sockets within a few seconds.
            disabled_at = time.time() if args.command == "disable" else None
            if not _in_transaction(connection, set_disabled_txn, args.username, disabled_at):
                raise DomainError(f"no user {args.username!r}")
            print(f"{args.username} is now {args.command}d", file=out)
        elif args.command == "setrole":
            if not _in_transaction(connection, set_role_txn, args.username, args.role):
                raise DomainError(f"no user {args.username!r}")
            print(f"{args.username} is now {args.role}", file=out)
        else:
            password = check_password(read_password(args.password_stdin, stdin))
            hashed = hash_password(password, args.bcrypt_rounds)
            if not _in_transaction(connection, change_password_txn, args.username, hashed):
                raise DomainError(f"no user {args.username!r}")
            print(f"password of {args.username} changed; its sessions ended", file=out)
    finally:
        connection.close()
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
