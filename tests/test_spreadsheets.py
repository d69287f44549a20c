"""Roster spreadsheets as people export them: tests/data holds real-world shapes."""

from pathlib import Path

import pytest

from iclicker.domain.courses import parse_roster
from iclicker.domain.spreadsheets import InvalidCsv, read_rows
from iclicker.store.courses import RosterEntry

DATA = Path(__file__).parent / "data"


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


def refused(content: bytes) -> InvalidCsv:
    with pytest.raises(InvalidCsv) as caught:
        parse_roster(content)
    return caught.value


def test_excel_export_with_bom_crlf_and_quoted_commas():
    """UTF-8 with a BOM, CRLF, header names in any case, a comma inside quotes."""
    assert parse_roster(data("roster-excel-bom-crlf.csv")) == [
        RosterEntry("ada", "Lovelace, Ada", "ada@example.edu"),
        RosterEntry("bob", "Bob", "bob@example.edu"),
    ]


def test_semicolons_quotes_and_newlines_inside_cells():
    """LibreOffice with ';', doubled quotes and a newline inside a quoted cell."""
    assert parse_roster(data("roster-semicolon-quoted-newline.csv")) == [
        RosterEntry("ada", 'Ada "the first" Lovelace', "", "1001"),
        RosterEntry("Carol", "Carol\nwith a newline", "", "1002"),
    ]


def test_every_bad_line_is_reported_with_its_number():
    """A file with bad rows imports nothing and names each line (the header is line 1)."""
    error = refused(data("roster-bad-lines.csv"))
    assert error.code == "invalid_csv"
    assert [line.line for line in error.lines] == [3, 5]
    assert "bad name!" in error.lines[0].message
    assert error.details()["lines"][1] == {"line": 5, "message": error.lines[1].message}


def test_line_numbers_count_newlines_inside_quoted_cells():
    """A row after a cell spanning two lines is reported at its real line."""
    content = b'username,display_name\nada,"two\nlines"\nno good!,x\n'
    assert [line.line for line in refused(content).lines] == [4]


def test_a_missing_required_column_is_line_1():
    error = refused(data("roster-missing-username.csv"))
    assert [(line.line, "username" in line.message) for line in error.lines] == [(1, True)]


def test_duplicate_usernames_count_once():
    """The same username twice (any case) is one student; the later line wins."""
    assert [entry.username for entry in parse_roster(data("roster-duplicate.csv"))] == [
        "ada",
        "ADA",
        "bob",
    ]


@pytest.mark.parametrize(
    "content, words",
    [
        (b"", "empty"),
        (b"\r\n  \n", "empty"),
        (None, "UTF-8"),
        (b"username\n", "no rows"),
    ],
)
def test_files_that_are_not_rosters(content, words):
    """Empty, Latin-1 and header-only files are invalid_csv with a clear message."""
    error = refused(data("roster-latin1.csv") if content is None else content)
    assert words in error.message + " ".join(line.message for line in error.lines)


def test_a_binary_file_renamed_csv_is_refused():
    error = refused(data("not-a-spreadsheet.csv"))
    assert error.lines and error.lines[0].line == 1


def test_a_file_over_2_mib_is_refused_before_parsing():
    content = b"username\n" + b"student_name\n" * (3 * 1024 * 1024 // 13)
    assert len(content) > 3_000_000
    with pytest.raises(InvalidCsv, match="2 MiB"):
        read_rows(content, ("username",), ())


def test_five_thousand_rows_parse():
    """A big class: 5,000 rows are read (the import's speed is measured in bench/)."""
    content = b"username,display_name\n" + b"".join(
        b"student%05d,Student %d\n" % (i, i) for i in range(5000)
    )
    assert len(parse_roster(content)) == 5000
