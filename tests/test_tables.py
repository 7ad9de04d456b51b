"""The polars table engine: every problem located and grouped, one run for a whole bundle,
exact lines in any CSV dialect the engine accepts, and the same values whatever the quoting."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mentorstd
from mentorstd.metrics import _months, _with_calendar, add_months, month_index
from mentorstd.tables import TABLES, TableSpec, read_table

from .conftest import BundleFactory, tree_digest
from .test_metrics import MATCHES, SCREENING, TRAINING

HEADER = "match_id,mentor_id,mentee_id,start_date,planned_end_date,end_date,closure_reason"


def _problems(path: Path, name: str, text: str | bytes, **kwargs: Any) -> list[str]:
    target = path / f"{name}.csv"
    if isinstance(text, str):
        target.write_text(text, encoding="utf-8", newline="")
    else:
        target.write_bytes(text)
    with pytest.raises(mentorstd.BundleError) as info:
        read_table(target, name, display=f"data/{name}.csv", **kwargs)
    return info.value.lines()


def test_bad_cells_of_one_kind_are_one_line_with_their_count_and_lines(tmp_path: Path) -> None:
    rows = [f"M{i},A{i},Y{i},10/{i + 1:02d}/2024,,," for i in range(6)]
    lines = _problems(tmp_path, "matches", "\n".join([HEADER, *rows]) + "\n")
    # six bad dates on lines 2-7: the first is quoted, three more lines are named, two counted
    assert lines == [
        "data/matches.csv:2:4: start_date: '10/01/2024' is not a date (YYYY-MM-DD); "
        "most dates here look like MM/DD/YYYY: set `date_format: '%m/%d/%Y'` in the table "
        "spec; 5 more rows like it, at lines 3, 4, 5 and 2 more"
    ]


def test_different_problems_of_a_table_are_all_reported_in_file_order(tmp_path: Path) -> None:
    rows = [
        "M1,A1,Y1,2025-01-10,,,",
        "M1,A2,Y2,2025-01-11,,,",  # duplicate id
        "M3,A3,Y3,2025-02-30,,,",  # no such day
        "M4,A4,Y4,2025-01-10,,,done",  # bad reason (and no end date, checked only once valid)
        "M5,,Y5,2025-01-10,,,",  # missing mentor
    ]
    lines = _problems(tmp_path, "matches", "\n".join([HEADER, *rows]) + "\n")
    assert lines == [
        "data/matches.csv:3:1: match_id: 'M1' appears more than once (first at line 2)",
        "data/matches.csv:4:4: start_date: '2025-02-30' is not a date (YYYY-MM-DD)",
        "data/matches.csv:5:7: closure_reason: 'done' is not one of completed, "
        "mentor-withdrew, mentee-withdrew, family-withdrew, rematched, program-ended, other "
        "(other words for these go under `values:` in the table spec)",
        "data/matches.csv:6:2: mentor_id: a value is required",
    ]


def test_quoted_newlines_blank_lines_and_crlf_keep_lines_exact(tmp_path: Path) -> None:
    text = (
        "match_id,date,with,mode\r\n"
        'M1,2025-01-10,mentor,"phone\r\nthen a visit"\r\n'  # lines 2-3
        "\r\n"  # line 4: blank, skipped
        'M1,"2025-01-11",mentor,""\r\n'  # line 5
        "M1,2025-13-01,mentee,phone\r\n"  # line 6: the problem
    )
    known = {"match_id": (pl.Series(["M1"]), "data/matches.csv")}
    lines = _problems(tmp_path, "contacts", text, references=known)
    assert lines == ["data/contacts.csv:6:2: date: '2025-13-01' is not a date (YYYY-MM-DD)"]


def test_the_same_rows_read_the_same_in_every_accepted_dialect(tmp_path: Path) -> None:
    rows = ["M1,2025-01-10,mentor,phone", "M2,2025-02-01,parent,", "M1,2025-03-05,mentee,visit"]
    plain = "match_id,date,with,mode\n" + "\n".join(rows) + "\n"
    quoted = "\n".join(
        ",".join(f'"{cell}"' for cell in line.split(","))
        for line in ["match_id,date,with,mode", *rows]
    )
    variants = {
        "plain": plain.encode(),
        "crlf-bom": b"\xef\xbb\xbf" + plain.replace("\n", "\r\n").encode(),
        "quoted-no-final-newline": quoted.encode(),
        "blank-lines": plain.replace("\n", "\n\n", 2).encode(),
    }
    known = {"match_id": (pl.Series(["M1", "M2"]), "data/matches.csv")}
    frames = {}
    for name, raw in variants.items():
        path = tmp_path / f"{name}.csv"
        path.write_bytes(raw)
        frames[name] = read_table(path, "contacts", references=known).frame
    expected = pl.DataFrame(
        {
            "match_id": ["M1", "M2", "M1"],
            "date": [dt.date(2025, 1, 10), dt.date(2025, 2, 1), dt.date(2025, 3, 5)],
            "with": ["mentor", "parent", "mentee"],
            "mode": ["phone", None, "visit"],
        }
    )
    for frame in frames.values():
        assert frame.equals(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # too few fields, in a plain file
        (
            "match_id,date,with,mode\nM1,2025-01-10\nM1,2025-01-11,mentor,x\nM1,x\n",
            "data/contacts.csv:2: row has 2 fields, the header has 4; 1 more row like it, "
            "at line 4",
        ),
        # too many, after a quoted field that holds a separator and a newline
        (
            'match_id,date,with,mode\nM1,2025-01-10,mentor,"a,\nb"\nM1,2025-01-11,mentor,x,y\n',
            "data/contacts.csv:4: row has 5 fields, the header has 4",
        ),
        # one too many on a last line without a line end (polars drops the empty field)
        (
            "match_id,date,with,mode\nM1,2025-01-10,mentor,x\nM1,2025-01-11,mentor,x,",
            "data/contacts.csv:3: row has 5 fields, the header has 4",
        ),
        # too few, where the header's quoted name holds a separator
        (
            'match_id,date,with,mode,"notes, misc"\nM1,2025-01-10,mentor,x,y\n'
            "M1,2025-01-11,mentor,x\nM1,2025-01-12,mentor,x,y\n",
            "data/contacts.csv:3: row has 4 fields, the header has 5",
        ),
    ],
)
def test_ragged_rows_are_located(tmp_path: Path, text: str, expected: str) -> None:
    assert _problems(tmp_path, "contacts", text) == [expected]


@pytest.mark.parametrize(
    ("last", "hint"),
    [
        ("\x1a", "line 3 holds a Ctrl-Z end mark, as old DOS programs write: delete it"),
        ("   \n", "line 3 holds white space only: delete it"),
        (
            "M1;2025-01-11;mentor;x\n",
            "line 3 split on ';' has 4 fields: is it in another separator?",
        ),
    ],
)
def test_a_ragged_row_says_what_shows_in_it(tmp_path: Path, last: str, hint: str) -> None:
    """Without repeating its text: a ragged row may hold free text."""
    text = "match_id,date,with,mode\nM1,2025-01-10,mentor,x\n" + last
    assert _problems(tmp_path, "contacts", text) == [
        f"data/contacts.csv:3: row has 1 field, the header has 4 ({hint})"
    ]


def test_a_ragged_rows_hint_is_said_of_its_own_line(tmp_path: Path) -> None:
    """Rows like it share its field count, not what shows in it."""
    text = "match_id,date,with,mode\nM1,2025-01-10,mentor,x\n   \nM2\n"
    assert _problems(tmp_path, "contacts", text) == [
        "data/contacts.csv:3: row has 1 field, the header has 4 (line 3 holds white space "
        "only: delete it); 1 more row like it, at line 4"
    ]


def test_ragged_rows_are_grouped_by_their_field_count(tmp_path: Path) -> None:
    text = "match_id,date,with,mode\nM1,x\nM1,2025-01-11,mentor,x,y,z\nM2,y\nM3\n"
    assert _problems(tmp_path, "contacts", text) == [
        "data/contacts.csv:2: row has 2 fields, the header has 4; 1 more row like it, at line 4",
        "data/contacts.csv:3: row has 6 fields, the header has 4",
        "data/contacts.csv:5: row has 1 field, the header has 4",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Contacts export\nrun on 2026-01-01\nmatch_id,date,with,mode\nM1,2025-01-10,mentor,x\n",
            "data/contacts.csv:1: the header row seems to be line 3: remove the lines above it "
            "(missing from this row: match_id, date, with)",
        ),
        (
            "\nmatch_id,date,with,mode\nM1,2025-01-10,mentor,x\n",
            "data/contacts.csv:1: line 1 is blank: the header row must be the first line; the "
            "header row seems to be line 2",
        ),
        ("\n\nM1\n", "data/contacts.csv:1: line 1 is blank: the header row must be the first line"),
        # a title row above a header with one column misnamed
        (
            "Contacts export\nMatch,date,with,mode\nM1,2025-01-10,mentor,x\n",
            "data/contacts.csv:1: the header row seems to be line 2: remove the lines above it "
            "(missing from this row: match_id, date, with)",
        ),
    ],
)
def test_a_header_row_below_line_1_is_pointed_at(tmp_path: Path, text: str, expected: str) -> None:
    assert _problems(tmp_path, "contacts", text) == [expected]


def test_a_header_name_wrapped_onto_two_lines_is_one_name(tmp_path: Path) -> None:
    # as Excel exports a wrapped header cell; the rows below keep their lines
    text = 'match_id,date,"Contact\r\nWith",mode\r\n'
    text += "M1,2025-01-10,mentor,x\r\nM2,2025-01-10,mentr,x\r\n"
    assert _problems(
        tmp_path, "contacts", text, spec=TableSpec(columns={"with": "Contact\r\nWith"})
    ) == [
        "data/contacts.csv:4:3: with: 'mentr' is not one of mentor, mentee, parent "
        "(other words for these go under `values:` in the table spec)"
    ]


@pytest.mark.parametrize(
    ("header", "line"),
    [('match_id;date;"Contact\nWith";mode', 4), ('"Match\nID";date;"Contact\r\nWith";mode', 5)],
)
def test_a_wrapped_header_name_is_one_name_with_a_space(
    tmp_path: Path, header: str, line: int
) -> None:
    # in a semicolon file, also as its first name; mapped as one line: Contact With
    text = header + "\nM1;2025-01-10;mentor;x\nM2;2025-01-10;mentr;x\n"
    spec = TableSpec(columns={"with": "Contact With"})
    assert _problems(tmp_path, "contacts", text, spec=spec) == [
        f"data/contacts.csv:{line}:3: with: 'mentr' is not one of mentor, mentee, parent "
        "(other words for these go under `values:` in the table spec)"
    ]
    spec = TableSpec(columns={"with": "Contact Wiht"})
    (problem,) = _problems(tmp_path, "contacts", text, spec=spec)
    assert problem.endswith(
        "(did you mean 'Contact With'? map it with `columns: {with: Contact With}`)"
    )


def test_a_tsv_file_is_split_on_tabs(tmp_path: Path) -> None:
    # its header holds more commas than tabs
    path = tmp_path / "contacts.tsv"
    header = 'match_id\tdate\twith\t"notes, to, self, and more"\n'
    path.write_text(header + "M1\t2025-01-10\tmentor\ta, b\n", encoding="utf-8")
    assert read_table(path, "contacts")["with"].to_list() == ["mentor"]


def test_lines_of_separators_alone_are_blank_whatever_their_count(tmp_path: Path) -> None:
    text = "match_id,date,with,mode\nM1,2025-01-10,mentor,x\n,,,,,,,,\n,\nM2,x,mentor,y\n"
    assert _problems(tmp_path, "contacts", text) == [
        "data/contacts.csv:5:2: date: 'x' is not a date (YYYY-MM-DD)"
    ]


def test_separators_inside_a_quoted_header_name_are_not_counted(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text('match_id,date,with,"mode; a; b; c; d"\nM1,2025-01-10,mentor,x\n')
    assert read_table(path, "contacts")["with"].to_list() == ["mentor"]


def test_rows_of_quoted_empty_cells_are_blank_lines(tmp_path: Path) -> None:
    text = (
        'match_id,date,with,mode\nM1,2025-01-10,mentor,x\n"","","",""\n"","","",\nM2,x,mentor,y\n'
    )
    assert _problems(tmp_path, "contacts", text) == [
        "data/contacts.csv:5:2: date: 'x' is not a date (YYYY-MM-DD)"
    ]


@pytest.mark.parametrize("mark", [b"", b"\xef\xbb\xbf" * 2])  # also after two byte-order marks
def test_rows_beside_ragged_ones_still_have_their_cells_checked(
    tmp_path: Path, mark: bytes
) -> None:
    text = 'match_id,date,with,mode\nM1,x\nM2,2025-01-11,mentor,"a\nb",extra\n'
    text += 'M3,yesterday,mentor,x\r\nM4,2025-01-12,mentr,"p\nq"\n'
    assert _problems(tmp_path, "contacts", mark + text.encode()) == [
        "data/contacts.csv:2: row has 2 fields, the header has 4",
        "data/contacts.csv:3: row has 5 fields, the header has 4",
        "data/contacts.csv:5:2: date: 'yesterday' is not a date (YYYY-MM-DD)",
        "data/contacts.csv:6:3: with: 'mentr' is not one of mentor, mentee, parent "
        "(other words for these go under `values:` in the table spec)",
    ]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        # opened on line 5 of 1,000 rows: said there, not at the end of the file
        (
            "M1,2025-01-10,mentor,x\n" * 3
            + 'M3,2025-01-10,mentor,"open\n'
            + "M1,2025-01-10,mentor,x\n" * 995,
            5,
        ),
        # a doubled quote left open, then a full row
        ('"a""\nM1,2025-01-10,mentor,x\n', 2),
        # on a last line with no line end, which polars would close at the end of the file
        ('M1,2025-01-10,mentor,"a""', 2),
        ('M1,2025-01-10,mentor,x\nM1,2025-01-10,mentor,"""', 3),
        # a lone carriage return inside a quoted cell does not end its line
        ('M1,2025-01-10,mentor,"a\rb"\nM1,2025-01-10,mentor,"open\nM2,2025-01-10,mentor,x\n', 3),
    ],
)
def test_a_quote_never_closed_is_said_where_its_field_starts(
    tmp_path: Path, text: str, line: int
) -> None:
    (problem,) = _problems(tmp_path, "contacts", "match_id,date,with,mode\n" + text)
    assert problem.startswith(f"data/contacts.csv:{line}: malformed quoting: a quoted field")


