"""Courses and their rosters."""

import json
from typing import Any

import attrs

from iclicker.store.db import Database
from iclicker.store.engine import Txn
from iclicker.store.lectures import decode_correct
from iclicker.store.users import username_key


@attrs.frozen
class CourseRow:
    id: int
    owner_id: int
    name: str
    archived: bool


@attrs.frozen
class RosterEntry:
    """One line of a roster file, as it will be stored."""

    username: str
    display_name: str = ""
    email: str = ""
    student_id: str = ""


@attrs.frozen
class RosterStudent:
    username: str
    display_name: str
    active: bool
    """An account with this username exists (else the entry is pending)."""


@attrs.frozen
class RosterCounts:
    added: int = 0
    updated: int = 0
    pending: int = 0
    removed: int = 0


_COURSE_COLUMNS = "id, owner_id, name, archived"


def _course(row: tuple) -> CourseRow:
    return CourseRow(row[0], row[1], row[2], bool(row[3]))


def create_course_txn(txn: Txn, owner_id: int, name: str, now: float) -> CourseRow:
    txn.execute(
        "INSERT INTO courses (owner_id, name, created_at) VALUES (?, ?, ?) RETURNING id",
        (owner_id, name, now),
    )
    return CourseRow(txn.inserted_id(), owner_id, name, False)


def course_txn(txn: Txn, course_id: int) -> CourseRow | None:
    txn.execute(f"SELECT {_COURSE_COLUMNS} FROM courses WHERE id = ?", (course_id,))
    row = txn.fetchone()
    return _course(row) if row else None


def courses_of_txn(txn: Txn, owner_id: int | None) -> list[CourseRow]:
    """One owner's courses, or everyone's for None; by name."""
    if owner_id is None:
        txn.execute(f"SELECT {_COURSE_COLUMNS} FROM courses ORDER BY lower(name), id")
    else:
        txn.execute(
            f"SELECT {_COURSE_COLUMNS} FROM courses WHERE owner_id = ? ORDER BY lower(name), id",
            (owner_id,),
        )
    return [_course(row) for row in txn.fetchall()]


def update_course_txn(
    txn: Txn, course_id: int, name: str | None, archived: bool | None
) -> CourseRow | None:
    if name is not None:
        txn.execute("UPDATE courses SET name = ? WHERE id = ?", (name, course_id))
    if archived is not None:
        txn.execute("UPDATE courses SET archived = ? WHERE id = ?", (int(archived), course_id))
    return course_txn(txn, course_id)


def roster_txn(txn: Txn, course_id: int) -> list[RosterStudent]:
    """The roster by username case-insensitively; a registered account makes an entry active."""
    txn.execute(
        "SELECT r.username, coalesce(u.display_name, nullif(r.display_name, ''), r.username),"
        " u.id IS NOT NULL FROM roster r LEFT JOIN users u ON u.username_key = r.username_key"
        " WHERE r.course_id = ? ORDER BY r.username_key",
        (course_id,),
    )
    return [RosterStudent(row[0], row[1], bool(row[2])) for row in txn.fetchall()]


def roster_keys_txn(txn: Txn, course_id: int) -> frozenset[str]:
    """The roster's usernames as compared (case-folded): what the handshake checks."""
    txn.execute("SELECT username_key FROM roster WHERE course_id = ?", (course_id,))
    return frozenset(row[0] for row in txn.fetchall())


def apply_roster_txn(
    txn: Txn, course_id: int, entries: list[RosterEntry], replace: bool
) -> RosterCounts:
    """Add or update every entry (one per username); with ``replace``, drop the rest.

    A username already on the roster counts as updated, else as pending when
    no account has it yet, else as added.
    """
    keys = {username_key(entry.username): entry for entry in entries}
    on_roster = roster_keys_txn(txn, course_id)
    registered: set[str] = set()
    key_list = list(keys)
    for start in range(0, len(key_list), 500):
        chunk = key_list[start : start + 500]
        txn.execute(
            f"SELECT username_key FROM users WHERE username_key IN ({','.join('?' * len(chunk))})",
            chunk,
        )
        registered.update(row[0] for row in txn.fetchall())
    txn.executemany(
        "INSERT INTO roster (course_id, username_key, username, display_name, email, student_id)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (course_id, username_key) DO UPDATE SET"
        " username = excluded.username, display_name = excluded.display_name,"
        " email = excluded.email, student_id = excluded.student_id",
        [
            (course_id, key, e.username, e.display_name, e.email, e.student_id)
            for key, e in keys.items()
        ],
    )
    removed = 0
    if replace:
        gone = sorted(on_roster - keys.keys())
        txn.executemany(
            "DELETE FROM roster WHERE course_id = ? AND username_key = ?",
            [(course_id, key) for key in gone],
        )
        removed = len(gone)
    updated = len(keys.keys() & on_roster)
    fresh = keys.keys() - on_roster
    pending = len(fresh - registered)
    return RosterCounts(len(fresh) - pending, updated, pending, removed)


