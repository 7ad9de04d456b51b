"""A workbook whose cells reach far is refused before calamine lays the sheet out.

calamine builds a dense grid from a sheet's first to its last filled cell: one value in cell
XFD200001 of a 5 KB file asks for 104 GB, and the allocation aborts the process. These tests
read such workbooks in a child process, so that a guard that lets one through fails the test
instead of ending the test run.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest
import xlsxwriter
from hypothesis import event, given, settings
from hypothesis import strategies as st

import mentorstd
from mentorstd._xlsx import (
    MAX_SHEET_CELLS,
    check_extent,
    check_workbook,
    column_letters,
    column_number,
)

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


def _table_and_far_cell(path: Path, *, style_only: bool = False) -> Path:
    """The matches table, and cell XFD200001 holding a space (a cell "cleared" with one) or,
    with ``style_only``, nothing but a format."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("matches")
    sheet.write_row(0, 0, HEADER)
    sheet.write_row(1, 0, ROW)
    if style_only:
        sheet.write_blank(200000, 16383, None, book.add_format({"bold": True}))
    else:
        sheet.write_string(200000, 16383, " ")
    book.close()
    return path


def test_one_value_far_from_the_table_is_refused_with_where_it_is(tmp_path: Path) -> None:
    path = _table_and_far_cell(tmp_path / "matches.xlsx")
    assert path.stat().st_size < 10_000
    status, output = _read_in_child(path)
    assert status == 2, output
    assert output.strip() == (
        "matches.xlsx: the sheet's filled cells reach from A1 to XFD200001: 200,001 rows by "
        "16,384 columns, 3,276,816,384 cells, more than mentorstd lays out (16,777,216); "
        "clear the cells outside the table (a value far to the right or below, even a space) "
        "and save the workbook again, or save a table this large as CSV"
    )


def test_a_far_cell_with_only_a_style_is_no_filled_cell(tmp_path: Path) -> None:
    path = _table_and_far_cell(tmp_path / "matches.xlsx", style_only=True)  # calamine skips it
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
        ('<row r="200001"><c r="XFD200001" t="n"><v>1</v></c></row>', ""),
        (
            '<row r="2"><c r="A2"><v>1</v></c></row><row r="3"><c r="A1048576"><v>1</v></c>'
            '</row><row r="4"><c r="AH4"><v>1</v></c></row>',
            "",
        ),  # far apart, each near
        ('<row r="2"><c r="XFD0000200001"><v>1</v></c></row>', ""),  # leading zeros
    ],
)
def test_far_cells_are_found_however_the_xml_writes_them(
    tmp_path: Path, rows: str, prefix: str
) -> None:
    path = _with_sheet(tmp_path / "matches.xlsx", _sheet(rows, prefix))
    assert "more than mentorstd lays out" in _refusal(path)


# Cell tags whose place depends on how calamine reads the XML (found by a tester: each one
# got past an earlier guard that read such tags itself, and aborted the process).
TEN = "<c><v>1</v></c>" + "<c/>" * 8 + "<c><v>1</v></c>"  # ten columns, no references
ODD_CELLS = [
    ('<row r="400000000">' + TEN + "</row>", "<c><v>"),  # no reference: the row tag places it
    ('<row r="2"><c s="0" r="XFD200001"><v>1</v></c></row>', '<c s="0" r="XFD200001">'),
    ('<row r="2"><c t=">" r="XFD200001"><v>1</v></c></row>', '<c t=">'),
    ('<row r="2"><c r="xfd200001"><v>1</v></c></row>', '<c r="xfd200001">'),
    ('<row r="2"><c r="A2" r="XFD1000000"><v>1</v></c></row>', '<c r="A2" r="XFD1000000">'),
    ('<row r="2"><c r="A2" t=">" r="XFD1000000"><v>1</v></c></row>', '<c r="A2" t=">'),
    ('<row r="2"><c foo=\' r="A2"\' r="XFD1000000"><v>1</v></c></row>', "<c foo="),
    ('<row r="2"><c x:r="A2" r="XFD1000000"><v>1</v></c></row>', '<c x:r="A2"'),
    ('<row r="2"><c r="&#x58;FD1000000"><v>1</v></c></row>', '<c r="&#x58;FD1000000">'),
    ('<row r="2"><c r="A2"x="1"><v>1</v></c></row>', '<c r="A2"x="1">'),
    ('<row r="2"><c\nr="XFD2"><v>1</v></c></row>', "<c\nr="),
    ("<a></row>" * 1000 + "<row>" + TEN + "</row>", "<c><v>"),  # calamine counts </row>
    ('<row r="2">' + "<c/>" * 200_000 + "</row>", "<c/>"),  # many cells to place one by one
    # a quote that no '=' opens is part of a name to quick_xml (found by a fifth tester)
    ('<row r="2"><c r="B2" a"=\'x\' r="XFD200001" b"=\'y\'><v>1</v></c></row>', '<c r="B2" a"='),
    ('<row r="2"><c r="B2" a\'="x" r="XFD200001" b\'="y"><v>1</v></c></row>', '<c r="B2" a\'='),
]


