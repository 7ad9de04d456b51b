"""The table engine: read a bundle table with polars, validate it with expressions, and locate
every problem.

A table file is read once into memory (after its size is checked against
:data:`MAX_TABLE_BYTES`), parsed by :func:`polars.read_csv` with every column as text, then
checked column by column with polars expressions: required values, ids, enumerations, dates,
numbers and their ranges, uniqueness, and references to other tables (an anti-join). Every
problem becomes a :class:`~mentorstd.errors.Problem` located at ``file:line:column``; problems
of one kind in one column are grouped into one line that counts them and names the first few
lines, so a table with 40 bad dates gives one line, not 40 and not one.

Rows are mapped to file lines exactly. For a file without quotes whose separators fall in the
header's pattern on every line (checked in one pass over the bytes), data row ``i`` is on line
``i + 2``. Any other file (quotes, blank lines, ragged rows) is split into lines by polars and
the lines are grouped into records by the parity of their quote characters, which gives each
record's first line and its field count (separators outside quotes), so quoted fields holding
newlines, blank lines and rows with too few or too many fields are all located.

Nothing here knows about metrics or assessment.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import polars as pl

from ._yaml import utf8_problem
from .errors import BundleError, Problem

__all__ = [
    "CLOSURE_REASONS",
    "DATE_MAX",
    "DATE_MIN",
    "MAX_FIELD_CHARS",
    "MAX_TABLE_BYTES",
    "TABLES",
    "Column",
    "Table",
    "read_table",
]

#: Largest table accepted (bytes). A national program's year of records is well under this.
MAX_TABLE_BYTES = 512 * 1024 * 1024
#: Longest field accepted (characters).
MAX_FIELD_CHARS = 10_000
#: Longest id accepted (characters).
MAX_ID_CHARS = 100
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
}

# Patterns are ASCII on purpose: a digit is 0-9, never another script's digit.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/#-]*$"
_INT_PATTERN = r"^-?[0-9]+$"
_NUMBER_PATTERN = r"^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$"
_DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_ID_HELP = "letters, digits and ._:/#- only; pseudonymous ids, never names"

_POLARS_TYPES: dict[ColumnType, type[pl.DataType]] = {
    "id": pl.String,
    "text": pl.String,
    "enum": pl.String,
    "date": pl.Date,
    "number": pl.Float64,
    "int": pl.Int64,
}


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
    #: An id column's distinct values, as validation found them.
    distinct: dict[str, pl.Series] = field(default_factory=dict, repr=False)
    #: A referencing column's row in the referenced table, per row (``Column.references``).
    referenced_rows: dict[str, pl.Series] = field(default_factory=dict, repr=False)

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


def _grouped(message: str, lines: list[int], total: int) -> str:
    """``message`` for the first of ``total`` rows, saying where the others are."""
    if total <= 1:
        return message
    others = total - 1
    shown = ", ".join(map(str, lines[1 : 1 + SHOWN_LINES]))
    more = others - min(others, SHOWN_LINES)
    tail = f" and {more} more" if more else ""
    rows, lines_word = ("row", "line") if others == 1 else ("rows", "lines")
    return f"{message}; {others} more {rows} like it, at {lines_word} {shown}{tail}"


class _Problems:
    """Collects the located problems of one table file."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.items: list[Problem] = []
        self.lines: pl.Series | None = None

    def at(
        self, message: str, line: int | None = 1, column: int | None = None, name: str | None = None
    ) -> None:
        self.items.append(Problem(message, self.display, line, column, name))

    def rows(
        self,
        rows: pl.Series,
        message: str,
        column: int | None = None,
        name: str | None = None,
        values: pl.Series | None = None,
    ) -> None:
        """One problem for the rows ``rows`` (sorted row indexes), located at the first;
        ``{value}`` in ``message`` becomes the first row's cell of ``values``, quoted."""
        total = rows.len()
        if total == 0:
            return
        head = rows.head(1 + SHOWN_LINES).to_list()
        lines = [line_of(self.lines, r) for r in head]
        if values is not None:
            message = message.replace("{value}", excerpt(str(values[head[0]])))
        self.items.append(
            Problem(_grouped(message, lines, total), self.display, lines[0], column, name)
        )

    def sorted(self) -> list[Problem]:
        return sorted(self.items, key=lambda p: (p.line or 0, p.column or 0))


# -- reading text ------------------------------------------------------------------------------


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