def test_malformed_quoting_is_located(tmp_path: Path) -> None:
    text = 'match_id,date,with,mode\nM1,2025-01-10,mentor,"open\nM2,2025-01-11,mentor,x\n'
    (line,) = _problems(tmp_path, "contacts", text)
    assert line.startswith("data/contacts.csv:")
    assert "Traceback" not in line


def test_a_quote_inside_an_unquoted_field_is_located(tmp_path: Path) -> None:
    text = 'match_id,date,with,mode\nM1,2025-01-10,mentor,x\nM1,2025-01-10,mentor,ph"one\n'
    (line,) = _problems(tmp_path, "contacts", text + "M1,2025-01-11,mentor,x\n")
    assert line.startswith("data/contacts.csv:3: a quote inside a field that does not start")


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        # a stray quote in a column name: polars would read the whole file into the header
        (b'match_id,date,with,mod"e\nM1,10/31/2024,mentor,\n', "data/contacts.csv:1:4: "),
        # two byte-order marks, then a byte that is not UTF-8 on line 2
        (
            b"\xef\xbb\xbf\xef\xbb\xbfmatch_id,date,with,mode\nM1,2025-01-10,mentor,\xff\nM2,x,y,\n",
            "data/contacts.csv:2: not valid UTF-8 (byte 0xff)",
        ),
        # a quote ending a field that did not start with one
        (
            b'match_id,date,with,mode\nM1,2025-01-10,mentor,x\nM1,2025-01-10,mentor,x"\n',
            "data/contacts.csv:3: ",
        ),
        # a carriage return before a quoted field
        (b'match_id,date,with,mode\nM1,2025-01-10,mentor,\r"a,b"\n', "data/contacts.csv:2: "),
        # doubled carriage returns with a quoted field: said at the first line ending so
        (
            b'match_id,date,with,mode\r\r\nM1,2025-01-10,mentor,"x"\r\r\n',
            "data/contacts.csv:1: lines end with two carriage returns",
        ),
    ],
)
def test_what_polars_refuses_is_located(tmp_path: Path, raw: bytes, where: str) -> None:
    (line,) = _problems(tmp_path, "contacts", raw)
    assert line.startswith(where), line


