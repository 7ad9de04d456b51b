"""The table engine: read a bundle table with polars, validate it with expressions, and locate
every problem.

A table file is read once into memory (after its size is checked against
:data:`MAX_TABLE_BYTES`), parsed by :func:`polars.read_csv` with every column as text, then
checked column by column with polars expressions: required values, ids, enumerations, dates,
numbers and their ranges, uniqueness, and references to other tables (an anti-join). Every
problem becomes a :class:`~mentorstd.errors.Problem` located at ``file:line:column``; problems
of one kind in one column are grouped into one line that counts them and names the first few
lines, so a table with 40 bad dates gives one line, not 40 and not one.

Rows are mapped to file lines exactly. When every line of the file is one full record (see
:func:`_is_plain`: polars gives a blank line or a short row nulls where fields are missing,
and a file with quotes has its newlines counted), data row ``i`` is on line ``i + 2``. Any
other file (newlines inside quoted fields, blank lines, ragged rows) is split into lines by
polars and the lines are grouped into records by the parity of their quote characters, which
gives each record's first line and its field count (separators outside quotes), so quoted
fields holding newlines, blank lines and rows with too few or too many fields are all located.

Nothing here knows about metrics or assessment.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import difflib
import functools
import hashlib
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import polars as pl

from ._xlsx import check_extent, check_workbook, column_letters, hidden_cells, office_file
from ._yaml import utf8_problem
from .errors import BundleError, Problem
from .errors import first_line as _first_line  # (a header's first line is a variable here)

__all__ = [
    "CLOSURE_REASONS",
    "DATE_MAX",
    "DATE_MIN",
    "MAX_FIELD_CHARS",
    "MAX_TABLE_BYTES",
    "PRACTICE_COLUMNS",
    "PRACTICE_STATUSES",
    "SYNONYMS",
    "TABLES",
    "CellError",
    "Column",
    "Table",
    "TableSpec",
    "UnplacedError",
    "read_table",
    "report_note",
    "stands_for",
]

#: Largest table accepted (bytes). A national program's year of records is well under this.
MAX_TABLE_BYTES = 512 * 1024 * 1024
#: Longest field accepted (characters).
MAX_FIELD_CHARS = 10_000
#: Longest id accepted (characters).
MAX_ID_CHARS = 100
#: Widest header accepted (a table's own columns are at most 7; exports add their own).
MAX_COLUMNS = 1_000
#: Lines named in a grouped problem besides the first.
SHOWN_LINES = 3
#: Longest excerpt of a value quoted in a message (characters).
EXCERPT_CHARS = 60
#: Dates accepted in tables.
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)

CLOSURE_REASONS = (
    "completed",
    "mentor-withdrew",
    "mentee-withdrew",
    "family-withdrew",
    "rematched",
    "program-ended",
    "other",
)

ColumnType = Literal["id", "date", "enum", "number", "int", "text"]


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a bundle table."""

    name: str
    type: ColumnType
    required: bool = False  # a value is required in every row
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    unique: bool = False
    optional_column: bool = False  # the header may omit it
    references: str | None = None  # "table.column" that every value must appear in


TABLES: dict[str, tuple[Column, ...]] = {
    "matches": (
        Column("match_id", "id", required=True, unique=True),
        Column("mentor_id", "id", required=True),
        Column("mentee_id", "id", required=True),
        Column("start_date", "date", required=True),
        Column("planned_end_date", "date"),
        Column("end_date", "date"),
        Column("closure_reason", "enum", choices=CLOSURE_REASONS),
    ),
    "contacts": (
        Column("match_id", "id", required=True, references="matches.match_id"),
        Column("date", "date", required=True),
        Column("with", "enum", required=True, choices=("mentor", "mentee", "parent")),
        Column("mode", "text", optional_column=True),
    ),
    "training": (
        Column("person_id", "id", required=True),
        Column("role", "enum", required=True, choices=("mentor", "mentee", "parent", "staff")),
        Column("date", "date", required=True),
        Column("hours", "number", required=True, minimum=0, maximum=100),
        Column("phase", "enum", required=True, choices=("pre-match", "ongoing")),
        Column("topic", "text", optional_column=True),
    ),
    "screening": (
        Column("mentor_id", "id", required=True, unique=True),
        Column("application_date", "date"),
        Column("interview_date", "date"),
        Column("background_check_date", "date"),
        Column("references_checked", "int", minimum=0, maximum=50),
    ),
    "surveys": (
        Column("respondent_id", "id", required=True),
        Column("role", "enum", required=True, choices=("mentor", "mentee", "parent", "teacher")),
        Column("match_id", "id", optional_column=True, references="matches.match_id"),
        Column("date", "date"),
        Column("satisfaction", "int", minimum=1, maximum=5),
        Column("reports_success", "enum", choices=("yes", "no")),
    ),
    "outcomes": (
        Column("mentee_id", "id", required=True),
        Column(
            "measure",
            "enum",
            required=True,
            choices=("attendance", "behaviour", "attitude", "attainment"),
        ),
        Column("baseline", "number", optional_column=True),
        Column("follow_up", "number", optional_column=True),
        Column("improved", "enum", choices=("yes", "no")),
    ),
    "meetings": (
        Column("match_id", "id", required=True, references="matches.match_id"),
        Column("date", "date", required=True),
        Column("minutes", "number", required=True, minimum=0, maximum=1440),
        Column("mode", "text", optional_column=True),
    ),
}

PRACTICE_STATUSES = ("implemented", "partial", "planned", "not-implemented", "not-applicable")

#: The self-assessment sheet (``data.practices``): one row per requirement; a blank status
#: means not assessed yet. ``title`` is there for the reader (``init`` fills it) and not used.
PRACTICE_COLUMNS: tuple[Column, ...] = (
    Column("requirement", "id", required=True),
    Column("title", "text", optional_column=True),
    Column("status", "enum", choices=PRACTICE_STATUSES),
    Column("evidence", "text", optional_column=True),
    Column("note", "text", optional_column=True),
)

#: Other words for enumeration values, accepted in any column whose choices hold the target.
#: Keys are in normal form (trimmed, lower case, runs of spaces and underscores as one ``-``);
#: a value is first put in that form, so ``Pre Match`` and ``PRE_MATCH`` are ``pre-match``.
SYNONYMS: dict[str, str] = {
    # who a contact, a training or a survey was with
    "guardian": "parent",
    "parent/guardian": "parent",
    "carer": "parent",
    "caregiver": "parent",
    "family": "parent",
    "volunteer": "mentor",
    "big": "mentor",
    "big-brother": "mentor",
    "big-sister": "mentor",
    "youth": "mentee",
    "little": "mentee",
    "little-brother": "mentee",
    "little-sister": "mentee",
    "student": "mentee",
    "young-person": "mentee",
    "child": "mentee",
    # yes / no
    "y": "yes",
    "true": "yes",
    "n": "no",
    "false": "no",
    # training phase
    "prematch": "pre-match",
    "pre": "pre-match",
    "on-going": "ongoing",
    "in-service": "ongoing",
    # outcome measures
    "behavior": "behaviour",
    # self-assessment status
    "partially": "partial",
    "partly": "partial",
    "not-in-place": "not-implemented",
    "n/a": "not-applicable",
    "na": "not-applicable",
}

_SEPARATORS = (",", ";", "\t", "|")


@dataclass(frozen=True, slots=True)
class TableSpec:
    """How to read a table that is not in canonical form (see ``docs/bundles.md``).

    ``columns`` maps our column names to the file's headers; ``values`` maps, per our column,
    the file's values to ours. Every field is optional: the default is a canonical CSV.
    """

    sheet: str | None = None
    delimiter: str | None = None  # None: detect , ; tab or | from the header row
    encoding: str = "utf-8"
    date_format: str | None = None  # None: ISO YYYY-MM-DD
    columns: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


_DEFAULT_SPEC = TableSpec()


def columns_of(name: str) -> tuple[Column, ...]:
    """The columns of table ``name`` (a data table, or ``practices``, the sheet)."""
    return PRACTICE_COLUMNS if name == "practices" else TABLES[name]


def normal_form(value: str) -> str:
    """A value or header as compared leniently: trimmed, lower case, spaces and underscores
    as one ``-``, accented letters in one Unicode form (é typed as one character or as e and
    an accent, as macOS writes file names, are one)."""
    return re.sub(r"[\s_]+", "-", unicodedata.normalize("NFC", value).strip().casefold())


def _header_key(name: str) -> str:
    """A header as matched to our column names: its letters without accents and its digits."""
    return re.sub(r"[^0-9a-z]+", "", unicodedata.normalize("NFKD", name).casefold())


def header_text(name: str) -> str:
    """A header (or a name `columns:` gives) as compared with another: its spaces and line
    breaks (a wrapped header cell) as one space, in one Unicode form."""
    return " ".join(unicodedata.normalize("NFC", name).split())


# Patterns are ASCII on purpose: a digit is 0-9, never another script's digit.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/#-]*$"
_INT_PATTERN = r"^-?[0-9]+$"
_NUMBER_PATTERN = r"^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$"
_DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_ID_HELP = "letters, digits and ._:/#- only; pseudonymous ids, never names"


class CellError(BundleError):
    """The problems of a table whose cells could all be placed: its rows and columns are
    known, some cells are bad. ``frame`` holds its columns as checked (a bad cell is null), so
    that the tables referring to it can still be checked against its ids; ``file`` is how the
    file is named in messages."""

    def __init__(self, problems: list[Problem], frame: pl.DataFrame, file: str) -> None:
        super().__init__(problems)
        self.frame = frame
        self.file = file


class UnplacedError(BundleError):
    """The problems of a table some of whose rows could not be placed (ragged), the others
    checked: ``columns`` are the table's columns found in its header."""

    def __init__(self, problems: list[Problem], columns: Sequence[str]) -> None:
        super().__init__(problems)
        self.columns = tuple(columns)


@dataclass
class Table:
    """A validated table: one typed polars column per column of the file.

    Ids, enumerations and free text are strings, dates ``pl.Date``, numbers ``Float64`` and
    whole numbers ``Int64``; a blank cell is null. ``positions`` gives each column's 1-based
    position in the file, and :meth:`line_of` the file line of a row.
    """

    name: str
    file: str
    frame: pl.DataFrame = field(repr=False)
    sha256: str
    size: int
    path: Path
    positions: dict[str, int] = field(default_factory=dict)
    lines: pl.Series | None = field(default=None, repr=False)  # None: row i is on line i + 2
    notes: list[str] = field(default_factory=list)  # what was ignored or mapped, for the user
    #: An id column's distinct values, as validation found them.
    distinct: dict[str, pl.Series] = field(default_factory=dict, repr=False)
    #: A referencing column's row in the referenced table, per row (``Column.references``).
    referenced_rows: dict[str, pl.Series] = field(default_factory=dict, repr=False)
    #: The file's header, as it gives it (its own names, in its order).
    header: list[str] = field(default_factory=list, repr=False)
    #: Columns whose values were rewritten on reading (synonyms, case, the spec's value maps).
    mapped: frozenset[str] = frozenset()
    #: How the file was read (its delimiter as found).
    spec: TableSpec = field(default_factory=lambda: _DEFAULT_SPEC, repr=False)

    @property
    def n_rows(self) -> int:
        """Number of data rows."""
        return self.frame.height

    def __len__(self) -> int:
        return self.frame.height

    def __getitem__(self, column: str) -> pl.Series:
        return self.frame.get_column(column)

    def has(self, column: str) -> bool:
        """True when the file had this (optional) column."""
        return column in self.positions

    def line_of(self, row: int) -> int:
        """File line (1-based) of data row ``row`` (0-based)."""
        return line_of(self.lines, row)


def line_of(lines: pl.Series | None, row: int) -> int:
    """File line of data row ``row`` given each row's line (``None``: row i on line i + 2)."""
    return row + 2 if lines is None else int(lines[row])


# -- problems ----------------------------------------------------------------------------------


def excerpt(value: str) -> str:
    """``repr`` of a value, cut to :data:`EXCERPT_CHARS` characters."""
    if len(value) <= EXCERPT_CHARS:
        return repr(value)
    return repr(value[:EXCERPT_CHARS]) + f"... ({len(value)} characters)"


def _like_it(message: str, others: list[int], count: int, kind: tuple[str, str]) -> str:
    """``message`` for the first of ``count + 1`` places, saying where the others are:
    ``others`` (their numbers, the first few at least), ``kind`` what they are (``row``,
    ``line``) and where (``column``, ``column``)."""
    if count <= 0:
        return message
    shown = ", ".join(map(str, others[:SHOWN_LINES]))
    more = count - min(count, SHOWN_LINES)
    tail = f" and {more} more" if more else ""
    what, where = kind if count == 1 else (kind[0] + "s", kind[1] + "s")
    return f"{message}; {count} more {what} like it, at {where} {shown}{tail}"


