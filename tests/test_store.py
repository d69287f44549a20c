"""The store's ``*_txn`` functions on an in-memory database."""

import sqlite3

import psycopg
import pytest

from iclicker.store.engine import PostgresEngine, SqliteEngine, Txn
from iclicker.store.lectures import (
    Answer,
    JoinCodeTaken,
    NewQuestion,
    ask_txn,
    close_question_txn,
    create_lecture_txn,
    end_lecture_txn,
    live_state_txn,
    responses_txn,
    store_answers_txn,
)
from iclicker.store.schema import migrate, migrate_postgres
from iclicker.store.sessions import (
    ThrottleRow,
    clear_throttle_txn,
    create_session_txn,
    sessions_txn,
    throttle_txn,
    update_throttle_txn,
)
from iclicker.store.users import (
    UsernameTaken,
    create_user_txn,
    set_role_txn,
    user_by_username_txn,
)


@pytest.fixture(params=["sqlite", "postgresql"])
def txn(request):
    """One transaction on a freshly migrated database of each engine."""
    if request.param == "sqlite":
        connection = sqlite3.connect(":memory:", isolation_level=None)
        connection.execute("PRAGMA foreign_keys = ON")
        migrate(connection)
        yield Txn(connection.cursor(), SqliteEngine())
        return
    connection = psycopg.connect(request.getfixturevalue("postgres_url"))
    migrate_postgres(connection)
    yield Txn(connection.cursor(), PostgresEngine())
    connection.rollback()
    connection.close()


def test_usernames_are_unique_case_insensitively(txn):
    """'Ada' and 'ada' are the same account; the typed form is kept.

    (The violation comes last: on PostgreSQL it ends the transaction, which
    the store never continues after one.)"""
    create_user_txn(txn, "Ada", "Ada L.", "hash", "student", 0)
    assert user_by_username_txn(txn, "ADA").username == "Ada"
    assert set_role_txn(txn, "aDa", "instructor")
    assert user_by_username_txn(txn, "ada").role == "instructor"
    assert not set_role_txn(txn, "nobody", "admin")
    with pytest.raises(UsernameTaken):
        create_user_txn(txn, "ada", "x", "hash", "student", 0)


def test_expired_session_is_gone(txn):
    """A session past its expiry is not returned and is deleted."""
    user = create_user_txn(txn, "ada", "Ada", "hash", "student", 0)
    create_session_txn(txn, "h", user.id, 0, 100, False)
    assert sessions_txn(txn, [("h", 99)])[0].user.id == user.id
    assert sessions_txn(txn, [("h", 100)]) == [None]
    assert sessions_txn(txn, [("h", 0)]) == [None]


def test_sessions_are_looked_up_in_batches(txn):
    """One call answers every lookup in order: repeats, unknown ids, past 500 ids."""
    users = [create_user_txn(txn, f"u{i}", "U", "hash", "student", 0) for i in range(3)]
    for i, user in enumerate(users):
        create_session_txn(txn, f"h{i}", user.id, 0, 100, False)
    lookups = [("h2", 1), ("nope", 1), ("h0", 1), ("h2", 1)] + [(f"x{i}", 1) for i in range(600)]
    found = sessions_txn(txn, lookups)
    assert [row.user.username if row else None for row in found[:4]] == ["u2", None, "u0", "u2"]
    assert found[4:] == [None] * 600


def test_throttle_rows_update_atomically(txn):
    """update_throttle_txn stores what the update function returns."""
    assert throttle_txn(txn, "ada") == ThrottleRow()
    update_throttle_txn(txn, "ada", lambda row: ThrottleRow(row.recent_failures + (5.0,), None))
    update_throttle_txn(txn, "ada", lambda row: ThrottleRow(row.recent_failures + (6.0,), 99.0))
    assert throttle_txn(txn, "ada") == ThrottleRow((5.0, 6.0), 99.0)
    clear_throttle_txn(txn, "ada")
    assert throttle_txn(txn, "ada") == ThrottleRow()


@pytest.fixture
def lecture(txn):
    owner = create_user_txn(txn, "prof", "Prof", "hash", "instructor", 0)
    return create_lecture_txn(txn, owner.id, "Physics", "ABCDEF", 0)


def test_join_codes_are_never_reused(txn, lecture):
    """A second lecture cannot take a code already used, even by an ended lecture."""
    end_lecture_txn(txn, lecture.id, 1)
    with pytest.raises(JoinCodeTaken):
        create_lecture_txn(txn, lecture.owner_id, "Again", "ABCDEF", 2)


def test_asking_closes_the_open_question_with_its_counts(txn, lecture):
    """ask_txn returns the closed previous question and its final counts."""
    student = create_user_txn(txn, "stu", "Stu", "hash", "student", 0)
    none, first = ask_txn(txn, lecture.id, NewQuestion("Q1", ("a", "b"), "a"), 1)
    assert none is None
    store_answers_txn(txn, [Answer(first.id, student.id, "b", 2)])
    closed, second = ask_txn(txn, lecture.id, NewQuestion("Q2", ("x", "y"), None), 3)
    assert closed.question.id == first.id and closed.question.status == "closed"
    assert closed.counts == {"b": 1}
    assert live_state_txn(txn, lecture.id, 0).question == second


def test_last_answer_wins_and_closed_questions_refuse(txn, lecture):
    """A later answer replaces the earlier; answers to a closed question are not stored."""
    student = create_user_txn(txn, "stu", "Stu", "hash", "student", 0)
    _, question = ask_txn(txn, lecture.id, NewQuestion("Q", ("a", "b"), None), 1)
    accepted = store_answers_txn(
        txn, [Answer(question.id, student.id, "a", 2), Answer(question.id, student.id, "b", 3)]
    )
    assert accepted == [True, True]
    assert live_state_txn(txn, lecture.id, 0).answers == {student.id: "b"}
    assert close_question_txn(txn, question, 4).counts == {"b": 1}
    assert close_question_txn(txn, question, 5) is None
    assert store_answers_txn(txn, [Answer(question.id, student.id, "a", 6)]) == [False]


def test_responses_are_ordered_by_question_then_username(txn, lecture):
    """The export order is question id, then username case-insensitively."""
    bob = create_user_txn(txn, "bob", "Bob", "hash", "student", 0)
    amy = create_user_txn(txn, "Amy", "Amy", "hash", "student", 0)
    _, q1 = ask_txn(txn, lecture.id, NewQuestion("Q1", ("a", "b"), "a"), 1)
    store_answers_txn(txn, [Answer(q1.id, bob.id, "a", 2), Answer(q1.id, amy.id, "b", 2)])
    _, q2 = ask_txn(txn, lecture.id, NewQuestion("Q2", ("a", "b"), None), 3)
    store_answers_txn(txn, [Answer(q2.id, bob.id, "b", 4)])
    rows = responses_txn(txn, lecture.id)
    assert [(row.question_id, row.username) for row in rows] == [
        (q1.id, "Amy"),
        (q1.id, "bob"),
        (q2.id, "bob"),
    ]


def test_ended_lecture_has_no_live_state(txn, lecture):
    """Once ended, a lecture is not resumed."""
    ask_txn(txn, lecture.id, NewQuestion("Q", ("a", "b"), None), 1)
    ended, closed = end_lecture_txn(txn, lecture.id, 2)
    assert ended and closed.question.text == "Q"
    assert live_state_txn(txn, lecture.id, 0) is None
    assert end_lecture_txn(txn, lecture.id, 3) == (False, None)
