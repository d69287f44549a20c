"""responses.csv formatting: RFC 4180 and formula neutralising."""

from iclicker.domain.exports import neutralise, responses_csv
from iclicker.store.lectures import ResponseRow


def test_formula_cells_are_prefixed():
    """Cells a spreadsheet would evaluate get a leading apostrophe."""
    for dangerous in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(dangerous) == "'" + dangerous
    assert neutralise("plain") == "plain"
    assert neutralise(5) == "5"


def test_csv_has_header_crlf_quoting_and_correct_flags():
    """Header first, CRLF line ends, quotes where needed, true/false/empty for correct."""
    rows = [
        ResponseRow("ada", 'Ada "the first"', 1, "Pick, one", "single", "a", True, 0),
        ResponseRow("bob", "=cmd", 1, "Pick, one", "single", "b", False, 60),
        ResponseRow("bob", "=cmd", 2, "Open", "single", "x", None, 120),
        ResponseRow("bob", "=cmd", 3, "All?", "multiple", '["a", "c"]', True, 180, 2),
        ResponseRow("", "", 4, "Anonymous", "single", "x", None, None),
    ]
    text = responses_csv(rows).decode("utf-8")
    lines = text.split("\r\n")
    assert lines[0] == (
        "username,display_name,question_id,question,choice,correct,answered_at,round"
    )
    assert lines[1] == 'ada,"Ada ""the first""",1,"Pick, one",a,true,1970-01-01T00:00:00Z,1'
    assert lines[2] == 'bob,\'=cmd,1,"Pick, one",b,false,1970-01-01T00:01:00Z,1'
    assert lines[3] == "bob,'=cmd,2,Open,x,,1970-01-01T00:02:00Z,1"
    assert lines[4] == "bob,'=cmd,3,All?,a; c,true,1970-01-01T00:03:00Z,2"
    assert lines[5] == ",,4,Anonymous,x,,,1"
    assert lines[6] == "" and not text.startswith("\ufeff")


def test_participation_is_a_plain_number():
    """answered ÷ asked × 100, one decimal at most, 0 when nothing was asked."""
    from iclicker.domain.exports import participation_percent

    assert [participation_percent(a, b) for a, b in [(1, 2), (2, 3), (0, 0), (3, 3), (1, 7)]] == [
        "50",
        "66.7",
        "0",
        "100",
        "14.3",
    ]
