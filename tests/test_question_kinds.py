"""Question kinds: validation of questions and answers, correctness, tallies and histogram bins."""

import json
import random
from collections import Counter

import pytest

from iclicker.domain.errors import Invalid
from iclicker.domain.lecture_values import check_choices, check_new_question
from iclicker.domain.question_kinds import (
    TextTally,
    answer_text,
    check_spec,
    for_the_room,
    histogram,
    is_correct,
    normalise_text,
    stored_answer,
    tally_of,
    wire_answer,
)


def spec(kind, choices=None, correct=None, tolerance=None):
    return check_spec(kind, choices, correct, tolerance, check_choices)


def refused(function, *args, code="invalid_request"):
    with pytest.raises(Invalid) as caught:
        function(*args)
    assert caught.value.code == code
    return caught.value.message


def test_a_body_without_kind_is_the_single_choice_question_of_before():
    new = check_new_question({"text": " Q ", "choices": [" a ", "b"], "correct": " b "})
    assert (new.kind, new.text, new.choices, new.correct) == ("single", "Q", ("a", "b"), "b")
    assert (new.timer, new.anonymous, new.tolerance) == (None, False, None)


def test_question_rules_per_kind():
    assert spec("multiple", ["a", "b", "c"], ["c", " a"]).correct == ("a", "c")
    assert spec("numeric", None, "9,81", {"percent": 1}).tolerance == {"percent": 1.0}
    assert spec("numeric", [], 3).correct == 3.0
    assert spec("text", None, ["Paris", " paris ", "City of Light"]).correct == (
        "Paris",
        "City of Light",
    )
    assert spec("text").correct == ()
    for bad in [
        ("essay", ["a", "b"]),
        ("multiple", ["a", "b"], ["a", "a"]),
        ("multiple", ["a", "b"], ["z"]),
        ("multiple", ["a", "b"], []),
        ("multiple", None),
        ("numeric", ["a", "b"]),
        ("numeric", None, None, {"absolute": 1}),
        ("numeric", None, 1, {"absolute": -1}),
        ("numeric", None, 1, {"relative": 1}),
        ("numeric", None, "many"),
        ("numeric", None, float("nan")),
        ("text", None, "Paris"),
        ("text", None, ["x" * 281]),
        ("single", ["a", "b"], None, {"absolute": 1}),
    ]:
        refused(spec, *bad)
    assert check_new_question({"text": "Q", "kind": "text", "timer": 30.0}).timer == 30
    for timer in (4, 3601, 2.5, True, "30"):
        refused(check_new_question, {"text": "Q", "kind": "text", "timer": timer})
    assert check_new_question({"text": "Q", "kind": "text", "timer": 90}).timer == 90
    refused(check_new_question, {"text": "Q", "kind": "text", "anonymous": "yes"})


def test_answers_are_checked_per_kind_and_stored_as_one_string():
    choices = ("a", "b", "c")
    assert stored_answer("single", choices, "b") == "b"
    assert stored_answer("multiple", choices, ["c", "a"]) == '["a", "c"]'
    assert stored_answer("numeric", (), 3.0) == "3"
    assert stored_answer("numeric", (), "3,5") == "3.5"
    assert stored_answer("numeric", (), " -1e3 ") == "-1000"
    assert stored_answer("text", (), "  Paris   is\tnice ") == "Paris is nice"
    refused(stored_answer, "single", choices, "z", code="invalid_choice")
    refused(stored_answer, "multiple", choices, [], code="invalid_choice")
    refused(stored_answer, "multiple", choices, ["a", "a"], code="invalid_choice")
    refused(stored_answer, "multiple", choices, ["a", 1], code="invalid_choice")
    refused(stored_answer, "numeric", (), "12 apples", code="invalid_answer")
    refused(stored_answer, "numeric", (), 1e16, code="invalid_answer")
    refused(stored_answer, "text", (), "   ", code="invalid_answer")
    refused(stored_answer, "text", (), "x" * 281, code="invalid_answer")
    # The wrong JSON type is a malformed message, as everywhere in the protocol.
    for kind, value in [("single", 1), ("multiple", "a"), ("numeric", True), ("text", ["a"])]:
        refused(stored_answer, kind, choices, value, code="bad_message")
    assert wire_answer("multiple", '["a", "c"]') == ["a", "c"]
    assert wire_answer("numeric", "3") == 3 and wire_answer("numeric", "3.5") == 3.5
    assert answer_text("multiple", '["a", "c"]') == "a; c"


