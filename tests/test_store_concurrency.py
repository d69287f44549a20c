"""The store's row locks on PostgreSQL, where several processes write at once: two real
connections race an answer batch against the close of its question."""

import threading

import psycopg
import pytest

from iclicker.store.engine import PostgresEngine, Txn
from iclicker.store.lectures import (
    Answer,
    NewQuestion,
    ask_txn,
    close_question_txn,
    create_lecture_txn,
    store_answers_txn,
)
from iclicker.store.schema import migrate_postgres
from iclicker.store.users import create_user_txn


@pytest.fixture
def open_question(postgres_url):
    """A lecture with an open question and a student, committed; two connections to race."""
    with psycopg.connect(postgres_url) as setup:
        migrate_postgres(setup)
        made = txn(setup)
        prof = create_user_txn(made, "prof", "Prof", "x", "instructor", 0)
        student = create_user_txn(made, "ada", "Ada", "x", "student", 0)
        lecture = create_lecture_txn(made, prof.id, "Physics", "ABCDEF", 0)
        _, question = ask_txn(made, lecture.id, NewQuestion("Q", ("a", "b"), None), 0)
        setup.commit()
    first, second = psycopg.connect(postgres_url), psycopg.connect(postgres_url)
    yield question, student, first, second
    first.close()
    second.close()


def txn(connection) -> Txn:
    return Txn(connection.cursor(), PostgresEngine())


def behind(holder, connection, function, *args):
    """Run ``function(txn, *args)`` on ``connection`` and commit it, in a thread, while
    ``holder``'s open transaction holds its locks: it must wait until ``holder`` commits.
    Its result."""
    outcome = {}

    def run() -> None:
        outcome["result"] = function(txn(connection), *args)
        connection.commit()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(0.5)
    assert thread.is_alive(), "it waits for the other transaction's lock"
    holder.commit()
    thread.join(10)
    return outcome["result"]


def test_a_close_waits_for_an_answer_batch_in_flight_and_counts_it(open_question):
    question, student, answering, closing = open_question
    assert store_answers_txn(txn(answering), [Answer(question.id, student.id, "a", 1)]) == [True]

    closed = behind(answering, closing, close_question_txn, question, 2)

    assert closed.counts == {"a": 1}


def test_an_answer_batch_after_a_close_in_flight_is_refused(open_question):
    question, student, answering, closing = open_question
    assert close_question_txn(txn(closing), question, 2).counts == {}

    accepted = behind(
        closing, answering, store_answers_txn, [Answer(question.id, student.id, "b", 3)]
    )

    assert accepted == [False]


def test_two_asks_of_one_lecture_take_turns(open_question):
    """Two processes asking at once: the second waits, then closes the first's question."""
    question, _, first, second = open_question
    _, asked = ask_txn(txn(first), question.lecture_id, NewQuestion("Q2", ("c", "d"), None), 5)

    previous, newest = behind(
        first, second, ask_txn, question.lecture_id, NewQuestion("Q3", ("e", "f"), None), 6
    )

    assert previous.question.id == asked.id and newest.text == "Q3"
