"""The store's row locks on PostgreSQL, where several processes write at once: two real
connections race an answer batch against the close of its question."""

import threading

import psycopg
import pytest

from iclicker.store.engine import PostgresEngine, Txn
from iclicker.store.lectures import (
    Answer,
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
        txn = Txn(setup.cursor(), PostgresEngine())
        prof = create_user_txn(txn, "prof", "Prof", "x", "instructor", 0)
        student = create_user_txn(txn, "ada", "Ada", "x", "student", 0)
        lecture = create_lecture_txn(txn, prof.id, "Physics", "ABCDEF", 0)
        _, question = ask_txn(txn, lecture.id, "Q", ("a", "b"), None, 0)
        setup.commit()
    first, second = psycopg.connect(postgres_url), psycopg.connect(postgres_url)
    yield question, student, first, second
    first.close()
    second.close()


def in_thread(function, *args) -> tuple[threading.Thread, dict]:
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.update(result=function(*args)))
    thread.start()
    return thread, outcome


def test_a_close_waits_for_an_answer_batch_in_flight_and_counts_it(open_question):
    question, student, answering, closing = open_question
    batch = Txn(answering.cursor(), PostgresEngine())
    assert store_answers_txn(batch, [Answer(question.id, student.id, "a", 1)]) == [True]

    def close():
        closed = close_question_txn(Txn(closing.cursor(), PostgresEngine()), question, 2)
        closing.commit()
        return closed

    thread, outcome = in_thread(close)
    thread.join(0.5)
    assert thread.is_alive(), "the close waits for the batch's share lock"
    answering.commit()
    thread.join(10)
    assert outcome["result"].counts == {"a": 1}


def test_an_answer_batch_after_a_close_in_flight_is_refused(open_question):
    question, student, answering, closing = open_question
    close_txn = Txn(closing.cursor(), PostgresEngine())
    assert close_question_txn(close_txn, question, 2).counts == {}

    def answer():
        accepted = store_answers_txn(
            Txn(answering.cursor(), PostgresEngine()), [Answer(question.id, student.id, "b", 3)]
        )
        answering.commit()
        return accepted

    thread, outcome = in_thread(answer)
    thread.join(0.5)
    assert thread.is_alive(), "the batch waits for the close's row lock"
    closing.commit()
    thread.join(10)
    assert outcome["result"] == [False]


def test_two_asks_of_one_lecture_take_turns(open_question):
    """Two processes asking at once: the second waits, then closes the first's question."""
    question, _, first, second = open_question
    asked = ask_txn(
        Txn(first.cursor(), PostgresEngine()), question.lecture_id, "Q2", ("c", "d"), None, 5
    )

    def ask_again():
        result = ask_txn(
            Txn(second.cursor(), PostgresEngine()), question.lecture_id, "Q3", ("e", "f"), None, 6
        )
        second.commit()
        return result

    thread, outcome = in_thread(ask_again)
    thread.join(0.5)
    assert thread.is_alive(), "the second ask waits for the lecture's row lock"
    first.commit()
    thread.join(10)
    previous, newest = outcome["result"]
    assert previous.question.id == asked[1].id and newest.text == "Q3"