@pytest.mark.parametrize(("rows", "shown"), ODD_CELLS)
def test_a_cell_tag_calamine_might_place_elsewhere_is_refused_saying_which(
    tmp_path: Path, rows: str, shown: str
) -> None:
    path = _with_sheet(tmp_path / "matches.xlsx", _sheet(rows))
    line = _refusal(path)
    assert line.startswith(f"matches.xlsx: the sheet writes a cell as {shown!r}"[:-1]), line
    assert line.endswith(
        'a form mentorstd does not read (it reads cells written <c r="A1" ...>, as spreadsheet '
        "programs write them); open the workbook in a spreadsheet program and save it again"
    )


@pytest.mark.parametrize(
    ("corner", "refused"),
    [
        ("Z599999", False),  # within the first look's range
        ("Z600000", False),  # measured
        ("AZ299999", False),
        ("CZ159999", False),
        ("ZZ19999", False),
        ("P1048576", False),
        ("Q1048576", True),
        ("A1048577", False),
    ],
)
def test_the_bound_is_the_range_s_cell_count(tmp_path: Path, corner: str, refused: bool) -> None:
    assert MAX_SHEET_CELLS == 16 * 1_048_576
    row = corner.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    rows = f'<row r="{row}"><c r="{corner}"><v>1</v></c></row>'
    path = _with_sheet(tmp_path / "matches.xlsx", _sheet(rows))
    if refused:
        assert "1,048,576 rows by 17 columns, 17,825,792 cells" in _refusal(path)
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


def test_bytes_that_are_not_utf8_are_refused(tmp_path: Path) -> None:
    rows = '<row r="200001"><c r="XFD200001" t="inlineStr"><is><t>BAD</t></is></c></row>'
    xml = _sheet(rows).encode().replace(b"BAD", b"\xff")
    path = _with_sheet(tmp_path / "matches.xlsx", xml)
    assert _refusal(path) == (
        "matches.xlsx: the sheet's XML holds bytes that are not UTF-8; open the workbook in a "
        "spreadsheet program and save it again"
    )


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


@contextlib.contextmanager
def _no_warning() -> Iterator[None]:
    yield


REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
FAR = _sheet('<row r="200001"><c r="XFD200001"><v>1</v></c></row>')
NEAR = _sheet("")


