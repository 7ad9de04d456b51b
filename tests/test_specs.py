"""Table specs: a program's own export (its headers, US dates, capitalised values, BOM and
CRLF, semicolons, UTF-16, cp1252, xlsx, Parquet) reads into exactly the canonical table, and
every refusal names the fix."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import xlsxwriter
import yaml

import mentorstd
from mentorstd.tables import TableSpec, read_table

CANONICAL = (
    "match_id,mentor_id,mentee_id,start_date,planned_end_date,end_date,closure_reason\n"
    "M1,A1,Y1,2025-01-10,2025-12-10,2025-12-10,completed\n"
    "M2,A2,Y2,2025-02-03,2026-02-03,2025-06-30,mentor-withdrew\n"
    "M3,A3,Y3,2025-03-01,2026-03-01,,\n"
)
# the same three matches as a mentoring database exports them
EXPORT_HEADER = (
    "Match ID,Volunteer ID,Youth ID,Match Start Date,Expected End,Match Closed,"
    "Closure Reason,Case Worker Notes"
)
EXPORT_ROWS = [
    ["M1", "A1", "Y1", "01/10/2025", "12/10/2025", "12/10/2025", "Successful Completion", "café"],
    ["M2", "A2", "Y2", "02/03/2025", "02/03/2026", "06/30/2025", "Volunteer Withdrew", ""],
    ["M3", "A3", "Y3", "03/01/2025", "03/01/2026", "", "", "x"],
]
EXPORT_SPEC = TableSpec(
    date_format="%m/%d/%Y",
    columns={
        "mentor_id": "Volunteer ID",
        "mentee_id": "Youth ID",
        "start_date": "Match Start Date",
        "planned_end_date": "Expected End",
        "end_date": "Match Closed",
    },
    values={
        "closure_reason": {
            "Successful Completion": "completed",
            "Volunteer Withdrew": "mentor-withdrew",
        }
    },
)


def _export(separator: str = ",") -> str:
    lines = [EXPORT_HEADER.replace(",", separator)]
    lines += [separator.join(row) for row in EXPORT_ROWS]
    return "\r\n".join(lines) + "\r\n"


def _canonical(tmp_path: Path) -> pl.DataFrame:
    path = tmp_path / "canonical.csv"
    path.write_text(CANONICAL, encoding="utf-8")
    return read_table(path, "matches").frame


def _errors(path: Path, name: str, **kwargs: Any) -> list[str]:
    with pytest.raises(mentorstd.BundleError) as info:
        read_table(path, name, display=path.name, **kwargs)
    return info.value.lines()


def test_an_export_with_bom_crlf_own_headers_and_us_dates_reads_as_the_canonical_table(
    tmp_path: Path,
) -> None:
    path = tmp_path / "matches.csv"
    path.write_bytes(b"\xef\xbb\xbf" + _export().encode("utf-8"))
    table = read_table(path, "matches", display="matches.csv", spec=EXPORT_SPEC)
    assert table.frame.equals(_canonical(tmp_path))
    # 'Match ID' is match_id but for case and spaces; the notes column is ignored, with a note
    assert table.notes == [
        "matches.csv: ignored 1 column that nothing maps to: 'Case Worker Notes'"
    ]
    assert table.positions["start_date"] == 4


@pytest.mark.parametrize("separator", [";", "\t"])
def test_semicolon_and_tab_files_are_detected(tmp_path: Path, separator: str) -> None:
    path = tmp_path / "matches.csv"
    path.write_text(_export(separator), encoding="utf-8", newline="")
    assert read_table(path, "matches", spec=EXPORT_SPEC).frame.equals(_canonical(tmp_path))


def test_a_stated_comma_on_a_semicolon_file_says_to_set_the_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "matches.csv"
    path.write_text(CANONICAL.replace(",", ";"), encoding="utf-8")
    lines = _errors(path, "matches", spec=TableSpec(delimiter=","))
    assert "set `delimiter: ';'`" in lines[0]


@pytest.mark.parametrize("encoding", ["utf-16", "cp1252"])
def test_utf16_and_cp1252_read_when_stated(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "matches.csv"
    path.write_bytes(_export().encode(encoding))
    spec = TableSpec(
        encoding=encoding,
        date_format=EXPORT_SPEC.date_format,
        columns=EXPORT_SPEC.columns,
        values=EXPORT_SPEC.values,
    )
    assert read_table(path, "matches", spec=spec).frame.equals(_canonical(tmp_path))


def test_a_utf16_file_read_as_plain_csv_says_what_to_set(tmp_path: Path) -> None:
    path = tmp_path / "matches.csv"
    path.write_bytes(CANONICAL.encode("utf-16"))
    assert _errors(path, "matches") == [
        "matches.csv:1: is UTF-16 text: set `encoding: utf-16` in its table spec, "
        "or save it as CSV UTF-8"
    ]


def test_a_utf32_file_is_not_taken_for_utf16(tmp_path: Path) -> None:
    path = tmp_path / "matches.csv"
    path.write_bytes(CANONICAL.encode("utf-32"))
    assert _errors(path, "matches") == ["matches.csv:1: is UTF-32 text: save it as CSV UTF-8"]


def test_a_pipe_separated_file_is_read_and_rows_of_separators_are_blank(tmp_path: Path) -> None:
    # a spreadsheet saves its formatted empty rows as lines of separators
    path = tmp_path / "matches.csv"
    lines = CANONICAL.replace(",", "|").splitlines()
    path.write_text("\n".join([*lines[:2], "||||||", *lines[2:], "||||||", ""]), encoding="utf-8")
    table = read_table(path, "matches")
    assert table.frame.equals(_canonical(tmp_path))
    assert [table.line_of(i) for i in range(3)] == [2, 4, 5]


def test_a_cp1252_file_read_as_utf8_names_the_encoding_to_set(tmp_path: Path) -> None:
    path = tmp_path / "matches.csv"
    path.write_bytes(CANONICAL.replace("M3,A3", "M3,A\xe93").encode("cp1252"))
    (line,) = _errors(path, "matches")
    assert line.startswith("matches.csv:4: not valid UTF-8 (byte 0xe9)")
    assert "encoding: cp1252" in line


def _workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> None:
    book = xlsxwriter.Workbook(str(path))
    dates = book.add_format({"num_format": "mm/dd/yyyy"})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, dt.date):
                    sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), dates)
                elif value is not None:
                    sheet.write(r, c, value)
    book.close()


def test_an_xlsx_file_named_csv_says_what_it_is(tmp_path: Path) -> None:
    path = tmp_path / "matches.csv"
    _workbook(path, {"Sheet1": [["match_id"]]})
    (line,) = _errors(path, "matches")
    assert line.startswith("matches.csv:1: is a zip archive, not CSV text; if it is an Excel")


DATA = Path(__file__).parent / "data"


def _ole(*names: str) -> bytes:
    """An OLE compound file's header and a directory sector naming ``names`` (as Office
    writes them: 128 bytes an entry, the name in UTF-16 and its length in bytes)."""
    entries = b""
    for name in names:
        encoded = (name + "\0").encode("utf-16-le")
        entries += encoded.ljust(64, b"\0") + len(encoded).to_bytes(2, "little") + bytes(62)
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + entries


def _zip(path: Path, members: dict[str, str]) -> None:
    with zipfile.ZipFile(path, "w") as book:
        for name, text in members.items():
            book.writestr(name, text)


_XMLSS = (
    b'<?xml version="1.0"?>\r\n<?mso-application progid="Excel.Sheet"?>\r\n<Workbook '
    b'xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:html="http://www.w3.org/TR/'
    b'REC-html40"><Worksheet ss:Name="Sheet1"><Table ss:ExpandedColumnCount="1"><Row><Cell>'
    b'<Data ss:Type="String">match_id</Data></Cell></Row></Table></Worksheet></Workbook>'
)


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (
            (DATA / "encrypted.xlsx").read_bytes(),  # see tests/data/README.md
            "is password-protected (an encrypted Office file): save a copy without a password",
        ),
        ((DATA / "old.xls").read_bytes(), "is an old Excel .xls workbook (97-2003)"),
        (_ole("Root Entry", "Book"), "is an old Excel .xls workbook (97-2003)"),  # BIFF5
        # a Word file whose text holds "Book": the stream names decide
        (
            _ole("Root Entry", "WordDocument") + "Book Club".encode("utf-16-le"),
            "is an old Microsoft Office file (97-2003), not an xlsx workbook",
        ),
        (
            b"\xef\xbb\xbf\r\n<html><body><table><tr><td>match_id</td></tr></table></body></html>",
            "is a web page (HTML), as some systems export their Excel files",
        ),
        (
            b'<meta http-equiv="Content-Type" content="text/html"><style>td {}</style>',
            "is a web page (HTML)",
        ),
        (_XMLSS, "is an XML Spreadsheet 2003 file: save it as .xlsx, or as CSV UTF-8"),
        (b"match_id,mentor_id\r\nM1,A1\r\n", "is text (CSV?), not an xlsx workbook: give it a"),
        (b"PAR1\x15\x04", "is a Parquet file: give it a .parquet name"),
        (b"", "is empty"),
        (b" \r\n", "holds white space only"),
    ],
)
def test_a_file_given_as_a_workbook_that_is_not_one_says_what_it_is(
    tmp_path: Path, content: bytes, said: str
) -> None:
    _said_of(tmp_path / "matches.xlsx", content, f"matches.xlsx: {said}")


def _said_of(path: Path, content: bytes, said: str) -> None:
    path.write_bytes(content)
    (line,) = _errors(path, "matches")
    assert line.startswith(said), line


def test_an_opendocument_or_a_cut_workbook_says_what_it_is(tmp_path: Path) -> None:
    ods = tmp_path / "matches.xlsx"
    _zip(ods, {"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": ""})
    assert _errors(ods, "matches") == [
        "matches.xlsx: is an OpenDocument spreadsheet (.ods): save it as .xlsx, or as CSV UTF-8"
    ]
    whole = tmp_path / "whole.xlsx"
    _workbook(whole, {"Sheet1": [["match_id"], ["M1"]]})
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(whole.read_bytes()[:-200])  # a copy that stopped short
    (line,) = _errors(cut, "matches")
    assert line.startswith("cut.xlsx: is cut short or damaged (its zip archive is not whole)")


def test_a_workbook_with_an_odd_mimetype_member_is_still_read(tmp_path: Path) -> None:
    """Only a zip that cannot be opened is said to be damaged: a member the zip reader
    cannot read (here one stated compressed in a way it lacks) is calamine's to judge."""
    path = tmp_path / "matches.xlsx"
    rows = [line.split(",") for line in CANONICAL.splitlines()]
    _workbook(path, {"Sheet1": [[cell or None for cell in row] for row in rows]})
    with zipfile.ZipFile(path, "a") as book:
        book.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    raw = bytearray(path.read_bytes())
    local = raw.rfind(b"PK\x03\x04")  # the appended member's local header: deflate64 (9)
    raw[local + 8 : local + 10] = (9).to_bytes(2, "little")
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 10 : central + 12] = (9).to_bytes(2, "little")
    path.write_bytes(bytes(raw))
    with pytest.raises(NotImplementedError):  # the zip reader cannot read that member
        zipfile.ZipFile(path).read("mimetype")
    table = read_table(path, "matches")
    assert table.frame["match_id"].to_list() == [row[0] for row in rows[1:]]


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ((DATA / "encrypted.xlsx").read_bytes(), "is password-protected"),
        ((DATA / "old.xls").read_bytes(), "is an old Excel .xls workbook"),
        (b"<table><tr><td>match_id</td></tr></table>", "is a web page (HTML)"),
        (_XMLSS, "is an XML Spreadsheet 2003 file"),
    ],
)
def test_an_office_file_named_csv_says_what_it_is(
    tmp_path: Path, content: bytes, said: str
) -> None:
    _said_of(tmp_path / "matches.csv", content, f"matches.csv:1: {said}")


