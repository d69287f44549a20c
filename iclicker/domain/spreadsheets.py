"""CSV files as people export them from Excel and LibreOffice, read whole or not at all.

UTF-8 with or without a BOM, CRLF or LF, comma or semicolon, quoted cells
with commas, quotes and newlines; header names in any case and order. Every
bad line is reported with its number (the header is line 1), so a file is
fixed in one pass; a file with any bad line imports nothing. Runs in a
thread for large files: it touches no reactor.
"""

import csv
import io
from collections.abc import Callable, Iterable

import attrs

from iclicker.domain.errors import Invalid

MAX_FILE_BYTES = 2 * 1024 * 1024


@attrs.frozen
class LineError:
    line: int
    message: str

    def as_json(self) -> dict:
        return {"line": self.line, "message": self.message}


class InvalidCsv(Invalid):
    """A file that imports nothing; ``lines`` says what to fix, line by line."""

    code = "invalid_csv"

    def __init__(self, message: str, lines: Iterable[LineError] = ()) -> None:
        super().__init__(message)
        self.lines = list(lines)

    def details(self) -> dict:
        return {"lines": [line.as_json() for line in self.lines]}


@attrs.frozen
class Row:
    line: int
    """Where the row starts in the file (a quoted cell may span lines)."""
    cells: dict[str, str]
    """Known column name (lower case) -> the cell, trimmed; absent columns are ''."""


def _text(data: bytes) -> str:
    if not data.strip():
        raise InvalidCsv("The file is empty.", [LineError(1, "The file is empty.")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidCsv(
            "The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.",
            [LineError(1, "The file is not UTF-8 text (or not a CSV file at all).")],
        ) from None


def _delimiter(header: str) -> str:
    """Semicolons where a spreadsheet's locale writes decimal commas, else commas."""
    return ";" if header.count(";") > header.count(",") else ","


def read_rows(
    data: bytes, required: tuple[str, ...], optional: tuple[str, ...]
) -> tuple[list[Row], list[LineError]]:
    """The file's data rows with the known columns, and the lines that are not CSV.

    Raises ``InvalidCsv`` for a file that cannot be read as a table at all
    (empty, not UTF-8, binary, a required column missing).
    """
    if len(data) > MAX_FILE_BYTES:
        raise InvalidCsv("The file is larger than 2 MiB.")
    text = _text(data)
    if "\0" in text:
        raise InvalidCsv(
            "The file is not a CSV file.", [LineError(1, "The file holds binary data.")]
        )
    first_line = text.splitlines()[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except csv.Error as error:
        raise InvalidCsv("The header line is not valid CSV.", [LineError(1, str(error))]) from None
    missing = [
        LineError(1, f"The column “{name}” is missing.") for name in required if name not in header
    ]
    if missing:
        raise InvalidCsv("The header line lacks a required column; nothing was imported.", missing)
    problems: list[LineError] = []
    wanted = {name: header.index(name) for name in (*required, *optional) if name in header}
    rows: list[Row] = []
    start = reader.line_num + 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append(
                    Row(
                        start,
                        {
                            name: (cells[index].strip() if index < len(cells) else "")
                            for name, index in wanted.items()
                        },
                    )
                )
            start = reader.line_num + 1
    except csv.Error as error:
        problems.append(LineError(start, f"This line is not valid CSV: {error}."))
    return rows, problems


def check_rows(
    rows: list[Row],
    problems: list[LineError],
    check: Callable[[Row], object],
) -> list:
    """``check(row)`` for every row; all failures together raise one ``InvalidCsv``."""
    results = []
    for row in rows:
        try:
            results.append(check(row))
        except Invalid as error:
            problems.append(LineError(row.line, error.message))
    if problems:
        problems.sort(key=lambda problem: problem.line)
        lines = "1 line" if len(problems) == 1 else f"{len(problems)} lines"
        raise InvalidCsv(f"{lines} of the file need fixing; nothing was imported.", problems)
    if not results:
        raise InvalidCsv(
            "The file has a header but no rows.", [LineError(1, "No rows below the header.")]
        )
    return results