def _header(raw: bytes, separator: str, display: str) -> list[str]:
    end = raw.find(b"\n")
    first = raw if end == -1 else raw[:end]
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as err:
        raise BundleError(utf8_problem(raw, err, display, "; save the file as UTF-8")) from err
    if not text.strip():
        raise BundleError(Problem("empty file: expected a header row", display, 1))
    if "\r" in text.rstrip("\r"):
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
    return [name.strip() for name in row]


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where the records of a text file are: per data record its first line, its field count
    and whether it is a blank line."""

    lines: pl.Series
    fields: pl.Series
    blank: pl.Series


def _layout(raw: bytes, separator: str, width: int, display: str) -> _Layout:
    """The records of the file (see :class:`_Layout`); the header is the first record."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise BundleError(utf8_problem(raw, err, display, "; save the file as UTF-8")) from err
    if text.endswith("\n"):
        text = text[:-1]
    frame = (
        pl.DataFrame({"line": [text]})
        .select(pl.col("line").str.split("\n"))
        .explode("line")
        .with_row_index("no", offset=1)
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
            (pl.col("seps").sum() + 1).alias("fields"),
            ((pl.len() == 1) & (pl.col("line").first() == "")).alias("blank"),
        )
        .slice(1)  # the header
    )
    return _Layout(records["line"], records["fields"], records["blank"])