@attrs.frozen
class BankQuestion:
    id: int
    text: str
    choices: tuple[str, ...]
    correct: str | None


@attrs.frozen
class GradebookRow:
    username: str
    display_name: str
    lectures_attended: int
    questions_answered: int
    answered_correctly: int


def add_bank_questions_txn(
    txn: Txn, course_id: int, questions: list[tuple[str, tuple[str, ...], str | None]]
) -> None:
    txn.executemany(
        "INSERT INTO bank_questions (course_id, text, choices, correct) VALUES (?, ?, ?, ?)",
        [(course_id, text, json.dumps(choices), correct) for text, choices, correct in questions],
    )


def bank_txn(txn: Txn, course_id: int) -> list[BankQuestion]:
    txn.execute(
        "SELECT id, text, choices, correct FROM bank_questions WHERE course_id = ? ORDER BY id",
        (course_id,),
    )
    return [BankQuestion(r[0], r[1], tuple(json.loads(r[2])), r[3]) for r in txn.fetchall()]


def questions_asked_txn(txn: Txn, course_id: int) -> int:
    txn.execute(
        "SELECT count(*) FROM questions q JOIN lectures l ON l.id = q.lecture_id"
        " WHERE l.course_id = ?",
        (course_id,),
    )
    return txn.fetchone()[0]


def gradebook_page_txn(
    txn: Txn, course_id: int, after: str, limit: int
) -> tuple[list[GradebookRow], str]:
    """Up to ``limit`` rostered students after the username key ``after``, counted in SQL.

    Returns the rows and the key to continue after, so an export of any size
    is streamed page by page instead of built in memory.
    """
    txn.execute(
        "SELECT r.username_key, r.username,"
        " coalesce(u.display_name, nullif(r.display_name, ''), r.username),"
        " (SELECT count(*) FROM attendance a JOIN lectures l ON l.id = a.lecture_id"
        "   WHERE a.user_id = u.id AND l.course_id = r.course_id),"
        " (SELECT count(*) FROM answers an JOIN questions q ON q.id = an.question_id"
        "   JOIN lectures l ON l.id = q.lecture_id"
        "   WHERE an.user_id = u.id AND l.course_id = r.course_id),"
        " (SELECT count(*) FROM answers an JOIN questions q ON q.id = an.question_id"
        "   JOIN lectures l ON l.id = q.lecture_id"
        "   WHERE an.user_id = u.id AND l.course_id = r.course_id AND an.correct = 1)"
        " FROM roster r LEFT JOIN users u ON u.username_key = r.username_key"
        " WHERE r.course_id = ? AND r.username_key > ? ORDER BY r.username_key LIMIT ?",
        (course_id, after, limit),
    )
    rows = txn.fetchall()
    return [GradebookRow(*row[1:]) for row in rows], (rows[-1][0] if rows else after)


@attrs.frozen
class RecordQuestion:
    text: str
    choices: tuple[str, ...]
    status: str
    correct: Any
    """As ``QuestionRow.correct``."""
    my_answer: str | None
    """Stored form; empty once an anonymous question closed."""
    kind: str = "single"
    anonymous: bool = False
    my_answer_correct: bool | None = None


@attrs.frozen
class RecordLecture:
    id: int
    title: str
    created_at: float
    attended: bool
    questions: tuple[RecordQuestion, ...]


