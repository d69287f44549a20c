"""Who may join a course's lectures: the roster, cached per course for the handshake."""

from zope.interface import implementer

from iclicker.groups.interface import IGroupMember, IGroups
from iclicker.store.courses import CourseStore
from iclicker.store.users import username_key

ROSTERS_GROUP = "rosters"
"""Where a process that changed a roster tells the others to drop their copy."""


@implementer(IGroupMember)
class RosterGate:
    """Answers "is this student on the course's roster?" without a query per handshake.

    A course's roster is read once and kept until an upload changes it, here
    or in another process; a read that was under way while it changed is not
    kept.
    """

    def __init__(self, store: CourseStore, groups: IGroups) -> None:
        self._store = store
        self._groups = groups
        self._rosters: dict[int, frozenset[str]] = {}
        self._generation: dict[int, int] = {}
        groups.group_add(ROSTERS_GROUP, self)

    async def admits(self, course_id: int, username: str) -> bool:
        """A course without a roster admits everyone; with one, only its students."""
        roster = self._rosters.get(course_id)
        if roster is None:
            generation = self._generation.get(course_id, 0)
            roster = await self._store.roster_keys(course_id)
            if self._generation.get(course_id, 0) == generation:
                self._rosters[course_id] = roster
        return not roster or username_key(username) in roster

    def changed(self, course_id: int) -> None:
        """An upload here changed the roster: drop it here and in the other processes."""
        self._forget(course_id)
        self._groups.others_send(ROSTERS_GROUP, {"type": "roster_changed", "course_id": course_id})

    def deliver(self, message: dict, encoded: object) -> None:
        self._forget(message["course_id"])

    def _forget(self, course_id: int) -> None:
        self._rosters.pop(course_id, None)
        self._generation[course_id] = self._generation.get(course_id, 0) + 1
