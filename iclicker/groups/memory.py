"""The in-process group registry: dicts of sets, for a server that runs as one process."""

from collections.abc import Callable
from typing import Any

from twisted.logger import Logger
from zope.interface import implementer

from iclicker.groups.interface import IGroupMember, IGroups


@implementer(IGroups)
class MemoryGroups:
    log = Logger()

    def __init__(self, encode: Callable[[dict[str, Any]], Any]) -> None:
        self.encode = encode
        self._members: dict[str, set[IGroupMember]] = {}

    def group_add(self, group: str, member: IGroupMember) -> bool:
        """Add ``member``; True if it is the group's first member here."""
        members = self._members.get(group)
        if members is None:
            self._members[group] = {member}
            return True
        members.add(member)
        return False

    def group_discard(self, group: str, member: IGroupMember) -> bool:
        """Discard ``member``; True if that left the group without members here."""
        members = self._members.get(group)
        if members is None:
            return False
        members.discard(member)
        if members:
            return False
        del self._members[group]
        return True

    def group_send(self, group: str, message: dict[str, Any]) -> None:
        members = self._members.get(group)
        if not members:
            return
        encoded = self.encode(message)
        # A member may leave its groups while receiving (e.g. closing after
        # lecture_ended), so deliver over a snapshot.
        for member in tuple(members):
            try:
                member.deliver(message, encoded)
            except Exception:
                self.log.failure(
                    "Delivering {type} to {group} failed", type=message.get("type"), group=group
                )

    local_send = group_send

    def others_send(self, group: str, message: dict[str, Any]) -> None:
        """There are no other processes."""

    def groups(self) -> list[str]:
        """Every group with members here."""
        return list(self._members)
