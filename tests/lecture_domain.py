"""The lecture domain as the service builds it, for unit tests over a real SQLite file: the
accounts the ``database`` fixture (conftest) holds, and helpers the lecture tests share."""

import pytest

from iclicker.domain.accounts import User
from iclicker.domain.courses import Courses
from iclicker.domain.lectures import Lectures
from iclicker.store.courses import CourseStore
from iclicker.store.lectures import LectureStore

PROF = User(1, "prof", "Prof", "instructor")
OTHER_PROF = User(2, "other", "Other", "instructor")
ADMIN = User(3, "root", "Root", "admin")
STUDENTS = [User(10 + i, f"s{i}", f"S{i}", "student") for i in range(30)]
ACCOUNTS = [PROF, OTHER_PROF, ADMIN, *STUDENTS]


def new_lectures(database, groups, clock, store: LectureStore | None = None) -> Lectures:
    """The lecture domain as the service builds it, over ``database`` (or ``store``)."""
    courses = Courses(CourseStore(database), run_here, clock, groups)
    return Lectures(store or LectureStore(database), groups, clock, courses)


async def run_here(function, *args):
    """Stands in for the upload thread pool: these tests upload nothing."""
    return function(*args)


async def raises(coroutine, kind, code=None):
    with pytest.raises(kind) as caught:
        await coroutine
    if code is not None:
        assert caught.value.code == code