@pytest.mark.parametrize(
    "row",
    ['M1,2025-01-10,mentee","zoom"', 'M7"60,2025-07-14,x,y'],
)
def test_a_stray_quote_is_said_rather_than_a_wrong_field_count(tmp_path: Path, row: str) -> None:
    text = f"match_id,date,with,mode\nM1,2025-01-10,mentor,x\n{row}\nM2,2025-01-11,mentor,x\n"
    (line,) = _problems(tmp_path, "contacts", text)
    assert line.startswith("data/contacts.csv:3: a quote inside a field that does not start")


@pytest.mark.parametrize("first", [b"M1", b'"M1"'])  # also where some field is quoted
def test_doubled_carriage_returns_are_refused_not_kept_in_values(
    tmp_path: Path, first: bytes
) -> None:
    raw = b"match_id,date,with,mode\n" + first + b",2025-01-10,mentor,x\r\r\n"
    (line,) = _problems(tmp_path, "contacts", raw + b"M1,2025-01-11,mentor,y\r\r\n")
    assert line.startswith("data/contacts.csv:2: lines end with two carriage returns")


@pytest.mark.parametrize(
    ("text", "after"),
    [
        # at the end of a line, and of the file (polars gives an error of its own); where the
        # file's quotes are odd, the lines after it are not rows until it is fixed
        (
            'M1,2025-13-45,mentor,x\nM1,2025-01-10,mentor,ongoing"\nM2,2025-01-10,mentor,x\n',
            "; the line after it is not checked until it is fixed",
        ),
        ('M1,2025-13-45,mentor,x\nM1,2025-01-10,mentor,5"', ""),
        # inside a field
        (
            'M1,2025-13-45,mentor,x\nM1,2025-01-10,mentor,6" tall\nM2,2025-01-10,mentor,x\n',
            "; the line after it is not checked until it is fixed",
        ),
    ],
)
def test_a_stray_quote_is_said_and_the_rows_before_it_checked(
    tmp_path: Path, text: str, after: str
) -> None:
    assert _problems(tmp_path, "contacts", "match_id,date,with,mode\n" + text) == [
        "data/contacts.csv:2:2: date: '2025-13-45' is not a date (YYYY-MM-DD)",
        "data/contacts.csv:3: " + _STRAY + after,
    ]


def test_a_quote_never_closed_leaves_the_rows_before_it_checked(tmp_path: Path) -> None:
    # said where the field opens, on a record's second line
    text = 'M1,2025-13-45,mentor,x\nM1,2025-01-10,"ment\nor",y\nM2,2025-01-10,mentor,"open\n'
    assert _problems(tmp_path, "contacts", "match_id,date,with,mode\n" + text + "M3,x,y,z\n") == [
        "data/contacts.csv:2:2: date: '2025-13-45' is not a date (YYYY-MM-DD)",
        "data/contacts.csv:3:3: with: 'ment\\nor' is not one of mentor, mentee, parent "
        "(other words for these go under `values:` in the table spec)",
        "data/contacts.csv:5: malformed quoting: a quoted field starting on this line is never "
        "closed (its closing quote is missing, or a quote inside it is not doubled); the line "
        "after it is not checked until it is fixed",
    ]


def test_a_quote_closed_by_a_stray_one_lines_later_says_what_it_swallowed(
    tmp_path: Path,
) -> None:
    text = 'M0,2025-13-45,mentor,x\nM1,2025-01-10,mentor,"phone\nM2,2025-01-10,mentor,x\n'
    text += 'M3,2025-01-10,mentor,ph"one\nM4,2025-13-46,mentor,x\n'
    assert _problems(tmp_path, "contacts", "match_id,date,with,mode\n" + text) == [
        "data/contacts.csv:2:2: date: '2025-13-45' is not a date (YYYY-MM-DD); 1 more row like "
        "it, at line 6",
        "data/contacts.csv:5: malformed quoting: ',' expected after '\"'; the row on lines 3-5 "
        "is not checked until it is fixed",
    ]


