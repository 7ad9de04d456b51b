"""What mentorstd reads of an xlsx sheet's XML itself, before or beside fastexcel.

fastexcel (calamine) lays a sheet out as a dense grid from its first to its last filled cell,
32 bytes a cell, before anything else happens; a 5 KB workbook with one value in cell
XFD200001 asks for 104 GB and the process aborts. :func:`check_extent` finds how far a
sheet's filled cells reach before calamine sees it, and refuses a sheet whose range would
hold more than :data:`MAX_SHEET_CELLS` cells. It reads the sheet's XML in pieces, each cut
before a ``<`` (so no tag's name is cut; a tag whose quoted value holds a ``<``, which
quick_xml takes, may be, and is refused: see :data:`_RUNS_ON`), and looks at every cell tag
with polars' regular expressions, on several pieces at once:

1. Is every cell written ``<c r="A1"`` with its column a single letter and its row below
   600,000 (26 by 599,999 is within the bound), and its reference its only ``r``? Does
   the sheet hold a formula or an error cell (for :func:`hidden_cells`)? Workbooks from
   Excel, LibreOffice, openpyxl and xlsxwriter with up to 26 columns stop here.
2. Otherwise the references of the cells that hold something give the exact range
   (``<c .../>`` holds nothing: a cell with only a style, which calamine skips), when every
   cell tag starts with its one reference (``<c r="AB12"``, also with a namespace prefix).

A cell tag written any other way (no reference, another attribute first, two references, a
character reference in one) is refused rather than guessed at: where calamine places such a
cell depends on details of its reading that the XML alone does not settle. A spreadsheet
program writes every cell the first way, so opening and saving the workbook there mends it.
The steps over-count where they are unsure (a cell tag inside a comment, an empty value), so
a sheet passed is one calamine can lay out within the bound. What cannot be read this way
(the sheet's part not found as calamine finds it, an encrypted part, UTF-16) is refused too.
:func:`check_workbook` runs before calamine opens the workbook at all (see there).

It also finds a sheet's parts in the workbook (:func:`sheet_members`) and the cells calamine
gives as blank though they hold something (:func:`hidden_cells`). Its XML parsing uses
defusedxml (no DTD, entity or external reference).
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, Any

import polars as pl
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeXml  # no DTD, entity or external reference
from defusedxml.ElementTree import ParseError

from .errors import BundleError, Problem, first_line

__all__ = [
    "MAX_SHARED_STRINGS",
    "MAX_SHEET_CELLS",
    "MAX_WORKBOOK_PART_BYTES",
    "check_extent",
    "check_workbook",
    "column_letters",
    "column_number",
    "hidden_cells",
    "not_a_workbook",
    "office_file",
    "opendocument",
    "sheet_members",
]

#: The most cells a sheet's range (from its first to its last filled row and column) may
#: span: 512 MiB of calamine's grid; 1,048,576 rows (an Excel sheet's most) by 16 columns.
MAX_SHEET_CELLS = 1 << 24
#: The most shared strings a workbook may state or hold (calamine takes about 55 bytes a
#: string, before any sheet is read).
MAX_SHARED_STRINGS = 1 << 23
#: The largest the workbook's own parts may be (``workbook.xml`` and the relationships):
#: calamine reads every sheet entry and defined name they hold as it opens the workbook.
MAX_WORKBOOK_PART_BYTES = 16 << 20

#: How much of a sheet's XML is decompressed at a time, and how many such pieces the regular
#: expressions of step 1 run over at once (on polars' threads).
_PIECE_BYTES = 4 << 20
_PIECES_AT_ONCE = 8

#: A cell tag's attributes after its reference, quoted values taken whole (a ``>`` may stand
#: in one), and another ``r`` among them, after white space or right after a quoted value
#: (quick_xml takes both): calamine would take the last.
_SECOND_R = r"(?:[^>\x22']|\x22[^\x22]*\x22|'[^']*')*?(?:\s|\x22[^\x22]*\x22|'[^']*')r\s*="
#: A cell tag's attributes after its reference with a quote that no ``=`` opens: quick_xml
#: reads it as part of a name (``a"='x' r="XFD1" b"='y'`` holds a second ``r``, where quote
#: by quote it would not seem to).
_QUOTE_IN_NAME = r"(?:[^>\x22'=]|=[ \t\r\n]*\x22[^\x22]*\x22|=[ \t\r\n]*'[^']*')*[\x22']"
#: A cell tag's attributes after its reference that hold a ``<`` (quick_xml takes one in a
#: quoted value) or reach the end of the piece: a tag that may run on past where a piece is
#: cut, which the other expressions cannot see whole.
_RUNS_ON = (
    r"(?:[^<>\x22']|\x22[^\x22<]*\x22|'[^'<]*')*"
    r"(?:<|\x22[^\x22<]*(?:<|\z)|'[^'<]*(?:<|\z)|\z)"
)
#: A cell tag, with or without a prefix as XML names one. (quick_xml's local name is what
#: follows the first colon of whatever precedes the first white space, quotes and ``>``
#: included: a cell tag with a prefix of another form is refused, see :data:`_PREFIXED`.)
_CELL = r"<(?:[A-Za-z_][A-Za-z0-9_.\-]*:)?c"
#: How a cell tag may start otherwise than ``<c r="``: a tag ending there, another first
#: attribute, white space other than one space, or the end of the piece.
_NOT_R = r"(?:[>/\t\r\n]| [^r]| r[^=]| r=[^\x22]|\z| \z| r\z| r=\z| r=\x22\z)"
#: Step 1: a cell tag not written ``<c r="`` with one letter and a row below 600,000, then a
#: space, ``>`` or ``/`` (one not found by this is within 26 columns by 599,999 rows); or
#: with a second ``r``, or running on; or a cell tag with a prefix. ``<cols>``, ``<cfRule>``
#: and the like are other tags: a letter follows their ``<c``.
_OUTSIDE = (
    r"<c"
    + _NOT_R
    + r"|<c r=\x22(?:[^A-Z]|[A-Z](?:\z|[^0-9])|[A-Z][0-9]{1,6}(?:\z|[^0-9\x22])|[A-Z][0-9]{7}"
    r"|[A-Z][6-9][0-9]{5}|[A-Z][0-9]{1,6}\x22(?:\z|[^ \t\r\n/>]))"
    r"|:c[\s>/]"
    r"|<c r=\x22[^\x22]*\x22"
    + _SECOND_R
    + r"|<c r=\x22[^\x22]*\x22"
    + _RUNS_ON
    + r"|<c r=\x22[^\x22]*\x22"
    + _QUOTE_IN_NAME
)


#: Step 2 cannot place a cell: a tag not written ``<c r="``, letters, digits, ``"`` and a
#: space, ``>`` or ``/``; or with a second ``r``, or running on.
def _odd(cell: str) -> str:
    """Step 2 cannot place a cell: a tag (starting ``cell``) not written ``<c r="``, letters,
    digits, ``"`` and a space, ``>`` or ``/``; or with a second ``r``, or running on."""
    return (
        cell
        + _NOT_R
        + r"|"
        + cell
        + r" r=\x22(?:[^A-Z]|[A-Z]+(?:\z|[^A-Z0-9])|[A-Z]+[0-9]+(?:\z|[^0-9\x22])"
        r"|[A-Z]+[0-9]+\x22(?:\z|[^ \t\r\n/>]))"
        r"|"
        + cell
        + r" r=\x22[^\x22]*\x22"
        + _SECOND_R
        + r"|"
        + cell
        + r" r=\x22[^\x22]*\x22"
        + _RUNS_ON
        + r"|"
        + cell
        + r" r=\x22[^\x22]*\x22"
        + _QUOTE_IN_NAME
        + r"|<[^\s<>]*<"  # a '<' in a tag's name (quick_xml reads `<a</b:c>` as a cell)
    )


