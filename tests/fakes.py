"""Stand-ins for unit tests of one piece: group registries (recording, or linking simulated
processes), users without bcrypt."""

import json

from zope.interface import implementer

from iclicker.domain.accounts import User
from iclicker.groups.interface import IGroupMember, IGroups
from iclicker.groups.memory import MemoryGroups
from iclicker.store.db import connect


@implementer(IGroups)
class RecordingGroups:
    """Remembers what was sent to which group, in order."""

    encode = staticmethod(lambda message: message)

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []
        self.told: list[tuple[str, dict]] = []
        """What went to the other processes only."""

    def group_add(self, group, member) -> None:
        pass

    def group_discard(self, group, member) -> None:
        pass

    def group_send(self, group, message) -> None:
        self.sent.append((group, message))

    local_send = group_send

    def others_send(self, group, message) -> None:
        self.told.append((group, message))

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


class Processes:
    """The group registries of several simulated processes on one bus, as Redis links them.

    What one process sends to the others reaches their members as JSON
    (tuples become lists), the way it would come out of Redis.
    """

    def __init__(self, count: int) -> None:
        self.registries = [ProcessGroups(self) for _ in range(count)]


class ProcessGroups(MemoryGroups):
    def __init__(self, bus: Processes) -> None:
        super().__init__(lambda message: message)
        self._bus = bus

    def group_send(self, group, message) -> None:
        self.local_send(group, message)
        self.others_send(group, message)

    def local_send(self, group, message) -> None:
        MemoryGroups.group_send(self, group, message)

    def others_send(self, group, message) -> None:
        for peer in self._bus.registries:
            if peer is not self:
                peer.local_send(group, json.loads(json.dumps(message)))


@implementer(IGroupMember)
class Inbox:
    """A group member that keeps what it receives (a socket, for tests of the domain)."""

    def __init__(self) -> None:
        self.received: list[dict] = []

    def deliver(self, message, encoded) -> None:
        self.received.append(message)

    def of_type(self, kind: str) -> list[dict]:
        return [message for message in self.received if message["type"] == kind]