_UNCHECKED = (
    "data/contacts.csv: the cells of its rows are checked once the problems above are fixed "
    "(until then its rows cannot all be placed)"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a ragged row and a malformed quote: both said, and that the cells wait for them
        (
            'M0,2024-01-01\nM1,2024-01-01,mentor,"x" y\nM2,bad,mentor,x\n',
            [
                "data/contacts.csv:2: row has 2 fields, the header has 4",
                "data/contacts.csv:3: malformed quoting: ',' expected after '\"'",
                _UNCHECKED,
            ],
        ),
        # a stray quote, then a quoted cell on two lines: the stray one is to blame
        (
            'M0,bad,mentor,x\nM1,2024-01-01,mentor,6" tall\nM2,bad,mentor,"a\nb"\nM3,x,y,z\n',
            [
                "data/contacts.csv:2:2: date: 'bad' is not a date (YYYY-MM-DD)",
                "data/contacts.csv:3: a quote inside a field that does not start with one; quote "
                'the whole field and double the quote inside it (ph"one becomes "ph""one"); the '
                "3 lines after it are not checked until it is fixed",
            ],
        ),
        # a quote followed by text on a quoted cell's second line: said there
        (
            'M1,2024-01-01,mentor,"multi\nline" x\nM2,bad,mentee,call\n',
            [
                "data/contacts.csv:3: malformed quoting: ',' expected after '\"'; the row on "
                "lines 2-3 is not checked until it is fixed",
                "data/contacts.csv:4:2: date: 'bad' is not a date (YYYY-MM-DD)",
            ],
        ),
    ],
)
def test_several_faults_are_each_said_where_they_are(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    assert _problems(tmp_path, "contacts", "match_id,date,with,mode\n" + text) == expected


_STRAY = (
    "a quote inside a field that does not start with one; quote the whole field and double "
    'the quote inside it (ph"one becomes "ph""one")'
)


def test_doubled_carriage_returns_are_said_where_a_line_ends_so(tmp_path: Path) -> None:
    # not at a quoted cell's own \r\r\n, and not for another problem's sake
    head = (
        b'match_id,date,with,mode\r\nM1,2025-01-10,mentor,"a\r\r\nb"\r\nM2,2025-01-10,mentor,x\r\n'
    )
    (line,) = _problems(tmp_path, "contacts", head + b"M3,2025-01-10,mentor,y\r\r\n")
    assert line.startswith("data/contacts.csv:5: lines end with two carriage returns")
    (line,) = _problems(tmp_path, "contacts", head + b'M3,2025-01-10,mentor,"y\r\n')
    assert line.startswith("data/contacts.csv:5: malformed quoting: a quoted field starting")


def test_doubled_carriage_returns_inside_a_quoted_cell_are_its_text(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_bytes(b'match_id,date,with,mode\r\nM1,2025-01-10,mentor,"a\r\r\nb"\r\n')
    table = read_table(path, "contacts")
    assert table["mode"].to_list() == ["a\r\r\nb"]


def test_unknown_references_count_distinct_ids(tmp_path: Path) -> None:
    text = "match_id,date,with\nM1,2025-01-10,mentor\nM8,2025-01-11,mentor\nM9,2025-01-12,mentor\n"
    text += "M8,2025-01-13,mentee\n"
    known = {"match_id": (pl.Series(["M1"]), "data/matches.csv")}
    assert _problems(tmp_path, "contacts", text, references=known) == [
        "data/contacts.csv:3:1: match_id: 'M8' is not a match_id in data/matches.csv "
        "(2 unknown ids in all); 2 more rows like it, at lines 4, 5"
    ]


def test_a_column_with_one_problem_still_has_its_others_said(tmp_path: Path) -> None:
    # a blank required id does not hide an unknown one, nor a bad id a repeated one
    text = "match_id,date,with\nM1,2025-01-10,mentor\n,2025-01-11,mentor\nM9,2025-01-12,mentor\n"
    known = {"match_id": (pl.Series(["M1"]), "data/matches.csv")}
    assert _problems(tmp_path, "contacts", text, references=known) == [
        "data/contacts.csv:3:1: match_id: a value is required",
        "data/contacts.csv:4:1: match_id: 'M9' is not a match_id in data/matches.csv",
    ]
    rows = ["M1,A1,Y1,2025-01-10,,,", "M1,A2,Y2,2025-01-11,,,", ",A3,Y3,2025-01-12,,,"]
    rows += ["M 4,A4,Y4,2025-01-12,,,", "M 4,A5,Y5,2025-01-12,,,"]
    lines = _problems(tmp_path, "matches", "\n".join([HEADER, *rows]) + "\n")
    assert [line.split(": ", 2)[0] for line in lines] == [
        "data/matches.csv:3:1",  # M1 again
        "data/matches.csv:4:1",  # blank
        "data/matches.csv:5:1",  # 'M 4' is not an id (twice: not also said to be repeated)
    ]
    assert "appears more than once" in lines[0] and "1 more row like it, at line 6" in lines[2]
    # a bad id repeated alone: said once, as bad
    lines = _problems(tmp_path, "matches", "\n".join([HEADER, *rows[3:]]) + "\n")
    assert len(lines) == 1 and lines[0].startswith("data/matches.csv:2:1: match_id: 'M 4' is not")


def test_row_rules_of_matches_are_checked_beside_bad_cells(tmp_path: Path) -> None:
    rows = [
        "M1,A1,Y1,2025-03-10,,2025-01-10,completed",  # ends before it starts
        "M2,A2,Y2,2025-13-01,,2025-01-10,completed",  # a bad start: no rule on this row
        "M3,A3,Y3,2025-01-10,,,done",  # a bad reason: not also said to lack an end date
        "M4,,Y4,2025-01-10,,,other",  # no mentor; a reason without an end date
    ]
    lines = _problems(tmp_path, "matches", "\n".join([HEADER, *rows]) + "\n")
    assert [line.split(": ", 2)[:2] for line in lines] == [
        ["data/matches.csv:2:6", "end_date"],
        ["data/matches.csv:3:4", "start_date"],
        ["data/matches.csv:4:7", "closure_reason"],
        ["data/matches.csv:5:2", "mentor_id"],
        ["data/matches.csv:5:7", "closure_reason"],
    ]
    assert "end_date is blank" in lines[4] and "is not one of" in lines[2]


def _weak_hash(ids: pl.Expr) -> pl.Expr:
    """A hash under which every two ids of one length collide (and a null with any id of two
    characters, as the real hash gives a null a value too)."""
    return ids.str.len_bytes().cast(pl.UInt64).fill_null(2)


@pytest.mark.parametrize(
    "targets",
    [
        ["M1", "M22", "M333"],  # the target's hashes differ; a contact's unknown id collides
        ["M1", "M2", "M333"],  # two of the target's ids share a hash
        ["M1", None, "M333"],  # a null in the target is no id
    ],
)
def test_references_resolve_exactly_when_ids_share_a_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, targets: list[str | None]
) -> None:
    # references are joined on hashes of the ids: with a hash that collides on purpose, every
    # contact still finds its own match, and an unknown id is never taken for another one
    monkeypatch.setattr("mentorstd.tables._id_hash", _weak_hash)
    known = {"match_id": (pl.Series(targets), "data/matches.csv")}
    good = "match_id,date,with\nM333,2025-01-10,mentor\nM1,2025-01-11,mentor\n"
    path = tmp_path / "contacts.csv"
    path.write_text(good + "M1,2025-01-12,mentee\n", encoding="utf-8")
    table = read_table(path, "contacts", references=known)
    assert table.referenced_rows["match_id"].to_list() == [2, 0, 0]
    assert _problems(tmp_path, "contacts", good + "X2,2025-01-12,mentee\n", references=known) == [
        "data/contacts.csv:4:1: match_id: 'X2' is not a match_id in data/matches.csv"
    ]


_IDS = st.one_of(st.none(), st.sampled_from(["M1", "M2", "M22", "X2", "M333", "", "é1"]))


@settings(max_examples=150, deadline=None)
@given(
    targets=st.lists(_IDS, max_size=6),
    values=st.lists(_IDS, max_size=12),
    weak=st.booleans(),
)
def test_references_resolve_to_the_first_row_with_the_same_id(
    targets: list[str | None], values: list[str | None], weak: bool
) -> None:
    # whatever the hash makes collide (a weak one: every two ids of one length), each value
    # finds the first row of the target holding that very id, and a null or unknown value none
    from mentorstd import tables

    first = {t: i for i, t in reversed(list(enumerate(targets))) if t is not None}
    expected = [None if v is None else first.get(v) for v in values]
    strings = pl.DataFrame({"v": pl.Series(values, dtype=pl.String)})
    target = pl.Series(targets, dtype=pl.String)
    saved = tables._id_hash
    if weak:
        tables._id_hash = _weak_hash
    try:
        rows = tables._rows_in(strings.lazy(), "v", target, "r").collect()
        got = tables._resolved(strings, "v", target, rows, "r")
    finally:
        tables._id_hash = saved
    assert rows.height == len(values)
    assert got.to_list() == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("9" * 5000, "is above the maximum 5"),
        ("٤", "is not a whole number"),
        ("0_4", "is not a whole number"),
        (" +4", "is not a whole number"),
        ("4.0", "is not a whole number"),
    ],
)
def test_numbers_are_plain_ascii_digits(tmp_path: Path, value: str, message: str) -> None:
    text = f"respondent_id,role,date,satisfaction,reports_success\nY1,mentee,,{value},\n"
    (line,) = _problems(tmp_path, "surveys", text)
    assert line.startswith("data/surveys.csv:2:4: satisfaction: ")
    assert message in line
    assert len(line) < 200  # a long value is quoted as a short excerpt


