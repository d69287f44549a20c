"""Courses: who owns them, and who may join their lectures (the roster)."""

from collections.abc import Awaitable, Callable

from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from iclicker.domain.accounts import USERNAME_PATTERN, User, may_manage, require_teacher
from iclicker.domain.errors import Invalid, NotFound
from iclicker.domain.spreadsheets import Row, check_rows, read_rows
from iclicker.store.courses import CourseRow, CourseStore, RosterCounts, RosterEntry, RosterStudent

MAX_COURSE_NAME = 200
ROSTER_COLUMNS = ("username",)
ROSTER_OPTIONAL = ("display_name", "email", "student_id")

RunInThread = Callable[..., Awaitable]


def check_course_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= MAX_COURSE_NAME:
        raise Invalid(f"A course name is 1 to {MAX_COURSE_NAME} characters.")
    return name


def _roster_entry(row: Row) -> RosterEntry:
    username = row.cells["username"]
    if not USERNAME_PATTERN.fullmatch(username):
        raise Invalid(f"“{username}” is not a username (3 to 32 letters, digits, '_', '.' or '-').")
    display_name = row.cells.get("display_name", "")
    if len(display_name) > 64:
        raise Invalid("A display name is at most 64 characters.")
    return RosterEntry(
        username,
        display_name,
        row.cells.get("email", "")[:254],
        row.cells.get("student_id", "")[:64],
    )


def parse_roster(data: bytes) -> list[RosterEntry]:
    """Every entry of a roster file, or ``InvalidCsv`` naming every bad line."""
    rows, problems = read_rows(data, ROSTER_COLUMNS, ROSTER_OPTIONAL)
    return check_rows(rows, problems, _roster_entry)


class Courses:
    """Instructors' courses and rosters; tells lectures when a roster changes."""

    log = Logger()

    def __init__(
        self,
        store: CourseStore,
        roster_changed: Callable[[int], None],
        run_in_thread: RunInThread,
        clock: IReactorTime,
    ) -> None:
        self._store = store
        self._roster_changed = roster_changed
        self._run_in_thread = run_in_thread
        self._clock = clock

    async def create(self, user: User, name: str) -> CourseRow:
        require_teacher(user)
        return await self._store.create(user.id, name, self._clock.seconds())

    async def courses_of(self, user: User) -> list[CourseRow]:
        require_teacher(user)
        return await self._store.of_owner(None if user.role == "admin" else user.id)

    async def owned(self, user: User, course_id: int) -> CourseRow:
        """The course if ``user`` may run it: students 403, others' courses 404."""
        require_teacher(user)
        course = await self._store.get(course_id)
        if course is None or not may_manage(user, course.owner_id):
            raise NotFound("No such course.")
        return course

    async def update(
        self, user: User, course_id: int, name: str | None, archived: bool | None
    ) -> CourseRow:
        await self.owned(user, course_id)
        return await self._store.update(course_id, name, archived)

    async def roster(self, user: User, course_id: int) -> list[RosterStudent]:
        await self.owned(user, course_id)
        return await self._store.roster(course_id)

    async def upload_roster(
        self, user: User, course_id: int, data: bytes, replace: bool
    ) -> RosterCounts:
        """Import a roster file whole (parsed off the reactor thread) or not at all."""
        await self.owned(user, course_id)
        entries = await self._run_in_thread(parse_roster, data)
        counts = await self._store.apply_roster(course_id, entries, replace)
        self._roster_changed(course_id)
        self.log.info(
            "Roster of course {course_id}: {added} added, {updated} updated,"
            " {pending} pending, {removed} removed",
            course_id=course_id,
            added=counts.added,
            updated=counts.updated,
            pending=counts.pending,
            removed=counts.removed,
        )
        return counts
