"""CSV exports, RFC 4180, with cells neutralised against spreadsheet formula injection."""

import csv
import io
from collections.abc import Iterable

from iclicker.domain.lecture_values import iso_time
from iclicker.store.lectures import ResponseRow

RESPONSE_COLUMNS = (
    "username",
    "display_name",
    "question_id",
    "question",
    "choice",
    "correct",
    "answered_at",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: object) -> str:
    """Prefix ``'`` to a text cell a spreadsheet would run as a formula."""
    text = str(cell)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def to_csv(header: Iterable[str], rows: Iterable[Iterable[object]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return out.getvalue().encode("utf-8")


def _correct_cell(row: ResponseRow) -> str:
    if row.correct is None:
        return ""
    return "true" if row.choice == row.correct else "false"


def responses_csv(rows: list[ResponseRow]) -> bytes:
    """One row per student per question: the student's final answer."""
    return to_csv(
        RESPONSE_COLUMNS,
        (
            (
                row.username,
                row.display_name,
                row.question_id,
                row.question,
                row.choice,
                _correct_cell(row),
                iso_time(row.answered_at),
            )
            for row in rows
        ),
    )