def test_an_opendocument_file_named_csv_says_what_it_is(tmp_path: Path) -> None:
    path = tmp_path / "matches.csv"
    _zip(path, {"mimetype": "application/vnd.oasis.opendocument.spreadsheet"})
    assert _errors(path, "matches") == [
        "matches.csv:1: is an OpenDocument spreadsheet (.ods): save it as .xlsx, or as CSV UTF-8"
    ]


def test_a_csv_whose_first_cell_starts_with_a_tag_is_read(tmp_path: Path) -> None:
    """Only a web page's own first tag makes a file HTML: not a header cell such as <no>, nor
    a <table> inside a quoted cell."""
    path = tmp_path / "matches.csv"
    text = CANONICAL.replace("match_id,", "<no>,match_id,", 1)
    rows = text.splitlines()
    rows = [rows[0], *(f'"rich <table> text",{row}' for row in rows[1:])]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    table = read_table(path, "matches")
    assert table.n_rows == len(rows) - 1


def test_an_xlsx_sheet_with_date_cells_reads_as_the_canonical_table(tmp_path: Path) -> None:
    header = EXPORT_HEADER.split(",")
    rows: list[list[Any]] = []
    for row in EXPORT_ROWS:
        cells: list[Any] = list(row[:3])
        for text in row[3:6]:  # real date cells, as Excel stores them
            cells.append(dt.datetime.strptime(text, "%m/%d/%Y").date() if text else None)
        cells += row[6:]
        rows.append(cells)
    path = tmp_path / "export.xlsx"
    # a title row and a blank row above the header, as exports often have: not on row 1
    _workbook(path, {"Notes": [["x"]], "Matches": [["Match export"], [], header, *rows]})
    spec = TableSpec(sheet="Matches", columns=EXPORT_SPEC.columns, values=EXPORT_SPEC.values)
    with pytest.raises(mentorstd.BundleError) as info:
        read_table(path, "matches", display="export.xlsx", spec=spec)
    # the title row is taken as the header: the row that holds the columns is named
    assert "the header row seems to be line 3" in info.value.lines()[0]
    _workbook(path, {"Notes": [["x"]], "Matches": [header, [], *rows]})
    table = read_table(path, "matches", spec=spec)
    assert table.frame.equals(_canonical(tmp_path))
    # the blank sheet row 2 is skipped: the rows are on sheet rows 3, 4, 5
    assert [table.line_of(i) for i in range(3)] == [3, 4, 5]