class _Problems:
    """Collects the located problems of one table file."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.items: list[Problem] = []
        self.notes: list[str] = []
        self.lines: pl.Series | None = None
        #: Some rows could not be placed (ragged): the table's ids are not all known.
        self.unplaced = False

    def at(
        self, message: str, line: int | None = 1, column: int | None = None, name: str | None = None
    ) -> None:
        self.items.append(Problem(message, self.display, line, column, name))

    def line(self, row: int) -> int:
        """The line of row ``row``."""
        return line_of(self.lines, row)

    def rows(
        self,
        rows: pl.Series,
        message: str,
        column: int | None = None,
        name: str | None = None,
        values: pl.Series | None = None,
        given: pl.Series | None = None,
    ) -> None:
        """One problem for the rows ``rows`` (sorted row indexes), located at the first;
        ``{value}`` in ``message`` becomes the first row's cell of ``values``, quoted, and the
        file's own cell (``given``) beside it when the table spec's ``values:`` changed it."""
        total = rows.len()
        if total == 0:
            return
        head = rows.head(1 + SHOWN_LINES).to_list()
        lines = [line_of(self.lines, r) for r in head]
        if values is not None:
            shown = excerpt(str(values[head[0]]))
            if given is not None and given[head[0]] != values[head[0]]:
                shown = f"{excerpt(str(given[head[0]]))} (read as {shown} through `values:`)"
            message = message.replace("{value}", shown)
        self.items.append(
            Problem(
                _like_it(message, lines[1:], total - 1, ("row", "line")),
                self.display,
                lines[0],
                column,
                name,
            )
        )

    def sorted(self) -> list[Problem]:
        return sorted(self.items, key=lambda p: (p.line or 0, p.column or 0))


# -- reading text ------------------------------------------------------------------------------

_UTF8_HINT = (
    "; save the file as CSV UTF-8, or state its encoding in the table spec "
    "(encoding: cp1252 for a Windows export)"
)


def _sniff(raw: bytes, display: str) -> None:
    """Refuse, with what to set, a file that is not UTF-8 text although read as such."""
    # an old or encrypted workbook, a web page, OpenDocument; else another kind of file
    advice = office_file(raw) or _other_file(raw)
    if advice is not None:
        raise BundleError(Problem(advice, display, 1))


def _other_file(raw: bytes) -> str | None:
    """What to do with a file read as CSV that is a workbook, Parquet, or UTF-16 or UTF-32
    text (``None``: none of these)."""
    if raw.startswith(b"PK\x03\x04"):
        return (
            "is a zip archive, not CSV text; if it is an Excel workbook (one is a zip), give it "
            "a .xlsx name (and `sheet:` in its table spec), or save it from Excel as CSV UTF-8"
        )
    if raw.startswith(b"PAR1"):
        return "is a Parquet file: give it a .parquet name"
    if raw.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "is UTF-32 text: save it as CSV UTF-8"
    if _looks_utf16(raw):
        return "is UTF-16 text: set `encoding: utf-16` in its table spec, or save it as CSV UTF-8"
    return None


def _looks_utf16(raw: bytes) -> bool:
    """A UTF-16 byte-order mark, or the NUL bytes of UTF-16 text in Latin letters."""
    return raw.startswith((b"\xff\xfe", b"\xfe\xff")) or (
        len(raw) >= 4 and ((raw[1] == 0 and raw[3] == 0) or (raw[0] == 0 and raw[2] == 0))
    )


def _one_byte(encoding: str) -> bool:
    """Whether ``encoding`` writes every character in one byte (cp1252, latin-1 ...)."""
    return len(bytes(range(256)).decode(encoding, errors="replace")) == 256


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _transcode(raw: bytes, encoding: str, display: str) -> bytes:
    """``raw`` decoded from ``encoding`` and encoded as UTF-8 (line breaks are kept); a file
    plainly in another encoding than the one stated is refused, saying which it is."""
    utf16 = normal_form(encoding).replace("-", "") == "utf16"
    found = fix = None
    if raw.startswith(b"\xef\xbb\xbf"):
        found, fix = "UTF-8 text (it starts with a UTF-8 byte-order mark)", "remove `encoding:`"
    elif utf16 and raw and not _looks_utf16(raw) and b"\x00" not in raw[:4096]:
        # UTF-16 writes its separators, digits and line ends with a NUL byte each
        found = "not UTF-16 text (no byte-order mark, no NUL byte in its first lines)"
    elif not utf16 and _looks_utf16(raw):
        found, fix = "UTF-16 text", "set `encoding: utf-16`"
    elif _one_byte(encoding) and not raw.isascii() and _is_utf8(raw):
        # text in a one-byte encoding is almost never valid UTF-8 once it holds a letter
        # beyond ASCII (é is one byte, 0xe9, which UTF-8 never writes alone); read as
        # stated, every é would become 'Ã©'
        found = "UTF-8 text (its letters beyond ASCII are written as UTF-8 writes them)"
        fix = "remove `encoding:`"
    if found is not None:
        message = f"is {found}, though its table spec says `encoding: {encoding}`"
        raise BundleError(Problem(message + (f": {fix}" if fix else ""), display, 1))
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as err:
        line = raw[: err.start].decode(encoding, errors="replace").count("\n") + 1
        raise BundleError(
            Problem(
                f"not valid {encoding} (byte 0x{raw[err.start]:02x} at offset {err.start}); "
                "check the `encoding:` of its table spec",
                display,
                line,
            )
        ) from err
    return text.encode("utf-8")


def _detect_separator(header: bytes, sample: bytes) -> str:
    """The separator of a text table, one of ``,`` ``;`` tab and ``|``: the only one in the
    header row outside its quoted names; when it holds several, the one that ``csv.Sniffer``
    finds in as many places on every line of ``sample`` (the file's first lines), else the
    most frequent in the header row. So a header cell such as ``Notes; follow-up; owner``
    does not make a comma file a semicolon one. ``,`` when the header holds none."""
    header = re.sub(rb'"[^"]*"', b"", header)
    counts = {sep: header.count(sep.encode()) for sep in _SEPARATORS}
    present = [sep for sep in _SEPARATORS if counts[sep]]
    if len(present) < 2:
        return present[0] if present else ","
    text = sample[: sample.rfind(b"\n") + 1 or len(sample)].decode("utf-8", errors="replace")
    try:
        found = csv.Sniffer().sniff(text, delimiters="".join(_SEPARATORS)).delimiter
    except csv.Error:  # one column, or no separator alike on every line
        found = ""
    if counts.get(found):
        return found
    best = max(_SEPARATORS, key=lambda sep: counts[sep])  # a tie keeps the earlier
    return best if counts[best] else ","


#: How much of a text table's start the separator is looked for in.
_SNIFF_BYTES = 16_384


#: A date or date-time cell as fastexcel gives it as text: its date is what it holds.
_DATE_CELL = r"^(\d{4}-\d{2}-\d{2}) \d{2}:\d{2}:\d{2}(?:\.\d+)?$"


def _date_cells(value: pl.Expr, date_format: str | None) -> pl.Expr:
    """``value`` (text) with each date cell given as its date: ISO, or in ``date_format`` when
    the table spec states one, so that the date cell and the spec's text dates read alike."""
    if date_format is None:
        return value.str.replace(_DATE_CELL, "${1}")
    # from the midnight of the cell's date: the format may write a time too
    day = value.str.replace(_DATE_CELL, "${1}").str.strptime(
        pl.Datetime, "%Y-%m-%d", strict=False, cache=False
    )
    return (
        pl.when(value.str.contains(_DATE_CELL)).then(day.dt.strftime(date_format)).otherwise(value)
    )


def _blank_rows_dropped(cells: pl.DataFrame) -> pl.DataFrame:
    """``cells`` (``__line``, then text) without the rows whose every cell is blank."""
    columns = [c for c in cells.columns if c != "__line"]
    if not columns:
        return cells.clear()
    blank = pl.all_horizontal((pl.col(c).is_null() | (pl.col(c) == "")) for c in columns)
    return cells.filter(~blank)


_EMPTY_SHEET = "empty sheet: expected a header row"


def _xlsx_frame(
    raw: bytes, sheet: str | None, display: str, date_format: str | None = None
) -> tuple[list[str], pl.DataFrame, int]:
    """The header, the cells (as text, ``c0`` ...) of one sheet, plus a ``__line`` column
    with each row's sheet row number, and the header's row; blank rows are dropped. ``c0``
    is the sheet's column A, even when the sheet's first columns are empty. An error cell or
    a formula without a value reads as what it holds (see :func:`~mentorstd._xlsx.hidden_cells`).
    A sheet that calamine would lay out too large is refused first (see
    :func:`~mentorstd._xlsx.check_extent`)."""
    import fastexcel

    check_workbook(raw, display)  # before calamine opens it
    try:
        reader = fastexcel.read_excel(raw)
        names = reader.sheet_names
        if sheet is not None and sheet not in names:
            close = difflib.get_close_matches(sheet, names, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            listed = ", ".join(map(repr, names))
            raise BundleError(
                Problem(f"no sheet {sheet!r} in the workbook ({hint}sheets: {listed})", display)
            )
        marked = check_extent(raw, sheet, display)
        loaded = reader.load_sheet(
            sheet if sheet is not None else 0, header_row=None, dtypes="string", skip_rows=0
        )
        used = loaded.available_columns()
        cells = loaded.to_polars()
    except fastexcel.FastExcelError as err:
        message = f"cannot be read as an xlsx workbook: {_first_line(err)}"
        raise BundleError(Problem(message, display)) from err
    # the sheet's used range may start right of column A: its columns keep their letters
    skipped = used[0].absolute_index if used else 0
    cells = pl.DataFrame(
        [
            *(pl.Series(f"c{i}", [None] * cells.height, pl.String) for i in range(skipped)),
            *(
                cells.get_column(old).alias(f"c{skipped + i}")
                for i, old in enumerate(cells.columns)
            ),
        ]
    )
    # an error or an uncalculated formula reads as what the cell holds, not as a blank; such
    # a cell is a blank to calamine, so a sheet without blanks holds none (its XML is read
    # again only when it holds a formula or an error at all)
    blanks = sum(cells.null_count().row(0)) if cells.width else 0
    hidden = hidden_cells(raw, sheet) if blanks and marked else {}
    if hidden:
        columns: dict[int, list[tuple[int, str]]] = {}
        for (row, col), text in hidden.items():
            if row < cells.height and col < cells.width:
                columns.setdefault(col, []).append((row, text))
        cells = cells.with_columns(
            cells.get_column(f"c{col}").scatter([r for r, _ in at], [t for _, t in at])
            for col, at in columns.items()
        )
    # an Excel date cell arrives as 'YYYY-MM-DD 00:00:00': the date is what it holds
    cells = _blank_rows_dropped(
        cells.select(
            _date_cells(pl.col(c).str.strip_chars(), date_format) for c in cells.columns
        ).with_row_index("__line", offset=1)
    )
    # columns right of the last one with anything in it are no columns (a cell cleared with a
    # space far to the right, or an empty formula filled across, widens the sheet's range)
    if cells.height == 0 or cells.width == 1:  # (a chart sheet reads as no cells too)
        raise BundleError(Problem(_EMPTY_SHEET, display, 1))
    filled = cells.select((pl.all().exclude("__line").fill_null("") != "").any()).row(0)
    last = max((i for i, found in enumerate(filled) if found), default=-1)
    cells = cells.select("__line", *(f"c{i}" for i in range(last + 1)))
    header = [(v or "").strip() for v in cells.row(0)[1:]]
    return header, cells.slice(1), int(cells.item(0, "__line"))


def _parquet_text(values: pl.Series, date_format: str | None) -> pl.Series | None:
    """A Parquet column as text, the way an xlsx sheet gives the same values: a date (also a
    datetime) as its date, in ``date_format`` when the spec states one; a whole
    float as an integer; no exponent. ``None`` for values with no text form (lists,
    structures, durations, bytes that are not UTF-8 text)."""
    dtype = values.dtype
    if dtype.is_nested() or dtype == pl.Object or isinstance(dtype, pl.Duration):
        return None
    if isinstance(dtype, pl.Datetime):  # a date and time: its date, as an xlsx cell's
        return _parquet_text(values.dt.date(), date_format)
    if dtype == pl.Date:  # written from its midnight: the format may write a time too
        if date_format:
            return values.cast(pl.Datetime).dt.strftime(date_format)
        return values.cast(pl.String)
    if isinstance(dtype, pl.Decimal):  # 3.00 as 3 and 2.50 as 2.5, as a spreadsheet shows them
        text = values.cast(pl.String)
        return text.str.replace(r"(\.[0-9]*?)0+$", "${1}").str.replace(r"\.$", "")
    if dtype.is_float():
        whole = values.is_finite() & (values == values.round()) & (values.abs() < 2**53)
        text = pl.select(
            pl.when(pl.lit(whole))
            .then(pl.lit(values).cast(pl.Int64, strict=False).cast(pl.String))
            .otherwise(pl.lit(values).cast(pl.String))
        ).to_series()
        exponent = text.str.contains("e", literal=True).fill_null(False)
        if exponent.any():  # 1e-07 is 0.0000001, as a spreadsheet shows it
            rows = exponent.arg_true()
            plain = [format(decimal.Decimal(v), "f") for v in text.gather(rows).to_list()]
            text = text.scatter(rows, plain)
        return text
    try:
        return values.cast(pl.String)
    except pl.exceptions.PolarsError:  # bytes that are not UTF-8, or no text form at all
        return None


def _parquet_frame(
    raw: bytes, display: str, date_format: str | None = None
) -> tuple[list[str], pl.DataFrame, dict[int, str]]:
    """The header, the cells as text (see :func:`_parquet_text`) with each row's number
    (``__line``; blank rows dropped) and, by position, the columns whose values have no text
    form (what they hold)."""
    try:
        frame = pl.read_parquet(io.BytesIO(raw))
    except (pl.exceptions.PolarsError, OSError) as err:
        raise BundleError(
            Problem(f"cannot be read as Parquet: {_first_line(err)}", display)
        ) from err
    header = [str(c).strip() for c in frame.columns]
    texts: list[pl.Series] = []
    unreadable: dict[int, str] = {}
    for i, name in enumerate(frame.columns):
        text = _parquet_text(frame.get_column(name), date_format)
        if text is None:  # such a column reads as blank; one of ours is an error (see _parse)
            dtype = frame.schema[name]
            unreadable[i] = (
                "bytes that are not UTF-8 text" if dtype == pl.Binary else f"{dtype} values"
            )
            text = pl.Series([None] * frame.height, dtype=pl.String)
        texts.append(text.alias(f"c{i}"))
    cells = _blank_rows_dropped(pl.DataFrame(texts).with_row_index("__line", offset=1))
    return header, cells, unreadable


def _read_bytes(path: Path, display: str, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise BundleError(
                Problem(f"file is {size} bytes, larger than the {max_bytes}-byte limit", display)
            )
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as err:
        raise BundleError(Problem(f"cannot read file: {err.strerror or err}", display)) from err
    if len(raw) > max_bytes:  # the file grew while being read
        raise BundleError(Problem(f"file is larger than the {max_bytes}-byte limit", display))
    return raw


def _header_record(raw: bytes, start: int, separator: str | None) -> bytes:
    """The header row's bytes from ``start``: its first line, and the lines after it while a
    quoted name is still open (an Excel header cell wrapped onto a few lines). Without a
    ``separator`` yet, the lines are followed while the quotes are odd (to find it)."""
    first = end = raw.find(b"\n", start)
    for _ in range(_HEADER_LINES):
        if end == -1:
            return raw[start:]
        if separator is None:
            open_quote = raw.count(b'"', start, end) % 2 == 1
        else:
            record = raw[start : end + 1].decode("utf-8", errors="replace")
            try:
                next(csv.reader([record], delimiter=separator, strict=True))
                open_quote = False
            except csv.Error as err:  # only an open quoted field runs on to the next line
                open_quote = str(err) == "unexpected end of data"
        if not open_quote:
            return raw[start : end + 1]
        end = raw.find(b"\n", end + 1)
    return raw[start:] if first == -1 else raw[start : first + 1]


#: Most lines a header row may span (a wrapped header cell).
_HEADER_LINES = 10


def _utf8_text(raw: bytes, display: str) -> str:
    """``raw`` as text (a byte-order mark dropped), or a located error for bad UTF-8."""
    try:  # -sig: utf8_problem counts its offsets after a byte-order mark
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise BundleError(utf8_problem(raw, err, display, _UTF8_HINT)) from err


def _header(raw: bytes, separator: str, display: str) -> list[str]:
    """The column names of the header record ``raw`` (see :func:`_header_record`)."""
    text = _utf8_text(raw[:-1] if raw.endswith(b"\n") else raw, display)
    if not text.strip():
        raise BundleError(Problem("empty file: expected a header row", display, 1))
    if re.search("\r(?!\n)", text.rstrip("\r")):
        raise BundleError(
            Problem(
                "lines end with a carriage return alone (an old Mac format); "
                "save the file with LF or CRLF line ends",
                display,
                1,
            )
        )
    try:
        row = next(csv.reader([text.rstrip("\r")], delimiter=separator, strict=True))
    except csv.Error as err:
        raise BundleError(Problem(f"the header row is malformed: {err}", display, 1)) from err
    for position, name in enumerate(row, start=1):
        # csv takes a stray quote in a name as text; polars would open a quoted field there
        # and read the whole file into the header
        if '"' in name:
            raise BundleError(
                Problem(
                    f"column name {excerpt(name)} holds a quote; column names may not",
                    display,
                    1,
                    position,
                )
            )
    return _width_checked([name.strip() for name in row], display)


def _width_checked(header: list[str], display: str) -> list[str]:
    if len(header) > MAX_COLUMNS:
        raise BundleError(
            Problem(
                f"the header has {len(header)} columns; at most {MAX_COLUMNS} are accepted",
                display,
                1,
            )
        )
    return header


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where the records of a text file are: per data record its first line, its field count,
    whether it is a blank line, and where it starts (``starts``: byte offsets, with one more
    for the end of the text)."""

    lines: pl.Series
    fields: pl.Series
    blank: pl.Series
    starts: pl.Series


def _layout(raw: bytes, separator: str, display: str) -> _Layout:
    """The records of the file (see :class:`_Layout`); the header is the first record."""
    text = _utf8_text(raw, display)
    if text.endswith("\n"):
        text = text[:-1]
    frame = (
        pl.DataFrame({"line": [text]})
        .select(pl.col("line").str.split("\n"))
        .explode("line")
        .with_row_index("no", offset=1)
        .with_columns(  # in bytes of ``raw``, whose byte-order mark the text has not
            start=(pl.col("line").str.len_bytes() + 1).cum_sum().shift(1, fill_value=0)
            + (3 if raw.startswith(b"\xef\xbb\xbf") else 0)
        )
        .with_columns(pl.col("line").str.strip_suffix("\r"))
        .with_columns(quotes=pl.col("line").str.count_matches('"', literal=True))
        .with_columns(inside=((pl.col("quotes").cum_sum() - pl.col("quotes")) % 2) == 1)
    )
    # separators outside quotes: split each line at its quotes and keep every other piece,
    # starting with the first piece when the line starts outside a quoted field
    pieces = pl.col("line").str.split('"')
    outside = (
        pl.when(pl.col("quotes") == 0)
        .then(pl.when(pl.col("inside")).then(pl.lit("")).otherwise(pl.col("line")))
        .when(pl.col("inside"))
        .then(pieces.list.gather_every(2, 1).list.join(""))
        .otherwise(pieces.list.gather_every(2, 0).list.join(""))
    )
    frame = frame.with_columns(
        seps=outside.str.count_matches(separator, literal=True),
        record=(~pl.col("inside")).cum_sum() - 1,
    )
    records = (
        frame.group_by("record", maintain_order=True)
        .agg(
            pl.col("no").first().alias("line"),
            pl.col("start").first(),
            (pl.col("seps").sum() + 1).alias("fields"),
            # empty, or separators alone (a spreadsheet's empty row), whatever their count
            (
                (pl.len() == 1)
                & (pl.col("line").first().str.replace_all(separator, "", literal=True) == "")
            ).alias("blank"),
        )
        .slice(1)  # the header
    )
    starts = pl.concat([records["start"], pl.Series([len(raw)], dtype=records["start"].dtype)])
    return _Layout(records["line"], records["fields"], records["blank"], starts)


def _records(body: bytes, layout: _Layout, dropped: pl.Series) -> bytes:
    """The header of ``body`` and its records but the ``dropped`` ones (sorted record
    numbers): the text between them is copied whole."""
    starts = layout.starts
    parts = [body[: int(starts[0])]]
    after = 0
    for record in dropped.to_list():
        parts.append(body[int(starts[after]) : int(starts[record])])
        after = record + 1
    parts.append(body[int(starts[after]) :])
    text = b"".join(parts)
    return text if text.endswith(b"\n") else text + b"\n"


def _record_hint(body: bytes, layout: _Layout, record: int, separator: str, width: int) -> str:
    """What may be wrong with ragged record ``record``, when its text shows it (``""``: the
    line number is all there is to say): an invisible line (a Ctrl-Z end mark, white space
    alone), or a line in another separator. Said of that record's line alone (the rows said
    to be like it have its field count, not its text), and without its text, which may
    hold free text that an error message must not repeat."""
    text = body[int(layout.starts[record]) : int(layout.starts[record + 1])]
    line = text.decode("utf-8", errors="replace").rstrip("\r\n")
    at = f"line {int(layout.lines[record])}"
    if not line.strip(" \t\x1a"):
        if "\x1a" in line:
            return f" ({at} holds a Ctrl-Z end mark, as old DOS programs write: delete it)"
        return f" ({at} holds white space only: delete it)"
    cells = [cell.strip().strip('"') for cell in line.split(separator)]
    label = next((cell for cell in cells if cell), "")
    if re.match(_TOTALS, label):  # (the pattern reads alike in Python and in polars)
        return f" ({at} is a totals row, which is no record: delete it)"
    for other in _SEPARATORS:
        if other != separator and line.count(other) == width - 1:
            return f" ({at} split on {other!r} has {width} fields: is it in another separator?)"
    return ""


_Parsed = tuple[
    pl.DataFrame, pl.Series | None, "_Problems", dict[str, int], bool, list[str], str | None
]
"""What :func:`_parse` gives (see there)."""

#: How many rows that cannot be placed are looked at for a quote that is to blame, and how
#: far into each (a record left open runs to the end of the file).
_FAULTS_LOOKED_AT = 50
_FAULT_SCAN_CHARS = 1 << 20


def _quote_faults(
    body: bytes, layout: _Layout, ragged: pl.Series, separator: str, problems: _Problems
) -> list[int]:
    """The records whose quotes are to blame for their place, each said where its quote is: a
    quote never closed (its record runs to the end of the file) or one inside a field that
    does not start with one. The first few of the ``ragged`` records are looked at, and the
    last record when the file's quotes are odd."""
    starts = layout.starts
    looked = ragged.head(_FAULTS_LOOKED_AT).to_list()
    last = layout.lines.len() - 1
    faulty: list[int] = []
    if body.count(b'"') % 2 and last >= 0:
        # odd quotes: the first stray quote of the file (ph"one), if it comes before the last
        # record, is to blame rather than that record, which the quotes' parity made up
        stray = _first_stray(body, separator)
        if stray is not None and stray < int(starts[last]):
            record = int(starts.search_sorted(stray, side="right")) - 1
            after = body.count(b"\n", stray) - (1 if body.endswith(b"\n") else 0)
            line = body.count(b"\n", 0, stray) + 1
            problems.at(_STRAY_QUOTE + _unchecked(after), line)
            faulty.extend(range(record, last + 1))
            looked = [r for r in looked if r < record]
        elif last not in looked:
            looked.append(last)
    for record in looked:
        fault = _record_fault(body, layout, record, separator)
        if fault is None:
            continue
        kind, line, after = fault
        message = _UNCLOSED_QUOTE if kind == "open" else _STRAY_QUOTE
        problems.at(message + _unchecked(after), line)
        faulty.append(record)
    return faulty


def _record_fault(
    body: bytes, layout: _Layout, record: int, separator: str
) -> tuple[str, int, int] | None:
    """The first fault of the quotes of record ``record`` (see :func:`_quote_fault`): its
    kind, its line, and how many of the record's lines come after it."""
    start, end = int(layout.starts[record]), int(layout.starts[record + 1])
    if body.find(b'"', start, end) == -1:
        return None  # no quote to blame
    text = body[start:end].decode("utf-8", errors="replace")
    fault = _quote_fault(text[:_FAULT_SCAN_CHARS], separator)  # (a loop in Python)
    if fault is None:
        return None
    kind, offset = fault
    after = text.count("\n", offset) - (1 if text.endswith("\n") else 0)
    return kind, int(layout.lines[record]) + text.count("\n", 0, offset), after


def _first_stray(raw: bytes, separator: str) -> int | None:
    """Where the first quote inside a field that does not start with one is (``ph"one``: csv
    takes it as text, polars refuses it); ``None`` where there is none. A quote that ends a
    field is not looked at: it may close a quoted one."""
    sep = re.escape(separator.encode())
    other = rb"[^" + sep + rb'"\r\n]'
    # the quote first: re finds a pattern that starts with a literal forty times faster
    stray = re.search(rb'"(?<=' + other + rb'")(?=' + other + rb")", raw)
    return None if stray is None else stray.start()


def _unchecked(after: int) -> str:
    """What a problem adds for the ``after`` lines that a quote swallowed into its record:
    they are not read as rows."""
    if after <= 0:
        return ""
    lines = "line after it is" if after == 1 else f"{after} lines after it are"
    return f"; the {lines} not checked until it is fixed"


def _placed(
    body: bytes,
    layout: _Layout,
    ragged: pl.Series,
    faulty: list[int],
    separator: str,
    width: int,
    problems: _Problems,
    index: dict[str, int],
    quoted: bool,
    header: list[str],
) -> _Parsed | None:
    """What :func:`_parse` gives for the records of ``body`` that can be placed: all but the
    blank, ``ragged`` and ``faulty`` ones, read on their own, each on its own lines (``None``:
    polars refuses them still). The table's ids are then not all known (``unplaced``)."""
    dropped = (
        pl.concat([layout.blank.arg_true(), ragged, pl.Series(faulty, dtype=ragged.dtype)])
        .unique()
        .sort()
    )
    try:
        frame = _read_csv(_records(body, layout, dropped), separator, width)
    except pl.exceptions.PolarsError:
        return None
    keep = ~pl.int_range(layout.lines.len(), eager=True).is_in(dropped.implode())
    lines = layout.lines.filter(keep)
    if frame.height != lines.len():  # pragma: no cover - polars and we disagree
        return None
    problems.lines = lines
    problems.unplaced = True
    return frame, lines, problems, index, quoted, header, separator


def _quote_fault(text: str, separator: str) -> tuple[str, int] | None:
    """The first fault of the quotes in ``text`` (a record and what follows it): ``stray``
    and its offset for a quote inside a field that does not start with one; ``open`` and the
    offset of its quote for a quoted field never closed."""
    at, end, field_start = 0, len(text), True
    while at < end:
        char = text[at]
        if char == '"' and field_start:  # a quoted field: to its closing quote
            opened, at = at, at + 1
            while True:
                close = text.find('"', at)
                if close == -1:
                    return "open", opened
                if text.startswith('""', close):
                    at = close + 2
                    continue
                at = close + 1
                break
            field_start = False
            continue
        if char == '"':
            return "stray", at
        field_start = char in (separator, "\n") or (char == "\r" and field_start)
        at += 1
    return None


def _without_empty_rows(
    frame: pl.DataFrame, lines: pl.Series | None, quoted: bool
) -> tuple[pl.DataFrame, pl.Series | None]:
    """``frame`` and the ``lines`` of its rows (``None``: row i on line i + 2) without the
    rows whose every cell is blank (null, or a quoted ``""`` when the file has quotes): a line
    of separators alone, as a spreadsheet saves its empty rows, is a blank line."""
    if not frame.width:
        return frame, lines
    blank = pl.all().is_null() | (pl.all() == "") if quoted else pl.all().is_null()
    if not frame.select(pl.first()).select(blank.any()).item():
        return frame, lines  # a row with its first cell filled (an id, mostly) is not empty
    empty = frame.select(pl.all_horizontal(blank)).to_series()
    if not empty.any():
        return frame, lines
    if lines is None:
        lines = pl.int_range(2, frame.height + 2, dtype=pl.Int64, eager=True)
    return frame.filter(~empty), lines.filter(~empty)


#: A first cell that marks a totals row, as report exports end: the word alone, or with a
#: count ("Grand Total (34 records)", "Total: 34", "Count"); not an id that starts so
#: (SUM-0176).
_TOTALS = (
    r"(?i)^\s*(?:(?:grand\s+)?(?:sub)?totals?|count|sum|average|mean)\s*:?\s*"
    r"(?:\([^)]*\)|[0-9][0-9.,\s]*)?\s*$"
)
#: How many last rows are looked at for a totals row.
_TAIL_ROWS = 5


def _without_stray_rows(
    frame: pl.DataFrame, lines: pl.Series | None, header: list[str], problems: _Problems
) -> tuple[pl.DataFrame, pl.Series | None]:
    """``frame`` and the ``lines`` of its rows without the rows that are no records, each
    said once: the header again (exports pasted one below another; in any case), and a
    totals row among the last few. Checked, their cells would be said one by one as bad
    values, or pass for a record (a total in range, a survey respondent called 'Total').
    Both are known by the table's first named column (a sheet's table may start right of
    column A)."""
    named = [(f"c{i}", h) for i, h in enumerate(header) if h and f"c{i}" in frame.columns]
    if not frame.height or not named:
        return frame, lines
    column, name = named[0]
    first = frame.get_column(column)
    again = pl.Series([], dtype=pl.UInt32)
    # a cheap look first (the header's first name, as written or in another case), then
    # the whole row, only where that matched
    spellings = list(dict.fromkeys([name, name.lower(), name.upper(), name.title()]))
    looked = first.is_in(spellings)
    if looked.any():
        same = pl.all_horizontal(
            pl.col(c).str.strip_chars().str.to_lowercase() == h.lower() for c, h in named
        )
        again = (looked & frame.select(same.fill_null(False)).to_series()).arg_true()
    tail = max(0, frame.height - _TAIL_ROWS)
    totals = first.slice(tail).str.contains(_TOTALS).fill_null(False).arg_true() + tail
    totals = totals.filter(~totals.is_in(again.implode()))
    if not again.len() and not totals.len():
        return frame, lines
    problems.rows(again, "the row repeats the header (one export pasted below another?): delete it")
    message = "{value} starts a totals row, which is no record: delete the row"
    problems.rows(totals, message, int(column[1:]) + 1, None, first)
    if lines is None:
        lines = pl.int_range(2, frame.height + 2, dtype=pl.Int64, eager=True)
    keep = ~pl.int_range(frame.height, eager=True).is_in(pl.concat([again, totals]).implode())
    problems.lines = lines.filter(keep)
    return frame.filter(keep), problems.lines


def _doubled_return(raw: bytes, quoted: bool) -> int | None:
    """Where the first line of ``raw`` ending in two carriage returns ends (``None``: none
    does). In a file with quotes, a ``\\r\\r\\n`` inside a quoted cell is the cell's text: only
    one after an even number of quotes ends a line."""
    at = raw.find(b"\r\r\n")
    quotes, counted = 0, 0
    while at != -1:
        if not quoted:
            return at
        quotes += raw.count(b'"', counted, at)
        counted = at
        if quotes % 2 == 0:
            return at
        at = raw.find(b"\r\r\n", at + 3)
    return None


def _read_csv(raw: bytes, separator: str, width: int) -> pl.DataFrame:
    """Every cell as text, the columns named ``c0``, ``c1`` ... by position."""
    return pl.read_csv(
        raw,
        has_header=True,
        separator=separator,
        quote_char='"',
        infer_schema=False,
        new_columns=[f"c{i}" for i in range(width)],
        raise_if_empty=False,
    )


def _is_plain(
    raw: bytes,
    frame: pl.DataFrame,
    separator: str,
    width: int,
    quoted: bool,
    newlines: int | None,
    header_inside: int,
) -> bool:
    """True when every line of the file is one record of the header's width: row ``i`` is on
    line ``i + 2``.

    polars refuses a row with too many fields and gives every other line a row: a blank line
    a row of nulls, a short row nulls in the fields it lacks. So when each line is one record
    and no row lacks its last field, every line is a full record. A line is one record when
    the file has no quote (no quoted field can hold a newline), or when its ``newlines``
    (counted when it has a quote, or a carriage return, which alone could end a line) match
    its rows. One exception: on a last line with no line end, polars drops one extra empty
    field (``a,b,``) without a word, so a file not ending in a newline is counted.

    When some rows have no last field (a blank last cell is null too), or the file does not
    end in a newline, the separators outside quoted cells are counted instead: (width - 1) a
    line when no row is short or long and no line blank. ``quoted``: the file has a quote;
    ``header_inside``: the separators inside the header's quoted names.
    """
    lines = frame.height + 1
    ended = raw.endswith(b"\n")
    if newlines is not None and newlines + (not ended) != lines:
        return False
    if ended and frame.get_column(f"c{width - 1}").null_count() == 0:
        return True
    inside = header_inside
    if quoted:  # separators inside quoted cells
        counts_in = [
            pl.col(c).str.count_matches(separator, literal=True).sum() for c in frame.columns
        ]
        inside += int(frame.select(pl.sum_horizontal(counts_in)).item() or 0)
    return raw.count(separator.encode()) == (width - 1) * lines + inside


def _malformed(
    raw: bytes, separator: str, width: int, records: pl.Series, display: str, err: Exception
) -> Problem:
    """Locate what polars could not parse: bad UTF-8, quotes that ``csv`` refuses too, a stray
    quote, else the first record that polars refuses (``records``: the first line of each
    record after the header)."""
    try:
        text = _utf8_text(raw, display)
    except BundleError as bad:
        return bad.problems[0]
    # lines end at \\n only: a lone carriage return inside a quoted cell is the cell's text
    reader = csv.reader(io.StringIO(text, newline="\n"), delimiter=separator, strict=True)
    line = 1  # where the record being read starts
    try:
        for _ in reader:
            line = reader.line_num + 1
    except csv.Error as bad:
        if str(bad) == "unexpected end of data":  # a quote opened there runs to the end
            return Problem(_UNCLOSED_QUOTE, display, line)
        return Problem(f"malformed quoting: {bad}", display, reader.line_num)
    stray = _first_stray(raw, separator)
    if stray is not None:
        return Problem(_STRAY_QUOTE, display, raw.count(b"\n", 0, stray) + 1)
    if str(err) == _UNCLOSED_QUOTE:  # an odd quote on a last line with no line end
        return Problem(_UNCLOSED_QUOTE, display, int(records[-1]) if records.len() else 1)
    first = _first_line(err)
    refused = _first_refused(raw, separator, width, records.to_list())
    return Problem(f"cannot be read as CSV: {first}", display, refused)


_ROWS_UNCHECKED = (
    "the cells of its rows are checked once the problems above are fixed (until then its rows "
    "cannot all be placed)"
)

_UNCLOSED_QUOTE = (
    "malformed quoting: a quoted field starting on this line is never closed (its closing "
    "quote is missing, or a quote inside it is not doubled)"
)

_STRAY_QUOTE = (
    "a quote inside a field that does not start with one; quote the whole field and double "
    'the quote inside it (ph"one becomes "ph""one")'
)


def _line_starts(raw: bytes) -> list[int]:
    """The offset of each line of ``raw``: line ``n`` (from 1) starts at ``[n - 1]``."""
    return [0, *(m.end() for m in re.finditer(b"\n", raw))]


def _first_refused(raw: bytes, separator: str, width: int, records: list[int]) -> int | None:
    """The first line of the first record that polars refuses to parse, found by parsing
    the header with ever longer runs of whole records (a binary search); ``None`` when every
    run parses."""
    starts = _line_starts(raw)

    def parses(count: int) -> bool:  # the header and the first ``count`` records
        end = starts[records[count] - 1] if count < len(records) else len(raw)
        try:
            _read_csv(raw[:end], separator, width)
        except pl.exceptions.PolarsError:
            return False
        return True

    low, high = 0, len(records)  # the header alone parses; all records do not
    if parses(high):
        return None
    while high - low > 1:
        middle = (low + high) // 2
        if parses(middle):
            low = middle
        else:
            high = middle
    return records[high - 1]


# -- validation --------------------------------------------------------------------------------


def _closest(name: str, candidates: list[str]) -> str | None:
    """The header among ``candidates`` most like our column ``name`` (or ``None``)."""
    keys = {_header_key(c): c for c in reversed(candidates)}
    close = difflib.get_close_matches(_header_key(name), list(keys), n=1, cutoff=0.5)
    if close:
        return keys[close[0]]
    words = [w for w in _header_key(name.replace("_", " ")).split() if w] or [_header_key(name)]
    for candidate in candidates:
        if all(w in _header_key(candidate) for w in words):
            return candidate
    return None


def _more_columns(message: str, positions: list[int]) -> str:
    """``message`` for the first of ``positions`` (0-based), saying where the others are."""
    others = [p + 1 for p in positions[1:]]
    return _like_it(message, others, len(others), ("column", "column"))


#: How many rows below the first are looked at for a header row that is not the first.
_HEADER_SEARCH_ROWS = 30


def _text_rows(raw: bytes, separator: str) -> list[tuple[int, list[str]]]:
    """The first lines after line 1 of a text file, each split into fields (by line number)."""
    end = -1
    for _ in range(_HEADER_SEARCH_ROWS + 1):  # only the bytes of those lines are decoded
        end = raw.find(b"\n", end + 1)
        if end == -1:
            break
    head = raw if end == -1 else raw[:end]
    lines = head.decode("utf-8-sig", errors="replace").splitlines()[1 : 1 + _HEADER_SEARCH_ROWS]
    rows = []
    for number, line in enumerate(lines, start=2):
        try:
            rows.append((number, next(csv.reader([line], delimiter=separator), [])))
        except csv.Error:
            continue
    return rows


def _header_below(
    rows: list[tuple[int, list[str]]], spec: tuple[Column, ...], tspec: TableSpec
) -> int | None:
    """The number of the first of ``rows`` that holds most of the columns of ours that a table
    must have, as its header would (``None``: none does)."""
    needed = {c.name for c in spec if not c.optional_column}
    for number, row in rows:
        found = _check_header(
            [name.strip() for name in row], spec, _Problems(""), None, None, tspec
        )
        if len(needed & found.keys()) * 2 > len(needed):  # most of them: one may be misnamed
            return number
    return None


def _header_hint(
    problems: _Problems,
    rows: list[tuple[int, list[str]]],
    spec: tuple[Column, ...],
    tspec: TableSpec,
) -> None:
    """Where the header has missing columns and a row below holds most of them: one problem
    saying where the header seems to be, instead of one a missing column."""
    missing = _missing_columns(problems)
    if not missing:
        return
    below = _header_below(rows, spec, tspec)
    if below is None:
        return
    names = [p.field or "" for p in missing]
    listed = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
    _instead_of(
        problems,
        missing,
        f"the header row seems to be line {below}: remove the lines above it (missing from "
        f"this row: {listed})",
    )


def _missing_columns(problems: _Problems) -> list[Problem]:
    """The "missing column" problems said so far."""
    return [p for p in problems.items if p.message.startswith("missing column")]


def _cells_checkable(problems: _Problems, index: dict[str, int]) -> bool:
    """Whether the cells of the columns found are checked in the same run as the header's
    problems: when its only problems are missing columns (the header is the file's header,
    some of ours are not in it), and it has some of ours."""
    missing = _missing_columns(problems)
    return bool(index) and len(missing) == len(problems.items)


def _instead_of(problems: _Problems, missing: list[Problem], message: str) -> None:
    """``message``, at the line of the first of ``missing``, in place of all of them."""
    problems.items = [p for p in problems.items if p not in missing]
    problems.at(message, missing[0].line)


#: How many sheets after the first a missing table is looked for in (each is looked through
#: and read in part).
_HINT_SHEETS = 10


def _sheet_hint(
    problems: _Problems, raw: bytes, spec: tuple[Column, ...], tspec: TableSpec
) -> None:
    """Where the first sheet of a workbook (read when no ``sheet`` is given) lacks columns and
    another sheet's first rows hold most of them: one problem naming that sheet, instead of
    one a missing column."""
    missing = _missing_columns(problems)
    found = _other_sheet(raw, spec, tspec) if missing else None
    if found is not None:
        first, name = found
        said = _first_sheet(first, "lacks the table's columns", name, "has them")
        _instead_of(problems, missing, said)


def _first_sheet(first: str, state: str, other: str, has: str) -> str:
    """What to say when the first sheet (``first``, read when the table spec names no sheet)
    is not the table (``state``), and the sheet ``other`` has the table's columns (``has``)."""
    return (
        f"the first sheet, {first!r}, is read when the table spec names no sheet, and it "
        f"{state}; the sheet {other!r} {has}: set `sheet: {other!r}`"
    )


def _other_sheet(raw: bytes, spec: tuple[Column, ...], tspec: TableSpec) -> tuple[str, str] | None:
    """The workbook's first sheet and the first of the next few whose first rows hold most of
    the table's columns (``None``: none does)."""
    import fastexcel

    try:
        reader = fastexcel.read_excel(raw)
        names = reader.sheet_names
        for name in names[1 : 1 + _HINT_SHEETS]:
            try:
                check_extent(raw, name, "")
            except BundleError:  # a sheet too large to lay out is no hint
                continue
            head = reader.load_sheet(
                name, header_row=None, dtypes="string", n_rows=_HEADER_SEARCH_ROWS
            ).to_polars()
            rows = [(n, [v or "" for v in r]) for n, r in enumerate(head.rows(), start=1)]
            if _header_below(rows, spec, tspec) is not None:
                return names[0], name
    except fastexcel.FastExcelError:
        return None
    return None


def _check_header(
    header: list[str],
    spec: tuple[Column, ...],
    problems: _Problems,
    personal_column: Callable[[str], bool] | None,
    privacy_help: str | None,
    tspec: TableSpec = _DEFAULT_SPEC,
    separator: str = ",",
    line: int = 1,
) -> dict[str, int]:
    """Position (0-based) of each known column in ``header`` (on ``line`` of the file);
    problems for doubled and missing columns, a note for headers that nothing maps to.

    A header is ours when the table spec's ``columns`` maps it to one of ours, when it is one
    of our names, or when it equals one of them but for case, spaces and punctuation
    (``Match ID`` is ``match_id``) and ``columns`` does not map that name elsewhere.
    """
    known = {c.name for c in spec}
    for mapped_name in tspec.columns:
        if mapped_name not in known:
            expected = ", ".join(c.name for c in spec)
            problems.at(
                f"columns maps {mapped_name!r}, which is not a column of this table ({expected})",
                None,
                None,
                mapped_name,
            )
    header = [header_text(name) for name in header]
    theirs_to_ours: dict[str, str] = {}
    shared: set[str] = set()  # ours that `columns` maps to a header it maps another to
    for mapped_name, theirs in tspec.columns.items():
        theirs = header_text(theirs)  # noqa: PLW2901
        first = theirs_to_ours.setdefault(theirs, mapped_name)
        if first != mapped_name:
            shared.add(mapped_name)
            problems.at(
                f"columns maps both {first!r} and {mapped_name!r} to {theirs!r}; a "
                "header is one column: map one of them to another header",
                None,
                None,
                mapped_name,
            )
    lenient = {_header_key(c.name): c.name for c in spec}
    index: dict[str, int] = {}
    ignored: list[str] = []
    doubled: dict[str, list[int]] = {}  # our name -> positions of its second, third ... column
    personal: list[int] = []
    for pos, name in enumerate(header):
        ours = theirs_to_ours.get(name)
        if ours is None and name in known and name not in tspec.columns:
            ours = name
        if ours is None:
            candidate = lenient.get(_header_key(name))
            if candidate is not None and candidate not in tspec.columns:
                ours = candidate
        if ours is None:
            if personal_column is not None and personal_column(name) and privacy_help:
                personal.append(pos)
            else:
                ignored.append(name)
            continue
        if ours in index:
            doubled.setdefault(ours, []).append(pos)
            continue
        index[ours] = pos
    for ours, positions in doubled.items():
        first = header[index[ours]]
        same = [p for p in positions if header[p] == first]
        if same:  # the very same header again: located at its second copy
            at = [index[ours], *same]
            times = "twice" if len(same) == 1 else f"{len(at)} times"
            shown = ", ".join(str(p + 1) for p in at[:SHOWN_LINES])
            tail = f" and {len(at) - SHOWN_LINES} more" if len(at) > SHOWN_LINES else ""
            message = f"column {excerpt(first)} appears {times} (columns {shown}{tail})"
            problems.at(message, line, same[0] + 1, ours)
        renamed = [p for p in positions if header[p] != first]
        if renamed:  # another header that means the same column
            name = header[renamed[0]]
            message = f"columns {excerpt(first)} and {excerpt(name)} are both {ours!r}"
            problems.at(_more_columns(message, renamed), line, renamed[0] + 1, ours)
    if personal:
        name = header[personal[0]]
        message = f"column {excerpt(name)} looks like personal data: {privacy_help}"
        problems.at(_more_columns(message, personal), line, personal[0] + 1, name[:EXCERPT_CHARS])
    unused = [h for h in ignored if h]
    for column in spec:
        if column.name in index or column.name in shared:
            continue
        mapped = tspec.columns.get(column.name)
        if mapped is None and column.optional_column:
            continue
        message = f"missing column {column.name!r}"
        if mapped is not None:
            message += f": `columns:` maps it to {mapped!r}, which is not in the header"
        others = [s for s in _SEPARATORS if s != separator and header and s in header[0]]
        close = _closest(mapped or column.name, unused)
        if len(header) == 1 and others:
            message += f" (the header is one column: set `delimiter: {others[0]!r}`)"
        elif close is not None and len(close) <= EXCERPT_CHARS:
            message += (
                f" (did you mean {close!r}? map it with `columns: {{{column.name}: {close}}}`)"
            )
        elif close is not None:
            message += f" (did you mean {excerpt(close)}?)"
        problems.at(message, line, None, column.name)
    if unused:
        shown = ", ".join(map(excerpt, unused[:6])) + (
            f" and {len(unused) - 6} more" if len(unused) > 6 else ""
        )
        problems.notes.append(
            f"{problems.display}: ignored {len(unused)} column{'s' if len(unused) > 1 else ''} "
            f"{_UNMAPPED}: {shown}"
        )
    return index


#: How the note on a table's ignored columns says them, before their names.
_UNMAPPED = "that nothing maps to"


def report_note(note: str) -> str:
    """A loading note as reports give it: ignored columns counted, not named (a report prints
    no text from the tables; a header may be anything, and with personal data allowed no
    name was checked). ``validate`` and ``plan`` name them on stderr (from
    :attr:`Bundle.warnings`)."""
    head, found, _ = note.partition(f" {_UNMAPPED}: ")
    return f"{head} {_UNMAPPED} (a report does not name them)" if found else note


def _cell_checks(
    column: Column, value: pl.Expr, date_format: str | None = None
) -> list[tuple[pl.Expr, str]]:
    """(bad-value expression, message) pairs, in the order they apply; a value is reported
    under the first that it fails. ``{value}`` in a message stands for the value."""
    checks: list[tuple[pl.Expr, str]] = [
        (
            value.str.len_chars() > MAX_FIELD_CHARS,
            f"a field is longer than {MAX_FIELD_CHARS} characters",
        )
    ]
    kind = column.type
    if kind == "id":
        checks.append(
            (
                ~value.str.contains(ID_PATTERN) | (value.str.len_chars() > MAX_ID_CHARS),
                "{value} is not a valid id (" + _ID_HELP + ")",
            )
        )
    elif kind == "enum":
        choices = ", ".join(column.choices)
        checks.append(
            (
                ~value.is_in(list(column.choices)),
                "{value} is not one of " + choices + _ENUM_HINT,
            )
        )
    elif kind == "date" and date_format is not None:
        parsed = value.str.strptime(pl.Date, date_format, strict=False)
        checks.append(
            (
                parsed.is_null(),
                f"{{value}} is not a date in date_format {date_format!r}{{serial_hint}}"
                "{format_hint}",
            )
        )
        checks.append(
            (
                (parsed < DATE_MIN) | (parsed > DATE_MAX),
                f"{{value}} is out of range ({DATE_MIN} to {DATE_MAX}){{format_hint}}",
            )
        )
    elif kind == "date":
        parsed = value.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        checks.append(
            (
                ~value.str.contains(_DATE_PATTERN) | parsed.is_null(),
                "{value} is not a date (YYYY-MM-DD){date_hint}",
            )
        )
        checks.append(
            (
                (parsed < DATE_MIN) | (parsed > DATE_MAX),
                f"{{value}} is out of range ({DATE_MIN} to {DATE_MAX})",
            )
        )
    elif kind in ("int", "number"):
        pattern = _INT_PATTERN if kind == "int" else _NUMBER_PATTERN
        what = "a whole number" if kind == "int" else "a number"
        checks.append((~value.str.contains(pattern), "{value} is not " + what + "{number_hint}"))
        number = value.cast(pl.Float64, strict=False)
        if column.minimum is not None:
            low = column.minimum
            checks.append((number < low, f"{{value}} is below the minimum {low:g}"))
        if column.maximum is not None:
            high = column.maximum
            checks.append((number > high, f"{{value}} is above the maximum {high:g}"))
        checks.append((~number.is_finite(), "{value} is not a finite number"))
    return checks


_ENUM_HINT = " (other words for these go under `values:` in the table spec)"
_US_DATE = r"^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}$"


def _serial_hint(values: pl.Series) -> str:
    """Advice for a column of dates most of which are Excel day numbers."""
    serials = values.str.contains(r"^[0-9]{5}(?:\.0+)?$").sum()
    if serials * 2 > values.len():
        return (
            "; most dates here look like Excel date serial numbers: format the column as dates "
            "in the workbook"
        )
    return ""


def _date_hint(values: pl.Series) -> str:
    """Advice for a column of dates that are not ISO: when most look like MM/DD/YYYY (or
    DD/MM/YYYY), the ``date_format`` to set (or Excel day numbers, see :func:`_serial_hint`)."""
    serial = _serial_hint(values)
    if serial:
        return serial
    looks = values.filter(values.str.contains(_US_DATE))
    if looks.len() * 2 <= values.len():
        best = _best_format(values, _HINTED_FORMATS)
        if best is None:
            return ""
        return f"; most dates here read in {best!r}: set `date_format: {best!r}` in the table spec"
    parts = looks.str.split("/")
    day_first = bool((parts.list.get(0).cast(pl.Int64) > 12).any()) and not bool(
        (parts.list.get(1).cast(pl.Int64) > 12).any()
    )
    shape, fmt = ("DD/MM/YYYY", "%d/%m/%Y") if day_first else ("MM/DD/YYYY", "%m/%d/%Y")
    return f"; most dates here look like {shape}: set `date_format: {fmt!r}` in the table spec"


#: Date formats a table's dates are often in, tried on the dates its ``date_format`` refuses.
_OTHER_DATE_FORMATS = (
    "%Y-%m-%d",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%m/%d/%y",
    "%d/%m/%y",
    "%d.%m.%y",
)


#: Date and time formats that exports write, tried on dates that are not ISO (slash dates
#: are said by :func:`_date_hint` itself): a timestamp's date is its date.
_HINTED_FORMATS = (
    *(f for f in _OTHER_DATE_FORMATS if "/" not in f and f != "%Y-%m-%d"),
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
)


def _best_format(values: pl.Series, formats: Iterable[str]) -> str | None:
    """The format of ``formats`` that reads the most of ``values`` as dates in range, when it
    reads more than half of them (``None``: none does)."""
    best, count = "", 0
    for other in formats:
        read = values.str.strptime(pl.Date, other, strict=False)
        found = int(read.is_between(DATE_MIN, DATE_MAX).sum())
        if found > count:
            best, count = other, found
    return best if count * 2 > values.len() else None


def _format_hint(values: pl.Series, date_format: str | None) -> str:
    """Advice for dates that ``date_format`` refuses (or reads out of range) when most of them
    read in another common format: that format, and a warning when it only swaps day and
    month (the dates whose day is 12 or less read either way, wrongly in one)."""
    if date_format is None or not values.len():
        return ""
    others = (f for f in (*_OTHER_DATE_FORMATS, *_HINTED_FORMATS) if f != date_format)
    best = _best_format(values, dict.fromkeys(others))
    if best is None:
        return ""
    if best == "%Y-%m-%d":
        return "; most of these are ISO dates (YYYY-MM-DD), which need no date_format"
    swapped = best == date_format.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
    check = (
        " (if so, the dates it did read, those whose day is 12 or less, were read with day and "
        "month swapped)"
        if swapped
        else ""
    )
    return f"; most of these read in {best!r}: is that the file's date format?{check}"


#: A duration written as a time (1:30), and the columns that hold durations in hours.
_DURATION = r"^[0-9]+:[0-5][0-9](?::[0-5][0-9])?$"
_DURATIONS = frozenset({"hours"})

#: Numbers written otherwise than a plain number, and what to say of them: ``1,234`` may be a
#: thousand and more or a decimal comma; ``1,5`` is a decimal comma; an xlsx time cell; a
#: duration written as a time; a whole number with a decimal point.
_NUMBER_HINTS = (
    (r"^-?[0-9]{1,3}(?:,[0-9]{3})+$", " (write no thousands separator, and a decimal point)"),
    (r"^-?[0-9]+,[0-9]+$", " (write a decimal point, not a comma)"),
    # a duration in a cell formatted as a time ([h]:mm): a date in Excel's first days
    (
        r"^(?:1899-12-3[01]|1900-01-[0-9]{2})$",
        " (the cell is formatted as a time or a date: format the column as numbers, "
        "hours as a decimal, 1.5 for 1:30)",
    ),
    # a duration written as a time
    (_DURATION, " (a duration: write hours as a decimal, 1.5 for 1:30)"),
    # a whole number with a decimal point (pandas writes an integer column with blanks so)
    (r"^-?[0-9]+\.0+$", " (write it without the decimal point: a whole number column)"),
)


#: What exports write for "no value", said as such where a column that may be blank
#: refuses them (compared in lower case, spaces set aside). Not Excel's ``#N/A``: that is a
#: formula that failed, which a map to blank would hide.
_PLACEHOLDERS = ("n/a", "na", "null", "none", "nil", "-", "--", "?", "tbd", "(blank)")


#: Other values of a grouped problem named beside its first.
SHOWN_VALUES = 4


def _other_values(bad: pl.Series) -> str:
    """The values of ``bad`` (the refused cells of a problem, in file order) besides the
    first, as a message names them: in an enumeration each needs a `values:` map of its
    own, so one run names them, the first few at least."""
    # one `values:` key covers a value in any case and spacing
    distinct = bad.unique(maintain_order=True)
    keys = pl.Series([normal_form(str(v)) for v in distinct.to_list()], dtype=pl.String)
    distinct = distinct.filter(keys.is_first_distinct())
    first, others = distinct.head(1), distinct.slice(1)
    # (formulas with no saved value have one fix, which their hint gives)
    distinct = first.append(others.filter(~others.str.starts_with("=")))
    if distinct.len() < 2:
        return ""
    shown = ", ".join(excerpt(str(v)) for v in distinct.slice(1, SHOWN_VALUES).to_list())
    more = distinct.len() - 1 - SHOWN_VALUES
    return f"; also {shown}" + (f" and {more} more values" if more > 0 else "")


def _value_kinds(
    values: pl.Series, name: str, *, numbers: bool, blank: bool, workbook: bool = False
) -> list[tuple[str, pl.Series]]:
    """``values`` that a column refuses, by the hint that fits them (``""``: none): spaces at
    the start or end; for a column that may be blank (``blank``), placeholders for no
    value; for a number (``numbers``), the ways of writing one with a comma."""
    kinds = []
    rest = values
    if workbook:  # (calamine gives a formula with no saved value as what it holds)
        formula = rest.str.starts_with("=")
        hint = (
            "; it is a formula with no saved value (a program that does not calculate wrote "
            "the workbook): open it in a spreadsheet program and save it again"
        )
    else:  # ="0012": a text formula, as exports write a value to keep Excel off it
        formula = rest.str.contains(r'^="[^"]*"$')
        hint = (
            '; it is written as an Excel text formula (="..."), as some exports keep leading '
            "zeros: write the value alone"
        )
    if formula.any():
        kinds.append((hint, rest.filter(formula)))
        rest = rest.filter(~formula)
    padded = rest.str.contains(r"^\s|\s$")  # (a CSV cell keeps its spaces; a sheet's does not)
    if padded.any():
        hint = "; it starts or ends with a space, which is kept: remove it"
        kinds.append((hint, rest.filter(padded)))
        rest = rest.filter(~padded)
    if blank:
        fits = rest.str.strip_chars().str.to_lowercase().is_in(_PLACEHOLDERS)
        if fits.any():  # ({first}: the first such value in the file, filled in by the caller)
            hint = (
                "; if it stands for no value, map it to blank in the table spec: "
                f"`values: {{{name}: {{{{first}}: ''}}}}`"
            )
            kinds.append((hint, rest.filter(fits)))
            rest = rest.filter(~fits)
    for pattern, hint in _NUMBER_HINTS if numbers else ():
        if pattern == _DURATION and name not in _DURATIONS:
            continue  # (a count is no duration: 1.5 would be refused there too)
        fits = rest.str.contains(pattern)
        if fits.any():
            kinds.append((hint, rest.filter(fits)))
            rest = rest.filter(~fits)
    if rest.len():
        kinds.insert(0, ("", rest))
    return kinds


def stands_for(target: str, choices: tuple[str, ...]) -> str:
    """The choice a value map's ``target`` stands for: itself, the choice it is in another
    case or spacing, or the choice it is a synonym of (a synonym of another column's choice
    stays outside ``choices``, and is refused there)."""
    if target in choices:
        return target
    wanted = normal_form(target)
    return wanted if wanted in choices else SYNONYMS.get(wanted, target)


def _value_map(
    column: Column, values: list[str], given: Mapping[str, str] | None
) -> dict[str, str | None]:
    """Replacements for a column's distinct ``values``: the table spec's ``values`` (exact, else
    in normal form), then, for an enumeration, a choice in normal form or a synonym. A value
    mapped to ``""`` becomes blank."""
    exact = {k.strip(): v for k, v in (given or {}).items()}
    lenient = {normal_form(k): v for k, v in (given or {}).items()}
    out: dict[str, str | None] = {}
    for value in values:
        target: str | None
        norm = normal_form(value)
        if value.strip() in exact or norm in lenient:
            target = exact[value.strip()] if value.strip() in exact else lenient[norm]
            if target and column.type == "enum":
                target = stands_for(target, column.choices)
        elif column.type != "enum" or value in column.choices:
            continue
        elif norm in column.choices:
            target = norm
        elif SYNONYMS.get(norm) in column.choices:
            target = SYNONYMS[norm]
        else:
            continue
        if target != value:
            out[value] = target or None
    return out


def _typed(column: Column, value: pl.Expr, date_format: str | None = None) -> pl.Expr:
    if column.type == "date":
        # no cache: polars' per-value cache costs more than it saves on repeated dates
        return value.str.strptime(pl.Date, date_format or "%Y-%m-%d", strict=False, cache=False)
    if column.type == "int":
        return value.cast(pl.Int64, strict=False)
    if column.type == "number":
        return value.cast(pl.Float64, strict=False)
    return value


Known = tuple[pl.Series, str]
"""A referenced column's values and the file they come from."""


def _candidates(column: Column) -> pl.Expr:
    """The distinct values of a column that its checks must look at.

    Free text is only checked for its length; an enumeration only where a value is not one
    of its choices; other columns every distinct value. (A referencing column is checked only
    where a value is not among the referenced ones, which are valid ids already: see
    :func:`_validate_columns`.)
    """
    value = pl.col(column.name)
    if column.type == "text":  # bytes >= characters: the check itself counts characters
        return value.filter(value.str.len_bytes() > MAX_FIELD_CHARS).unique()
    if column.type == "enum":
        return value.filter(value.is_not_null() & ~value.is_in(list(column.choices))).unique()
    return value.drop_nulls().unique()


def _rows_in(frame: pl.LazyFrame, column: str, target: pl.Series, name: str) -> pl.LazyFrame:
    """``frame`` with column ``name``: each value of ``column``'s row in ``target`` (its first
    row; null where it is not there), and ``__same/{name}``, false where that row's id is not
    the value after all.

    The ids are joined on their 64-bit hashes, which joins a shuffled contact log three times
    faster than on the strings (polars' ``replace_strict`` with a large mapping is slower
    still). Each row found carries its id and is compared with the value: two ids with one
    hash never pass for each other (see :func:`_resolved`). Where two of ``target``'s ids share
    a hash, the join is on the ids themselves.
    """
    rows = _target_rows(target, name)
    keys = rows.select(_id_hash(pl.col("__id"))).to_series()
    same = f"__same/{name}"
    if keys.is_duplicated().any():  # two of the target's ids share a hash
        return _joined_on_ids(frame, column, rows).with_columns(pl.lit(True).alias(same))
    found = frame.with_columns(_id_hash(pl.col(column)).alias("__hash")).join(
        rows.with_columns(keys.alias("__hash")).lazy(),
        on="__hash",
        how="left",
        maintain_order="left",
    )
    matched = pl.col("__id").is_null() | (pl.col("__id") == pl.col(column)).fill_null(False)
    return found.select(*frame.collect_schema().names(), name, matched.alias(same))


def _target_rows(target: pl.Series, name: str) -> pl.DataFrame:
    """``target``'s ids (``__id``), each once, at its first row (``name``); a null is no id:
    nothing refers to it."""
    ids = target.cast(pl.String)
    rows = pl.DataFrame({"__id": ids}).with_row_index(name)
    if ids.has_nulls():
        rows = rows.drop_nulls("__id")
    if ids.is_duplicated().any():
        rows = rows.unique("__id", keep="first", maintain_order=True)
    return rows


def _joined_on_ids(frame: pl.LazyFrame, column: str, rows: pl.DataFrame) -> pl.LazyFrame:
    """``frame`` with the row of each value of ``column`` among :func:`_target_rows`."""
    return frame.join(
        rows.lazy(), left_on=column, right_on="__id", how="left", maintain_order="left"
    )


def _id_hash(ids: pl.Expr) -> pl.Expr:
    """The key that ids are joined on (a test swaps in a weak one, to make ids collide)."""
    return ids.hash()


def _resolved(
    strings: pl.DataFrame, column: str, target: pl.Series, rows: pl.DataFrame, name: str
) -> pl.Series:
    """The rows of :func:`_rows_in` found in ``rows`` (its ``name`` and ``__same/{name}``),
    joined again on the ids themselves where a hash matched a different id."""
    if rows.get_column(f"__same/{name}").all():
        return rows.get_column(name)
    exact = _joined_on_ids(strings.lazy().select(column), column, _target_rows(target, name))
    return exact.collect(engine="in-memory").get_column(name)


@functools.cache
def _checks_of(
    column: Column, date_format: str | None
) -> tuple[list[tuple[pl.Expr, str]], pl.Expr]:
    """A column's checks on its values (``v``) and the expression of the first each fails;
    built once per column and date format."""
    checks = _cell_checks(column, pl.col("v"), date_format)
    return checks, _first_failed(checks).alias("k")


def _first_failed(checks: list[tuple[pl.Expr, str]]) -> pl.Expr:
    """The number of the first check that a value fails (null: it passes them all)."""
    return pl.coalesce(
        pl.when(expr.fill_null(False)).then(pl.lit(n)) for n, (expr, _) in enumerate(checks)
    )


def _mapped(
    strings: pl.DataFrame,
    present: list[Column],
    tspec: TableSpec,
    outside: dict[str, pl.Series],
    changed: set[str],
) -> pl.DataFrame:
    """``strings`` with value maps applied, worked out on distinct values only. Without
    ``outside``: the spec's value maps, on every value of the columns it maps. With it: the
    lenient enumerations, on each listed column's ``outside`` values (its values outside its
    choices); a column the spec maps is never mapped twice."""
    replace: list[pl.Expr] = []
    for column in present:
        given = tspec.values.get(column.name)
        if outside:
            if column.name not in outside or given:
                continue
            values = outside[column.name]
        elif given:
            values = strings.get_column(column.name).drop_nulls().unique()
        else:
            continue
        mapping = _value_map(column, values.to_list(), given)
        if mapping:
            replace.append(pl.col(column.name).replace(mapping))
            changed.add(column.name)
    return strings.with_columns(replace) if replace else strings


def _validate_columns(
    raw: pl.DataFrame,
    spec: tuple[Column, ...],
    index: dict[str, int],
    problems: _Problems,
    references: dict[str, Known],
    *,
    quoted: bool = True,
    tspec: TableSpec = _DEFAULT_SPEC,
    workbook: bool = False,
) -> tuple[
    pl.DataFrame, dict[str, pl.Series], dict[str, pl.Series], frozenset[str], dict[str, pl.Series]
]:
    """The typed frame, with a problem for every bad cell (grouped per column and kind), each
    id column's distinct values, each referencing column's rows in the referenced table, the
    columns whose values were mapped (synonyms, case, the spec's value maps), and the rows of
    each column whose cell has a problem (blank where required, or refused by its checks).

    A cell refused by its checks is said once: a value that is not an id is not also said to
    be repeated or unknown.

    Values are checked once each: the checks run on a column's distinct values (see
    :func:`_candidates`), and rows are looked up only for the values that fail. A table
    without problems costs two polars queries, each over all its columns at once.
    """
    present = [c for c in spec if c.name in index]
    # a blank cell is null: polars reads an empty cell as null, a quoted "" as ""
    strings = raw.select(
        (
            pl.col(f"c{index[c.name]}").replace("", None) if quoted else pl.col(f"c{index[c.name]}")
        ).alias(c.name)
        for c in present
    )
    changed: set[str] = set()  # columns whose values were rewritten
    if any(tspec.values.get(c.name) for c in present):
        strings = _mapped(strings, present, tspec, {}, changed)
    date_format = tspec.date_format
    refs = {c.name: references[c.name] for c in present if c.name in references}

    def summary() -> tuple[pl.DataFrame, dict[str, pl.Series]]:
        """Typed columns and rows found in referenced tables (full length), and each
        column's candidate values (see :func:`_candidates`)."""
        # each lookup joins its own column only: carrying the others through the join costs
        # as much again
        full = pl.concat(
            [
                strings.lazy().select(_typed(c, pl.col(c.name), date_format) for c in present),
                *(
                    _rows_in(strings.lazy().select(n), n, known[0], f"__rows/{n}").drop(n)
                    for n, known in refs.items()
                ),
            ],
            how="horizontal",
        )
        agg = strings.lazy().select(_candidates(c).implode() for c in present if c.name not in refs)
        # the in-memory engine: the streaming one keeps the joined rows in order much slower
        typed_rows, lists = pl.collect_all([full, agg], engine="in-memory")
        unique = {n: lists.get_column(n)[0] for n in lists.columns}
        return typed_rows, unique

    typed_rows, unique = summary()
    lenient = {
        c.name: unique[c.name]
        for c in present
        if c.type == "enum" and not tspec.values.get(c.name) and unique[c.name].len()
    }
    if lenient:  # enumeration values outside the choices: synonyms, case, spaces
        mapped = _mapped(strings, present, tspec, lenient, changed)
        if mapped is not strings:
            strings = mapped
            typed_rows, unique = summary()
    # taken column by column: a select would first copy every column into the join's chunks
    # (136 MB and 0.15 CPU-seconds on 2.5M contacts)
    typed = pl.DataFrame([typed_rows.get_column(c.name) for c in present])
    referenced = {
        n: _resolved(strings, n, known[0], typed_rows, f"__rows/{n}").alias(n)
        for n, known in refs.items()
    }
    for name, found in referenced.items():  # a value missing there is a candidate
        values = strings.get_column(name)
        if found.null_count() == values.null_count():
            unique[name] = values.clear()
        else:
            unique[name] = values.filter(found.is_null() & values.is_not_null()).unique()
    # each column's candidates through its checks, all columns in one query
    checks = {c.name: _checks_of(c, date_format) for c in present}
    looked = [c.name for c in present if unique[c.name].len()]
    flagged = dict(
        zip(
            looked,
            pl.collect_all(
                pl.LazyFrame({"v": unique[n]}).select("v", checks[n][1]).drop_nulls("k")
                for n in looked
            ),
            strict=True,
        )
    )
    nulls = strings.null_count().row(0, named=True)
    distinct: dict[str, pl.Series] = {}
    invalid: dict[str, pl.Series] = {}
    for column in present:
        name, col_no = column.name, index[column.name] + 1
        values = strings.get_column(name)
        given = raw.get_column(f"c{index[name]}") if name in changed else None
        bad_rows: list[pl.Series] = []
        if column.required and nulls[name]:
            bad_rows.append(values.is_null().arg_true())
            message = "a value is required"
            if given is not None and given[bad_rows[-1][0]] is not None:
                message += " (`values:` makes {value} blank)"
            problems.rows(bad_rows[-1], message, col_no, name, given)
        candidates = unique[name]
        bad_values = flagged.get(name)
        if bad_values is not None and bad_values.height:
            for n, (_, template) in enumerate(checks[name][0]):
                bad = bad_values.filter(pl.col("k") == n).get_column("v")
                if not bad.len():
                    continue
                message = template
                if "{date_hint}" in template:
                    message = template.replace("{date_hint}", _date_hint(candidates))
                if "{serial_hint}" in template:
                    message = template.replace("{serial_hint}", _serial_hint(candidates))
                if "{format_hint}" in message:
                    message = message.replace("{format_hint}", _format_hint(bad, tspec.date_format))
                # a hint fits some values only: each kind is said on its own
                numbers = "{number_hint}" in template
                kinds = _value_kinds(
                    bad, name, numbers=numbers, blank=not column.required, workbook=workbook
                )
                for kind, some in kinds:
                    bad_rows.append(values.is_in(some.implode()).arg_true())
                    hint = kind.replace("{first}", repr(values[bad_rows[-1][0]]))
                    said = message.replace("{number_hint}", hint) if numbers else message + hint
                    if column.type == "enum":  # each value needs a `values:` map of its own
                        said += _other_values(values.gather(bad_rows[-1]))
                    problems.rows(bad_rows[-1], said, col_no, name, values, given)
            # the values said to be bad are not said again below
            candidates = candidates.filter(~candidates.is_in(bad_values.get_column("v").implode()))
        if column.unique and unique[name].len() + nulls[name] != values.len():
            repeated = values.is_not_null() & ~values.is_first_distinct()
            if candidates.len() != unique[name].len():
                repeated &= values.is_in(candidates.implode())
            rows = repeated.arg_true()
            if rows.len():  # (every repeated value may be one said to be bad already)
                first = (values == values[rows[0]]).arg_true()[0]  # the value's first row
                where = f"first at line {problems.line(first)}"
                message = f"{{value}} appears more than once ({where})"
                problems.rows(rows, message, col_no, name, values, given)
        known = refs.get(name)
        if known is not None and candidates.len():
            # every candidate left passed the id checks: it is not in the target
            suffix = f" ({candidates.len()} unknown ids in all)" if candidates.len() > 1 else ""
            rows = values.is_in(candidates.implode()).arg_true()
            # in file order: the hint's example is the value the message names
            hint = _id_case_hint(values.gather(rows).unique(maintain_order=True), known[0])
            message = f"{{value}} is not a {name} in {known[1]}{hint}{suffix}"
            problems.rows(rows, message, col_no, name, values, given)
        if bad_rows:
            invalid[name] = pl.concat(bad_rows)
        if column.type == "id" and known is None:
            distinct[name] = candidates
    return typed, distinct, referenced, frozenset(changed), invalid


def _lowered(values: pl.Series) -> pl.Series:
    return values.str.to_lowercase()


def _unpadded(values: pl.Series) -> pl.Series:
    return values.str.strip_chars_start("0")


#: How ids written by two systems may differ: a key for both, and what to say.
_ID_LIKENESS: tuple[tuple[Callable[[pl.Series], pl.Series], str], ...] = (
    (_lowered, "ids match exactly, case too: {unknown!r} is {known!r} there"),
    (
        _unpadded,
        "ids match exactly, leading zeros too: {unknown!r} is {known!r} there; a spreadsheet "
        "that takes ids for numbers drops their zeros, or only shows them through a number "
        "format: format the id columns as text",
    ),
)


def _id_case_hint(unknown: pl.Series, ids: pl.Series) -> str:
    """When most ``unknown`` ids are ``ids`` but for their case (``ri-0001`` for ``RI-0001``,
    as one system writes another's ids) or their leading zeros (``0001`` for ``1``, as a
    spreadsheet keeps ids it reads as numbers), one of them, to say that ids match exactly."""
    target = ids.drop_nulls()
    for key, said in _ID_LIKENESS:
        pairs = pl.DataFrame({"unknown": unknown, "key": key(unknown)}).join(
            pl.DataFrame({"known": target, "key": key(target)}).unique(
                "key", keep="first", maintain_order=True
            ),
            on="key",
            maintain_order="left",
        )
        if pairs.height * 2 > unknown.len():
            return " (" + said.format(**pairs.row(0, named=True)) + ")"
    return ""


def _check_matches(
    table: pl.DataFrame,
    index: dict[str, int],
    problems: _Problems,
    invalid: dict[str, pl.Series],
) -> None:
    """Row rules of the matches table, on the rows whose cells in the rule are valid
    (``invalid``: the rows of each column whose cell has a problem of its own)."""
    frame = table.with_row_index("__row")
    rules = (
        (
            pl.col("end_date") < pl.col("start_date"),
            ("end_date", "start_date"),
            "end_date is before start_date",
        ),
        (
            pl.col("planned_end_date") < pl.col("start_date"),
            ("planned_end_date", "start_date"),
            "planned_end_date is before start_date",
        ),
        (
            pl.col("closure_reason").is_not_null() & pl.col("end_date").is_null(),
            ("closure_reason", "end_date"),
            "closure_reason is set but end_date is blank (an active match has no closure reason)",
        ),
    )
    for expr, (column, other), message in rules:
        if column not in index or other not in index:  # (a missing column is said already)
            continue
        broken = [invalid[c] for c in (column, other) if c in invalid]
        valid = ~pl.col("__row").is_in(pl.concat(broken).implode()) if broken else pl.lit(True)
        rows = frame.filter(expr.fill_null(False) & valid).get_column("__row")
        problems.rows(rows, message, index[column] + 1, column)


# -- the reader --------------------------------------------------------------------------------


def _parse(
    raw: bytes,
    suffix: str,
    spec: tuple[Column, ...],
    display: str,
    personal_column: Callable[[str], bool] | None,
    privacy_help: str | None,
    tspec: TableSpec,
    aside: ThreadPoolExecutor,
) -> tuple[pl.DataFrame, pl.Series | None, _Problems, dict[str, int], bool, list[str], str | None]:
    """The file's cells as text (``c0``, ``c1`` ... in file order), the line of each row
    (``None``: row i is on line i + 2; a sheet's row number for a workbook), the problems so
    far, each known column's position, whether a blank cell may read as ``""``, the header as
    the file gives it and its separator (``None`` for a workbook or Parquet).

    Raises the problems that leave no cell placeable: NUL bytes, bad UTF-8, a wrong header, a
    file polars refuses twice. Rows that cannot be placed (ragged, or a quote to blame) are
    said in the problems and left out; the others are given (``problems.unplaced``).
    """
    if suffix in (".xlsx", ".xlsm", ".parquet"):
        unreadable: dict[int, str] = {}
        header_line = 1  # a sheet's header may be below blank rows
        if suffix == ".parquet":
            header, cells, unreadable = _parquet_frame(raw, display, tspec.date_format)
        else:
            try:
                header, cells, header_line = _xlsx_frame(
                    raw, tspec.sheet, display, tspec.date_format
                )
            except BundleError as err:  # an empty first sheet: another may hold the table
                found = None
                if tspec.sheet is None and [p.message for p in err.problems] == [_EMPTY_SHEET]:
                    found = _other_sheet(raw, spec, tspec)
                if found is None:
                    raise
                state = "holds no cells (an empty sheet, or a chart)"
                message = _first_sheet(found[0], state, found[1], "has the table's columns")
                raise BundleError(Problem(message, display, 1)) from None
        header = _width_checked(header, display)
        problems = _Problems(display)
        index = _check_header(
            header, spec, problems, personal_column, privacy_help, tspec, line=header_line
        )
        if problems.items:  # title rows above the header?
            head = cells.head(_HEADER_SEARCH_ROWS)
            rows = zip(head.get_column("__line").to_list(), head.drop("__line").rows(), strict=True)
            _header_hint(problems, [(n, [v or "" for v in r]) for n, r in rows], spec, tspec)
        if problems.items and suffix != ".parquet" and tspec.sheet is None:
            _sheet_hint(problems, raw, spec, tspec)  # another sheet holds the table?
        for name, pos in index.items():
            if pos in unreadable:
                problems.at(
                    f"column {excerpt(header[pos])} holds {unreadable[pos]}; mentorstd reads "
                    "one plain value a cell: text, a number, a date or true/false",
                    1,
                    pos + 1,
                    name,
                )
        if not _cells_checkable(problems, index):
            raise BundleError(problems.sorted())
        # values under a blank header cell belong to no column: said, as ignored headers are
        unnamed = [
            pos for pos, h in enumerate(header) if not h and cells[f"c{pos}"].is_not_null().any()
        ]
        if unnamed:
            letters = ", ".join(column_letters(pos + 1) for pos in unnamed[:6])
            beyond = f" and {len(unnamed) - 6} more" if len(unnamed) > 6 else ""
            problems.notes.append(
                f"{display}: ignored the values of column{'s' * (len(unnamed) > 1)} {letters}"
                f"{beyond}, whose header cell is blank"
            )
        lines = cells.get_column("__line").cast(pl.Int64)
        problems.lines = lines
        return cells.drop("__line"), lines, problems, index, True, header, None
    if normal_form(tspec.encoding) in ("utf-8", "utf8", "utf-8-sig"):
        _sniff(raw, display)
    else:
        raw = _transcode(raw, tspec.encoding, display)
    if b"\x00" in raw:
        line = raw.count(b"\n", 0, raw.index(b"\x00")) + 1
        more = raw.count(b"\x00") - 1
        others = f"; {more} more in the file" if more else ""
        message = (
            f"contains a NUL byte (is this really a CSV text file?){others}; the table's cells "
            "are checked once the NUL bytes are removed"
        )
        raise BundleError(Problem(message, display, line))
    # polars skips a UTF-8 byte-order mark itself, and the mark holds no quote, separator or
    # line end: the text after it is only copied out when the file is not plain (below)
    start = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    separator = tspec.delimiter or (
        "\t"
        if suffix == ".tsv"
        else _detect_separator(_header_record(raw, start, None), raw[start : start + _SNIFF_BYTES])
    )
    first_line = _header_record(raw, start, separator)
    if not first_line.strip() and raw[start + len(first_line) :].strip():
        below = _header_below(_text_rows(raw, separator), spec, tspec)
        where = "" if below is None else f"; the header row seems to be line {below}"
        message = f"line 1 is blank: the header row must be the first line{where}"
        raise BundleError(Problem(message, display, 1))
    header = _header(first_line, separator, display)
    width = len(header)
    problems = _Problems(display)
    index = _check_header(header, spec, problems, personal_column, privacy_help, tspec, separator)
    if problems.items:
        _header_hint(problems, _text_rows(raw, separator), spec, tspec)
    if not _cells_checkable(problems, index):
        raise BundleError(problems.sorted())
    quoted = b'"' in raw
    returns = b"\r" in raw
    # counted on the thread beside (holding the GIL) while polars parses (releasing it)
    newlines = aside.submit(raw.count, b"\n") if quoted or returns else None
    frame: pl.DataFrame | None = None
    try:
        frame = _read_csv(raw, separator, width)
    except pl.exceptions.PolarsError as err:
        error: Exception = err
    counted = None if newlines is None else newlines.result()
    if returns and (frame is None or frame.get_column(f"c{width - 1}").str.ends_with("\r").any()):
        # lines ending in \r\r\n: polars kept a carriage return in each last value (or
        # refused a quoted one); looked for only then, a search of the whole file
        doubled = _doubled_return(raw, quoted)
        if doubled is not None:
            raise BundleError(
                Problem(
                    "lines end with two carriage returns (\\r\\r\\n); save the file again with "
                    "CRLF or LF line ends",
                    display,
                    raw.count(b"\n", 0, doubled) + 1,
                )
            )
    if frame is not None and quoted and not raw.endswith(b"\n") and raw.count(b'"') % 2:
        # a quote left open on a last line with no line end: polars closes it at the end of
        # the file without a word; csv refuses it, as polars does once a line end follows
        error = pl.exceptions.ComputeError(_UNCLOSED_QUOTE)
        frame = None
    # the header has (width - 1) separators outside its quotes: the rest are inside
    header_inside = first_line.count(separator.encode()) - (width - 1)
    if frame is not None and _is_plain(
        raw, frame, separator, width, quoted, counted, header_inside
    ):
        return frame, None, problems, index, quoted, header, separator
    body = raw[start:]
    # not one record per line: where each record is, to place every row on its lines
    layout = _layout(body, separator, display)
    problems.lines = layout.lines
    ragged = ((layout.fields != width) & ~layout.blank).arg_true()
    faulty = _quote_faults(body, layout, ragged, separator, problems)
    if ragged.len() or faulty:
        # rows that cannot be placed are said; the others are checked too, read on their own
        fields = layout.fields.gather(ragged)
        for count in fields.filter(~ragged.is_in(faulty)).unique(maintain_order=True).to_list():
            word = "field" if count == 1 else "fields"
            these = ragged.filter((fields == count) & ~ragged.is_in(faulty))
            hint = _record_hint(body, layout, int(these[0]), separator, width)
            problems.rows(these, f"row has {count} {word}, the header has {width}{hint}")
        placed = _placed(
            body, layout, ragged, faulty, separator, width, problems, index, quoted, header
        )
        if placed is None:  # another fault among the rest: the first in the file, and stop
            first = _malformed(body, separator, width, layout.lines, display, error)
            if first.line not in {p.line for p in problems.items}:
                problems.items.append(first)
            raise BundleError([*problems.sorted(), Problem(_ROWS_UNCHECKED, display)])
        return placed
    keep = ~layout.blank
    if frame is None and layout.blank.any():  # a line of more separators than the header's?
        placed = _placed(
            body, layout, ragged, [], separator, width, problems, index, quoted, header
        )
        if placed is not None:
            problems.unplaced = False  # only blank lines were left out
            return placed
    if frame is None:  # the records are in place, yet polars refuses one: which, and why
        problem = _malformed(body, separator, width, layout.lines, display, error)
        refused = int(layout.lines.search_sorted(problem.line or 0, side="right")) - 1
        if problem.line is None or refused < 0:
            raise BundleError(problem)
        fault = _record_fault(body, layout, refused, separator)
        if fault is not None and fault[0] == "stray":  # ongoing" at the end of a line
            problem = Problem(_STRAY_QUOTE, display, fault[1])
        top = int(layout.lines[refused])
        start, end = int(layout.starts[refused]), int(layout.starts[refused + 1])
        bottom = top + body.count(b"\n", start, end) - 1
        if bottom > top:  # a record of several lines: the row they hold is left out
            where = f"; the row on lines {top}-{bottom} is not checked until it is fixed"
            problem = replace(problem, message=problem.message + where)
        problems.items.append(problem)
        placed = _placed(
            body, layout, ragged, [refused], separator, width, problems, index, quoted, header
        )
        if placed is None:
            raise BundleError([*problems.sorted(), Problem(_ROWS_UNCHECKED, display)])
        return placed
    if frame.height != layout.blank.len():  # pragma: no cover - polars and we disagree
        raise BundleError(
            Problem(
                f"cannot be read consistently ({frame.height} rows parsed, "
                f"{layout.blank.len()} records found)",
                display,
            )
        )
    lines = layout.lines.filter(keep)
    problems.lines = lines
    return frame.filter(keep), lines, problems, index, quoted, header, separator


def read_table(
    path: Path,
    name: str,
    *,
    display: str | None = None,
    references: dict[str, Known] | Callable[[], dict[str, Known]] | None = None,
    personal_column: Callable[[str], bool] | None = None,
    privacy_help: str | None = None,
    max_bytes: int | None = None,
    spec: TableSpec | None = None,
) -> Table:
    """Read and validate one table file (see :data:`TABLES`).

    Parameters
    ----------
    path : Path
        The file: CSV or other delimited text (UTF-8, a BOM allowed, unless ``spec`` states
        another encoding), an xlsx workbook (``.xlsx``) or Parquet (``.parquet``).
    name : str
        The table's name in :data:`TABLES`, or ``practices`` (the self-assessment sheet).
    display : str, optional
        How the file is named in messages (default: ``path``).
    references : dict or callable, optional
        For a referencing column (``Column.references``), the values it may hold and the file
        they come from; without it such a column is checked as ids only. A callable is called
        once the file is parsed, just before its cells are checked: a caller may read this file
        while the referenced table is still being read.
    personal_column : callable, optional
        Says whether an unknown column name looks like personal data (the privacy guard).
    privacy_help : str, optional
        Advice for a column that looks personal; ``None`` ignores such columns (personal data
        allowed).
    max_bytes : int, optional
        Largest file accepted (default :data:`MAX_TABLE_BYTES`).
    spec : TableSpec, optional
        How to read a table in a program's own shape: sheet, delimiter, encoding, date format,
        column and value maps.

    Raises
    ------
    BundleError
        With every problem of the file, each located ``file:line:column: field: message``.
    """
    display = display or str(path)
    columns = columns_of(name)
    tspec = spec or _DEFAULT_SPEC
    raw = _read_bytes(path, display, MAX_TABLE_BYTES if max_bytes is None else max_bytes)
    size = len(raw)
    # hashing (releasing the GIL) and counting lines run beside polars' parse (releasing it too)
    with ThreadPoolExecutor(1) as pool:
        digest = pool.submit(hashlib.sha256, raw)
        frame, lines, problems, index, quoted, header, separator = _parse(
            raw, path.suffix.lower(), columns, display, personal_column, privacy_help, tspec, pool
        )
        sha256 = digest.result().hexdigest()
        if separator is not None:  # a text file: its rows of empty cells are blank lines
            frame, lines = _without_empty_rows(frame, lines, quoted)
            problems.lines = lines
        frame, lines = _without_stray_rows(frame, lines, header, problems)
        del raw, digest  # the file's bytes are not needed any more: free them before checking
        known = references() if callable(references) else references
        typed, distinct, referenced, mapped, invalid = _validate_columns(
            frame,
            columns,
            index,
            problems,
            known or {},
            quoted=quoted,
            tspec=tspec,
            workbook=path.suffix.lower() in (".xlsx", ".xlsm"),
        )
        del frame
        if name == "matches":
            _check_matches(typed, index, problems, invalid)
        if problems.items and not problems.unplaced:
            row = pl.int_range(pl.len())
            checked = typed.with_columns(  # a bad cell is no value: no id to refer to
                pl.when(row.is_in(rows.implode())).then(None).otherwise(pl.col(name)).alias(name)
                for name, rows in invalid.items()
            )
            raise CellError(problems.sorted(), checked, display)
        if problems.items:
            raise UnplacedError(problems.sorted(), typed.columns)
    return Table(
        name=name,
        file=display,
        frame=typed,
        sha256=sha256,
        size=size,
        path=path,
        positions={n: i + 1 for n, i in index.items()},
        lines=lines,
        notes=problems.notes,
        distinct=distinct,
        referenced_rows=referenced,
        header=header,
        mapped=mapped,
        spec=tspec if separator is None else replace(tspec, delimiter=separator),
    )