def test_ids_are_single_line(tmp_path: Path) -> None:
    text = 'match_id,mentor_id,mentee_id,start_date\nM1,"Maria\nGonzalez",Y1,2025-01-10\n'
    header = "match_id,mentor_id,mentee_id,start_date,planned_end_date,end_date,closure_reason"
    text = text.replace("match_id,mentor_id,mentee_id,start_date", header, 1).replace(
        "2025-01-10\n", "2025-01-10,,,\n"
    )
    (line,) = _problems(tmp_path, "matches", text)
    assert line.startswith("data/matches.csv:2:2: mentor_id: 'Maria\\nGonzalez' is not a valid id")


def test_a_bundle_with_problems_in_three_tables_reports_them_all_at_once(
    cli: Callable[..., Any], make_bundle: BundleFactory
) -> None:
    matches = [dict(r) for r in MATCHES]
    matches[1]["start_date"] = "02/01/2025"
    training = [dict(r) for r in TRAINING]
    training[0]["hours"] = "many"
    screening = [dict(r) for r in SCREENING]
    screening[2]["interview_date"] = "yesterday"
    path = make_bundle(
        tables={"matches": matches, "training": training, "screening": screening},
        practices=[{"requirement": "eepm:B.9.9", "status": "implemented"}],
    )
    before = tree_digest(path)
    result = cli("validate", str(path), "--framework", "eepm")
    assert result.exit_code == 2
    assert tree_digest(path) == before
    errors = [line for line in result.stderr.splitlines() if line]
    assert len(errors) == 4, errors
    assert "practices[0].requirement: unknown requirement 'eepm:B.9.9'" in errors[0]
    assert errors[1].endswith(
        "data/matches.csv:3:4: start_date: '02/01/2025' is not a date (YYYY-MM-DD)"
    )
    assert "data/training.csv:2:4: hours: 'many' is not a number" in errors[2]
    assert "data/screening.csv:4:3: interview_date: 'yesterday' is not a date" in errors[3]


def test_references_are_checked_against_a_table_with_bad_cells(
    cli: Callable[..., Any], make_bundle: BundleFactory
) -> None:
    matches = [dict(r) for r in MATCHES]
    matches[0]["start_date"] = "yesterday"
    contacts = [{"match_id": "NOT-A-MATCH", "date": "2025-01-10", "with": "mentor"}]
    contacts += [{"match_id": matches[0]["match_id"], "date": "2025-01-10", "with": "mentor"}]
    path = make_bundle(tables={"matches": matches, "contacts": contacts})
    result = cli("validate", str(path), "--framework", "eepm")
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line]
    assert len(errors) == 2, errors
    assert "data/matches.csv:2:4: start_date: 'yesterday' is not a date" in errors[0]
    assert errors[1].endswith(
        "data/contacts.csv:2:1: match_id: 'NOT-A-MATCH' is not a match_id in data/matches.csv"
    )
    # a bad id in matches is no id: the same bad id in contacts is said to be bad there too
    matches[0]["start_date"] = "2025-01-10"
    matches[0]["match_id"] = contacts[0]["match_id"] = "M 1"
    path = make_bundle(tables={"matches": matches, "contacts": contacts})
    errors = cli("validate", str(path), "--framework", "eepm").stderr.splitlines()
    assert [e.split(": ", 4)[2:4] for e in errors] == [
        ["data/matches.csv:2:1", "match_id"],
        ["data/contacts.csv:2:1", "match_id"],
        ["data/contacts.csv:3:1", "match_id"],
    ]
    assert "'M 1' is not a valid id" in errors[1] and "is not a match_id" in errors[2]


def test_references_to_a_table_the_bundle_lacks_are_said_unchecked(
    make_bundle: BundleFactory,
) -> None:
    contacts = [{"match_id": "M-1", "date": "2025-01-10", "with": "mentor"}]
    bundle = mentorstd.load_bundle(make_bundle(tables={"contacts": contacts}))
    assert "data/contacts.csv: match_id: not checked: the bundle has no matches table" in (
        bundle.warnings
    )