def test_a_bad_xlsx_cell_is_located_at_its_sheet_row(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    rows = [r.split(",") for r in CANONICAL.splitlines()]
    rows[2][3] = "someday"
    _workbook(path, {"Sheet1": [rows[0], [], *rows[1:]]})
    assert _errors(path, "matches") == [
        "export.xlsx:4:4: start_date: 'someday' is not a date (YYYY-MM-DD)"
    ]
    assert _errors(path, "matches", spec=TableSpec(sheet="Matchs"))[0] == (
        "export.xlsx: no sheet 'Matchs' in the workbook (sheets: 'Sheet1')"
    )


def test_parquet_reads_as_the_canonical_table(tmp_path: Path) -> None:
    canonical = _canonical(tmp_path)
    path = tmp_path / "matches.parquet"
    canonical.write_parquet(path)  # real date columns: read back as the same dates
    assert read_table(path, "matches").frame.equals(canonical)


def test_parquet_lists_are_ignored_or_a_located_error(tmp_path: Path) -> None:
    path = tmp_path / "matches.parquet"
    canonical = _canonical(tmp_path)
    canonical.with_columns(tags=pl.lit(["a", "b"])).write_parquet(path)
    assert read_table(path, "matches").frame.equals(canonical)  # an extra column of lists
    canonical.with_columns(pl.col("mentor_id").map_elements(lambda v: [v])).write_parquet(path)
    with pytest.raises(mentorstd.BundleError) as info:
        read_table(path, "matches", display="data/matches.parquet")
    assert info.value.lines() == [
        "data/matches.parquet:1:2: mentor_id: column 'mentor_id' holds List(String) values; "
        "mentorstd reads one plain value a cell: text, a number, a date or true/false"
    ]


def _typed_rows() -> list[list[Any]]:
    """The canonical matches with real dates (a blank date is None)."""
    rows = [r.split(",") for r in CANONICAL.splitlines()]
    return [rows[0]] + [
        [v if i not in (3, 4, 5) or not v else dt.date.fromisoformat(v) for i, v in enumerate(r)]
        for r in rows[1:]
    ]


def test_xlsx_date_cells_read_as_their_dates_whatever_the_date_format(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    rows = _typed_rows()
    rows[2][4] = "02/03/2026"  # a text date among the date cells, as the spec's format gives it
    _workbook(path, {"Sheet1": rows})
    table = read_table(path, "matches", spec=TableSpec(date_format="%m/%d/%Y"))
    assert table.frame.equals(_canonical(tmp_path))


def test_a_date_format_with_a_time_reads_text_date_cells_and_parquet_dates(
    tmp_path: Path,
) -> None:
    spec = TableSpec(date_format="%m/%d/%Y %H:%M")
    path = tmp_path / "export.xlsx"
    rows = _typed_rows()
    rows[2][4] = "02/03/2026 00:00"  # a text date among the date cells
    _workbook(path, {"Sheet1": rows})
    assert read_table(path, "matches", spec=spec).frame.equals(_canonical(tmp_path))
    parquet = tmp_path / "matches.parquet"
    _canonical(tmp_path).write_parquet(parquet)
    assert read_table(parquet, "matches", spec=spec).frame.equals(_canonical(tmp_path))


def test_xlsx_columns_keep_their_sheet_letters_when_column_a_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    rows = [r.split(",") for r in CANONICAL.splitlines()]
    rows[2][3] = "someday"
    _workbook(path, {"Sheet1": [[None, None, *row] for row in rows]})  # from column C
    assert _errors(path, "matches") == [
        "export.xlsx:3:6: start_date: 'someday' is not a date (YYYY-MM-DD)"
    ]


def test_excel_serial_numbers_are_named_also_under_a_date_format(tmp_path: Path) -> None:
    path = tmp_path / "matches.csv"
    path.write_text(CANONICAL.replace("2025-01-10", "45667").replace("2025-02-03", "45691"))
    (line, *_) = _errors(path, "matches", spec=TableSpec(date_format="%Y-%m-%d"))
    assert line.startswith("matches.csv:2:4: start_date: '45667' is not a date in date_format")
    assert "most dates here look like Excel date serial numbers" in line


def test_excel_serial_numbers_in_a_date_column_are_named(tmp_path: Path) -> None:
    # number cells holding day counts (a date column that lost its format), one bad text date
    path = tmp_path / "export.xlsx"
    rows = _typed_rows()
    for row, serial in zip(rows[1:], (45667, 45691, 45717), strict=True):
        row[3] = serial
    rows[3][3] = "2025-13-45"
    _workbook(path, {"Sheet1": rows})
    (line,) = _errors(path, "matches")
    assert line.startswith("export.xlsx:2:4: start_date: '45667' is not a date (YYYY-MM-DD); ")
    assert "most dates here look like Excel date serial numbers" in line


def test_an_xlsx_header_below_title_rows_is_pointed_at(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    rows = [r.split(",") for r in CANONICAL.splitlines()]
    _workbook(path, {"Sheet1": [["Matches export"], [], ["run on", "2026-01-01"], *rows]})
    assert _errors(path, "matches") == [
        "export.xlsx:1: the header row seems to be line 4: remove the lines above it (missing "
        "from this row: match_id, mentor_id, mentee_id, start_date and 3 more)"
    ]


def _parquet(tmp_path: Path, frame: pl.DataFrame) -> Path:
    path = tmp_path / "matches.parquet"
    frame.write_parquet(path)
    return path


def test_parquet_reads_as_an_xlsx_sheet_of_the_same_values_would(tmp_path: Path) -> None:
    canonical = _canonical(tmp_path)
    dates = ["start_date", "planned_end_date", "end_date"]
    # datetimes at midnight (as pandas writes dates), a blank row, and an ignored column of
    # durations; then the same with the dates given in the spec's format
    typed = canonical.with_columns(pl.col(dates).cast(pl.Datetime("ms")))
    typed = pl.concat([typed, typed.clear(1)]).with_columns(
        spent=pl.duration(hours=pl.int_range(0, 4))
    )
    assert read_table(_parquet(tmp_path, typed), "matches").frame.equals(canonical)
    spec = TableSpec(date_format="%d.%m.%Y")
    assert read_table(_parquet(tmp_path, typed), "matches", spec=spec).frame.equals(canonical)
    satisfaction = pl.DataFrame(
        {
            "respondent_id": ["R1", "R2", "R3"],
            "role": ["mentor", "mentee", "parent"],
            "date": [dt.date(2025, 6, 1)] * 3,
            "reports_success": ["yes", "no", None],
            "satisfaction": [4.0, None, 5.0],  # whole numbers in a float column, as pandas
        }
    )
    path = tmp_path / "surveys.parquet"
    satisfaction.write_parquet(path)
    assert read_table(path, "surveys")["satisfaction"].to_list() == [4, None, 5]


def test_parquet_floats_are_said_without_an_exponent(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {"person_id": ["P1", "P2"], "role": ["mentor"] * 2, "date": ["2025-01-10"] * 2}
    ).with_columns(hours=pl.Series([1e-7, 2e20]), phase=pl.lit("ongoing"))
    path = tmp_path / "training.parquet"
    frame.write_parquet(path)
    assert _errors(path, "training") == [
        "training.parquet:2:4: hours: '200000000000000000000' is above the maximum 100"
    ]


def test_parquet_values_with_no_text_form_are_a_located_error_not_a_crash(
    tmp_path: Path,
) -> None:
    canonical = _canonical(tmp_path)
    bad = canonical.with_columns(pl.duration(days=pl.int_range(0, 3)).alias("mentor_id"))
    assert _errors(_parquet(tmp_path, bad), "matches") == [
        "matches.parquet:1:2: mentor_id: column 'mentor_id' holds Duration(time_unit='us') "
        "values; mentorstd reads one plain value a cell: text, a number, a date or true/false"
    ]
    binary = canonical.with_columns(notes=pl.lit(b"\xff\xfe", pl.Binary))  # not ours: ignored
    assert read_table(_parquet(tmp_path, binary), "matches").frame.equals(canonical)
    binary = canonical.with_columns(pl.lit(b"\xff", pl.Binary).alias("mentor_id"))
    assert _errors(_parquet(tmp_path, binary), "matches")[0].startswith(
        "matches.parquet:1:2: mentor_id: column 'mentor_id' holds bytes that are not UTF-8 text"
    )
    empty = _parquet(tmp_path, pl.DataFrame())
    assert _errors(empty, "matches")[0] == "matches.parquet:1: match_id: missing column 'match_id'"


def test_enumerations_take_case_spaces_and_synonyms(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    rows = ["Volunteer", "LITTLE", " Guardian ", "youth", "Big", "mentor", "Parent"]
    path.write_text(
        "match_id,date,with\n"
        + "".join(f"M1,2025-01-{i + 1:02d},{w}\n" for i, w in enumerate(rows)),
        encoding="utf-8",
    )
    table = read_table(path, "contacts")
    assert table["with"].to_list() == [
        "mentor",
        "mentee",
        "parent",
        "mentee",
        "mentor",
        "mentor",
        "parent",
    ]


def test_training_phase_and_yes_no_synonyms(tmp_path: Path) -> None:
    path = tmp_path / "training.csv"
    path.write_text(
        "person_id,role,date,hours,phase\n"
        "A1,Volunteer,2025-01-01,2,Pre-Match\n"
        "A1,mentor,2025-01-02,1,PREMATCH\n"
        "A1,mentor,2025-01-03,1,On Going\n",
        encoding="utf-8",
    )
    assert read_table(path, "training")["phase"].to_list() == ["pre-match", "pre-match", "ongoing"]
    path = tmp_path / "surveys.csv"
    path.write_text(
        "respondent_id,role,date,satisfaction,reports_success\nR1,Youth,,,Y\nR2,mentee,,,TRUE\nR3,mentee,,,No\n",
        encoding="utf-8",
    )
    assert read_table(path, "surveys")["reports_success"].to_list() == ["yes", "yes", "no"]


def test_numbers_and_dates_stay_strict(tmp_path: Path) -> None:
    path = tmp_path / "training.csv"
    path.write_text(
        "person_id;role;date;hours;phase\nA1;mentor;2025-01-01;1,5;ongoing\n", encoding="utf-8"
    )
    assert _errors(path, "training") == [
        "training.csv:2:4: hours: '1,5' is not a number (write a decimal point, not a comma)"
    ]
    path = tmp_path / "matches.csv"
    path.write_text(CANONICAL.replace("2025-01-10", "2025-1-10"), encoding="utf-8")
    assert _errors(path, "matches") == [
        "matches.csv:2:4: start_date: '2025-1-10' is not a date (YYYY-MM-DD)"
    ]


def test_a_missing_column_names_the_closest_header(tmp_path: Path) -> None:
    path = tmp_path / "matches.csv"
    path.write_text(CANONICAL.replace("mentor_id", "Volunteer ID"), encoding="utf-8")
    assert _errors(path, "matches") == [
        "matches.csv:1: mentor_id: missing column 'mentor_id' (did you mean 'Volunteer ID'? "
        "map it with `columns: {mentor_id: Volunteer ID}`)"
    ]
    spec = TableSpec(columns={"mentor_id": "Volunter ID"})
    assert _errors(path, "matches", spec=spec)[0].startswith(
        "matches.csv:1: mentor_id: missing column 'mentor_id': `columns:` maps it to "
        "'Volunter ID', which is not in the header (did you mean 'Volunteer ID'?"
    )


def test_a_value_map_gone_wrong_shows_the_file_s_own_value(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text("match_id,date,with\nM1,2025-01-10,Volunteer\nM1,2025-01-11,Little\n")
    spec = TableSpec(values={"with": {"Volunteer": "mentr"}})  # a typo in the map
    assert _errors(path, "contacts", spec=spec) == [
        "contacts.csv:2:3: with: 'Volunteer' (read as 'mentr' through `values:`) is not one of "
        "mentor, mentee, parent (other words for these go under `values:` in the table spec)"
    ]


def test_two_columns_mapped_to_one_header_are_said_as_such(tmp_path: Path) -> None:
    path = tmp_path / "matches.csv"
    path.write_text(
        CANONICAL.replace("mentor_id", "Volunteer ID").replace("mentee_id", "Youth ID"),
        encoding="utf-8",
    )
    spec = TableSpec(columns={"mentor_id": "Volunteer ID", "mentee_id": "Volunteer ID"})
    assert _errors(path, "matches", spec=spec) == [
        "matches.csv: mentee_id: columns maps both 'mentor_id' and 'mentee_id' to "
        "'Volunteer ID'; a header is one column: map one of them to another header"
    ]


# -- bundles: profiles and the self-assessment sheet -------------------------------------------


def _bundle(tmp_path: Path, data: dict[str, Any], **extra: Any) -> Path:
    folder = tmp_path / "program"
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "documents").mkdir(exist_ok=True)
    (folder / "documents" / "policy.md").write_text("policy\n", encoding="utf-8")
    body = {
        "bundle_version": 1,
        "program": {
            "name": "Test",
            "model": "community",
            "period": {"start": "2025-01-01", "end": "2025-12-31"},
        },
        "documents": [{"id": "policy", "kind": "screening-policy", "path": "documents/policy.md"}],
        "data": data,
        **extra,
    }
    (folder / "bundle.yaml").write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return folder


PROFILE = {
    "matches": {
        "date_format": "%m/%d/%Y",
        "columns": dict(EXPORT_SPEC.columns),
        "values": {k: dict(v) for k, v in EXPORT_SPEC.values.items()},
    }
}


def test_a_profile_serves_a_short_form_path_and_inline_keys_win(tmp_path: Path) -> None:
    folder = _bundle(
        tmp_path,
        {"matches": "data/matches.csv", "profile": "profile.yaml"},
    )
    (folder / "profile.yaml").write_text(yaml.safe_dump(PROFILE), encoding="utf-8")
    (folder / "data" / "matches.csv").write_bytes(b"\xef\xbb\xbf" + _export().encode())
    bundle = mentorstd.load_bundle(folder)
    assert bundle.tables["matches"].frame.equals(_canonical(tmp_path))
    assert any("Case Worker Notes" in note for note in bundle.warnings)
    # the same file with ISO dates: an inline date_format wins over the profile's
    iso = _export().replace("01/10/2025", "2025-01-10")
    (folder / "data" / "matches.csv").write_text(iso, encoding="utf-8")
    inline = {"path": "data/matches.csv", "date_format": "%Y-%m-%d"}
    folder = _bundle(tmp_path, {"matches": inline, "profile": "profile.yaml"})
    with pytest.raises(mentorstd.BundleError) as info:
        mentorstd.load_bundle(folder)
    assert info.value.lines()[0].startswith(
        "data/matches.csv:2:5: planned_end_date: '12/10/2025' is not a date in date_format "
        "'%Y-%m-%d'; most of these read in '%m/%d/%Y': is that the file's date format?; 2 more "
        "rows like it, at lines 3, 4"
    )


@pytest.mark.parametrize("date_format", ["hello", "%Q/%d/%Y", "%m/%d", "%H:%M"])
def test_a_date_format_that_cannot_read_a_date_is_said_alone(
    tmp_path: Path, date_format: str
) -> None:
    # said in the profile, and the tables are not read without it (their columns would all
    # seem missing)
    folder = _bundle(tmp_path, {"matches": "data/matches.csv", "profile": "profile.yaml"})
    profile = {**PROFILE, "matches": {**PROFILE["matches"], "date_format": date_format}}
    (folder / "profile.yaml").write_text(yaml.safe_dump(profile), encoding="utf-8")
    (folder / "data" / "matches.csv").write_text(_export(), encoding="utf-8")
    with pytest.raises(mentorstd.BundleError) as info:
        mentorstd.load_bundle(folder)
    (line,) = info.value.lines()
    assert line.startswith("profile.yaml:")
    assert "not a date format that reads a whole date" in line
    assert "use strftime codes for the year, month and day" in line


def test_a_date_format_polars_reads_otherwise_than_python_says_so_without_warnings(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    folder = _bundle(tmp_path, {"matches": "data/matches.csv", "profile": "profile.yaml"})
    date_format = "%Y-%m-%dT%H:%M:%S.%f"  # Python's strftime; chrono writes %.f
    profile = {**PROFILE, "matches": {**PROFILE["matches"], "date_format": date_format}}
    (folder / "profile.yaml").write_text(yaml.safe_dump(profile), encoding="utf-8")
    (folder / "data" / "matches.csv").write_text(_export(), encoding="utf-8")
    result = cli("validate", str(folder), "-F", "eepm")
    assert result.exit_code == 2
    assert "Warning" not in result.stderr
    (line,) = [x for x in result.stderr.splitlines() if "profile.yaml:" in x]
    assert "not a date format as polars reads one: Detected the pattern `.%f`" in line
    assert "Use `%.f` instead." in line


def test_a_date_format_polars_cannot_read_back_shows_what_it_writes(tmp_path: Path) -> None:
    folder = _bundle(tmp_path, {"matches": "data/matches.csv", "profile": "profile.yaml"})
    profile = {**PROFILE, "matches": {**PROFILE["matches"], "date_format": "%Y-%m-%d %H"}}
    (folder / "profile.yaml").write_text(yaml.safe_dump(profile), encoding="utf-8")
    (folder / "data" / "matches.csv").write_text(_export(), encoding="utf-8")
    with pytest.raises(mentorstd.BundleError) as info:
        mentorstd.load_bundle(folder)
    (line,) = info.value.lines()
    assert (
        "not a date format that reads a whole date (polars writes 31 October 2024 as "
        "'2024-10-31 00' and cannot read it back)" in line
    )


def test_an_unquoted_yes_in_a_value_map_is_said_to_need_quotes(tmp_path: Path) -> None:
    folder = _bundle(tmp_path, {"matches": "data/matches.csv", "profile": "profile.yaml"})
    (folder / "profile.yaml").write_text(
        "matches:\n  values:\n    closure_reason:\n      yes: completed\n", encoding="utf-8"
    )
    (folder / "data" / "matches.csv").write_text(CANONICAL, encoding="utf-8")
    with pytest.raises(mentorstd.BundleError) as info:
        mentorstd.load_bundle(folder)
    (line,) = info.value.lines()
    assert line.startswith("profile.yaml:4:7: ")
    assert line.endswith("(YAML reads an unquoted yes, no, on or off as true or false: quote it)")


def test_a_date_format_with_a_time_is_a_date_format(tmp_path: Path) -> None:
    folder = _bundle(tmp_path, {"matches": "data/matches.csv", "profile": "profile.yaml"})
    profile = {**PROFILE, "matches": {**PROFILE["matches"], "date_format": "%m/%d/%Y %H:%M"}}
    (folder / "profile.yaml").write_text(yaml.safe_dump(profile), encoding="utf-8")
    export = _export()
    for row in EXPORT_ROWS:
        for date in row[3:6]:
            if date:
                export = export.replace(f",{date},", f",{date} 00:00,", 1)
    (folder / "data" / "matches.csv").write_text(export, encoding="utf-8")
    assert mentorstd.load_bundle(folder).tables["matches"].frame.equals(_canonical(tmp_path))


def test_a_profile_key_that_is_not_a_column_is_located_in_the_profile(tmp_path: Path) -> None:
    folder = _bundle(tmp_path, {"matches": "data/matches.csv", "profile": "profile.yaml"})
    (folder / "profile.yaml").write_text(
        "matches:\n  columns:\n    match_no: Match ID\n", encoding="utf-8"
    )
    # the table is not read with a map gone wrong: the mistake is said once, where it is
    (folder / "data" / "matches.csv").write_text(CANONICAL.replace("match_id", "Match ID"))
    with pytest.raises(mentorstd.BundleError) as info:
        mentorstd.load_bundle(folder)
    (line,) = info.value.lines()
    assert line.startswith(
        "profile.yaml:3:5: matches.columns.match_no: 'match_no' is not a column of matches "
        "(did you mean 'match_id'? columns: match_id, mentor_id"
    )


def test_a_value_mapped_to_blank_where_one_is_required_is_shown(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text("match_id,date,with\nM1,2025-01-10,Volunteer\nM1,2025-01-11,mentee\n")
    spec = TableSpec(values={"with": {"Volunteer": ""}})
    assert _errors(path, "contacts", spec=spec) == [
        "contacts.csv:2:3: with: a value is required (`values:` makes 'Volunteer' blank)"
    ]


SHEET = (
    "requirement,title,status,evidence,note\r\n"
    "eepm:B.2.1,Screening policy,Implemented,policy,\r\n"
    "eepm:B.2.2,Application,,,\r\n"
    "ima:II-1,Screening,partial, policy ; ,in review\r\n"
)


def test_the_practices_sheet_means_what_yaml_practices_mean(tmp_path: Path) -> None:
    folder = _bundle(tmp_path, {"practices": "self-assessment.csv"})
    (folder / "self-assessment.csv").write_text(SHEET, encoding="utf-8", newline="")
    from_sheet = mentorstd.load_bundle(folder).practices
    yaml_folder = tmp_path / "yaml"
    yaml_folder.mkdir()
    twin = _bundle(
        yaml_folder,
        {},
        practices=[
            {"requirement": "eepm:B.2.1", "status": "implemented", "evidence": ["policy"]},
            {
                "requirement": "ima:II-1",
                "status": "partial",
                "evidence": ["policy"],
                "note": "in review",
            },
        ],
    )
    assert from_sheet == mentorstd.load_bundle(twin).practices  # the blank status: not assessed


def test_a_requirement_attested_in_both_places_names_both(tmp_path: Path) -> None:
    folder = _bundle(
        tmp_path,
        {"practices": "self-assessment.csv"},
        practices=[{"requirement": "ima:II-1", "status": "implemented"}],
    )
    (folder / "self-assessment.csv").write_text(SHEET, encoding="utf-8", newline="")
    with pytest.raises(mentorstd.BundleError) as info:
        mentorstd.load_bundle(folder)
    manifest = (folder / "bundle.yaml").read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(manifest, 1) if "requirement: ima:II-1" in text)
    column = manifest[line - 1].index("requirement") + 1
    assert info.value.lines() == [
        "self-assessment.csv:4:1: requirement: ima:II-1 is attested twice: here and in "
        f"bundle.yaml:{line}:{column} (practices[0]); keep one"
    ]


def test_the_cli_shows_notes_and_assesses_an_export(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    folder = _bundle(tmp_path, {"matches": "data/matches.csv", "profile": "profile.yaml"})
    (folder / "profile.yaml").write_text(yaml.safe_dump(PROFILE), encoding="utf-8")
    (folder / "data" / "matches.csv").write_bytes(b"\xef\xbb\xbf" + _export().encode())
    result = cli("validate", str(folder), "--framework", "eepm", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [
        "mentorstd: note: data/matches.csv: ignored 1 column that nothing maps to: "
        "'Case Worker Notes'"
    ]


def test_a_sheet_note_that_looks_personal_is_refused(tmp_path: Path) -> None:
    folder = _bundle(tmp_path, {"practices": "self-assessment.csv"})
    sheet = SHEET.replace("in review", "ask jane.doe@example.org")
    (folder / "self-assessment.csv").write_text(sheet, encoding="utf-8", newline="")
    with pytest.raises(mentorstd.BundleError) as info:
        mentorstd.load_bundle(folder)
    assert info.value.lines()[0].startswith(
        "self-assessment.csv:4:5: note: text looks like it contains an e-mail address"
    )
    assert mentorstd.load_bundle(folder, allow_personal_data=True).practices


def test_excel_date_serials_say_to_format_the_column_as_dates(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    rows = [r.split(",") for r in CANONICAL.splitlines()]
    body: list[list[Any]] = [rows[0]]
    for row in rows[1:]:  # the start date as a bare number, as Excel stores an unformatted date
        start = dt.date.fromisoformat(row[3])
        body.append([*row[:3], (start - dt.date(1899, 12, 30)).days, *row[4:]])
    _workbook(path, {"Matches": body})
    (line,) = _errors(path, "matches")
    assert line.startswith("export.xlsx:2:4: start_date: '45667' is not a date (YYYY-MM-DD); ")
    assert "Excel date serial numbers" in line


def test_a_bad_table_spec_is_located_in_the_manifest(tmp_path: Path) -> None:
    folder = _bundle(
        tmp_path, {"matches": {"path": "data/matches.csv", "colums": {"match_id": "Match ID"}}}
    )
    (folder / "data" / "matches.csv").write_text(CANONICAL, encoding="utf-8")
    with pytest.raises(mentorstd.BundleError) as info:
        mentorstd.load_bundle(folder)
    (line,) = info.value.lines()
    assert line.startswith("bundle.yaml:") and line.endswith(
        "data.matches.colums: unknown field 'colums' (did you mean 'columns'?)"
    )
    folder = _bundle(tmp_path, {"matches": {"path": "data/matches.csv", "sheet": "Matches"}})
    with pytest.raises(mentorstd.BundleError) as info:
        mentorstd.load_bundle(folder)
    assert info.value.lines()[0].endswith(
        "data.matches.path: `sheet:` is for an xlsx workbook, and 'data/matches.csv' is not one"
    )


def test_a_sheet_id_without_its_framework_names_the_ids_meant(tmp_path: Path) -> None:
    folder = _bundle(tmp_path, {"practices": "self-assessment.csv"})
    sheet = "requirement,status\nB.2.1,implemented\n"
    (folder / "self-assessment.csv").write_text(sheet, encoding="utf-8")
    with pytest.raises(mentorstd.BundleError) as info:
        mentorstd.load_bundle(folder)
    assert info.value.lines() == [
        "self-assessment.csv:2:1: requirement: unknown requirement 'B.2.1' "
        "(did you mean 'eepm:B.2.1'?)"
    ]


@pytest.mark.parametrize("role", ["mentee", "Mentee"])
def test_a_value_map_is_applied_once_whatever_else_is_mapped(tmp_path: Path, role: str) -> None:
    # a reverse-coded scale: 1 <-> 5; applied twice it would undo itself. "Mentee" makes the
    # reader map another column (role) leniently, which must not map satisfaction again.
    from mentorstd.tables import TableSpec, read_table

    path = tmp_path / "surveys.csv"
    path.write_text(
        "respondent_id,role,match_id,date,satisfaction,reports_success\n"
        f"A1,mentor,,2026-01-01,1,yes\nA2,{role},,2026-01-01,5,yes\n",
        encoding="utf-8",
    )
    spec = TableSpec(
        values={"satisfaction": {"1": "5", "2": "4", "4": "2", "5": "1"}, "reports_success": {}}
    )
    table = read_table(path, "surveys", spec=spec)
    assert table.frame.select("role", "satisfaction").rows() == [("mentor", 5), ("mentee", 1)]


def test_a_value_map_may_name_a_choice_in_any_case(tmp_path: Path) -> None:
    from mentorstd.tables import TableSpec, read_table

    path = tmp_path / "surveys.csv"
    path.write_text(
        "respondent_id,role,match_id,date,satisfaction,reports_success\n"
        "A1,M,,2026-01-01,4,yes\nA2,Y,,2026-01-01,5,yes\n",
        encoding="utf-8",
    )
    spec = TableSpec(values={"role": {"M": "Mentor", "Y": "Youth"}})
    table = read_table(path, "surveys", spec=spec)
    assert table["role"].to_list() == ["mentor", "mentee"]  # Youth is a synonym of mentee


def _profile_errors(tmp_path: Path, profile: str) -> list[str]:
    """The problems of a bundle whose matches (CANONICAL) are read through ``profile``."""
    folder = _bundle(tmp_path, {"matches": "data/matches.csv", "profile": "profile.yaml"})
    (folder / "profile.yaml").write_text(profile, encoding="utf-8")
    (folder / "data" / "matches.csv").write_text(CANONICAL, encoding="utf-8")
    with pytest.raises(mentorstd.BundleError) as info:
        mentorstd.load_bundle(folder)
    return info.value.lines()


def test_value_keys_that_are_one_value_mapped_apart_are_refused_where_they_are(
    tmp_path: Path,
) -> None:
    profile = (
        "matches:\n  values:\n    closure_reason:\n"
        "      Completed: completed\n      'completed ': mentor-withdrew\n"
        # mapped alike: no matter which applies
        "      Moved: family-withdrew\n      MOVED: family-withdrew\n"
    )
    assert _profile_errors(tmp_path, profile) == [
        "profile.yaml:5:7: matches.values.closure_reason.completed : 'completed ' and "
        "'Completed' are one value once case and spacing are set aside, as values are matched, "
        "but are mapped to 'mentor-withdrew' and 'completed'; map them to one value"
    ]


def test_two_columns_mapped_to_one_header_are_refused_in_the_profile(tmp_path: Path) -> None:
    profile = "matches:\n  columns:\n    start_date: Start\n    end_date: ' Start'\n"
    assert _profile_errors(tmp_path, profile) == [
        "profile.yaml:4:5: matches.columns.end_date: maps 'end_date' to ' Start', as it maps "
        "'start_date': a header gives one column; map 'end_date' to a header of its own"
    ]


def test_headers_values_and_maps_match_whichever_unicode_form_they_are_typed_in(
    tmp_path: Path,
) -> None:
    import unicodedata

    def nfd(text: str) -> str:  # é as e and an accent, as macOS writes names
        return unicodedata.normalize("NFD", text)

    path = tmp_path / "training.csv"
    path.write_text(
        f"person_id,role,{nfd('Fecha de Sesión')},hours,phase\n"
        f"A1,{nfd('Mentoría')},2025-01-10,1,ongoing\n",
        encoding="utf-8",
    )
    spec = TableSpec(
        columns={"date": "Fecha de Sesión"},  # typed as one character each
        values={"role": {"Mentoría": "mentor"}},
    )
    table = read_table(path, "training", spec=spec)
    assert table.frame.row(0, named=True)["role"] == "mentor"
    assert table.positions["date"] == 3


def _without_saved_values(path: Path, empty: str = "", typed: bool = True) -> None:
    """Drop the saved value of every formula cell of the workbook, as a program that writes
    formulas without calculating them leaves it: no value, or ``empty`` in its place (openpyxl
    writes ``<v />``, and no type: not ``typed``)."""
    import re
    import zipfile

    members = {}
    with zipfile.ZipFile(path) as book:
        for name in book.namelist():
            members[name] = book.read(name)
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    sheet = re.sub(r"(</f>)<v>[^<]*</v>", r"\1" + empty, sheet)
    if not typed:
        sheet = re.sub(r' t="(?:str|e)"', "", sheet)
    members["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as book:
        for name, data in members.items():
            book.writestr(name, data)


def test_xlsx_error_cells_and_formulas_without_a_value_read_as_what_they_hold(
    tmp_path: Path,
) -> None:
    path = tmp_path / "matches.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for r, line in enumerate(CANONICAL.splitlines()):
        sheet.write_row(r, 0, line.split(","))
    sheet.write_formula("F4", '=VLOOKUP("M3",A2:A3,1,FALSE)', None, "#N/A")  # an error
    sheet.write_formula("G3", '=IF(F3="","","mentor-withdrew")', None, "mentor-withdrew")
    book.close()
    # a formula with its saved value reads as that value; an error as its text, not blank
    assert _errors(path, "matches") == [
        "matches.xlsx:4:6: end_date: '#N/A' is not a date (YYYY-MM-DD)"
    ]
    written = path.read_bytes()
    hint = (
        "; it is a formula with no saved value (a program that does not calculate wrote the "
        "workbook): open it in a spreadsheet program and save it again"
    )
    # as written by a program that does not calculate: no value, or an empty one closed on
    # itself (openpyxl); not an empty value written out, which is an empty result
    for empty, typed in (("", True), ("<v />", False), ("<v/>", False)):
        path.write_bytes(written)
        _without_saved_values(path, empty, typed)
        reason, end = _errors(path, "matches")
        assert reason.startswith(
            'matches.xlsx:3:7: closure_reason: \'=IF(F3="","","mentor-withdrew")\' is not one '
        )
        assert reason.endswith(hint)
        assert end == (
            "matches.xlsx:4:6: end_date: '=VLOOKUP(\"M3\",A2:A3,1,FALSE)' is not a date "
            f"(YYYY-MM-DD){hint}"
        )
    # an empty text result: written out (xlsxwriter), or closed on itself in a text cell
    for empty in ("<v></v>", "<v/>"):
        path.write_bytes(written)
        _without_saved_values(path, empty)
        frame = read_table(path, "matches").frame if empty == "<v></v>" else None
        if frame is not None:
            assert frame["end_date"][2] is None and frame["closure_reason"][1] is None
        else:  # (the error cell, t="e", with no value is no result: only it is said)
            (line,) = _errors(path, "matches")
            assert line.startswith("matches.xlsx:4:6: end_date: '=VLOOKUP(")


def test_a_date_cell_holding_a_time_of_day_reads_as_its_date(tmp_path: Path) -> None:
    canonical = _canonical(tmp_path)
    dates = ["start_date", "planned_end_date", "end_date"]
    # a time of day, and a fraction of a second (as a float day number may hold)
    at = pl.datetime(2000, 1, 1, 9, 15, 0, 1000).dt.time()
    timed = canonical.with_columns(pl.col(dates).dt.combine(at))
    assert read_table(_parquet(tmp_path, timed), "matches").frame.equals(canonical)
    path = tmp_path / "matches.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet, stamp = book.add_worksheet(), book.add_format({"num_format": "mm/dd/yyyy hh:mm"})
    for c, name in enumerate(canonical.columns):
        sheet.write(0, c, name)
        for r, value in enumerate(timed.get_column(name).to_list(), start=1):
            if isinstance(value, dt.datetime):
                sheet.write_datetime(r, c, value, stamp)
            elif value is not None:
                sheet.write(r, c, value)
    book.close()
    for spec in (None, TableSpec(date_format="%m/%d/%Y %H:%M"), TableSpec(date_format="%d.%m.%Y")):
        assert read_table(path, "matches", spec=spec).frame.equals(canonical)


def test_xlsx_columns_right_of_the_last_filled_one_are_no_columns(tmp_path: Path) -> None:
    path = tmp_path / "matches.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for r, line in enumerate(CANONICAL.splitlines()):
        sheet.write_row(r, 0, line.split(","))
    sheet.write_string(2, 16383, " ")  # a cell cleared with a space, in column XFD
    sheet.write_formula(0, 3000, '=""', None, "")  # an empty formula in the header row
    book.close()
    assert read_table(path, "matches").frame.equals(_canonical(tmp_path))


def test_parquet_decimals_read_without_their_trailing_zeros(tmp_path: Path) -> None:
    import decimal

    path = tmp_path / "screening.parquet"
    pl.DataFrame(
        {
            "mentor_id": ["A1", "A2"],
            "application_date": [dt.date(2025, 1, 2)] * 2,
            "interview_date": [dt.date(2025, 1, 9)] * 2,
            "background_check_date": [dt.date(2025, 1, 20)] * 2,
            "references_checked": pl.Series(
                [decimal.Decimal("3.00"), decimal.Decimal("20.00")], dtype=pl.Decimal(10, 2)
            ),
        }
    ).write_parquet(path)
    assert read_table(path, "screening")["references_checked"].to_list() == [3, 20]
    values = pl.Series([decimal.Decimal("2.50"), decimal.Decimal("0.00")], dtype=pl.Decimal(10, 2))
    from mentorstd.tables import _parquet_text

    text = _parquet_text(values, None)
    assert text is not None and text.to_list() == ["2.5", "0"]


def test_xlsx_header_problems_are_located_at_the_header_row(tmp_path: Path) -> None:
    path = tmp_path / "matches.xlsx"
    rows = [r.split(",") for r in CANONICAL.splitlines()]
    header = [*rows[0][:3], "Began", *rows[0][4:], "Match ID"]  # a second match_id column
    _workbook(path, {"Sheet1": [[], [], [], header, *rows[1:]]})
    missing, doubled = _errors(path, "matches")
    assert doubled == (
        "matches.xlsx:4:8: match_id: columns 'match_id' and 'Match ID' are both 'match_id'"
    )
    assert missing.startswith("matches.xlsx:4: start_date: missing column 'start_date'")


@pytest.mark.parametrize(
    ("dates", "date_format", "hint"),
    [
        (
            ["22/03/2026", "13/04/2026", "03/04/2026"],
            "%m/%d/%Y",
            "; most of these read in '%d/%m/%Y': is that the file's date format? (if so, the "
            "dates it did read, those whose day is 12 or less, were read with day and month "
            "swapped)",
        ),
        (
            ["2026-03-22", "2026-04-13", "2026-04-03"],
            "%m/%d/%Y",
            "; most of these are ISO dates (YYYY-MM-DD), which need no date_format",
        ),
        (
            ["2026/03/22", "2026/04/13", "2026/04/03"],
            "%d/%m/%Y",
            "; most of these read in '%Y/%m/%d': is that the file's date format?",
        ),
    ],
)
def test_dates_a_date_format_refuses_say_the_format_they_read_in(
    tmp_path: Path, dates: list[str], date_format: str, hint: str
) -> None:
    path = tmp_path / "training.csv"
    rows = "".join(f"A{i},mentor,{d},1,ongoing\n" for i, d in enumerate(dates))
    path.write_text("person_id,role,date,hours,phase\n" + rows, encoding="utf-8")
    first, *_ = _errors(path, "training", spec=TableSpec(date_format=date_format))
    assert hint + ";" in first  # then how many more rows are like it


@pytest.mark.parametrize("first", ["empty", "chart"])
def test_an_empty_or_chart_first_sheet_names_the_sheet_that_holds_the_table(
    tmp_path: Path, first: str
) -> None:
    """A workbook's empty Sheet1, or a dashboard's chart sheet, before the data: a located
    error naming the sheet to set, not an internal error."""
    path = tmp_path / "matches.xlsx"
    book = xlsxwriter.Workbook(str(path))
    if first == "empty":
        book.add_worksheet("Sheet1")
    data = book.add_worksheet("Matches")
    for r, line in enumerate(CANONICAL.splitlines()):
        data.write_row(r, 0, line.split(","))
    if first == "chart":
        chart = book.add_chart({"type": "column"})
        chart.add_series({"values": "=Matches!$A$2:$A$3"})
        book.add_chartsheet("Sheet1").set_chart(chart)
        book.worksheets_objs.insert(0, book.worksheets_objs.pop())  # the chart sheet first
    book.close()
    assert _errors(path, "matches") == [
        "matches.xlsx:1: the first sheet, 'Sheet1', is read when the table spec names no sheet, "
        "and it holds no cells (an empty sheet, or a chart); the sheet 'Matches' has the "
        "table's columns: set `sheet: 'Matches'`"
    ]
    assert _errors(path, "matches", spec=TableSpec(sheet="Sheet1")) == [
        "matches.xlsx:1: empty sheet: expected a header row"
    ]


def test_two_digit_years_under_a_four_digit_format_are_said_so(tmp_path: Path) -> None:
    path = tmp_path / "training.csv"
    path.write_text("person_id,role,date,hours,phase\nA1,mentor,12/08/25,1,ongoing\n")
    (line,) = _errors(path, "training", spec=TableSpec(date_format="%m/%d/%Y"))
    assert line == (
        "training.csv:2:3: date: '12/08/25' is out of range (1900-01-01 to 2100-12-31); most of "
        "these read in '%m/%d/%y': is that the file's date format?"
    )


def test_a_workbook_whose_first_sheet_is_not_the_table_names_the_sheet_that_is(
    tmp_path: Path,
) -> None:
    path = tmp_path / "matches.xlsx"
    rows = [r.split(",") for r in CANONICAL.splitlines()]
    _workbook(path, {"Cover": [["Matches export"], ["run on 2025-12-31"]], "Matches": rows})
    assert _errors(path, "matches") == [
        "matches.xlsx:1: the first sheet, 'Cover', is read when the table spec names no sheet, "
        "and it lacks the table's columns; the sheet 'Matches' has them: set `sheet: 'Matches'`"
    ]
    assert read_table(path, "matches", spec=TableSpec(sheet="Matches")).frame.equals(
        _canonical(tmp_path)
    )


def test_xlsx_values_under_a_blank_header_cell_are_said_to_be_ignored(tmp_path: Path) -> None:
    path = tmp_path / "matches.xlsx"
    rows = [r.split(",") for r in CANONICAL.splitlines()]
    rows[0] += ["", "Notes"]
    rows[2] += ["moved away", "x"]  # under no header, then under an ignored one
    _workbook(path, {"Sheet1": rows})
    table = read_table(path, "matches", display="matches.xlsx")
    assert table.frame.equals(_canonical(tmp_path))
    assert table.notes == [
        "matches.xlsx: ignored 1 column that nothing maps to: 'Notes'",
        "matches.xlsx: ignored the values of column H, whose header cell is blank",
    ]


_ACCENTED = CANONICAL.replace(",completed", ",Déménagement")


@pytest.mark.parametrize(
    ("data", "encoding", "said", "fix"),
    [
        (CANONICAL.encode("utf-8"), "utf-16", "is not UTF-16 text (no byte-order mark, no NUL", ""),
        (
            b"\xef\xbb\xbf" + CANONICAL.encode("utf-8"),
            "utf-16",
            "is UTF-8 text (it starts with",
            ": remove `encoding:`",
        ),
        (CANONICAL.encode("utf-16"), "cp1252", "is UTF-16 text", ": set `encoding: utf-16`"),
        # UTF-8 without a byte-order mark, stated to be cp1252: every é would read as 'Ã©'
        (
            _ACCENTED.encode("utf-8"),
            "cp1252",
            "is UTF-8 text (its letters beyond ASCII are written as UTF-8 writes them)",
            ": remove `encoding:`",
        ),
    ],
)
def test_a_file_plainly_in_another_encoding_than_stated_says_which(
    tmp_path: Path, data: bytes, encoding: str, said: str, fix: str
) -> None:
    path = tmp_path / "matches.csv"
    path.write_bytes(data)
    (line,) = _errors(path, "matches", spec=TableSpec(encoding=encoding))
    assert line.startswith(f"matches.csv:1: {said}")
    assert line.endswith(f"though its table spec says `encoding: {encoding}`{fix}")


def test_a_cp1252_file_is_read_as_cp1252(tmp_path: Path) -> None:
    """Its é is one byte, which UTF-8 never writes alone: not taken for UTF-8."""
    path = tmp_path / "matches.csv"
    path.write_bytes(_ACCENTED.encode("cp1252"))
    spec = TableSpec(encoding="cp1252", values={"closure_reason": {"Déménagement": "completed"}})
    assert read_table(path, "matches", spec=spec).frame.equals(_canonical(tmp_path))


@pytest.mark.parametrize("name", ["Windows-1252", "latin-1", "ISO-8859-1", "CP1252"])
def test_encoding_names_are_taken_in_any_spelling_python_knows(tmp_path: Path, name: str) -> None:
    spec = {
        "path": "data/matches.csv",
        "encoding": name,
        "values": {"closure_reason": {"Complété": "completed"}},
    }
    folder = _bundle(tmp_path, {"matches": spec})
    export = CANONICAL.replace(",completed", ",Complété")
    (folder / "data" / "matches.csv").write_bytes(export.encode("cp1252"))
    table = mentorstd.load_bundle(folder).tables["matches"]
    assert table.frame.equals(_canonical(tmp_path))
    assert table.spec.encoding == "cp1252"


def test_an_encoding_not_taken_lists_the_ones_that_are(tmp_path: Path) -> None:
    folder = _bundle(tmp_path, {"matches": {"path": "data/matches.csv", "encoding": "koi8-r"}})
    (folder / "data" / "matches.csv").write_text(CANONICAL, encoding="utf-8")
    with pytest.raises(mentorstd.BundleError) as info:
        mentorstd.load_bundle(folder)
    (line,) = info.value.lines()
    assert "encoding" in line
    assert "'utf-8', 'utf-16' or 'cp1252'" in line


def test_a_placeholder_for_no_value_is_said_with_the_map_that_blanks_it(tmp_path: Path) -> None:
    path = tmp_path / "matches.csv"
    path.write_text(CANONICAL.replace("2026-03-01,,", "2026-03-01,N/A,n/a"), encoding="utf-8")
    assert _errors(path, "matches") == [
        "matches.csv:4:6: end_date: 'N/A' is not a date (YYYY-MM-DD); if it stands for no "
        "value, map it to blank in the table spec: `values: {end_date: {'N/A': ''}}`",
        "matches.csv:4:7: closure_reason: 'n/a' is not one of completed, mentor-withdrew, "
        "mentee-withdrew, family-withdrew, rematched, program-ended, other (other words for "
        "these go under `values:` in the table spec); if it stands for no value, map it to "
        "blank in the table spec: `values: {closure_reason: {'n/a': ''}}`",
    ]
    # the map it gives blanks the value, also in another case
    spec = TableSpec(values={"end_date": {"n/a": ""}, "closure_reason": {"N/A": ""}})
    assert read_table(path, "matches", spec=spec).frame.equals(_canonical(tmp_path))
    # a column that must hold a value gets no such advice
    path.write_text(CANONICAL.replace("Y2,2025-02-03", "Y2,N/A"), encoding="utf-8")
    (line,) = _errors(path, "matches")
    assert "map it to blank" not in line


def test_an_xlsx_duration_cell_in_a_number_column_says_to_format_it_as_a_number(
    tmp_path: Path,
) -> None:
    path = tmp_path / "training.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["person_id", "role", "phase", "date", "hours"])
    sheet.write_row(1, 0, ["A1", "mentor", "pre-match", "2025-01-05"])
    sheet.write_number(1, 4, 1.5 / 24, book.add_format({"num_format": "[h]:mm"}))  # 1:30
    sheet.write_row(2, 0, ["A2", "mentor", "pre-match", "2025-01-05", 2])
    book.close()
    assert _errors(path, "training") == [
        "training.xlsx:2:5: hours: '1899-12-31' is not a number (the cell is formatted as a "
        "time or a date: format the column as numbers, hours as a decimal, 1.5 for 1:30)"
    ]


def test_a_value_with_a_space_at_its_start_or_end_is_said_to_have_one(tmp_path: Path) -> None:
    path = tmp_path / "matches.csv"
    path.write_text(CANONICAL.replace("M2,A2,Y2,2025-02-03", "M2, A2,Y2,2025-02-03 "), "utf-8")
    assert _errors(path, "matches") == [
        "matches.csv:3:2: mentor_id: ' A2' is not a valid id (letters, digits and ._:/#- only; "
        "pseudonymous ids, never names); it starts or ends with a space, which is kept: "
        "remove it",
        "matches.csv:3:4: start_date: '2025-02-03 ' is not a date (YYYY-MM-DD); it starts or "
        "ends with a space, which is kept: remove it",
    ]


def _spec_lines(tmp_path: Path, spec: dict[str, Any]) -> list[str]:
    folder = _bundle(tmp_path, {"matches": {"path": "data/matches.csv", **spec}})
    (folder / "data" / "matches.csv").write_text(CANONICAL, encoding="utf-8")
    with pytest.raises(mentorstd.BundleError) as info:
        mentorstd.load_bundle(folder)
    return [line.split(": ", 1)[1] for line in info.value.lines()]  # without the place


def test_maps_written_the_wrong_way_round_say_how_they_are_written(tmp_path: Path) -> None:
    spec = {
        "columns": {"Volunteer ID": "mentor_id"},
        "values": {"closure_reason": {"Done": "complete", "completed": "Done"}},
    }
    assert _spec_lines(tmp_path, spec) == [
        "data.matches.columns.Volunteer ID: 'Volunteer ID' is not a column of matches: a "
        "`columns:` map names our column first, then the file's header: `mentor_id: Volunteer ID`",
        # every target is checked where it is written, not at the rows it would reach
        "data.matches.values.closure_reason.Done: maps 'Done' to 'complete', which is not one of "
        "completed, mentor-withdrew, mentee-withdrew, family-withdrew, rematched, program-ended, "
        "other (did you mean 'completed'?)",
        "data.matches.values.closure_reason.completed: maps 'completed' to 'Done', which is not "
        "one of completed, mentor-withdrew, mentee-withdrew, family-withdrew, rematched, "
        "program-ended, other: a `values:` map names the file's value first, then ours: "
        "`Done: completed`",
    ]


def test_a_values_map_of_the_wrong_shape_says_how_it_is_written(tmp_path: Path) -> None:
    spec = {"values": {"Successful Match Closure": "completed", "end_date": {"n/a": 5}}}
    assert _spec_lines(tmp_path, spec) == [
        "data.matches.values.Successful Match Closure: 'Successful Match Closure' is not one of "
        "our columns: `values:` gives each of our columns a map of its own, as `values: "
        "{closure_reason: {Successful Match Closure: completed}}`",
        "data.matches.values.end_date.n/a: 5 is not text: write it in quotes, as '5' (a "
        "`values:` map gives our values as text)",
    ]


def test_a_values_map_to_a_choice_in_its_own_words_is_taken(tmp_path: Path) -> None:
    """A target in another case, or a synonym, stands for its choice (as at the rows)."""
    folder = _bundle(
        tmp_path,
        {
            "matches": {
                "path": "data/matches.csv",
                "values": {"closure_reason": {"Done": "Completed", "Left": ""}},
            }
        },
    )
    text = CANONICAL.replace(",completed", ",Done")
    (folder / "data" / "matches.csv").write_text(text, encoding="utf-8")
    bundle = mentorstd.load_bundle(folder)
    assert bundle.tables["matches"]["closure_reason"].to_list()[0] == "completed"


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_missing_column_and_the_cells_of_the_others_are_said_in_one_run(
    tmp_path: Path, kind: str
) -> None:
    """The header is the file's header, one of ours is not in it: the other columns' cells
    are checked in the same run."""
    text = CANONICAL.replace("start_date", "Match Start").replace("M2,", "M 2,")
    text = text.replace(",completed", ",moved")
    path = tmp_path / f"matches.{kind}"
    if kind == "csv":
        path.write_text(text, encoding="utf-8")
    else:
        _workbook(path, {"Sheet1": [row.split(",") for row in text.splitlines()]})
    lines = _errors(path, "matches")
    assert [line.split(": ", 2)[1] for line in lines] == [
        "start_date",
        "closure_reason",
        "match_id",
    ]
    assert lines[0].startswith(f"matches.{kind}:1: start_date: missing column 'start_date'")
    assert lines[1].startswith(f"matches.{kind}:2:7: closure_reason: 'moved' is not one of")
    assert lines[2].startswith(f"matches.{kind}:3:1: match_id: 'M 2' is not a valid id")


def test_a_table_missing_the_column_others_refer_to_says_they_are_not_checked(
    tmp_path: Path,
) -> None:
    folder = _bundle(tmp_path, {"matches": "data/matches.csv", "contacts": "data/contacts.csv"})
    (folder / "data" / "matches.csv").write_text(
        CANONICAL.replace("match_id", "Match Number"), encoding="utf-8"
    )
    (folder / "data" / "contacts.csv").write_text(
        "match_id,date,with\nM9,2025-03-01,mentor\n", encoding="utf-8"
    )
    with pytest.raises(mentorstd.BundleError) as info:
        mentorstd.load_bundle(folder)
    assert info.value.lines()[1:] == [
        "data/contacts.csv: match_id: not checked against data/matches.csv, which has problems "
        "(see above); run again once it is fixed"
    ]


@pytest.mark.parametrize(
    ("dates", "date_format", "found"),
    [
        # European dates and SQL or pandas timestamps, with no date_format: what to set
        (["08.12.2025", "31.01.2025"], None, "%d.%m.%Y"),
        (["2025-12-08 00:00:00", "2025-01-31 00:00:00"], None, "%Y-%m-%d %H:%M:%S"),
        (["6/30/2025 9:00:00", "1/31/2025 13:05:00"], None, "%m/%d/%Y %H:%M:%S"),
        # a Google Sheets timestamp under a date-only format
        (["6/30/2025 9:00:00", "1/31/2025 13:05:00"], "%m/%d/%Y", "%m/%d/%Y %H:%M:%S"),
    ],
)
def test_dates_in_a_common_format_say_the_date_format_to_set(
    tmp_path: Path, dates: list[str], date_format: str | None, found: str
) -> None:
    path = tmp_path / "training.csv"
    rows = "".join(f"A{i},mentor,{d},1,ongoing\n" for i, d in enumerate(dates))
    path.write_text("person_id,role,date,hours,phase\n" + rows, encoding="utf-8")
    (line,) = _errors(path, "training", spec=TableSpec(date_format=date_format))
    if date_format is None:
        hint = f"most dates here read in {found!r}: set `date_format: {found!r}` in the table spec"
    else:
        hint = f"most of these read in {found!r}: is that the file's date format?"
    assert line.endswith(f"; {hint}; 1 more row like it, at line 3"), line
    table = read_table(path, "training", spec=TableSpec(date_format=found))
    assert table["date"].dt.year().to_list() == [2025, 2025]


def test_a_values_map_message_fits_the_mistake(tmp_path: Path) -> None:
    """A typo of a choice is a typo, though the file's value reads as a choice; a column's
    entry that is no map says so, and a key that is no column gives an example from the
    table's own columns."""
    spec = {"values": {"closure_reason": {"Other": "othr"}}}
    assert _spec_lines(tmp_path, spec) == [
        "data.matches.values.closure_reason.Other: maps 'Other' to 'othr', which is not one of "
        "completed, mentor-withdrew, mentee-withdrew, family-withdrew, rematched, program-ended, "
        "other (did you mean 'other'?)"
    ]
    assert _spec_lines(tmp_path, {"values": {"closure_reason": "completed"}}) == [
        "data.matches.values.closure_reason: `values:` gives 'closure_reason' a map of the "
        "file's values to ours, as `values: {closure_reason: {Their value: completed}}`"
    ]