def _plain_read(raw: bytes, separator: str, width: int) -> pl.DataFrame | None:
    """The file parsed by polars when it is plain, else ``None``.

    Plain: no quotes, and every line a record of the header's width. polars refuses a row
    with too many fields and gives every other line a row (a blank one too); when none has
    too many, the separators add up to (width - 1) per line only if none has too few (a
    blank line has none). One byte count proves it, and row ``i`` is then on line ``i + 2``.
    """
    if b'"' in raw:
        return None
    try:
        frame = pl.read_csv(
            raw,
            has_header=True,
            separator=separator,
            quote_char=None,
            infer_schema=False,
            new_columns=[f"c{i}" for i in range(width)],
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError:
        return None
    lines = frame.height + 1  # polars gives a blank line a row of its own
    # only a carriage return on its own could make polars see a line break that is not one
    if b"\r" in raw and raw.count(b"\n") + (not raw.endswith(b"\n")) != lines:
        return None
    if raw.count(separator.encode()) != (width - 1) * lines:
        return None
    return frame


def _polars_csv(raw: bytes, separator: str, width: int, display: str) -> pl.DataFrame:
    try:
        return pl.read_csv(
            raw,
            has_header=True,
            separator=separator,
            quote_char='"',
            infer_schema=False,
            new_columns=[f"c{i}" for i in range(width)],
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError as err:
        raise BundleError(_malformed(raw, separator, display, err)) from err


def _malformed(raw: bytes, separator: str, display: str, err: Exception) -> Problem:
    """Locate what polars could not parse: bad UTF-8, or quotes that ``csv`` refuses too."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        return utf8_problem(raw, bad, display, "; save the file as UTF-8")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    try:
        for _ in reader:
            pass
    except csv.Error as bad:
        return Problem(f"malformed quoting: {bad}", display, reader.line_num)
    first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return Problem(f"cannot be read as CSV: {first}", display)


# -- validation --------------------------------------------------------------------------------


def _check_header(
    header: list[str],
    spec: tuple[Column, ...],
    problems: _Problems,
    personal_column: Callable[[str], bool] | None,
    privacy_help: str | None,
) -> dict[str, int]:
    """Position (0-based) of each known column; problems for unknown, doubled and missing."""
    index: dict[str, int] = {}
    known = {c.name for c in spec}
    for pos, name in enumerate(header):
        if name in index:
            problems.at(f"column {name!r} appears twice", 1, pos + 1, name)
        elif name not in known and personal_column is not None and personal_column(name):
            if privacy_help is None:  # personal data allowed: the column is ignored
                continue
            problems.at(
                f"column {name!r} looks like personal data: {privacy_help}", 1, pos + 1, name
            )
        elif name not in known:
            expected = ", ".join(c.name for c in spec)
            problems.at(f"unknown column {name!r} (expected: {expected})", 1, pos + 1, name)
        else:
            index[name] = pos
    for column in spec:
        if column.name not in index and not column.optional_column:
            problems.at(f"missing column {column.name!r}", 1, None, column.name)
    return index


def _cell_checks(column: Column, value: pl.Expr) -> list[tuple[pl.Expr, str]]:
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
        checks.append((~value.is_in(list(column.choices)), "{value} is not one of " + choices))
    elif kind == "date":
        parsed = value.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        checks.append(
            (
                ~value.str.contains(_DATE_PATTERN) | parsed.is_null(),
                "{value} is not a date (YYYY-MM-DD)",
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
        checks.append((~value.str.contains(pattern), "{value} is not " + what))
        number = value.cast(pl.Float64, strict=False)
        if column.minimum is not None:
            low = column.minimum
            checks.append((number < low, f"{{value}} is below the minimum {low:g}"))
        if column.maximum is not None:
            high = column.maximum
            checks.append((number > high, f"{{value}} is above the maximum {high:g}"))
        checks.append((~number.is_finite(), "{value} is not a finite number"))
    return checks


def _typed(column: Column, value: pl.Expr) -> pl.Expr:
    if column.type == "date":
        return value.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    if column.type == "int":
        return value.cast(pl.Int64, strict=False)
    if column.type == "number":
        return value.cast(pl.Float64, strict=False)
    return value


Known = tuple[pl.Series, str]
"""A referenced column's values and the file they come from."""


def _candidates(column: Column, values: pl.Series) -> pl.Series:
    """The distinct values of a column that its checks must look at.

    Free text is only checked for its length; an enumeration only where a value is not one
    of its choices; other columns every distinct value. (A referencing column is checked only
    where a value is not among the referenced ones, which are valid ids already.)
    """
    if column.type == "text":
        if not (values.str.len_bytes() > MAX_FIELD_CHARS).any():  # bytes >= characters
            return values.clear()
        return values.filter(values.str.len_chars() > MAX_FIELD_CHARS).unique()
    if column.type == "enum":
        return values.filter(~values.is_in(list(column.choices))).unique()
    return values.unique()


def _rows_in(target: pl.Series, values: pl.Series) -> pl.Series:
    """Each value's row in ``target`` (null where it is not there)."""
    rows = pl.int_range(target.len(), dtype=pl.UInt32, eager=True)
    return values.replace_strict(target, rows, default=None, return_dtype=pl.UInt32)


def _validate_columns(
    raw: pl.DataFrame,
    spec: tuple[Column, ...],
    index: dict[str, int],
    problems: _Problems,
    references: dict[str, Known],
    *,
    quoted: bool = True,
) -> tuple[pl.DataFrame, dict[str, pl.Series], dict[str, pl.Series]]:
    """The typed frame, with a problem for every bad cell (grouped per column and kind), each
    id column's distinct values and each referencing column's rows in the referenced table.

    Values are checked once each: the checks run on a column's distinct values (see
    :func:`_candidates`), and rows are looked up only for the values that fail.
    """
    present = [c for c in spec if c.name in index]
    # a blank cell is null: polars reads an empty cell as null, a quoted "" as ""
    strings = raw.select(
        (
            pl.col(f"c{index[c.name]}").replace("", None) if quoted else pl.col(f"c{index[c.name]}")
        ).alias(c.name)
        for c in present
    )
    nulls = strings.null_count().row(0, named=True)
    typed: list[pl.Series] = []
    distinct: dict[str, pl.Series] = {}
    referenced: dict[str, pl.Series] = {}
    for column in present:
        name, col_no = column.name, index[column.name] + 1
        values = strings.get_column(name)
        failed = False
        if column.required and nulls[name]:
            failed = True
            problems.rows(values.is_null().arg_true(), "a value is required", col_no, name)
        checks = _cell_checks(column, pl.col("v"))
        known = references.get(name)
        if known is not None:
            # each value's row in the referenced table; a value missing there is a candidate
            found = _rows_in(known[0], values)
            referenced[name] = found
            unique = values.filter(found.is_null() & values.is_not_null()).unique()
        else:
            unique = _candidates(column, values.drop_nulls())
        verdicts = pl.DataFrame({"v": unique}).select(
            pl.col("v"),
            *(expr.fill_null(False).alias(f"k{n}") for n, (expr, _) in enumerate(checks)),
        )
        claimed = pl.lit(False)
        for n, (_, message) in enumerate(checks):
            bad = verdicts.filter(pl.col(f"k{n}") & ~claimed).get_column("v")
            claimed = claimed | pl.col(f"k{n}")
            if bad.len():
                failed = True
                rows = values.is_in(bad.implode()).arg_true()
                problems.rows(rows, message, col_no, name, values)
        if not failed and column.unique and unique.len() + nulls[name] != values.len():
            rows = (values.is_not_null() & ~values.is_first_distinct()).arg_true()
            problems.rows(rows, "{value} appears more than once", col_no, name, values)
        if not failed and known is not None and unique.len():
            # every candidate passed the id checks: what is left is not in the target
            suffix = f" ({unique.len()} unknown ids in all)" if unique.len() > 1 else ""
            rows = values.is_in(unique.implode()).arg_true()
            message = f"{{value}} is not a {name} in {known[1]}{suffix}"
            problems.rows(rows, message, col_no, name, values)
        if column.type == "id" and known is None:
            distinct[name] = unique
        if column.type == "date" and not failed:
            # each distinct date is parsed once
            dates = unique.str.strptime(pl.Date, "%Y-%m-%d")
            typed.append(values.replace_strict(unique, dates, default=None, return_dtype=pl.Date))
        else:
            typed.append(strings.select(_typed(column, pl.col(name))).to_series())
    return pl.DataFrame(typed), distinct, referenced


def _check_matches(table: pl.DataFrame, index: dict[str, int], problems: _Problems) -> None:
    """Row rules of the matches table."""
    frame = table.with_row_index("__row")
    rules = (
        (
            pl.col("end_date") < pl.col("start_date"),
            "end_date",
            "end_date is before start_date",
        ),
        (
            pl.col("planned_end_date") < pl.col("start_date"),
            "planned_end_date",
            "planned_end_date is before start_date",
        ),
        (
            pl.col("closure_reason").is_not_null() & pl.col("end_date").is_null(),
            "closure_reason",
            "closure_reason is set but end_date is blank (an active match has no closure reason)",
        ),
    )
    for expr, column, message in rules:
        if column not in index:
            continue
        rows = frame.filter(expr.fill_null(False)).get_column("__row")
        problems.rows(rows, message, index[column] + 1, column)


# -- the reader --------------------------------------------------------------------------------


def _parse(
    raw: bytes,
    spec: tuple[Column, ...],
    display: str,
    personal_column: Callable[[str], bool] | None,
    privacy_help: str | None,
) -> tuple[pl.DataFrame, pl.Series | None, _Problems, dict[str, int]]:
    """The file's cells as text (``c0``, ``c1`` ... in file order), the line of each row
    (``None``: row i is on line i + 2), the problems so far and each known column's position.

    Raises the problems that leave cells unplaceable: NUL bytes, a wrong header, ragged rows.
    """
    if b"\x00" in raw:
        line = raw.count(b"\n", 0, raw.index(b"\x00")) + 1
        raise BundleError(
            Problem("contains a NUL byte (is this really a CSV text file?)", display, line)
        )
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    separator = ","
    header = _header(body, separator, display)
    width = len(header)
    problems = _Problems(display)
    index = _check_header(header, spec, problems, personal_column, privacy_help)
    if problems.items:
        raise BundleError(problems.sorted())
    frame = _plain_read(body, separator, width)
    if frame is not None:
        return frame, None, problems, index
    layout = _layout(body, separator, width, display)
    problems.lines = layout.lines
    ragged = ((layout.fields != width) & ~layout.blank).arg_true()
    if ragged.len():
        first = layout.fields[ragged[0]]
        problems.rows(ragged, f"row has {first} fields, the header has {width}")
        raise BundleError(problems.sorted())
    frame = _polars_csv(body, separator, width, display)
    if frame.height != layout.blank.len():  # pragma: no cover - polars and we disagree
        raise BundleError(
            Problem(
                f"cannot be read consistently ({frame.height} rows parsed, "
                f"{layout.blank.len()} records found)",
                display,
            )
        )
    keep = ~layout.blank
    lines = layout.lines.filter(keep)
    problems.lines = lines
    return frame.filter(keep), lines, problems, index


def read_table(
    path: Path,
    name: str,
    *,
    display: str | None = None,
    references: dict[str, Known] | None = None,
    personal_column: Callable[[str], bool] | None = None,
    privacy_help: str | None = None,
    max_bytes: int | None = None,
) -> Table:
    """Read and validate one table file (see :data:`TABLES`).

    Parameters
    ----------
    path : Path
        The file (CSV, UTF-8, a BOM allowed).
    name : str
        The table's name in :data:`TABLES`.
    display : str, optional
        How the file is named in messages (default: ``path``).
    references : dict, optional
        For a referencing column (``Column.references``), the values it may hold and the file
        they come from; without it such a column is checked as ids only.
    personal_column : callable, optional
        Says whether an unknown column name looks like personal data (the privacy guard).
    privacy_help : str, optional
        Advice for a column that looks personal; ``None`` ignores such columns (personal data
        allowed).
    max_bytes : int, optional
        Largest file accepted (default :data:`MAX_TABLE_BYTES`).

    Raises
    ------
    BundleError
        With every problem of the file, each located ``file:line:column: field: message``.
    """
    display = display or str(path)
    spec = TABLES[name]
    raw = _read_bytes(path, display, MAX_TABLE_BYTES if max_bytes is None else max_bytes)
    with ThreadPoolExecutor(1) as pool:  # hashing releases the GIL: it runs beside polars
        digest = pool.submit(lambda: hashlib.sha256(raw).hexdigest())
        frame, lines, problems, index = _parse(raw, spec, display, personal_column, privacy_help)
        quoted = b'"' in raw
        typed, distinct, referenced = _validate_columns(
            frame, spec, index, problems, references or {}, quoted=quoted
        )
        del frame
        if name == "matches" and not problems.items:
            _check_matches(typed, index, problems)
        if problems.items:
            raise BundleError(problems.sorted())
    return Table(
        name=name,
        file=display,
        frame=typed,
        sha256=digest.result(),
        size=len(raw),
        path=path,
        positions={n: i + 1 for n, i in index.items()},
        lines=lines,
        distinct=distinct,
        referenced_rows=referenced,
    )
