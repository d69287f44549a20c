"""Stand-ins for unit tests of one piece: a group registry that records, users without bcrypt."""

from zope.interface import implementer

from iclicker.domain.accounts import User
from iclicker.groups.interface import IGroups
from iclicker.store.db import connect


@implementer(IGroups)
class RecordingGroups:
    """Remembers what was sent to which group, in order."""

    encode = staticmethod(lambda message: message)

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []

    def group_add(self, group, member) -> None:
        pass

    def group_discard(self, group, member) -> None:
        pass

    def group_send(self, group, message) -> None:
        self.sent.append((group, message))

    def of_type(self, kind: str) -> list[tuple[str, dict]]:
        return [(group, message) for group, message in self.sent if message["type"] == kind]


def add_users(path: str, users: list[User]) -> None:
    """Insert accounts straight into a prepared database (no password works for them)."""
    connection = connect(path)
    for user in users:
        connection.execute(
            "INSERT INTO users (id, username, username_key, display_name, role, password_hash,"
            " created_at) VALUES (?, ?, ?, ?, ?, 'x', 0)",
            (user.id, user.username, user.username.casefold(), user.display_name, user.role),
        )
    connection.close()
