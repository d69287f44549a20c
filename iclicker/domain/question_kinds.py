"""Question kinds: what an instructor may ask, what a student may answer, how answers add up.

*single* (one choice, today's clicker question), *multiple* (select all that
apply; right means exactly the right set), *numeric* (a number, right within
a tolerance) and *text* (a short answer, matched case- and
whitespace-insensitively against the instructor's accepted answers).

Whatever the kind, a student's answer is stored as one string (the choice,
the JSON list of choices in the question's order, the number, the text), so
the store, the batch writer and the replicas of other processes never need
to know kinds; this module converts between that string, the wire and the
tallies.
"""

import heapq
import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

import attrs

from iclicker import wire
from iclicker.domain.errors import Invalid
from iclicker.domain.text import trim

KINDS = ("single", "multiple", "numeric", "text")
CHOICE_KINDS = ("single", "multiple")
MAX_TEXT_ANSWER = 280
MAX_ACCEPTED = 50
MAX_NUMBER = 1e15
"""Numbers beyond this are typing accidents, and past 2**53 floats stop being exact."""
MIN_TIMER, MAX_TIMER = 5, 3600
MAX_BINS = 12
SHOWN_ANSWERS = 100
"""Distinct text answers listed in a tally (the most frequent)."""
CLOUD_WORDS = 60
_STOP_WORDS = frozenset(
    "a an and are as at be by for from in is it its of on or that the this to was with".split()
)
_WORD = re.compile(r"\w[\w'’-]*")


@attrs.frozen
class Tolerance:
    """How far a numeric answer may be from the correct value: ± an amount or ± a percentage."""

    amount: float
    percent: bool = False

    def allows(self, value: float, correct: float) -> bool:
        limit = abs(correct) * self.amount / 100 if self.percent else self.amount
        # A hair of slack so that 0.1 + 0.2 is within ±0 of 0.3.
        return abs(value - correct) <= limit + 1e-9 * max(1.0, abs(correct))

    def json(self) -> dict[str, float]:
        return {"percent" if self.percent else "absolute": self.amount}


def tolerance_from(value: Any) -> Tolerance | None:
    """``{"absolute": x}`` or ``{"percent": x}`` (x ≥ 0) as sent by an instructor, or None."""
    if value is None:
        return None
    if not isinstance(value, dict) or len(value) != 1:
        raise Invalid('The tolerance is {"absolute": number} or {"percent": number}.')
    ((unit, amount),) = value.items()
    amount = number_from(amount, "tolerance", "invalid_request")
    if unit not in ("absolute", "percent") or amount < 0:
        raise Invalid('The tolerance is {"absolute": number} or {"percent": number}, not negative.')
    return Tolerance(amount, percent=unit == "percent")


def normalise_text(text: str) -> str:
    """The form two text answers are compared in: case and runs of whitespace ignored."""
    return " ".join(text.split()).casefold()


def number_from(value: Any, what: str = "answer", code: str = "invalid_answer") -> float:
    """A finite number from JSON, or from text as typed on a phone ("3,5" included)."""
    if isinstance(value, str):
        text = (
            value.strip().replace(",", ".")
            if value.count(",") == 1 and "." not in value
            else value.strip()
        )
        try:
            value = float(text)
        except ValueError:
            raise Invalid(f"The {what} must be a number.", code) from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(f"The {what} must be a number.", code)
    value = float(value)
    if not math.isfinite(value) or abs(value) > MAX_NUMBER:
        raise Invalid(f"The {what} must be a number of at most 15 digits.", code)
    return value


def number_text(value: float) -> str:
    """A number as stored and exported: ``3`` rather than ``3.0``, otherwise Python's shortest."""
    return str(int(value)) if value.is_integer() else repr(value)


def plain_number(value: float) -> int | float:
    """A number for JSON: integral values as integers."""
    return int(value) if value.is_integer() else value


# -- what an instructor asks ------------------------------------------------------------


@attrs.frozen
class Spec:
    """A question's kind-specific part, checked: what the store keeps besides the text."""

    kind: str
    choices: tuple[str, ...]
    correct: Any
    """single: a choice or None; multiple: a tuple of choices or None; numeric: a float
    or None; text: a tuple of accepted answers (perhaps empty)."""
    tolerance: dict[str, float] | None = None
    """numeric: ``Tolerance.json()``, as the wire and the store keep it."""