#: The end of a cell tag's name with a prefix, also one cut at the end of a piece; and such
#: a name with a prefix as XML names one, in a start or an end tag. Where the first are
#: more, a cell tag has a prefix of another form (``<a/b:c``, ``<:c``), or a text holds
#: ``:c `` (refused either way).
_PREFIXED = r":c(?:[\t\n\r >/]|\z)"
_NAMED = (
    r"<[A-Za-z_][A-Za-z0-9_.\-]*:c(?:[\t\n\r >/]|\z)"
    r"|</[A-Za-z_][A-Za-z0-9_.\-]*:c[\t\n\r ]*>"
)
#: What a formula or an Excel error looks like in a worksheet's XML (most exports hold
#: neither): the end of a formula element (``</f>``, ``</x:f>``; a formula shared by other
#: cells has one where it is written) and an error cell's type.
_MARKED = r"f>|t=\x22e\x22"
#: Step 2: a cell's whole tag and its reference (letters, digits).
_CELL_TAG = _CELL + r" r=\x22([A-Z]+)([0-9]+)\x22(?:[^>\x22']|\x22[^\x22]*\x22|'[^']*')*>"
_REF = re.compile(rb"([A-Za-z]+)([0-9]+)")


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _spaced(name: str) -> str:
    """A name with its runs of white space as one space (XML parsers differ on them)."""
    return " ".join(name.split())


def _part(name: str) -> str:
    """A part's name as calamine compares them: ``\\`` as ``/``, no leading ``/``, any case."""
    return posixpath.normpath(name.replace("\\", "/").lstrip("/")).lower()