def student_record_txn(
    txn: Txn, course_id: int, user_id: int, key: str
) -> list[RecordLecture] | None:
    """A student's attendance and answers in every lecture of a course, oldest first.

    None when the student has nothing to do with the course (not on its
    roster and never in one of its lectures).
    """
    txn.execute(
        "SELECT EXISTS (SELECT 1 FROM roster WHERE course_id = ? AND username_key = ?)"
        " OR EXISTS (SELECT 1 FROM attendance a JOIN lectures l ON l.id = a.lecture_id"
        "  WHERE l.course_id = ? AND a.user_id = ?)",
        (course_id, key, course_id, user_id),
    )
    if not txn.fetchone()[0]:
        return None
    txn.execute(
        "SELECT l.id, l.title, l.created_at, a.user_id IS NOT NULL FROM lectures l"
        " LEFT JOIN attendance a ON a.lecture_id = l.id AND a.user_id = ?"
        " WHERE l.course_id = ? ORDER BY l.id",
        (user_id, course_id),
    )
    lectures = txn.fetchall()
    txn.execute(
        "SELECT q.lecture_id, q.text, q.choices, q.status, q.correct, an.choice,"
        " q.kind, q.anonymous, an.correct"
        " FROM questions q JOIN lectures l ON l.id = q.lecture_id"
        " LEFT JOIN answers an ON an.question_id = q.id AND an.user_id = ?"
        " WHERE l.course_id = ? ORDER BY q.id",
        (user_id, course_id),
    )
    questions: dict[int, list[RecordQuestion]] = {}
    for (
        lecture_id,
        text,
        choices,
        status,
        correct,
        choice,
        kind,
        anonymous,
        right,
    ) in txn.fetchall():
        questions.setdefault(lecture_id, []).append(
            RecordQuestion(
                text,
                tuple(json.loads(choices)),
                status,
                decode_correct(kind, correct),
                choice,
                kind,
                bool(anonymous),
                None if right is None else bool(right),
            )
        )
    return [
        RecordLecture(row[0], row[1], row[2], bool(row[3]), tuple(questions.get(row[0], ())))
        for row in lectures
    ]


def student_courses_txn(txn: Txn, user_id: int, key: str) -> list[CourseRow]:
    """The courses a student is on the roster of, or joined a lecture of; by name."""
    txn.execute(
        f"SELECT {_COURSE_COLUMNS} FROM courses WHERE id IN ("
        " SELECT course_id FROM roster WHERE username_key = ?"
        " UNION SELECT l.course_id FROM attendance a JOIN lectures l ON l.id = a.lecture_id"
        "  WHERE a.user_id = ? AND l.course_id IS NOT NULL)"
        " ORDER BY lower(name), id",
        (key, user_id),
    )
    return [_course(row) for row in txn.fetchall()]


@attrs.frozen
class CourseLecture:
    id: int
    title: str
    status: str
    created_at: float
    attended: int


def course_lectures_txn(txn: Txn, course_id: int) -> list[CourseLecture]:
    """The course's lectures, newest first, each with how many students attended."""
    txn.execute(
        "SELECT l.id, l.title, l.status, l.created_at, count(a.user_id) FROM lectures l"
        " LEFT JOIN attendance a ON a.lecture_id = l.id WHERE l.course_id = ?"
        " GROUP BY l.id ORDER BY l.id DESC",
        (course_id,),
    )
    return [CourseLecture(*row) for row in txn.fetchall()]


class CourseStore:
    """Async access to courses for the reactor thread."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def create(self, owner_id: int, name: str, now: float) -> CourseRow:
        return await self._database.run(create_course_txn, owner_id, name, now)

    async def get(self, course_id: int) -> CourseRow | None:
        return await self._database.run(course_txn, course_id)

    async def of_owner(self, owner_id: int | None) -> list[CourseRow]:
        return await self._database.run(courses_of_txn, owner_id)

    async def update(
        self, course_id: int, name: str | None, archived: bool | None
    ) -> CourseRow | None:
        return await self._database.run(update_course_txn, course_id, name, archived)

    async def roster(self, course_id: int) -> list[RosterStudent]:
        return await self._database.run(roster_txn, course_id)

    async def roster_keys(self, course_id: int) -> frozenset[str]:
        return await self._database.read(roster_keys_txn, course_id)

    async def apply_roster(
        self, course_id: int, entries: list[RosterEntry], replace: bool
    ) -> RosterCounts:
        return await self._database.run(apply_roster_txn, course_id, entries, replace)

    async def add_bank_questions(
        self, course_id: int, questions: list[tuple[str, tuple[str, ...], str | None]]
    ) -> None:
        await self._database.run(add_bank_questions_txn, course_id, questions)

    async def bank(self, course_id: int) -> list[BankQuestion]:
        return await self._database.run(bank_txn, course_id)

    async def questions_asked(self, course_id: int) -> int:
        return await self._database.read(questions_asked_txn, course_id)

    async def gradebook_page(
        self, course_id: int, after: str, limit: int
    ) -> tuple[list[GradebookRow], str]:
        return await self._database.read(gradebook_page_txn, course_id, after, limit)

    async def student_record(
        self, course_id: int, user_id: int, username: str
    ) -> list[RecordLecture] | None:
        return await self._database.read(
            student_record_txn, course_id, user_id, username_key(username)
        )

    async def of_student(self, user_id: int, username: str) -> list[CourseRow]:
        return await self._database.run(student_courses_txn, user_id, username_key(username))

    async def lectures(self, course_id: int) -> list[CourseLecture]:
        return await self._database.read(course_lectures_txn, course_id)
