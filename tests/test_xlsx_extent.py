"""A workbook whose cells reach far is refused before calamine lays the sheet out.

calamine builds a dense grid from a sheet's first to its last filled cell: one value in cell
XFD200001 of a 5 KB file asks for 104 GB, and the allocation aborts the process. These tests
read such workbooks in a child process, so that a guard that lets one through fails the test
instead of ending the test run.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

import mentorstd
from mentorstd._xlsx import MAX_SHEET_CELLS, check_extent

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEADER = [
    *("match_id", "mentor_id", "mentee_id"),
    *("start_date", "planned_end_date", "end_date", "closure_reason"),
]
ROW = ["M1", "A1", "Y1", "2025-01-10", "2025-12-10", "2025-12-10", "completed"]


def _read_in_child(path: Path) -> tuple[int, str]:
    """Exit status and output of reading the matches table in ``path`` in a child process."""
    code = (
        "import sys, mentorstd\n"
        "from pathlib import Path\n"
        "from mentorstd.tables import read_table\n"
        "try:\n"
        "    table = read_table(Path(sys.argv[1]), 'matches', display='matches.xlsx')\n"
        "except mentorstd.BundleError as err:\n"
        "    print('\\n'.join(err.lines())); sys.exit(2)\n"
        "print(table.frame.height, 'rows')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout + done.stderr


def _with_sheet(path: Path, xml: str | bytes) -> Path:
    """A workbook of one sheet whose XML is ``xml`` (the rest as xlsxwriter writes it)."""
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("matches").write_row(0, 0, HEADER)
    book.close()
    with zipfile.ZipFile(path) as old:
        members = {name: old.read(name) for name in old.namelist()}
    members["xl/worksheets/sheet1.xml"] = xml.encode() if isinstance(xml, str) else xml
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for name, data in members.items():
            new.writestr(name, data)
    return path


def _sheet(rows: str, prefix: str = "") -> str:
    p = f"{prefix}:" if prefix else ""
    xmlns = f"xmlns:{prefix}" if prefix else "xmlns"
    head = "".join(
        f'<{p}c r="{chr(65 + i)}1" t="inlineStr"><{p}is><{p}t>{h}</{p}t></{p}is></{p}c>'
        for i, h in enumerate(HEADER)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><{p}worksheet {xmlns}="{MAIN}">'
        f'<{p}sheetData><{p}row r="1">{head}</{p}row>{rows}</{p}sheetData></{p}worksheet>'
    )


def _refusal(path: Path) -> str:
    with pytest.raises(mentorstd.BundleError) as info:
        check_extent(path.read_bytes(), None, path.name)
    (line,) = info.value.lines()
    return line


def test_one_value_far_from_the_table_is_refused_with_where_it_is(tmp_path: Path) -> None:
    path = tmp_path / "matches.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("matches")
    sheet.write_row(0, 0, HEADER)
    sheet.write_row(1, 0, ROW)
    sheet.write_string(200000, 16383, " ")  # a cell "cleared" with a space, far away
    book.close()
    assert path.stat().st_size < 10_000
    status, output = _read_in_child(path)
    assert status == 2, output
    assert output.strip() == (
        "matches.xlsx: the sheet's filled cells reach from A1 to XFD200001: 200,001 rows by "
        "16,384 columns, 3,276,816,384 cells, more than mentorstd lays out (33,554,432); "
        "clear the cells outside the table (a value far to the right or below, even a space) "
        "and save the workbook again"
    )


def test_a_far_cell_with_only_a_style_is_no_filled_cell(tmp_path: Path) -> None:
    path = tmp_path / "matches.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("matches")
    sheet.write_row(0, 0, HEADER)
    sheet.write_row(1, 0, ROW)
    sheet.write_blank(200000, 16383, None, book.add_format({"bold": True}))  # calamine skips
    book.close()
    assert _read_in_child(path) == (0, "1 rows\n")


def test_a_sheet_wider_than_26_columns_is_read(tmp_path: Path) -> None:
    path = tmp_path / "matches.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("matches")
    extra = [f"q{i:02d}" for i in range(33)]  # columns to column AN
    sheet.write_row(0, 0, HEADER + extra)
    for r in range(1, 2001):
        sheet.write_row(r, 0, [f"M{r}", f"A{r}", f"Y{r}", *ROW[3:], *range(33)])
    book.close()
    assert check_extent(path.read_bytes(), None, "matches.xlsx") is False
    assert _read_in_child(path) == (0, "2000 rows\n")


@pytest.mark.parametrize(
    ("rows", "prefix"),
    [
        ('<x:row r="200001"><x:c r="XFD200001"><x:v>1</x:v></x:c></x:row>', "x"),
        ('<row r="200001"><c s="0" r="XFD200001"><v>1</v></c></row>', ""),  # r not first
        ('<row r="200001"><c t=">" r="XFD200001"><v>1</v></c></row>', ""),  # a > in a value
        ('<row r="200001"><c r="xfd200001"><v>1</v></c></row>', ""),  # lower case
        ('<row r="200001"><c r="XFD200001" t="n"><v>1</v></c></row>', ""),
        (
            '<row r="2"><c r="A2"><v>1</v></c></row><row r="3"><c r="A1048576"><v>1</v></c>'
            '</row><row r="4"><c r="AH4"><v>1</v></c></row>',
            "",
        ),  # far apart, each near
    ],
)
def test_far_cells_are_found_however_the_xml_writes_them(
    tmp_path: Path, rows: str, prefix: str
) -> None:
    path = _with_sheet(tmp_path / "matches.xlsx", _sheet(rows, prefix))
    assert "more than mentorstd lays out" in _refusal(path)


def test_cells_without_references_are_placed_right_of_the_one_before(tmp_path: Path) -> None:
    many = "<c><v>1</v></c>" * 20_000  # 20,000 columns in row 2, none naming its place
    rows = f'<row r="2">{many}</row><row r="5000"><c r="A5000"><v>1</v></c></row>'
    path = _with_sheet(tmp_path / "matches.xlsx", _sheet(rows))
    assert _refusal(path).startswith(
        "matches.xlsx: the sheet's filled cells reach from A1 to ACOF5000: 5,000 rows by "
        "20,000 columns, 100,000,000 cells"
    )


@pytest.mark.parametrize(
    ("corner", "refused"),
    [("Z999999", False), ("AF1048576", False), ("AG1048576", True), ("A1048577", False)],
)
def test_the_bound_is_the_range_s_cell_count(tmp_path: Path, corner: str, refused: bool) -> None:
    assert MAX_SHEET_CELLS == 32 * 1_048_576
    row = corner.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    rows = f'<row r="{row}"><c r="{corner}"><v>1</v></c></row>'
    path = _with_sheet(tmp_path / "matches.xlsx", _sheet(rows))
    if refused:
        assert "1,048,576 rows by 33 columns, 34,603,008 cells" in _refusal(path)
    else:
        check_extent(path.read_bytes(), None, path.name)


def test_cells_written_again_and_again_count_each_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mentorstd._xlsx.MAX_SHEET_CELLS", 100)
    rows = '<row r="2">' + '<c r="A2"><v>1</v></c>' * 120 + "</row>"  # one place, 120 times
    path = _with_sheet(tmp_path / "matches.xlsx", _sheet(rows))
    assert _refusal(path) == (
        "matches.xlsx: the sheet holds 127 filled cells, more than mentorstd reads (100)"
    )


def test_bytes_that_are_not_utf8_do_not_hide_a_far_cell(tmp_path: Path) -> None:
    rows = '<row r="200001"><c r="XFD200001" t="inlineStr"><is><t>BAD</t></is></c></row>'
    xml = _sheet(rows).encode().replace(b"BAD", b"\xff")
    path = _with_sheet(tmp_path / "matches.xlsx", xml)
    assert "reach from A1 to XFD200001" in _refusal(path)


def test_a_sheet_in_utf16_is_refused_plainly(tmp_path: Path) -> None:
    path = _with_sheet(tmp_path / "matches.xlsx", _sheet("").encode("utf-16"))
    assert _refusal(path) == (
        "matches.xlsx: the sheet's XML is in UTF-16, which mentorstd does not read; open the "
        "workbook in a spreadsheet program and save it again as xlsx"
    )


def test_a_far_sheet_is_no_hint_for_a_first_sheet_without_the_table(tmp_path: Path) -> None:
    path = tmp_path / "matches.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Cover").write_row(0, 0, ["Exported from CaseWorks"])
    far = book.add_worksheet("matches")
    far.write_row(0, 0, HEADER)
    far.write_string(200000, 16383, " ")
    book.close()
    status, output = _read_in_child(path)
    assert status == 2, output
    assert "missing column 'match_id'" in output
    assert "sheet 'matches' has them" not in output