def check_spec(
    kind: str, choices: tuple[str, ...] | None, correct: Any, tolerance: Any, check_choices
) -> Spec:
    """Validate the kind-specific fields of a new question.

    ``check_choices`` is the single-choice rule for choice lists (limits,
    distinct), shared with question banks.
    """
    if kind not in KINDS:
        raise Invalid(f"The kind is one of {', '.join(KINDS)}.")
    if kind in CHOICE_KINDS:
        if choices is None:
            raise Invalid("The field 'choices' is required.")
        cleaned = check_choices(choices)
        if tolerance is not None:
            raise Invalid("Only numeric questions have a tolerance.")
        if kind == "single":
            if correct is not None:
                if not isinstance(correct, str) or trim(correct) not in cleaned:
                    raise Invalid("The correct answer must be one of the choices.")
                correct = trim(correct)
            return Spec(kind, cleaned, correct)
        if correct is not None:
            if not isinstance(correct, list) or not correct:
                raise Invalid(
                    "The correct answer of a multiple-answer question is a list of choices."
                )
            picked = {trim(item) if isinstance(item, str) else None for item in correct}
            if not picked <= set(cleaned) or len(picked) != len(correct):
                raise Invalid("The correct answers must be distinct choices of the question.")
            correct = tuple(choice for choice in cleaned if choice in picked)
        return Spec(kind, cleaned, correct)
    if choices:
        raise Invalid(f"A {kind} question has no choices.")
    if kind == "numeric":
        value = (
            None if correct is None else number_from(correct, "correct value", "invalid_request")
        )
        checked = tolerance_from(tolerance)
        if checked is not None and value is None:
            raise Invalid("A tolerance needs a correct value.")
        return Spec(kind, (), value, checked.json() if checked else None)
    if tolerance is not None:
        raise Invalid("Only numeric questions have a tolerance.")
    return Spec(kind, (), check_accepted(correct))


def check_accepted(answers: Any) -> tuple[str, ...]:
    """A text question's accepted answers: distinct after normalising, each 1–280 characters."""
    if answers is None:
        return ()
    if not isinstance(answers, list) or len(answers) > MAX_ACCEPTED:
        raise Invalid(f"The accepted answers are a list of at most {MAX_ACCEPTED} texts.")
    accepted: dict[str, str] = {}
    for answer in answers:
        if not isinstance(answer, str) or not 1 <= len(trim(answer)) <= MAX_TEXT_ANSWER:
            raise Invalid(f"An accepted answer is 1 to {MAX_TEXT_ANSWER} characters.")
        accepted.setdefault(normalise_text(answer), " ".join(answer.split()))
    return tuple(accepted.values())


def check_timer(seconds: Any) -> int | None:
    """Whole seconds (``30.0`` is 30, as JSON has one number type), within the limits."""
    if seconds is None:
        return None
    whole = wire.as_int64(seconds)
    if whole is None or not MIN_TIMER <= whole <= MAX_TIMER:
        raise Invalid(f"The timer is a whole number of seconds from {MIN_TIMER} to {MAX_TIMER}.")
    return whole


def correct_json(kind: str, correct: Any) -> Any:
    """The correct answer for the wire (and for the store, JSON-encoded)."""
    if correct is None:
        return None
    if kind == "numeric":
        return plain_number(correct)
    if kind in ("multiple", "text"):
        return list(correct)
    return correct


def correct_text(kind: str, correct: Any) -> str | None:
    """The correct answer in words, for pages: ``A; C``, ``9.8``, ``Paris; paris, France``."""
    if correct is None or correct == ():
        return None
    if kind == "numeric":
        return number_text(correct)
    return correct if kind == "single" else "; ".join(correct)


# -- what a student answers ---------------------------------------------------------------


_ANSWER_TYPES = {"single": str, "multiple": list, "numeric": (int, float, str), "text": str}
_ANSWER_WORDS = {
    "single": "a choice (a string)",
    "multiple": "a list of choices",
    "numeric": "a number",
    "text": "a string",
}
"""A wrong JSON type is a malformed message (``bad_message``), as everywhere in the
protocol; a value of the right type that the question refuses is ``invalid_choice``
or ``invalid_answer``."""


def stored_answer(kind: str, choices: tuple[str, ...], value: Any) -> str:
    """A student's answer from the wire, checked for its question, in its stored form."""
    expected = _ANSWER_TYPES[kind]
    if not isinstance(value, expected) or isinstance(value, bool):
        raise Invalid(f"This {kind} question's answer is {_ANSWER_WORDS[kind]}.", "bad_message")
    if kind == "single":
        if value not in choices:
            raise Invalid("That is not one of the choices.", "invalid_choice")
        return value
    if kind == "multiple":
        picked = set(value) if all(isinstance(item, str) for item in value) else None
        if not value or picked is None or not picked <= set(choices) or len(picked) != len(value):
            raise Invalid("Those are not distinct choices of the question.", "invalid_choice")
        return json.dumps([choice for choice in choices if choice in picked])
    if kind == "numeric":
        return number_text(number_from(value))
    text = " ".join(value.split())
    if not 1 <= len(text) <= MAX_TEXT_ANSWER:
        raise Invalid(f"An answer is 1 to {MAX_TEXT_ANSWER} characters.", "invalid_answer")
    return text


