"""Courses: who owns them, and who may join their lectures (the roster)."""

from collections.abc import AsyncIterator, Awaitable, Callable

import attrs
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from iclicker.domain.accounts import USERNAME_PATTERN, User, may_manage, require_teacher
from iclicker.domain.errors import Invalid, NotFound
from iclicker.domain.exports import GRADEBOOK_COLUMNS, csv_rows, gradebook_row
from iclicker.domain.lecture_values import check_question
from iclicker.domain.roster_gate import RosterGate
from iclicker.domain.spreadsheets import Row, check_rows, read_rows
from iclicker.domain.text import trim
from iclicker.groups.interface import IGroups
from iclicker.store.courses import (
    BankQuestion,
    CourseLecture,
    CourseRow,
    CourseStore,
    GradebookRow,
    RecordLecture,
    RosterCounts,
    RosterEntry,
    RosterStudent,
)

MAX_COURSE_NAME = 200
ROSTER_COLUMNS = ("username",)
ROSTER_OPTIONAL = ("display_name", "email", "student_id")

RunInThread = Callable[..., Awaitable]


@attrs.frozen
class CoursePage:
    course: CourseRow
    roster: list[RosterStudent]
    standing: list[GradebookRow]
    """Per rostered student: lectures attended, questions answered, answered right."""
    lectures: list[CourseLecture]
    bank: list[BankQuestion]


def check_course_name(name: str) -> str:
    name = trim(name)
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


BANK_CHOICES = tuple(f"choice_{letter}" for letter in "abcdefgh")
GRADEBOOK_PAGE = 500


def _bank_question(row: Row) -> tuple[str, tuple[str, ...], str | None]:
    filled = [
        (column[-1].upper(), row.cells[column]) for column in BANK_CHOICES if row.cells.get(column)
    ]
    letter = row.cells.get("correct", "").upper()
    correct = None
    if letter:
        named = dict(filled)
        if letter not in named:
            raise Invalid(f"“correct” must be a letter A–H naming a filled choice, not “{letter}”.")
        correct = named[letter]
    return check_question(row.cells["text"], [choice for _, choice in filled], correct)


def parse_bank(data: bytes) -> list[tuple[str, tuple[str, ...], str | None]]:
    """Every question of a question-bank file, or ``InvalidCsv`` naming every bad line."""
    rows, problems = read_rows(data, ("text",), (*BANK_CHOICES, "correct"))
    return check_rows(rows, problems, _bank_question)


def parse_roster(data: bytes) -> list[RosterEntry]:
    """Every entry of a roster file, or ``InvalidCsv`` naming every bad line."""
    rows, problems = read_rows(data, ROSTER_COLUMNS, ROSTER_OPTIONAL)
    return check_rows(rows, problems, _roster_entry)


class Courses:
    """Instructors' courses, rosters and question banks; who may join a course's lectures."""

    log = Logger()

    def __init__(
        self,
        store: CourseStore,
        run_in_thread: RunInThread,
        clock: IReactorTime,
        groups: IGroups,
    ) -> None:
        self._store = store
        self._roster_gate = RosterGate(store, groups)
        self._run_in_thread = run_in_thread
        self._clock = clock

    async def create(self, user: User, name: str) -> CourseRow:
        require_teacher(user)
        return await self._store.create(user.id, name, self._clock.seconds())

    async def courses_of(self, user: User) -> list[CourseRow]:
        require_teacher(user)
        return await self._store.of_owner(None if user.role == "admin" else user.id)

    async def taken_by(self, user: User) -> list[CourseRow]:
        """The courses whose lectures ``user`` takes part in as a student."""
        return await self._store.of_student(user.id, user.username)

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
        self._roster_gate.changed(course_id)
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

    async def upload_bank(
        self, user: User, course_id: int, data: bytes
    ) -> tuple[int, list[BankQuestion]]:
        """Add a question-bank file's questions (all or none): how many, and the whole bank."""
        await self.owned(user, course_id)
        questions = await self._run_in_thread(parse_bank, data)
        await self._store.add_bank_questions(course_id, questions)
        return len(questions), await self._store.bank(course_id)

    async def bank(self, user: User, course_id: int) -> list[BankQuestion]:
        await self.owned(user, course_id)
        return await self._store.bank(course_id)

    async def record(self, user: User, course_id: int) -> tuple[CourseRow, list[RecordLecture]]:
        """The student's own attendance and answers in the course's lectures."""
        course = await self._store.get(course_id)
        record = None
        if course is not None:
            record = await self._store.student_record(course_id, user.id, user.username)
        if record is None:
            raise NotFound("No such course of yours.")
        return course, record

    async def admits(self, course_id: int, username: str) -> bool:
        """May this student join the course's lectures? (Only its roster, when it has one.)"""
        return await self._roster_gate.admits(course_id, username)

    async def course_page(self, user: User, course_id: int) -> CoursePage:
        """All the course page shows, behind one ownership check."""
        course = await self.owned(user, course_id)
        standing, after = [], ""
        while True:
            rows, after = await self._store.gradebook_page(course_id, after, GRADEBOOK_PAGE)
            standing.extend(rows)
            if len(rows) < GRADEBOOK_PAGE:
                break
        return CoursePage(
            course,
            await self._store.roster(course_id),
            standing,
            await self._store.lectures(course_id),
            await self._store.bank(course_id),
        )

    async def gradebook(self, user: User, course_id: int) -> AsyncIterator[bytes]:
        """The gradebook CSV in pieces, computed in SQL page by page on a reader connection."""
        await self.owned(user, course_id)
        asked = await self._store.questions_asked(course_id)
        return self._gradebook_pieces(course_id, asked)

    async def _gradebook_pieces(self, course_id: int, asked: int) -> AsyncIterator[bytes]:
        yield csv_rows([GRADEBOOK_COLUMNS])
        after = ""
        while True:
            rows, after = await self._store.gradebook_page(course_id, after, GRADEBOOK_PAGE)
            if rows:
                yield csv_rows(gradebook_row(row, asked) for row in rows)
            if len(rows) < GRADEBOOK_PAGE:
                return