def sheet_members(book: zipfile.ZipFile, sheet: str | None) -> list[zipfile.ZipInfo]:
    """The members of the workbook that may hold ``sheet`` (``None``: the first sheet), found
    as calamine finds them and then some: every id of the sheet's entry, every relationship
    with that id, part names in any case and with either slash."""
    parts: dict[str, list[zipfile.ZipInfo]] = {}
    for info in book.infolist():  # a name held twice: each entry
        parts.setdefault(_part(info.filename), []).append(info)

    def read(name: str) -> list[bytes]:
        return [book.read(info) for info in parts.get(_part(name), [])]

    entries = []
    for data in read("xl/workbook.xml"):
        listed = [e for e in SafeXml.fromstring(data).iter() if _local(e.tag) == "sheet"]
        if sheet is None:
            entries += listed[:1]
        else:
            entries += [e for e in listed if _spaced(e.get("name") or "") == _spaced(sheet)]
    ids = {v for e in entries for k, v in e.attrib.items() if _local(k) == "id"}
    found: list[zipfile.ZipInfo] = []
    for data in read("xl/_rels/workbook.xml.rels"):
        for rel in SafeXml.fromstring(data).iter():
            target = rel.get("Target")
            if rel.get("Id") in ids and target:
                path = target if target[:1] in ("/", "\\") else f"xl/{target}"
                found.extend(m for m in parts.get(_part(path), []) if m not in found)
    return found


def column_letters(number: int) -> str:
    """A column number as its letters: 1 is A, 27 AA."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def column_number(letters: str) -> int:
    """Column letters as a number: A is 1, Z 26, AA 27 (lower case read as upper)."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


#: The longest run of a part's XML without a ``<`` that is read (a cell of Excel holds at
#: most 32,767 characters).
_MAX_RUN = 64 << 20


class _RunTooLongError(Exception):
    """A part's XML runs on past :data:`_MAX_RUN` bytes without a ``<``."""


def _pieces(stream: IO[bytes]) -> Iterator[bytes]:
    """The stream in pieces of about :data:`_PIECE_BYTES`, each ending before a ``<``, so
    that no tag's name is cut (a tag whose value holds a ``<`` may be: see
    :data:`_RUNS_ON`)."""
    held: list[bytes] = []
    size = 0
    while chunk := stream.read(_PIECE_BYTES):
        cut = chunk.rfind(b"<")
        if cut < 0:  # no tag starts here: held until one does
            held.append(chunk)
            size += len(chunk)
            if size > _MAX_RUN:
                raise _RunTooLongError
            continue
        held.append(chunk[:cut])
        piece = b"".join(held)
        held, size = [chunk[cut:]], len(chunk) - cut
        if piece:
            yield piece
    if held:
        yield b"".join(held)


def _as_text(batch: list[bytes]) -> pl.Series | None:
    """The pieces as polars text; ``None`` when one is not UTF-8."""
    try:
        return pl.Series(batch, dtype=pl.Binary).cast(pl.String)
    except pl.exceptions.PolarsError:
        return None


def _batches(stream: IO[bytes]) -> Iterator[pl.Series | None]:
    """The pieces of :func:`_pieces`, :data:`_PIECES_AT_ONCE` at a time, as text (``None``
    for a batch that is not UTF-8): the next batch is decompressed on a thread beside while
    the caller looks through this one (zlib and polars both let go of Python meanwhile)."""

    def batches() -> Iterator[pl.Series | None]:
        batch: list[bytes] = []
        for piece in _pieces(stream):
            batch.append(piece)
            if len(batch) == _PIECES_AT_ONCE:
                yield _as_text(batch)
                batch = []
        if batch:
            yield _as_text(batch)

    made = batches()
    done = object()
    with ThreadPoolExecutor(1) as aside:
        upcoming = aside.submit(next, made, done)
        while (texts := upcoming.result()) is not done:
            upcoming = aside.submit(next, made, done)
            yield texts  # type: ignore[misc]


@dataclass
class _Extent:
    """The rows and columns (from 1) that the filled cells reach, and how many there are."""

    top: int = 0
    bottom: int = 0
    left: int = 0
    right: int = 0
    #: How many cells hold something (step 1: how many cell tags, an upper bound).
    filled: int = 0

    def add(self, row: int, col: int) -> None:
        if not self.bottom:
            self.top, self.bottom, self.left, self.right = row, row, col, col
            return
        self.top, self.bottom = min(self.top, row), max(self.bottom, row)
        self.left, self.right = min(self.left, col), max(self.right, col)

    @property
    def cells(self) -> int:
        if not self.bottom:
            return 0
        return (self.bottom - self.top + 1) * (self.right - self.left + 1)


def _add_references(extent: _Extent, texts: pl.Series) -> None:
    """Step 2: the references of the cells in ``texts`` that hold something."""
    tags = texts.str.extract_all(_CELL_TAG).explode().drop_nulls()
    refs = (
        tags.filter(~tags.str.ends_with("/>"))
        .str.extract_groups(_CELL_TAG)
        .struct.unnest()
        .select(
            letters=pl.col("1"),
            row=pl.col("2").cast(pl.Int64, strict=False).fill_null(2**62),
        )
    )
    extent.filled += refs.height
    if refs.height == 0:
        return
    rows = refs.select(pl.col("row").min().alias("top"), pl.col("row").max().alias("bottom"))
    top, bottom = rows.row(0)
    cols = [column_number(s) for s in refs.get_column("letters").unique().to_list()]
    extent.add(top, min(cols))
    extent.add(bottom, max(cols))