def wire_answer(kind: str, stored: str | None) -> Any:
    """A stored answer as the student sent it (``my_answer``, ``answer_ack``)."""
    if stored is None:
        return None
    if kind == "multiple":
        return json.loads(stored)
    if kind == "numeric":
        return plain_number(float(stored))
    return stored


def answer_text(kind: str, stored: str) -> str:
    """A stored answer for a spreadsheet cell: a chosen set as ``A; C``."""
    return "; ".join(json.loads(stored)) if kind == "multiple" else stored


def is_correct(kind: str, correct: Any, tolerance: dict | None, stored: str) -> bool | None:
    """Is this stored answer right? None when the question has no right answer."""
    if kind == "text":
        if not correct:
            return None
        return normalise_text(stored) in {normalise_text(answer) for answer in correct}
    if correct is None:
        return None
    if kind == "single":
        return stored == correct
    if kind == "multiple":
        return tuple(json.loads(stored)) == tuple(correct)
    value = float(stored)
    return (tolerance_from(tolerance) or Tolerance(0.0)).allows(value, correct)


# -- how answers add up -------------------------------------------------------------------


class Tally:
    """The answers to one question, counted for the instructor's screen, kept up as they
    change (``add`` and ``remove`` with a stored answer) and summed up on demand."""

    def add(self, stored: str, times: int = 1) -> None:
        raise NotImplementedError

    def remove(self, stored: str) -> None:
        self.add(stored, -1)

    def summary(self, hidden: Iterable[str] = (), accepted: Iterable[str] = ()) -> dict[str, Any]:
        """The kind's result fields: ``counts`` always (per choice; empty without choices)."""
        raise NotImplementedError


class ChoiceTally(Tally):
    """single and multiple: how many picked each choice."""

    def __init__(self, kind: str, choices: tuple[str, ...]) -> None:
        self._multiple = kind == "multiple"
        self._choices = choices
        self._counts: Counter = Counter()

    def add(self, stored: str, times: int = 1) -> None:
        for choice in json.loads(stored) if self._multiple else (stored,):
            self._counts[choice] += times

    def summary(self, hidden=(), accepted=()) -> dict[str, Any]:
        return {"counts": {choice: self._counts.get(choice, 0) for choice in self._choices}}


class NumericTally(Tally):
    def __init__(self) -> None:
        self._values: Counter = Counter()

    def add(self, stored: str, times: int = 1) -> None:
        value = float(stored)
        self._values[value] += times
        if not self._values[value]:
            del self._values[value]

    def summary(self, hidden=(), accepted=()) -> dict[str, Any]:
        return {"counts": {}, "histogram": histogram(self._values)}


class TextTally(Tally):
    """Answers grouped by their normalised form, each shown in its most given spelling."""

    def __init__(self) -> None:
        self._counts: Counter = Counter()
        self._spellings: dict[str, Counter] = {}

    def add(self, stored: str, times: int = 1) -> None:
        key = normalise_text(stored)
        self._counts[key] += times
        spellings = self._spellings.setdefault(key, Counter())
        spellings[stored] += times
        if not spellings[stored]:
            del spellings[stored]
        if not self._counts[key]:
            del self._counts[key], self._spellings[key]

    def _shown(self, key: str) -> str:
        """The most given spelling; of equals the first in code-point order ("Paris" before
        "paris"), whatever order the answers came in."""
        return min(self._spellings[key].items(), key=lambda item: (-item[1], item[0]))[0]

    def summary(self, hidden=(), accepted=()) -> dict[str, Any]:
        """The most given answers with their marks, and the cloud's words (hidden answers
        left out of the cloud, since it is what the projector shows)."""
        hidden = {normalise_text(text) for text in hidden}
        accepted = {normalise_text(text) for text in accepted}
        words: Counter = Counter()
        for key, count in self._counts.items():
            if key not in hidden:
                for word in _WORD.findall(key):
                    if word not in _STOP_WORDS:
                        words[word] += count
        top = heapq.nlargest(SHOWN_ANSWERS, self._counts.items(), key=_by_count)
        return {
            "counts": {},
            "answers": [
                {
                    "text": self._shown(key),
                    "count": count,
                    "hidden": key in hidden,
                    "accepted": key in accepted,
                }
                for key, count in top
            ],
            "distinct": len(self._counts),
            "words": [
                {"word": word, "count": count}
                for word, count in heapq.nlargest(CLOUD_WORDS, words.items(), key=_by_count)
            ],
        }