def test_references_left_unchecked_are_said(
    cli: Callable[..., Any], make_bundle: BundleFactory
) -> None:
    contacts = [{"match_id": "NOT-A-MATCH", "date": "2025-01-10", "with": "mentor"}]
    contacts += [{"match_id": "M-1", "date": "2025-01-10", "with": "someone"}]
    path = make_bundle(tables={"matches": MATCHES, "contacts": contacts})
    # a row of the matches cannot be placed (ragged): their ids are not all known
    matches = path / "data" / "matches.csv"
    matches.write_text(matches.read_text(encoding="utf-8") + "M-9,A-9\n", encoding="utf-8")
    result = cli("validate", str(path), "--framework", "eepm")
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line]
    assert len(errors) == 3, errors
    assert "data/matches.csv:" in errors[0] and "row has 2 fields" in errors[0]
    # said also for a table with problems of its own
    assert "data/contacts.csv:3:3: with: 'someone' is not one of" in errors[1]
    assert errors[2].endswith(
        "data/contacts.csv: match_id: not checked against data/matches.csv, which has "
        "problems (see above); run again once it is fixed"
    )
    # also for a table with rows of its own that cannot be placed: its others were checked
    log = path / "data" / "contacts.csv"
    log.write_text(log.read_text(encoding="utf-8") + '"Grand Total"\n', encoding="utf-8")
    again = cli("validate", str(path), "-F", "eepm").stderr.splitlines()
    assert any("data/contacts.csv:4: row has 1 field, the header has 3" in e for e in again)
    assert again[-1].endswith(
        "data/contacts.csv: match_id: not checked against data/matches.csv, which has "
        "problems (see above); run again once it is fixed"
    )


def test_oversized_table_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "matches.csv"
    path.write_text(HEADER + "\n" + "M1,A1,Y1,2025-01-10,,,\n" * 10, encoding="utf-8")
    with pytest.raises(mentorstd.BundleError, match="larger than the 64-byte limit"):
        read_table(path, "matches", max_bytes=64)


def test_a_header_wider_than_the_cap_is_one_line(tmp_path: Path) -> None:
    # 6,000 copies of the header: without the cap, 17,997 "appears twice" lines
    (line,) = _problems(tmp_path, "contacts", "match_id,date,with," * 6000 + "\n")
    assert line == "data/contacts.csv:1: the header has 18001 columns; at most 1000 are accepted"


def test_doubled_and_personal_columns_are_grouped(tmp_path: Path) -> None:
    header = "match_id,date,with," * 5 + "full_name,guardian_name"
    text = header + "\n" + "M1,2025-01-10,mentor," * 5 + "x,y\n"
    known = {"match_id": (pl.Series(["M1"]), "data/matches.csv")}
    lines = _problems(
        tmp_path,
        "contacts",
        text,
        references=known,
        personal_column=lambda name: name.endswith("_name"),
        privacy_help="keep names out",
    )
    assert lines == [
        "data/contacts.csv:1:4: match_id: column 'match_id' appears 5 times "
        "(columns 1, 4, 7 and 2 more)",
        "data/contacts.csv:1:5: date: column 'date' appears 5 times (columns 2, 5, 8 and 2 more)",
        "data/contacts.csv:1:6: with: column 'with' appears 5 times (columns 3, 6, 9 and 2 more)",
        "data/contacts.csv:1:16: full_name: column 'full_name' looks like personal data: "
        "keep names out; 1 more column like it, at column 17",
    ]