def _utf16(book: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    """Whether the sheet's XML is in UTF-16 (a byte-order mark, or NUL bytes in ``<?``)."""
    with book.open(member) as stream:
        head = stream.read(4)
    return head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in head


def _look_through(stream: IO[bytes], extent: _Extent) -> tuple[bool, bool]:
    """Step 1: whether the sheet holds a formula or an error cell, and whether a cell may
    lie outside 26 columns by 599,999 rows (or the cell tags are too many, or a piece is
    not UTF-8 text); counts the cell tags into ``extent.filled``."""
    marked, outside = False, False
    for texts in _batches(stream):
        if texts is None:  # not UTF-8: no text to look through; step 2 refuses it
            marked, outside = True, True
            continue
        if outside:
            marked = marked or bool(texts.str.contains(_MARKED).any())
            continue
        text = pl.col("t").str
        found = (
            texts.to_frame("t")
            .select(
                marked=text.contains(_MARKED).any(),
                outside=text.contains(_OUTSIDE).any(),
                cells=text.count_matches("<c ", literal=True).sum(),
            )
            .row(0)
        )
        extent.filled += found[2] or 0
        marked = marked or bool(found[0])
        outside = bool(found[1]) or extent.filled > MAX_SHEET_CELLS
    return marked, outside


#: Ranges within the bound that a sheet of more than 26 columns mostly falls in, as the
#: letters and digits of its cell references: up to column AZ and row 299,999; CZ and
#: 159,999; ZZ and 19,999.
_RANGES = (
    ("[A-Z]|A[A-Z]", "[0-9]{1,5}|[0-2][0-9]{5}"),
    ("[A-Z]|[A-C][A-Z]", "[0-9]{1,5}|1[0-5][0-9]{4}"),
    ("[A-Z]{1,2}", "[0-9]{1,4}|1[0-9]{4}"),
)


def _in_range(cell: str, letters: str, digits: str) -> str:
    return cell + rf" r=\x22(?:{letters})(?:{digits})\x22[ \t\r\n/>]"


#: Marks what :func:`_measure` found as a ``:c`` that follows no prefix as XML names one.
_UNNAMED = "\0"


def _in_text(text: str, at: int) -> bool:
    """Whether the ``:c`` at ``at`` stands in a text rather than ending a tag's name. A name
    runs from a ``<`` to white space, quotes and ``>`` in quotes included (quick_xml's
    reading); so in the run back to white space, a ``>`` outside quotes must close the tag of
    its last ``<`` before the ``:c``, with no quote after it ("Ratio 3:c 1", "<t>x:c y")."""
    space = max(text.rfind(white, max(0, at - 10_000), at) for white in " \t\r\n")
    if space < 0 and at >= 10_000:
        return False
    run = text[space + 1 : at]
    if "<" not in run:  # a name starts at a '<': a run after white space without one is none
        return True
    segment = run[run.rfind("<") :]
    quote = ""
    for i, char in enumerate(segment):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\x22'":
            quote = char
        elif char == ">":
            return not ("\x22" in segment[i:] or "'" in segment[i:])
    return False


def _unnamed(texts: pl.Series) -> str | None:
    """The first ``:c`` in ``texts`` that :data:`_NAMED` does not find and that does not stand
    in a text, with what surrounds it; ``None`` when there is none (found in Python: only
    where the counts differ)."""
    start = re.compile(r"<[A-Za-z_][A-Za-z0-9_.\-]*\Z")
    end = re.compile(r"</[A-Za-z_][A-Za-z0-9_.\-]*\Z")
    for item in texts.drop_nulls().to_list():
        text = str(item)
        for found in re.finditer(r":c(?:[\t\n\r >/]|\Z)", text):
            at = found.start()
            before = text[max(0, at - 100) : at]
            closing = re.match(r":c[\t\n\r ]*>", text[at:])
            if start.search(before) or (closing and end.search(before)):
                continue
            if _in_text(text, at):
                continue
            return text[max(0, at - 25) : at + 25]
    return None


def _measure(book: zipfile.ZipFile, member: zipfile.ZipInfo) -> tuple[_Extent, str | None]:
    """Step 2: how far the filled cells reach, and how many there are (nothing when every
    cell tag lies within one of :data:`_RANGES`); or the first cell tag that cannot be placed
    (``None`` when there is none; ``""`` for bytes that are not UTF-8)."""
    tags, inside = 0, [0] * len(_RANGES)
    with book.open(member) as stream:
        for texts in _batches(stream):
            if texts is None:
                return _Extent(), ""
            # the expressions for tags with a prefix are slower: used where there are some
            text = pl.col("t").str
            ends, named = (
                texts.to_frame("t")
                .select(
                    text.count_matches(_PREFIXED).sum().alias("ends"),
                    text.count_matches(_NAMED).sum().alias("named"),
                )
                .row(0)
            )
            if ends != named and (unnamed := _unnamed(texts)) is not None:
                return _Extent(), _UNNAMED + unnamed
            cell = _CELL if ends else "<c"
            found = (
                texts.to_frame("t")
                .select(
                    text.contains(_odd(cell)).any().alias("odd"),
                    text.count_matches(cell + " r=").sum().alias("tags"),
                    *(
                        text.count_matches(_in_range(cell, *r)).sum().alias(str(i))
                        for i, r in enumerate(_RANGES)
                    ),
                )
                .row(0)
            )
            if found[0]:
                odd = texts.str.extract(f"((?:{_odd(cell)})[^>]{{0,60}}>?)").drop_nulls()
                return _Extent(), str(odd[0])
            tags += found[1] or 0
            inside = [a + (b or 0) for a, b in zip(inside, found[2:], strict=True)]
    if tags <= MAX_SHEET_CELLS and tags in inside:
        return _Extent(filled=tags), None
    extent = _Extent()
    with book.open(member) as stream:
        for texts in _batches(stream):
            if texts is not None:
                _add_references(extent, texts)
    return extent, None


def _refused(message: str, display: str) -> BundleError:
    return BundleError(Problem(message, display))


def _check_member(book: zipfile.ZipFile, member: zipfile.ZipInfo, display: str) -> bool:
    """Refuse one part of the workbook as :func:`check_extent` says; whether it holds a
    formula or an error cell."""
    if _utf16(book, member):
        raise _refused(
            "the sheet's XML is in UTF-16, which mentorstd does not read; open the workbook "
            "in a spreadsheet program and save it again as xlsx",
            display,
        )
    extent = _Extent()
    with book.open(member) as stream:
        marked, outside = _look_through(stream, extent)
    if outside:
        extent, odd = _measure(book, member)
        if odd == "":
            raise _refused(
                "the sheet's XML holds bytes that are not UTF-8; open the workbook in a "
                "spreadsheet program and save it again",
                display,
            )
        if odd is not None and odd.startswith(_UNNAMED):
            raise _refused(
                f"the sheet's XML holds {odd[1:]!r}, which may be a cell tag with a prefix "
                "mentorstd does not read, or text; open the workbook in a spreadsheet program "
                "and save it again",
                display,
            )
        if odd is not None:
            shown = odd if len(odd) <= 60 else odd[:57] + "..."
            raise _refused(
                f"the sheet writes a cell as {shown!r}, a form mentorstd does not read (it "
                'reads cells written <c r="A1" ...>, as spreadsheet programs write them); '
                "open the workbook in a spreadsheet program and save it again",
                display,
            )
    if extent.cells > MAX_SHEET_CELLS:
        rows = extent.bottom - extent.top + 1
        cols = extent.right - extent.left + 1
        raise _refused(
            f"the sheet's filled cells reach from {column_letters(extent.left)}"
            f"{extent.top} to {column_letters(extent.right)}{extent.bottom}: {rows:,} "
            f"rows by {cols:,} columns, {extent.cells:,} cells, more than mentorstd lays "
            f"out ({MAX_SHEET_CELLS:,}); clear the cells outside the table (a value far to "
            "the right or below, even a space) and save the workbook again, or save a table "
            "this large as CSV",
            display,
        )
    if extent.filled > MAX_SHEET_CELLS:
        raise _refused(
            f"the sheet holds {extent.filled:,} filled cells, more than mentorstd reads "
            f"({MAX_SHEET_CELLS:,})",
            display,
        )
    return marked


#: An extra field of a zip entry that names it otherwise (Info-ZIP's Unicode path): the zip
#: reader of calamine follows it, Python's does not.
_UNICODE_PATH = 0x7075
#: The shared strings' count as the part states it (calamine makes room for that many).
_STATED_COUNT = re.compile(rb"\s(?:[^\s=<>]*:)?(?:count|uniqueCount)\s*=\s*[\x22']([^\x22']*)")


def _archive_end(raw: bytes) -> str | None:
    """Why Python and calamine could read different archives from ``raw`` (``None`` when
    they cannot): Python takes the last end-of-archive record whatever its comment's length
    says, follows a zip64 record before it, and reads a central directory shifted by data
    before the archive; the Rust zip reader does none of these."""
    at = raw.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(raw):
        return "it holds no end-of-archive record"
    if at + 22 + int.from_bytes(raw[at + 20 : at + 22], "little") != len(raw):
        return "its end-of-archive record does not end the file"
    if at >= 20 and raw[at - 20 : at - 16] == b"PK\x06\x07":  # Python follows it; Rust may not
        return "it holds a zip64 end-of-archive record"
    size, offset = (int.from_bytes(raw[at + i : at + i + 4], "little") for i in (12, 16))
    if at - size - offset != 0:  # Python takes the difference as data before the archive
        return "its central directory is not where its end-of-archive record says"
    return None


def _names_agree(book: zipfile.ZipFile) -> str | None:
    """Why Python and calamine could read the zip's entries under different names (``None``
    when they cannot): a name not in ASCII, or a Unicode path field."""
    for info in book.infolist():
        if not info.filename.isascii():
            return f"an entry's name is not ASCII ({info.filename[:60]!r})"
        extra = info.extra
        while len(extra) >= 4:
            kind, size = int.from_bytes(extra[:2], "little"), int.from_bytes(extra[2:4], "little")
            if kind == _UNICODE_PATH:
                return (
                    f"the entry {info.filename[:60]!r} names itself again in a Unicode path field"
                )
            extra = extra[4 + size :]
    return None


def _shared_strings(book: zipfile.ZipFile) -> int:
    """The most shared strings the workbook states or holds (calamine reads them all, and
    makes room for as many as the part states, before any sheet)."""
    most = 0
    for info in book.infolist():
        if _part(info.filename) != "xl/sharedstrings.xml":
            continue
        held = 0
        with book.open(info) as stream:
            for number, piece in enumerate(_pieces(stream)):
                if number == 0:
                    for stated in _STATED_COUNT.findall(piece[:65536]):
                        digits = b"".join(re.findall(rb"[0-9]+", stated)) or b"0"
                        most = max(most, int(digits) if len(digits) < 19 else 1 << 62)
                held += piece.count(b"<si") + piece.count(b":si")
        most = max(most, held)
    return most


#: Where a package's relationships name its main part: the tag of each, and its target.
_TAG_TEXT = re.compile(rb"<[^<]*")
_TARGET = re.compile(rb"Target\s*=\s*(?:\x22([^\x22]*)\x22|'([^']*)')")


def _main_part_elsewhere(book: zipfile.ZipFile) -> str | None:
    """Why calamine may read the workbook from another folder than ``xl/`` (``None`` when
    it reads ``xl/workbook.xml``): it takes the folder of the package's last officeDocument
    relationship, which mentorstd does not follow; so every tag of ``_rels/.rels`` that
    names an officeDocument must name ``xl/workbook.xml``."""
    for info in book.infolist():
        if _part(info.filename) != "_rels/.rels":
            continue
        if info.file_size > MAX_WORKBOOK_PART_BYTES:
            return f"its part {info.filename!r} is over {MAX_WORKBOOK_PART_BYTES >> 20} MB"
        data = book.read(info)
        if b"&" in data:  # calamine reads a character reference in a type or target
            return f"its part {info.filename!r} holds a character reference"
        for tag in _TAG_TEXT.findall(data):
            lowered = tag.lower()  # (other types hold "officeDocument/2006/..." too)
            if b"/officedocument\x22" not in lowered and b"/officedocument'" not in lowered:
                continue
            found = _TARGET.search(tag)
            target = (found.group(1) or found.group(2)) if found else None
            if target not in (b"xl/workbook.xml", b"/xl/workbook.xml"):
                return "its main part is not xl/workbook.xml"
    return None


def _workbook_parts_too_large(book: zipfile.ZipFile) -> str | None:
    """Why the workbook's own parts are too large to open (``None`` when they are not)."""
    for info in book.infolist():
        if _part(info.filename) in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
            with book.open(info) as stream:  # the stated size may be wrong: read, and count
                size = 0
                while chunk := stream.read(1 << 20):
                    size += len(chunk)
                    if size > MAX_WORKBOOK_PART_BYTES:
                        limit = MAX_WORKBOOK_PART_BYTES >> 20
                        return f"its part {info.filename!r} is over {limit} MB"
    return None


#: The first bytes of an OLE compound file: an Excel 97-2003 workbook, or an encrypted xlsx.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
#: The first tag of a web page saved as an "Excel" file (``<table>`` alone, as some write).
_HTML_START = re.compile(rb"<(?:!doctype\s+html|html|head|body|meta|style|table)[\s>/]")


def _ole_stream(raw: bytes, name: str) -> bool:
    """Whether the OLE compound file ``raw`` has a stream or storage called ``name``: its
    directory entry (128 bytes, at a multiple of 128 in the file) starts with the name in
    UTF-16, ended by a NUL, and gives the name's length in bytes at its 64th byte."""
    wanted = (name + "\0").encode("utf-16-le")
    size = len(wanted).to_bytes(2, "little")
    at = raw.find(wanted)
    while at != -1:
        if at % 128 == 0 and raw[at + 64 : at + 66] == size:
            return True
        at = raw.find(wanted, at + 1)
    return False


def opendocument(raw: bytes) -> bool:
    """Whether ``raw`` is an OpenDocument spreadsheet (.ods): a zip whose ``mimetype``
    member says so."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as book:
            kind = next((i for i in book.infolist() if i.filename == "mimetype"), None)
            return bool(kind and kind.file_size < 256 and book.read(kind).startswith(_ODS_MIMETYPE))
    except Exception:  # not a zip, or a member it cannot read: not said to be one
        return False


def office_file(raw: bytes, *, table: bool = True) -> str | None:
    """What an office file that is no xlsx workbook (nor text) is, and what to do: an
    encrypted Office file, an old ``.xls``, an XML Spreadsheet 2003 or a web page (as some
    systems export their "Excel" files), an OpenDocument spreadsheet; ``None`` for anything
    else. ``table``: the file is a bundle's table, which may be saved as CSV too."""
    also = ", or as CSV UTF-8" if table else ""
    if raw.startswith(OLE_MAGIC):
        # an encrypted xlsx (or docx ...) is an OLE file holding it as its EncryptedPackage
        if _ole_stream(raw, "EncryptedPackage"):
            return (
                "is password-protected (an encrypted Office file): save a copy without a password"
            )
        if _ole_stream(raw, "Workbook") or _ole_stream(raw, "Book"):
            return f"is an old Excel .xls workbook (97-2003): save it as .xlsx{also}"
        return "is an old Microsoft Office file (97-2003), not an xlsx workbook"
    head = raw[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        return f"is an XML Spreadsheet 2003 file: save it as .xlsx{also}"
    if _HTML_START.match(head) or (head.startswith(b"<?xml") and b"<html" in head):
        return (
            "is a web page (HTML), as some systems export their Excel files: open it in a "
            f"spreadsheet program and save it as .xlsx{also}"
        )
    if raw.startswith(b"PK\x03\x04") and opendocument(raw):
        return f"is an OpenDocument spreadsheet (.ods): save it as .xlsx{also}"
    return None


def not_a_workbook(raw: bytes, *, table: bool = True) -> str | None:
    """What a file given as an xlsx workbook is instead, and what to do (``None``: not one
    of the usual suspects): see :func:`office_file`; also empty, cut short, Parquet or
    text. ``table``: the file is a bundle's table, which may also be CSV or Parquet (say
    to rename it)."""
    if not raw.strip():
        return "is empty" if not raw else "holds white space only"
    other = office_file(raw, table=table)
    if other is not None:
        return other
    if raw.startswith(b"PAR1"):
        return "is a Parquet file" + (": give it a .parquet name" if table else "")
    if raw.startswith(b"PK\x03\x04"):
        try:
            zipfile.ZipFile(io.BytesIO(raw)).close()
        except Exception:  # any failure to open the archive is said alike
            return "is cut short or damaged (its zip archive is not whole): export or copy it again"
        return None
    try:
        text = raw[:4096].decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < 4090:  # a character cut at the end of the sample is still text
            return None
        text = raw[: err.start].decode("utf-8")
    first = text.lstrip("\ufeff").partition("\n")[0]
    readable = all(c.isprintable() or c in "\r\n\t" for c in text)
    if readable and any(sep in first for sep in (",", ";", "\t", "|")):
        return "is text (CSV?), not an xlsx workbook" + (": give it a .csv name" if table else "")
    return None


def check_workbook(raw: bytes, display: str, *, table: bool = True) -> None:
    """Refuse a workbook that calamine could read otherwise than mentorstd looks through it,
    or that would make calamine take memory beyond measure as it opens it: entries under
    names the two zip readers may read apart; a main part other than ``xl/workbook.xml``; a
    relationship whose target holds a character reference (calamine takes it as written);
    the workbook's own parts over :data:`MAX_WORKBOOK_PART_BYTES`; more than
    :data:`MAX_SHARED_STRINGS` shared strings stated or held. Run before fastexcel opens
    the workbook. ``table``: see :func:`not_a_workbook`."""
    other = not_a_workbook(raw, table=table)
    if other is not None:
        raise _refused(other, display)
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as book:
            why = _archive_end(raw) or _names_agree(book) or _main_part_elsewhere(book)
            why = why or _workbook_parts_too_large(book)
            if why is None:
                rels = [
                    book.read(info)
                    for info in book.infolist()
                    if _part(info.filename) == "xl/_rels/workbook.xml.rels"
                ]
                if any(re.search(rb"Target\s*=\s*[\x22'][^\x22']*&", data) for data in rels):
                    why = "a relationship of the workbook names its part with a character reference"
            strings = _shared_strings(book) if why is None else 0
    except _RunTooLongError:
        why = f"its shared strings run on for more than {_MAX_RUN >> 20} MB without a tag"
    except Exception as err:  # not a zip, an encrypted entry, a compression zipfile lacks ...
        why = first_line(err)
    if why is not None:
        raise _refused(
            f"cannot be read as an xlsx workbook: {why}; open it in a spreadsheet program "
            "and save it again",
            display,
        )
    if strings > MAX_SHARED_STRINGS:
        raise _refused(
            f"the workbook holds or states {strings:,} shared strings, more than mentorstd "
            f"reads ({MAX_SHARED_STRINGS:,}); save the sheet as CSV",
            display,
        )


def check_extent(raw: bytes, sheet: str | None, display: str) -> bool:
    """Refuse a sheet (every part that may hold it) whose filled cells span more than
    :data:`MAX_SHEET_CELLS` (see the module's text), or are more than that many (one place
    written again and again), or that cannot be read to know; say whether its XML holds a
    formula or an error cell."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as book:
            members = sheet_members(book, sheet)
            if not members:
                raise _refused(
                    "cannot find the sheet's part in the workbook as its relationships name "
                    "it; open the workbook in a spreadsheet program and save it again",
                    display,
                )
            marked = False
            for member in members:
                marked = _check_member(book, member, display) or marked
            return marked
    except BundleError:
        raise
    except _RunTooLongError:
        raise _refused(
            f"the sheet's XML runs on for more than {_MAX_RUN >> 20} MB without a tag; open "
            "the workbook in a spreadsheet program and save it again",
            display,
        ) from None
    except Exception as err:  # an encrypted part, a compression zipfile lacks, bad XML ...
        raise _refused(f"cannot be read as an xlsx workbook: {first_line(err)}", display) from err


#: An empty value element closed on itself, with or without a namespace prefix.
_EMPTY_VALUE = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)v\s*/>")


#: What an empty self-closed value element becomes: marked (see :class:`_EmptyValuesMarked`).
_SELF_CLOSED = rb'<\1v mentorstd-self-closed=""/>'


class _EmptyValuesMarked(io.RawIOBase):
    """A sheet's XML with its empty self-closed value elements (``<v/>``) marked. openpyxl
    writes one for a formula it did not calculate (a cell with no type): a value not saved,
    which calamine gives as a blank. An empty value written ``<v></v>`` is an empty result
    (xlsxwriter writes a formula whose result is empty text so), and so is a self-closed one
    in a text cell (``t="str"``). Read in pieces cut before a ``<``, so no element is cut."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._carry = b""
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = self._stream.read(1 << 20)
            data = self._carry + chunk
            cut = data.rfind(b"<") if chunk else -1  # the last tag may go on in the next
            if cut == -1:  # (no tag in it, or the end of the part: nothing waits)
                cut = len(data)
            data, self._carry = data[:cut], data[cut:]
            self._pending = memoryview(_EMPTY_VALUE.sub(_SELF_CLOSED, data))
            if not chunk:
                break
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def _unsaved(value: Any, kind: str | None) -> bool:
    """Whether a formula cell's value element (``None``: it has none) holds no saved value:
    none, or an empty one closed on itself outside a text cell (see
    :class:`_EmptyValuesMarked`)."""
    if value is None:
        return True
    return value.get("mentorstd-self-closed") is not None and kind != "str"


def hidden_cells(raw: bytes, sheet: str | None) -> dict[tuple[int, int], str]:
    """Cells of a sheet that calamine gives as blank though they are not, by (row, column),
    both from 0: an Excel error as its text (``#N/A``), and a formula without a saved value
    (a workbook written by a program that does not calculate) as ``=`` and its formula.
    Read only when :func:`check_extent` found a formula or an error in the sheet."""
    found: dict[tuple[int, int], str] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as book:
            members = sheet_members(book, sheet)
            if not members:
                return found
            with book.open(members[-1]) as member:
                stream = io.BufferedReader(_EmptyValuesMarked(member))
                row, col = -1, -1
                for event, elem in SafeXml.iterparse(stream, events=("start", "end")):
                    tag = _local(elem.tag)
                    if event == "start":
                        if tag == "row":
                            number = elem.get("r")
                            row, col = (int(number) - 1 if number else row + 1), -1
                        continue
                    if tag == "c":
                        ref = _REF.fullmatch((elem.get("r") or "").encode())
                        col = column_number(ref.group(1).decode()) - 1 if ref else col + 1
                        if ref:
                            row = int(ref.group(2)) - 1
                        parts = {_local(child.tag): child for child in elem}
                        value = parts["v"].text if "v" in parts else None
                        if elem.get("t") == "e" and value:
                            found[(row, col)] = value
                        elif "f" in parts and _unsaved(parts.get("v"), elem.get("t")):
                            found[(row, col)] = f"={parts['f'].text or '(a shared formula)'}"
                        elem.clear()
                    elif tag == "row":
                        elem.clear()
    except (zipfile.BadZipFile, KeyError, ParseError, DefusedXmlException, OSError, ValueError):
        return {}  # calamine read it: what it could not say is left as it gave it
    return found