def _by_count(item: tuple) -> tuple:
    """Most frequent first; ties broken the same way every time."""
    return item[1], item[0]


def tally_for(kind: str, choices: tuple[str, ...]) -> Tally:
    if kind in CHOICE_KINDS:
        return ChoiceTally(kind, choices)
    return NumericTally() if kind == "numeric" else TextTally()


def tally_of(kind: str, choices: tuple[str, ...], counts: dict[str, int]) -> Tally:
    """A tally of stored answers already counted (``{stored: how many}``, as a close reads them)."""
    tally = tally_for(kind, choices)
    for stored, count in counts.items():
        tally.add(stored, count)
    return tally


def for_the_room(summary: dict[str, Any]) -> dict[str, Any]:
    """A result as the whole lecture gets it: a text question's cloud without its list of
    answers (hidden ones must not reach students; the instructors' screens read the full
    list through the API). A thousand phones are spared a list they do not show."""
    return {key: value for key, value in summary.items() if key != "answers"}


# -- numbers in bins ------------------------------------------------------------------------


def _nice_width(span: float, bins: int) -> float:
    """A bin width of 1, 2 or 5 times a power of ten covering ``span`` in about ``bins`` bins."""
    raw = span / bins
    power = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= raw:
            return step * power
    return 10 * power


def histogram(values: Counter) -> dict[str, Any]:
    """Bins with counts, and the median and quartiles, of numeric answers.

    About √n bins (at most 12) of a round width; the bins cover the answers
    within three interquartile ranges of the middle half, so one wild answer
    (a phone's extra zeros) does not squash every other answer into one bar:
    it is counted in ``below`` or ``above`` instead.
    """
    n = sum(values.values())
    if n == 0:
        return {"count": 0, "bins": [], "below": 0, "above": 0}
    ordered = sorted(values.items())
    q1, median, q3 = _quartiles(ordered, n)
    low, high = ordered[0][0], ordered[-1][0]
    spread = q3 - q1
    if spread > 0:
        low, high = max(low, q1 - 3 * spread), min(high, q3 + 3 * spread)
    if low == high:
        width = _nice_width(abs(low) or 1.0, 10)
        start = math.floor(low / width) * width
        edges = [start, start + width]
    else:
        bins = min(MAX_BINS, max(1, math.ceil(math.sqrt(n))))
        width = _nice_width(high - low, bins)
        start = math.floor(low / width) * width
        count = max(1, math.ceil((high - start) / width + 1e-9))
        if start + count * width <= high:
            count += 1
        edges = [start + i * width for i in range(count + 1)]
    counts = [0] * (len(edges) - 1)
    below = above = 0
    for value, times in ordered:
        if value < edges[0]:
            below += times
        elif value >= edges[-1]:
            above += times
        else:
            index = min(len(counts) - 1, int((value - edges[0]) // width))
            counts[index] += times
    return {
        "count": n,
        "bins": [
            {"from": _rounded(edges[i]), "to": _rounded(edges[i + 1]), "count": counts[i]}
            for i in range(len(counts))
        ],
        "below": below,
        "above": above,
        "min": plain_number(ordered[0][0]),
        "max": plain_number(ordered[-1][0]),
        "median": _rounded(median),
        "q1": _rounded(q1),
        "q3": _rounded(q3),
    }


def _rounded(value: float) -> int | float:
    return plain_number(float(f"{value:.12g}"))


def _quartiles(ordered: list[tuple[float, int]], n: int) -> tuple[float, float, float]:
    """Quartiles of counted values (linear interpolation, as ``statistics.quantiles``'s
    inclusive method), without expanding the counts."""

    def at(position: float) -> float:
        below, fraction = int(position), position - int(position)
        return (
            _nth(ordered, below) * (1 - fraction) + _nth(ordered, min(n - 1, below + 1)) * fraction
        )

    return at((n - 1) * 0.25), at((n - 1) * 0.5), at((n - 1) * 0.75)


def _nth(ordered: list[tuple[float, int]], index: int) -> float:
    for value, count in ordered:
        if index < count:
            return value
        index -= count
    return ordered[-1][0]
