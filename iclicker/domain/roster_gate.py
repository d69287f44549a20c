"""Who may join a course's lectures: the roster, cached per course for the handshake."""

from iclicker.store.courses import CourseStore
from iclicker.store.users import username_key


class RosterGate:
    """Answers "is this student on the course's roster?" without a query per handshake.

    A course's roster is read once and kept until an upload changes it; a
    read that was under way while it changed is not kept.
    """

    def __init__(self, store: CourseStore) -> None:
        self._store = store
        self._rosters: dict[int, frozenset[str]] = {}
        self._generation: dict[int, int] = {}

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
        self._rosters.pop(course_id, None)
        self._generation[course_id] = self._generation.get(course_id, 0) + 1