def test_correctness_per_kind():
    assert is_correct("single", "a", None, "a") is True
    assert is_correct("single", None, None, "a") is None
    assert is_correct("multiple", ("a", "c"), None, '["a", "c"]') is True
    assert is_correct("multiple", ("a", "c"), None, '["a"]') is False
    assert is_correct("numeric", 9.81, {"absolute": 0.05}, "9.8") is True
    assert is_correct("numeric", 9.81, {"absolute": 0.05}, "9.7") is False
    assert is_correct("numeric", 200.0, {"percent": 5}, "209") is True
    assert is_correct("numeric", 200.0, {"percent": 5}, "211") is False
    assert is_correct("numeric", 0.3, None, repr(0.1 + 0.2)) is True
    assert is_correct("text", ("Paris",), None, "  PARIS ") is True
    assert is_correct("text", ("Paris",), None, "Lyon") is False
    assert is_correct("text", (), None, "Lyon") is None
    assert normalise_text(" New\tYork  CITY ") == "new york city"


def test_a_multiple_tally_counts_each_choice():
    tally = tally_of("multiple", ("a", "b", "c"), {'["a", "c"]': 2, '["c"]': 1})
    tally.remove('["c"]')
    tally.add('["b"]')
    assert tally.summary() == {"counts": {"a": 2, "b": 1, "c": 2}}


def test_text_answers_group_case_and_space_insensitively_with_marks():
    tally = TextTally()
    for answer in ["Paris", "paris", "Paris", "Lyon is big", "bad word"]:
        tally.add(answer)
    tally.remove("paris")
    summary = tally.summary(hidden=["Bad Word"], accepted=["paris"])
    assert summary["answers"][0] == {
        "text": "Paris",
        "count": 2,
        "hidden": False,
        "accepted": True,
    }
    assert summary["distinct"] == 3
    words = {item["word"]: item["count"] for item in summary["words"]}
    assert words == {"paris": 2, "lyon": 1, "big": 1}  # "is" is a stop word; hidden left out
    room = for_the_room(summary)
    assert "answers" not in room and room["words"] == summary["words"]


def test_histogram_bins_are_round_and_count_everything():
    rng = random.Random(4)
    values = Counter(round(rng.gauss(50, 10), 1) for _ in range(1000))
    result = histogram(values)
    assert result["count"] == 1000
    assert 5 <= len(result["bins"]) <= 12
    widths = {round(b["to"] - b["from"], 9) for b in result["bins"]}
    assert len(widths) == 1 and widths.pop() in (1, 2, 2.5, 5, 10, 20)
    assert sum(b["count"] for b in result["bins"]) + result["below"] + result["above"] == 1000
    assert result["q1"] < result["median"] < result["q3"]
    assert 45 < result["median"] < 55


def test_one_wild_answer_does_not_squash_the_histogram():
    values = Counter({float(v): 1 for v in range(10, 30)})
    values[1e9] = 1
    result = histogram(values)
    assert result["above"] == 1 and result["max"] == 1_000_000_000
    assert result["bins"][-1]["to"] <= 100


def test_histogram_of_one_value_and_of_none():
    assert histogram(Counter({7.0: 3}))["bins"] == [{"from": 7, "to": 8, "count": 3}]
    assert histogram(Counter()) == {"count": 0, "bins": [], "below": 0, "above": 0}
    result = histogram(Counter({1.0: 1, 3.0: 1}))
    assert result["median"] == 2 and result["min"] == 1 and result["max"] == 3


def test_stored_multiple_answers_round_trip_through_json():
    stored = stored_answer("multiple", ("x", "y"), ["y", "x"])
    assert json.loads(stored) == ["x", "y"]
