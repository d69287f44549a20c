"""CSV exports, RFC 4180, with cells neutralised against spreadsheet formula injection."""

import csv
import io
from collections.abc import Iterable

from iclicker.domain.lecture_values import iso_time
from iclicker.domain.question_kinds import answer_text
from iclicker.store.courses import GradebookRow
from iclicker.store.lectures import ResponseRow

RESPONSE_COLUMNS = (
    "username",
    "display_name",
    "question_id",
    "question",
    "choice",
    "correct",
    "answered_at",
    "round",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: object) -> str:
    """Prefix ``'`` to a text cell a spreadsheet would run as a formula."""
    text = str(cell)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_rows(rows: Iterable[Iterable[object]]) -> bytes:
    """RFC 4180 lines (CRLF, quoting), every cell neutralised: a piece of a streamed export."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return out.getvalue().encode("utf-8")


def to_csv(header: Iterable[str], rows: Iterable[Iterable[object]]) -> bytes:
    return csv_rows([header]) + csv_rows(rows)


GRADEBOOK_COLUMNS = (
    "username",
    "display_name",
    "lectures_attended",
    "questions_answered",
    "answered_correctly",
    "participation_percent",
)


def participation_percent(answered: int, asked: int) -> str:
    """answered ÷ asked × 100 as a plain number (``50``, ``66.7``); 0 when nothing was asked."""
    if not asked:
        return "0"
    return f"{100 * answered / asked:.1f}".removesuffix(".0")


def gradebook_row(row: GradebookRow, asked: int) -> tuple:
    return (
        row.username,
        row.display_name,
        row.lectures_attended,
        row.questions_answered,
        row.answered_correctly,
        participation_percent(row.questions_answered, asked),
    )


def _correct_cell(row: ResponseRow) -> str:
    if row.correct is None:
        return ""
    return "true" if row.correct else "false"


def responses_csv(rows: list[ResponseRow]) -> bytes:
    """One row per student per question: the student's final answer (a chosen set as
    ``A; C``). An anonymous question's rows have no name and no time."""
    return to_csv(
        RESPONSE_COLUMNS,
        (
            (
                row.username,
                row.display_name,
                row.question_id,
                row.question,
                answer_text(row.kind, row.choice),
                _correct_cell(row),
                "" if row.answered_at is None else iso_time(row.answered_at),
                row.round,
            )
            for row in rows
        ),
    )


QUESTION_COLUMNS = (
    "post_id",
    "username",
    "display_name",
    "question",
    "votes",
    "answered",
    "hidden",
    "posted_at",
)


def questions_csv(rows: list[tuple], with_authors: bool) -> bytes:
    """Students' questions of a lecture, oldest first; no authors when the lecture's
    questions were fully anonymous."""
    return to_csv(
        QUESTION_COLUMNS,
        (
            (
                post_id,
                username if with_authors else "",
                display_name if with_authors else "",
                text,
                votes,
                "true" if answered else "false",
                "true" if hidden else "false",
                iso_time(posted_at),
            )
            for post_id, username, display_name, text, votes, answered, hidden, posted_at in rows
        ),
    )