def test_a_long_unknown_header_is_quoted_as_an_excerpt(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text("match_id,date,with," + "x" * 100_000 + "\nM1,2025-01-10,mentor,\n")
    known = {"match_id": (pl.Series(["M1"]), "data/matches.csv")}
    table = read_table(path, "contacts", display="data/contacts.csv", references=known)
    (note,) = table.notes
    assert note.endswith("'... (100000 characters)")
    assert len(note) < 200


@settings(max_examples=200, deadline=None)
@given(
    start=st.dates(dt.date(1950, 1, 1), dt.date(2080, 12, 31)),
    offset=st.integers(-400, 4000),
)
def test_month_arithmetic_in_polars_equals_the_python_definition(
    start: dt.date, offset: int
) -> None:
    day = start + dt.timedelta(days=offset)
    frame = pl.DataFrame({"a": [start], "b": [day]})
    frame = _with_calendar(_with_calendar(frame, "a", "a"), "b", "b")
    got = frame.select(_months("a", "b")).item()
    expected = month_index(start, day)
    assert got == expected
    # the definition itself: the largest k with add_months(start, k) <= day
    assert add_months(start, expected) <= day < add_months(start, expected + 1)


def test_month_arithmetic_holds_outside_the_shared_calendar() -> None:
    # the shared calendar spans 1900-2100; dates beyond it get their own
    pairs = [
        (dt.date(1899, 12, 31), dt.date(1900, 3, 1)),
        (dt.date(2100, 1, 31), dt.date(2101, 2, 28)),
        (dt.date(1900, 1, 1), dt.date(2100, 12, 31)),
    ]
    frame = pl.DataFrame({"a": [a for a, _ in pairs], "b": [b for _, b in pairs]})
    frame = _with_calendar(_with_calendar(frame, "a", "a"), "b", "b")
    got = frame.select(_months("a", "b")).to_series().to_list()
    assert got == [month_index(a, b) for a, b in pairs] == [2, 13, 2411]


def test_every_spec_column_has_a_polars_type() -> None:
    bundle = mentorstd.load_bundle(Path(__file__).parents[1] / "examples" / "bundles" / "oakfield")
    for name, table in bundle.tables.items():
        assert table.frame.columns == [c.name for c in TABLES[name] if table.has(c.name)]
        for column in TABLES[name]:
            if table.has(column.name) and column.type == "date":
                assert table[column.name].dtype == pl.Date


@pytest.mark.slow
def test_no_module_is_imported_from_the_bundle_or_the_working_folder(
    make_bundle: BundleFactory, tmp_path: Path
) -> None:
    path = make_bundle(tables={"matches": MATCHES, "training": TRAINING}, name="programs/p1")
    marker = tmp_path / "imported"
    for folder in (path, path.parent):
        shadowed = (
            "polars",
            "numpy",
            "yaml",
            "pydantic",
            "typer",
            "csv",
            "json",
            "multiprocessing",
        )
        for name in shadowed:
            (folder / f"{name}.py").write_text(
                f"open({str(marker)!r}, 'a').write({name!r})\n", encoding="utf-8"
            )
    exe = Path(sys.executable).parent / "mentorstd"
    runs = [
        (path, [str(exe), "validate", ".", "-F", "eepm", "--format", "json"]),
        (path, [sys.executable, "-m", "mentorstd", "validate", ".", "-F", "eepm"]),
        # batch workers are separate processes started in the same folder
        (path.parent, [str(exe), "batch", ".", "-F", "eepm", "-j", "2", "-o", str(tmp_path / "o")]),
    ]
    for cwd, command in runs:
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
        assert not marker.exists(), (command, marker.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("mentorstd.bundle", ("mentorstd.metrics", "mentorstd.checks", "mentorstd.assessment")),
        ("mentorstd.tables", ("mentorstd.bundle", "mentorstd.metrics", "mentorstd.assessment")),
        ("mentorstd.metrics", ("mentorstd.checks", "mentorstd.assessment")),
    ],
)
def test_loading_knows_nothing_of_assessment(module: str, forbidden: tuple[str, ...]) -> None:
    code = (
        f"import sys, {module}, mentorstd.privacy; "
        f"print(sorted(m for m in {forbidden!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_carriage_return_line_ends_are_explained(tmp_path: Path) -> None:
    (line,) = _problems(tmp_path, "contacts", b"match_id,date,with\rM1,2025-01-10,mentor\r")
    assert line.startswith("data/contacts.csv:1: lines end with a carriage return alone")


def test_separators_inside_quotes_do_not_hide_a_short_row(tmp_path: Path) -> None:
    # line 2 holds two separators inside quotes; line 3 has one field too few: the separator
    # total alone would balance, the count inside the quoted cells does not
    text = (
        'match_id,date,with,mode\nM1,2025-01-10,mentor,"phone, then a visit, twice"\n'
        "M1,2025-01-11\n"
    )
    assert _problems(tmp_path, "contacts", text + "M1,2025-01-12,mentor,x\n") == [
        "data/contacts.csv:3: row has 2 fields, the header has 4"
    ]
    good = tmp_path / "good.csv"
    good.write_text(text.replace("M1,2025-01-11\n", "M1,2025-01-11,mentee,\n"), encoding="utf-8")
    frame = read_table(good, "contacts").frame
    assert frame["mode"].to_list() == ["phone, then a visit, twice", None]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # every row has its last field: a blank line still moves the rows after it
        (
            "match_id,date,with,mode\nM1,2025-01-10,mentor,x\n\nM1,10/31/2024,mentor,x\n",
            "data/contacts.csv:4:2: date: '10/31/2024' is not a date (YYYY-MM-DD)",
        ),
        # a quoted last field over two lines, every last field filled
        (
            'match_id,date,with,mode\nM1,2025-01-10,mentor,"a\nb"\nM1,10/31/2024,mentor,x\n',
            "data/contacts.csv:4:2: date: '10/31/2024' is not a date (YYYY-MM-DD)",
        ),
        # the same with CRLF line ends, quotes everywhere and a byte-order mark
        (
            '\ufeff"match_id","date","with","mode"\r\n"M1","2025-01-10","mentor","a\r\nb"\r\n'
            '"M1","10/31/2024","mentor","x"\r\n',
            "data/contacts.csv:4:2: date: '10/31/2024' is not a date (YYYY-MM-DD)",
        ),
        # a short row lacks its last field, whatever field it lacks
        (
            "match_id,date,with,mode\nM1,2025-01-10,mentor,x\nM1,mentor,x\n",
            "data/contacts.csv:3: row has 3 fields, the header has 4",
        ),
    ],
)
def test_rows_are_placed_on_their_lines_when_every_last_field_is_filled(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert _problems(tmp_path, "contacts", text) == [expected]


def test_a_did_you_mean_for_a_long_header_is_an_excerpt(tmp_path: Path) -> None:
    # the closest header to the missing match_id is 10,000 characters long
    (line,) = _problems(tmp_path, "contacts", "match_id_" + "x" * 9_990 + ",date,with\n")
    assert line.startswith("data/contacts.csv:1: match_id: missing column 'match_id' (did you")
    assert len(line) < 250


def test_nul_bytes_say_how_many_and_that_the_cells_wait_for_them(tmp_path: Path) -> None:
    text = b"person_id,role,date,hours\nA1,mentor,2025-01-10,1\x00\nA2,mentr,bad,\x00\x00\n"
    assert _problems(tmp_path, "training", text) == [
        "data/training.csv:2: contains a NUL byte (is this really a CSV text file?); 2 more in the "
        "file; the table's cells are checked once the NUL bytes are removed"
    ]


def test_a_number_hint_is_said_only_of_the_values_it_fits(tmp_path: Path) -> None:
    text = (
        "person_id,role,date,hours,phase\n"
        'A1,mentor,2025-01-10,abc,ongoing\nA2,mentor,2025-01-10,"1,5",ongoing\n'
        'A3,mentor,2025-01-10,"1,234",ongoing\nA4,mentor,2025-01-10,x,ongoing\n'
    )
    assert _problems(tmp_path, "training", text) == [
        "data/training.csv:2:4: hours: 'abc' is not a number; 1 more row like it, at line 5",
        "data/training.csv:3:4: hours: '1,5' is not a number (write a decimal point, not a comma)",
        "data/training.csv:4:4: hours: '1,234' is not a number (write no thousands separator, "
        "and a decimal point)",
    ]


def test_a_duration_or_a_whole_number_with_a_decimal_point_says_how_to_write_it(
    tmp_path: Path,
) -> None:
    hours = "person_id,role,date,hours,phase\nA1,mentor,2025-01-10,1:30,ongoing\n"
    assert _problems(tmp_path, "training", hours) == [
        "data/training.csv:2:4: hours: '1:30' is not a number (a duration: write hours as a "
        "decimal, 1.5 for 1:30)"
    ]
    header = "mentor_id,application_date,interview_date,background_check_date,references_checked"
    rows = "\nA1,2025-01-02,2025-01-09,2025-01-20,3.0\nA2,2025-01-02,2025-01-09,2025-01-20,2.5\n"
    assert _problems(tmp_path, "screening", header + rows) == [
        "data/screening.csv:2:5: references_checked: '3.0' is not a whole number (write it "
        "without the decimal point: a whole number column)",
        "data/screening.csv:3:5: references_checked: '2.5' is not a whole number",
    ]


@pytest.mark.parametrize(
    "extra", ["Notes; follow-up; next steps; owner; a; b", "topic|a|b|c|d|e|f", "a\tb\tc\td"]
)
def test_other_separators_in_a_header_name_do_not_change_the_separator(
    tmp_path: Path, extra: str
) -> None:
    text = f"match_id,date,with,{extra}\nM1,2025-01-10,mentor,x\nM2,2025-01-11,mentee,y\n"
    target = tmp_path / "contacts.csv"
    target.write_text(text, encoding="utf-8")
    table = read_table(target, "contacts")
    assert table.spec.delimiter == ","
    assert table["with"].to_list() == ["mentor", "mentee"]


def test_ids_that_differ_from_known_ones_only_in_case_are_said_so(tmp_path: Path) -> None:
    matches = pl.Series(["RI-0001", "RI-0002", "RI-0003"])
    text = "match_id,date,with\nri-0001,2025-01-10,mentor\nri-0002,2025-01-11,mentee\n"
    known = {"match_id": (matches, "data/matches.csv")}
    assert _problems(tmp_path, "contacts", text, references=known) == [
        "data/contacts.csv:2:1: match_id: 'ri-0001' is not a match_id in data/matches.csv (ids "
        "match exactly, case too: 'ri-0001' is 'RI-0001' there) (2 unknown ids in all); 1 more "
        "row like it, at line 3"
    ]
    other = "match_id,date,with\nXX-9,2025-01-10,mentor\n"  # no such id in any case: no hint
    assert _problems(tmp_path, "contacts", other, references=known) == [
        "data/contacts.csv:2:1: match_id: 'XX-9' is not a match_id in data/matches.csv"
    ]


def test_ids_that_differ_from_known_ones_only_in_leading_zeros_are_said_so(
    tmp_path: Path,
) -> None:
    """Excel shows a number formatted 0000 as 0001 and stores 1: the sheet's ids are 1, 2;
    the log exported as text holds 0001, 0002."""
    known = {"match_id": (pl.Series(["1", "2", "10"]), "data/matches.xlsx")}
    text = "match_id,date,with\n0001,2025-01-10,mentor\n0002,2025-01-11,mentee\n"
    assert _problems(tmp_path, "contacts", text, references=known) == [
        "data/contacts.csv:2:1: match_id: '0001' is not a match_id in data/matches.xlsx (ids "
        "match exactly, leading zeros too: '0001' is '1' there; a spreadsheet that takes ids "
        "for numbers drops their zeros, or only shows them through a number format: format "
        "the id columns as text) (2 unknown ids in all); 1 more row like it, at line 3"
    ]


def test_every_value_an_enumeration_refuses_is_named_in_one_run(tmp_path: Path) -> None:
    """Each needs a `values:` map of its own: the first few are named, the rest counted."""
    reasons = ["Active", "Moved away", "Active", "Graduated", "A", "B", "C", "D"]
    rows = "".join(
        f"M{i},A{i},Y{i},2025-01-01,,2025-06-01,{reason}\n" for i, reason in enumerate(reasons)
    )
    text = "match_id,mentor_id,mentee_id,start_date,planned_end_date,end_date,closure_reason\n"
    (line,) = _problems(tmp_path, "matches", text + rows)
    assert line == (
        "data/matches.csv:2:7: closure_reason: 'Active' is not one of completed, mentor-withdrew, "
        "mentee-withdrew, family-withdrew, rematched, program-ended, other (other words for these "
        "go under `values:` in the table spec); also 'Moved away', 'Graduated', 'A', 'B' and 2 "
        "more values; 7 more rows like it, at lines 3, 4, 5 and 4 more"
    )


def test_a_totals_row_is_said_once_and_never_read_as_a_record(tmp_path: Path) -> None:
    """A report export's last rows: 'Total' would pass for a survey respondent, its score in
    range."""
    text = (
        "respondent_id,role,match_id,date,satisfaction,reports_success\n"
        "R1,mentor,M1,2025-06-01,4,yes\nR2,mentee,M1,2025-06-01,5,yes\n"
        "Grand Total (2 records),,,,4,\nCount,,,,2,\n"
    )
    assert _problems(tmp_path, "surveys", text) == [
        "data/surveys.csv:4:1: 'Grand Total (2 records)' starts a totals row, which is no "
        "record: delete the row; 1 more row like it, at line 5"
    ]


def test_the_header_repeated_below_is_said_once_and_the_rows_after_it_are_checked(
    tmp_path: Path,
) -> None:
    text = (
        "match_id,date,with,mode\nM1,2025-01-10,mentor,x\n"
        "match_id,date,with,mode\nM2,10/31/2024,mentor,y\n"
    )
    assert _problems(tmp_path, "contacts", text) == [
        "data/contacts.csv:3: the row repeats the header (one export pasted below another?): "
        "delete it",
        "data/contacts.csv:4:2: date: '10/31/2024' is not a date (YYYY-MM-DD)",
    ]


def test_ids_that_start_like_a_totals_word_are_records(tmp_path: Path) -> None:
    """A program's ids may start SUM-, COUNT. or TOTAL/ (a second reader's case): only the
    word alone, or with a count, makes a totals row."""
    rows = "".join(f"SUM-{i},2025-01-1{i},mentor,x\n" for i in range(6))
    table = read_table(
        _written(tmp_path, "contacts", "match_id,date,with,mode\n" + rows), "contacts"
    )
    assert table.n_rows == 6


def _written(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_hints_fit_the_column_and_the_file(tmp_path: Path) -> None:
    """A duration only where hours are wanted; an Excel text formula (="0012") in a CSV is
    no workbook's unsaved formula; values one `values:` key covers are named once; an id
    hint's example is the value the message names."""
    header = "mentor_id,application_date,interview_date,background_check_date,references_checked"
    text = header + '\nA1,2025-01-02,2025-01-09,2025-01-20,1:30\n="A2",2025-01-02,,,1\n'
    assert _problems(tmp_path, "screening", text) == [
        "data/screening.csv:2:5: references_checked: '1:30' is not a whole number",
        "data/screening.csv:3:1: mentor_id: '=\"A2\"' is not a valid id (letters, digits and "
        "._:/#- only; pseudonymous ids, never names); it is written as an Excel text formula "
        '(="..."), as some exports keep leading zeros: write the value alone',
    ]
    reasons = "".join(
        f"M{i},A{i},Y{i},2025-01-01,,2025-06-01,{r}\n"
        for i, r in enumerate(["Moved", "moved", "MOVED", "Left"])
    )
    head = "match_id,mentor_id,mentee_id,start_date,planned_end_date,end_date,closure_reason\n"
    (line,) = _problems(tmp_path, "matches", head + reasons)
    assert "; also 'Left'; 3 more rows like it" in line
    known = {"match_id": (pl.Series(["136", "1", "2"]), "data/matches.xlsx")}
    log = "match_id,date,with\n0001,2025-01-10,mentor\n0002,2025-01-10,mentor\n0136,2025-01-10,x\n"
    first, _ = _problems(tmp_path, "contacts", log, references=known)
    assert "leading zeros too: '0001' is '1' there" in first


def test_stray_rows_are_known_by_the_first_named_column_in_any_case(tmp_path: Path) -> None:
    """A table right of a blank first column, a header repeated in capitals, and a totals
    row too short to be placed (a third reader's cases)."""
    text = (
        ",match_id,date,with,mode\n,M1,2025-01-10,mentor,x\n,MATCH_ID,DATE,WITH,MODE\n"
        ",M2,2025-01-11,mentee,y\n,Total,,,\n"
    )
    assert _problems(tmp_path, "contacts", text) == [
        "data/contacts.csv:3: the row repeats the header (one export pasted below another?): "
        "delete it",
        "data/contacts.csv:5:2: 'Total' starts a totals row, which is no record: delete the row",
    ]
    short = "match_id,date,with,mode\nM1,2025-01-10,mentor,x\nTotal,1\n"
    assert _problems(tmp_path, "contacts", short) == [
        "data/contacts.csv:3: row has 2 fields, the header has 4 (line 3 is a totals row, "
        "which is no record: delete it)"
    ]


def test_a_sheet_starting_right_of_column_a_has_its_totals_row_said(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "contacts.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    rows = [["match_id", "date", "with"], ["M1", "2025-01-10", "mentor"], ["Total", 1, None]]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c + 2, value)  # the table starts at column C
    book.close()
    with pytest.raises(mentorstd.BundleError) as info:
        read_table(path, "contacts", display="contacts.xlsx")
    assert info.value.lines() == [
        "contacts.xlsx:3:3: 'Total' starts a totals row, which is no record: delete the row"
    ]