def _book(path: Path, members: list[tuple[str, str]], sheets: str, rels: str) -> Path:
    """A workbook of the given members (name, XML), ``<sheet>`` entries and relationships."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/><Override '
            'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/></Types>',
        )
        book.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{REL[:-36]}package/2006/relationships"><Relationship '
            f'Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        book.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>{sheets}</sheets></workbook>',
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{REL[:-36]}package/2006/relationships">{rels}</Relationships>',
        )
        for name, xml in members:
            book.writestr(name, xml)
    return path


def _rel(rid: str, target: str) -> str:
    return f'<Relationship Id="{rid}" Type="{REL}/worksheet" Target="{target}"/>'


ONE = '<sheet name="S1" sheetId="1" r:id="rId1"/>'


def _near_book(path: Path) -> Path:
    """A workbook of one near sheet, its parts where spreadsheet programs put them."""
    sheet = [("xl/worksheets/sheet1.xml", NEAR)]
    return _book(path, sheet, ONE, _rel("rId1", "worksheets/sheet1.xml"))


# a sheet's part found otherwise than calamine finds it (found by the same tester)
PARTS = {
    "part name in another case": (
        [("xl/worksheets/Sheet1.xml", FAR)],
        ONE,
        _rel("rId1", "worksheets/sheet1.xml"),
    ),
    "backslashes": (
        [("xl\\worksheets\\sheet1.xml", FAR)],
        ONE,
        _rel("rId1", "worksheets/sheet1.xml"),
    ),
    "an absolute target": (
        [("xl/worksheets/sheet1.xml", FAR)],
        ONE,
        _rel("rId1", "/xl/worksheets/sheet1.xml"),
    ),
    "an id besides r:id": (
        [("xl/worksheets/sheet1.xml", FAR), ("xl/worksheets/sheet2.xml", NEAR)],
        '<sheet name="S1" sheetId="1" id="rId2" r:id="rId1"/>',
        _rel("rId1", "worksheets/sheet1.xml") + _rel("rId2", "worksheets/sheet2.xml"),
    ),
    "one id twice": (
        [("xl/worksheets/sheet1.xml", FAR), ("xl/worksheets/sheet2.xml", NEAR)],
        ONE,
        _rel("rId1", "worksheets/sheet2.xml") + _rel("rId1", "worksheets/sheet1.xml"),
    ),
    "one part twice, the far one first": (
        [("xl/worksheets/sheet1.xml", FAR), ("xl/worksheets/sheet1.xml", NEAR)],
        ONE,
        _rel("rId1", "worksheets/sheet1.xml"),
    ),
}


@pytest.mark.parametrize("case", list(PARTS))
def test_every_part_that_may_hold_the_sheet_is_looked_through(tmp_path: Path, case: str) -> None:
    members, sheets, rels = PARTS[case]
    with pytest.warns(UserWarning) if "twice, the far" in case else _no_warning():
        path = _book(tmp_path / "matches.xlsx", members, sheets, rels)
    assert "more than mentorstd lays out" in _refusal(path)


def test_a_sheet_named_with_a_tab_is_found_by_its_name(tmp_path: Path) -> None:
    sheets = ONE + '<sheet name="a\tb" sheetId="2" r:id="rId2"/>'
    rels = _rel("rId1", "worksheets/sheet1.xml") + _rel("rId2", "worksheets/sheet2.xml")
    cover = _sheet("").replace(HEADER[0], "Exported from CaseWorks")  # not the table
    members = [("xl/worksheets/sheet1.xml", cover), ("xl/worksheets/sheet2.xml", FAR)]
    path = _book(tmp_path / "matches.xlsx", members, sheets, rels)
    with pytest.raises(mentorstd.BundleError):
        check_extent(path.read_bytes(), "a\tb", path.name)
    status, output = _read_in_child(path)  # the sheet hint looks at every other sheet
    assert status == 2, output
    assert "missing column 'match_id'" in output


def test_a_part_that_cannot_be_found_or_opened_is_refused(tmp_path: Path) -> None:
    missing = _book(tmp_path / "a.xlsx", [], ONE, _rel("rId1", "worksheets/sheet1.xml"))
    assert _refusal(missing) == (
        "a.xlsx: cannot find the sheet's part in the workbook as its relationships name it; "
        "open the workbook in a spreadsheet program and save it again"
    )
    members = [("xl/worksheets/sheet1.xml", NEAR)]
    path = _book(tmp_path / "b.xlsx", members, ONE, _rel("rId1", "worksheets/sheet1.xml"))
    data = bytearray(path.read_bytes())
    for signature, flags in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # "encrypted"
        at = 0
        while (at := data.find(signature, at)) != -1:
            data[at + flags] |= 1
            at += 4
    path.write_bytes(bytes(data))
    assert _refusal(path).startswith("b.xlsx: cannot be read as an xlsx workbook: File ")


def _cell_tag(draw: st.DrawFn) -> str:
    """A cell tag as a spreadsheet program writes it, or bent in one of the ways a crafted
    file may bend it."""
    col = draw(st.sampled_from([1, 2, 3, 26, 27, 32, 33, 702, 703, 16384]))
    row = draw(st.sampled_from([1, 2, 3, 50, 999_999, 1_000_000, 1_048_576, 1_048_577]))
    ref = f"{column_letters(col)}{row}"
    body = draw(st.sampled_from(["/>", "><v>1</v></c>", ' t="s"><v>0</v></c>', ' s="1"/>']))
    return draw(
        st.sampled_from(
            [
                *[f'<c r="{ref}"{body}'] * 6,
                f'<x:c r="{ref}"{body.replace("v>", "x:v>").replace("</c>", "</x:c>")}',
                f"<c{body}",
                f'<c s="1" r="{ref}"{body}',
                f'<c r="A1" r="{ref}"{body}',
                f'<c r="A1" t=">" r="{ref}"{body}',
                f'<c r="{ref.lower()}"{body}',
                f'<c\tr="{ref}"{body}',
                f"<c r='{ref}'{body}",
                f'<!-- <c r="A1"/> --><c r="{ref}"{body}',
            ]
        )
    )


@st.composite
def _sheets(draw: st.DrawFn) -> str:
    rows = []
    for number in range(1, draw(st.integers(1, 4)) + 1):
        cells = "".join(_cell_tag(draw) for _ in range(draw(st.integers(0, 4))))
        rows.append(f'<row r="{number}">{cells}</row>')
    return (
        f'<worksheet xmlns="{MAIN}" xmlns:x="{MAIN}"><sheetData>{"".join(rows)}'
        "</sheetData></worksheet>"
    )


@settings(max_examples=150, deadline=None)
@given(_sheets())
def test_a_sheet_passed_is_one_an_xml_parser_finds_within_the_bound(xml: str) -> None:
    """Whatever the regular expressions let through, an XML parser reading the same sheet
    finds every cell with one plain reference and the filled ones within the bound."""
    with tempfile.TemporaryDirectory() as folder:
        path = _with_sheet(Path(folder) / "matches.xlsx", xml)
        try:
            check_extent(path.read_bytes(), None, path.name)
        except mentorstd.BundleError:
            event("refused")
            return
    event("passed")
    rows, cols = [], []
    for cell in ElementTree.fromstring(xml).iter(f"{{{MAIN}}}c"):
        assert list(cell.attrib)[:1] == ["r"]  # its reference, first
        match = re.fullmatch(r"([A-Z]+)([0-9]+)", cell.attrib["r"])
        assert match is not None
        if len(cell):  # holds a value
            cols.append(column_number(match.group(1)))
            rows.append(int(match.group(2)))
    if rows:
        span = (max(rows) - min(rows) + 1) * (max(cols) - min(cols) + 1)
        assert span <= MAX_SHEET_CELLS


# found by a second tester: each got past the guard before it and aborted the process
@pytest.mark.parametrize("prefix", ["", "1", "-", "a/b", "a\u00a0b", 'a">"', "a</b"])
def test_a_cell_tag_with_a_prefix_xml_would_not_name_is_refused(
    tmp_path: Path, prefix: str
) -> None:
    # quick_xml's local name is what follows the first colon of the tag's name, whatever
    # comes before it (found by the second and fourth testers)
    row = f'<row r="200001"><{prefix}:c r="XFD200001"><v>1</v></c></row>'
    path = _with_sheet(tmp_path / "p.xlsx", _sheet(row))
    line = _refusal(path)
    assert repr(f"<{prefix}:c r=")[1:-1] in line, line
    assert "which may be a cell tag with a prefix mentorstd does not read, or text" in line


def test_a_second_r_right_after_a_quoted_value_is_refused(tmp_path: Path) -> None:
    row = '<row r="2"><c r="B2" t="n"r="XFD200001"><v>1</v></c></row>'  # quick_xml takes it
    path = _with_sheet(tmp_path / "matches.xlsx", _sheet(row))
    assert 'writes a cell as \'<c r="B2" t="n"r="XFD200001">\'' in _refusal(path)


def test_a_sheet_whose_every_tag_has_a_prefix_is_read(tmp_path: Path) -> None:
    rows = "".join(
        f'<x:row r="{r}"><x:c r="A{r}"><x:v>1</x:v></x:c><x:c r="AD{r}"><x:v>2</x:v></x:c></x:row>'
        for r in range(2, 50)
    )
    path = _with_sheet(tmp_path / "matches.xlsx", _sheet(rows, "x"))
    assert check_extent(path.read_bytes(), None, path.name) is False


def test_a_cell_tag_running_on_past_a_piece_is_refused(tmp_path: Path) -> None:
    # quick_xml takes a '<' in a quoted value; the sheet is looked through in 4 MB pieces
    long = '<row r="2"><c r="XFD200001" x="<' + "a" * (5 << 20) + '"><v>1</v></c></row>'
    path = _with_sheet(tmp_path / "matches.xlsx", _sheet(long))
    assert _refusal(path).startswith(
        'matches.xlsx: the sheet writes a cell as \'<c r="XFD200001" x="\', a form'
    )


def test_xml_running_on_without_a_tag_is_refused_before_it_is_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mentorstd._xlsx._MAX_RUN", 1 << 20)
    text = '<row r="2"><c r="A2" t="inlineStr"><is><t>' + "a" * (12 << 20) + "</t></is></c></row>"
    path = _with_sheet(tmp_path / "matches.xlsx", _sheet(text))
    assert _refusal(path) == (
        "matches.xlsx: the sheet's XML runs on for more than 1 MB without a tag; open the "
        "workbook in a spreadsheet program and save it again"
    )


def _workbook_refusal(path: Path) -> str:
    with pytest.raises(mentorstd.BundleError) as info:
        check_workbook(path.read_bytes(), path.name)
    (line,) = info.value.lines()
    return line


def test_workbooks_the_two_zip_readers_may_read_apart_are_refused(tmp_path: Path) -> None:
    rels = _rel("rId1", "worksheets/s&amp;1.xml")
    members = [("xl/worksheets/s&amp;1.xml", FAR), ("xl/worksheets/s&1.xml", NEAR)]
    entity = _book(tmp_path / "entity.xlsx", members, ONE, rels)
    assert _workbook_refusal(entity) == (
        "entity.xlsx: cannot be read as an xlsx workbook: a relationship of the workbook names "
        "its part with a character reference; open it in a spreadsheet program and save it "
        "again"
    )
    named = _book(
        tmp_path / "named.xlsx",
        [("xl/worksheets/sheeté.xml", NEAR)],
        ONE,
        _rel("rId1", "worksheets/sheeté.xml"),
    )
    assert "an entry's name is not ASCII ('xl/worksheets/sheeté.xml')" in _workbook_refusal(named)
    # an entry that names itself again in a Unicode path field (0x7075)
    path = _near_book(tmp_path / "upath.xlsx")
    with zipfile.ZipFile(path) as old:
        entries = [(info, old.read(info)) for info in old.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for info, data in entries:
            new.writestr(info, data)
        other = zipfile.ZipInfo("xl/worksheets/other.xml")
        name = b"xl/worksheets/sheet1.xml"
        other.extra = (0x7075).to_bytes(2, "little") + (5 + len(name)).to_bytes(2, "little")
        other.extra += b"\x01\x00\x00\x00\x00" + name
        new.writestr(other, FAR)
    assert "names itself again in a Unicode path field" in _workbook_refusal(path)


def test_shared_strings_stated_or_held_beyond_the_bound_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rels = _rel("rId1", "worksheets/sheet1.xml")
    sst = f'<sst xmlns="{MAIN}" count="4000000000" uniqueCount="4000000000"><si><t>a</t></si></sst>'
    stated = _book(
        tmp_path / "stated.xlsx",
        [("xl/worksheets/sheet1.xml", NEAR), ("xl/sharedStrings.xml", sst)],
        ONE,
        rels,
    )
    assert _workbook_refusal(stated) == (
        "stated.xlsx: the workbook holds or states 4,000,000,000 shared strings, more than "
        "mentorstd reads (8,388,608); save the sheet as CSV"
    )
    monkeypatch.setattr("mentorstd._xlsx.MAX_SHARED_STRINGS", 100)
    held = f'<sst xmlns="{MAIN}">' + "<si><t>x</t></si>" * 150 + "</sst>"
    path = _book(
        tmp_path / "held.xlsx",
        [("xl/worksheets/sheet1.xml", NEAR), ("xl/sharedStrings.xml", held)],
        ONE,
        rels,
    )
    assert "holds or states 150 shared strings" in _workbook_refusal(path)


def test_a_workbook_whose_main_part_is_elsewhere_or_too_large_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _near_book(tmp_path / "main.xlsx")
    with zipfile.ZipFile(path) as old:
        members = {info.filename: old.read(info) for info in old.infolist()}

    def rewritten(name: str, **changed: bytes) -> Path:
        with zipfile.ZipFile(tmp_path / name, "w") as new:
            for member, data in {**members, **changed}.items():
                new.writestr(member, data)
        return tmp_path / name

    # calamine reads the workbook from the folder the package's relationships name
    elsewhere = members["_rels/.rels"].replace(b"xl/workbook.xml", b"foo/workbook.xml")
    assert "its main part is not xl/workbook.xml" in _workbook_refusal(
        rewritten("elsewhere.xlsx", **{"_rels/.rels": elsewhere})
    )
    escaped = members["_rels/.rels"].replace(b"officeDocument", b"officeDocum&#101;nt")
    assert "its part '_rels/.rels' holds a character reference" in _workbook_refusal(
        rewritten("escaped.xlsx", **{"_rels/.rels": escaped})
    )
    monkeypatch.setattr("mentorstd._xlsx.MAX_WORKBOOK_PART_BYTES", 1000)
    names = b"".join(b'<definedName name="n%d">1</definedName>' % i for i in range(100))
    book = members["xl/workbook.xml"].replace(
        b"</workbook>", b"<definedNames>" + names + b"</definedNames></workbook>"
    )
    assert "its part 'xl/workbook.xml' is over 0 MB" in _workbook_refusal(
        rewritten("names.xlsx", **{"xl/workbook.xml": book})
    )


def test_text_holding_colon_c_and_attributes_on_lines_of_their_own_are_read(
    tmp_path: Path,
) -> None:
    rows = (
        '<row r="2"><c r="A2" t="inlineStr"><is><t>Ratio 3:c 1</t></is></c>'
        '<c r="B2"\n   t="inlineStr"><is><t xml:space="preserve">x:c\ty a:c 3</t></is></c>'
        "</row>"
    )
    path = _with_sheet(tmp_path / "matches.xlsx", _sheet(rows))
    assert check_extent(path.read_bytes(), None, path.name) is False
    # a '>' (and a '<') in quotes does not end a name to quick_xml (found by a sixth tester)
    for name in ('a">', "a'><>'", 'a"><>"', "a'>b"):
        quoted = f'<row r="2"><{name}:c r="XFD200001"><v>1</v></c></row>'
        path = _with_sheet(tmp_path / "quoted.xlsx", _sheet(quoted))
        assert "which may be a cell tag with a prefix" in _refusal(path), name


def test_an_archive_whose_end_record_does_not_end_the_file_is_refused(tmp_path: Path) -> None:
    path = _table_and_far_cell(tmp_path / "far.xlsx")
    harmless = _with_sheet(tmp_path / "near.xlsx", NEAR).read_bytes()
    far = bytearray(path.read_bytes())
    end = far.rfind(b"PK\x05\x06")
    far[end + 20 : end + 22] = len(harmless).to_bytes(2, "little")  # the rest is its comment
    tail = bytearray(harmless)
    last = tail.rfind(b"PK\x05\x06")
    tail[last + 20 : last + 22] = (0xFFFF).to_bytes(2, "little")  # runs past the end
    path.write_bytes(bytes(far + tail))
    assert _workbook_refusal(path) == (
        "far.xlsx: cannot be read as an xlsx workbook: its end-of-archive record does not end "
        "the file; open it in a spreadsheet program and save it again"
    )


def test_an_archive_after_other_data_is_refused(tmp_path: Path) -> None:
    # Python reads an archive shifted by data before it; the Rust zip reader does not
    path = _table_and_far_cell(tmp_path / "far.xlsx")
    path.write_bytes(b"junk" + path.read_bytes())
    assert "its central directory is not where its end-of-archive record says" in (
        _workbook_refusal(path)
    )
