"""Load an evidence bundle: the manifest, its documents and its CSV tables.

A bundle is a folder::

    my-program/
      bundle.yaml        manifest (required)
      documents/...      files the manifest references
      data/*.csv         operational records (each table optional)

Nothing is ever written into the bundle. Every path must stay inside the bundle folder (no
absolute paths, no ``..``, no symlink leading out). Tables are read once, column by column,
with cheap parsing: each distinct date or number string is parsed once.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import gc
import hashlib
import io
import itertools
import logging
import math
import os
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from . import schemas
from ._calendar import parse_date as _parse_date
from ._validate import build_model
from ._yaml import LocatedDoc, load_yaml, utf8_problem
from .errors import BundleError, Problem

if TYPE_CHECKING:
    from .catalog import Catalog

__all__ = [
    "CLOSURE_REASONS",
    "TABLES",
    "Bundle",
    "Column",
    "DocumentRef",
    "Manifest",
    "Table",
    "load_bundle",
]

MANIFEST = "bundle.yaml"
#: Largest manifest accepted (bytes).
MAX_MANIFEST_BYTES = 1024 * 1024
#: Largest table accepted (bytes). A national program's year of records is well under this.
MAX_TABLE_BYTES = 512 * 1024 * 1024
#: Largest document hashed (bytes).
MAX_DOCUMENT_BYTES = 200 * 1024 * 1024
#: Longest CSV field accepted (characters).
MAX_FIELD_CHARS = 10_000
#: Problems reported per table before giving up.
MAX_PROBLEMS = 20

CLOSURE_REASONS = (
    "completed",
    "mentor-withdrew",
    "mentee-withdrew",
    "family-withdrew",
    "rematched",
    "program-ended",
    "other",
)
PROGRAM_MODELS = ("community", "school", "workplace", "group", "e-mentoring", "other")
PRACTICE_STATUSES = ("implemented", "partial", "planned", "not-implemented", "not-applicable")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/#-]*$")


# -- manifest models -------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Period(_Model):
    """The reporting period the records cover."""

    start: dt.date = Field(description="First day (ISO date).")
    end: dt.date = Field(description="Last day (ISO date); metrics judge up to this day.")

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError("period end is before its start")
        return self


class Program(_Model):
    """The program the bundle describes."""

    name: str = Field(min_length=1, description="Program name.")
    model: Literal["community", "school", "workplace", "group", "e-mentoring", "other"] = Field(
        description="Mentoring model."
    )
    started: dt.date | None = Field(default=None, description="When the program began.")
    period: Period = Field(description="Reporting period of the records.")


class DocumentRef(_Model):
    """A document in the bundle, offered as evidence of one kind."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", description="Document id.")
    kind: str = Field(description="Evidence-kind id (see `mentorstd show` / evidence-kinds).")
    path: str = Field(min_length=1, description="Path inside the bundle, e.g. documents/x.pdf.")
    date: dt.date | None = Field(default=None, description="Date of the document (ISO).")
    title: str | None = Field(default=None, description="Title.")


class Practice(_Model):
    """The program's own statement about one requirement of any framework."""

    requirement: str = Field(description="Global requirement id, e.g. eepm:B.2.5.")
    status: Literal["implemented", "partial", "planned", "not-implemented", "not-applicable"] = (
        Field(description="How far the practice is in place.")
    )
    evidence: list[str] = Field(default_factory=list, description="Document ids supporting it.")
    note: str | None = Field(default=None, description="Free comment.")


class DataPaths(_Model):
    """Paths of the data tables, relative to the bundle (each optional)."""

    matches: str | None = Field(default=None, description="Matches table.")
    contacts: str | None = Field(default=None, description="Staff contacts table.")
    training: str | None = Field(default=None, description="Training table.")
    screening: str | None = Field(default=None, description="Screening table.")
    surveys: str | None = Field(default=None, description="Surveys table.")
    outcomes: str | None = Field(default=None, description="Outcomes table.")


class PlanGoal(_Model):
    """A goal of the NQMS Improvement and Innovation Plan."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", description="Goal id.")
    requirement: str | None = Field(default=None, description="Requirement it improves.")
    title: str | None = Field(default=None, description="What the goal is.")
    status: Literal["open", "done"] = Field(description="open or done.")
    done_on: dt.date | None = Field(default=None, description="When it was completed.")


class NqmsRecord(_Model):
    """Where the program stands in its NQMS cycle."""

    self_assessment_completed: dt.date | None = Field(
        default=None, description="Date the self-assessment was completed."
    )
    review_meeting: dt.date | None = Field(
        default=None, description="Date of the review meeting with the affiliate."
    )
    plan_goals: list[PlanGoal] = Field(
        default_factory=list, description="Improvement and Innovation Plan goals."
    )


class Manifest(_Model):
    """``bundle.yaml``: what a program hands over as evidence."""

    bundle_version: Literal[1] = Field(description="Manifest format version (1).")
    program: Program = Field(description="The program.")
    documents: list[DocumentRef] = Field(default_factory=list, description="Documents.")
    practices: list[Practice] = Field(default_factory=list, description="Attestations.")
    data: DataPaths = Field(default_factory=DataPaths, description="Data tables.")
    nqms: NqmsRecord | None = Field(default=None, description="NQMS cycle record.")


schemas.register("bundle", "mentorstd.bundle", "Manifest")


# -- table specifications --------------------------------------------------------------------

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


@dataclass
class Table:
    """A parsed table, column by column: dates as ordinals (``date.toordinal()``), numbers as
    floats, ints as ints, blanks as ``None``.

    The loader may keep only a summary of a large table (the contact counts of
    ``contacts.csv``, see :mod:`mentorstd._contacts`); its columns are then read from the
    file the first time one is asked for.
    """

    name: str
    file: str
    columns: dict[str, list[Any]]
    n_rows: int
    sha256: str
    size: int
    path: Path
    positions: dict[str, int] = field(default_factory=dict)  # 1-based column numbers
    summary: Any = None  # what the loader computed while reading, if anything
    distinct: dict[str, frozenset[Any]] = field(default_factory=dict)  # precomputed
    loader: Callable[[], Table] | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return self.n_rows

    def __getitem__(self, column: str) -> list[Any]:
        if self.loader is not None and column not in self.columns:
            self._load()
        return self.columns[column]

    def has(self, column: str) -> bool:
        """True when the file had this (optional) column."""
        return column in self.columns or column in self.positions

    def rows(self, *names: str) -> Iterator[tuple[Any, ...]]:
        """The given columns zipped row by row."""
        return zip(*(self[n] for n in names), strict=True)

    def distinct_values(self, column: str) -> Collection[Any]:
        """The column's values, at least every distinct one (blanks may be ``None``)."""
        if column in self.distinct:
            return self.distinct[column]
        return self[column]

    def _load(self) -> None:
        assert self.loader is not None
        full = self.loader()
        if full.sha256 != self.sha256:
            raise BundleError(Problem("the file changed since the bundle was loaded", self.file))
        self.columns = full.columns
        self.loader = None


@dataclass(frozen=True, slots=True)
class DocumentFile:
    """A manifest document resolved on disk."""

    ref: DocumentRef
    size: int
    sha256: str


@dataclass
class Bundle:
    """A loaded evidence bundle."""

    path: Path
    name: str
    manifest: Manifest
    documents: dict[str, DocumentFile]
    tables: dict[str, Table]
    manifest_sha256: str
    practices: dict[str, Practice] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        tables = ", ".join(f"{name} {len(table)}" for name, table in self.tables.items())
        period = self.manifest.program.period
        return (
            f"<Bundle {self.name!r} ({self.manifest.program.name}, {period.start} to "
            f"{period.end}): {len(self.documents)} documents, {len(self.practices)} practices, "
            f"tables: {tables or 'none'}>"
        )

    @property
    def period_end(self) -> dt.date:
        """Last day of the reporting period."""
        return self.manifest.program.period.end

    def table(self, name: str) -> Table | None:
        """A loaded table, or ``None`` when the bundle has none of that name."""
        return self.tables.get(name)

    def documents_of_kind(self, kinds: Sequence[str]) -> list[DocumentFile]:
        """Documents whose kind is one of ``kinds``."""
        wanted = set(kinds)
        return [d for d in self.documents.values() if d.ref.kind in wanted]


# -- loading ---------------------------------------------------------------------------------


def _inside(root: Path, rel: str, doc: LocatedDoc, at: list[str | int]) -> Path:
    """Resolve ``rel`` inside ``root`` or raise a located error."""
    pure = PurePosixPath(rel.replace("\\", "/"))
    if pure.is_absolute() or re.match(r"^[A-Za-z]:", rel):
        raise BundleError(
            doc.problem(at, f"{rel!r} is an absolute path; use a path inside the bundle")
        )
    if ".." in pure.parts:
        raise BundleError(doc.problem(at, f"{rel!r} leaves the bundle ('..' is not allowed)"))
    candidate = root / Path(*pure.parts)
    try:
        resolved = candidate.resolve(strict=True)
    except FileNotFoundError:
        raise BundleError(doc.problem(at, f"{rel!r} does not exist in the bundle")) from None
    except (OSError, RuntimeError) as err:
        raise BundleError(doc.problem(at, f"{rel!r} cannot be resolved: {err}")) from err
    if not resolved.is_relative_to(root):
        raise BundleError(doc.problem(at, f"{rel!r} leads outside the bundle (symlink)"))
    if not resolved.is_file():
        raise BundleError(doc.problem(at, f"{rel!r} is not a file"))
    return resolved


def _sha256_file(path: Path, limit: int, problem: Problem) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            size += len(chunk)
            if size > limit:
                raise BundleError(
                    Problem(
                        f"file is larger than the {limit}-byte limit",
                        problem.file,
                        problem.line,
                        problem.column,
                        problem.field,
                    )
                )
            digest.update(chunk)
    return size, digest.hexdigest()


def load_bundle(
    path: str | os.PathLike[str],
    *,
    catalog: Catalog | None = None,
    allow_personal_data: bool = False,
) -> Bundle:
    """Load and validate an evidence bundle.

    Parameters
    ----------
    path : path
        The bundle folder (or its ``bundle.yaml``).
    catalog : Catalog, optional
        Used to check requirement ids and evidence kinds (default: ``load_catalog()``).
    allow_personal_data : bool
        Skip the privacy guard that stops on columns or values that look like personal data.

    Raises
    ------
    BundleError
        With ``file:line[:col]: field: message`` for any invalid content.

    Examples
    --------
    >>> bundle = load_bundle("examples/bundles/riverside")  # doctest: +SKIP
    >>> bundle.table("matches").n_rows  # doctest: +SKIP
    180
    """
    root = Path(path)
    if root.name == MANIFEST and root.is_file():
        root = root.parent
    if not root.is_dir():
        raise BundleError(Problem("not a bundle folder (no such directory)", str(path)))
    manifest_path = root / MANIFEST
    if not manifest_path.is_file():
        raise BundleError(Problem(f"no {MANIFEST} in the bundle", str(root)))
    root = root.resolve()
    if catalog is None:
        from .catalog import load_catalog

        catalog = load_catalog()
    doc = load_yaml(
        manifest_path,
        display=MANIFEST,
        allow_aliases=False,
        max_bytes=MAX_MANIFEST_BYTES,
        error=BundleError,
    )
    manifest, problems = build_model(Manifest, doc, "bundle.schema.json")
    if manifest is None:
        raise BundleError(problems)
    _, manifest_sha = _sha256_file(manifest_path, MAX_MANIFEST_BYTES, Problem("", MANIFEST))
    documents = _load_documents(root, doc, manifest, catalog)
    practices = _check_practices(doc, manifest, catalog, documents)
    _check_nqms(doc, manifest, catalog)
    tables, id_problem = _load_tables(root, doc, manifest, allow_personal_data)
    bundle = Bundle(
        path=root,
        name=root.name,
        manifest=manifest,
        documents=documents,
        tables=tables,
        manifest_sha256=manifest_sha,
        practices=practices,
    )
    if not allow_personal_data:
        from .privacy import check_bundle

        check_bundle(bundle, doc, id_problem)
    return bundle


def _load_documents(
    root: Path, doc: LocatedDoc, manifest: Manifest, catalog: Catalog
) -> dict[str, DocumentFile]:
    out: dict[str, DocumentFile] = {}
    for i, ref in enumerate(manifest.documents):
        at: list[str | int] = ["documents", i]
        if ref.id in out:
            raise BundleError(doc.problem([*at, "id"], f"duplicate document id {ref.id!r}"))
        if ref.kind not in catalog.evidence_kinds:
            raise BundleError(
                doc.problem(
                    [*at, "kind"],
                    f"unknown evidence kind {ref.kind!r} (see `mentorstd evidence-kinds`)",
                )
            )
        file_path = _inside(root, ref.path, doc, [*at, "path"])
        size, digest = _sha256_file(file_path, MAX_DOCUMENT_BYTES, doc.problem([*at, "path"], ""))
        out[ref.id] = DocumentFile(ref=ref, size=size, sha256=digest)
    return out


def _check_practices(
    doc: LocatedDoc, manifest: Manifest, catalog: Catalog, documents: dict[str, DocumentFile]
) -> dict[str, Practice]:
    out: dict[str, Practice] = {}
    for i, practice in enumerate(manifest.practices):
        at: list[str | int] = ["practices", i]
        if not catalog.has_requirement(practice.requirement):
            raise BundleError(
                doc.problem([*at, "requirement"], f"unknown requirement {practice.requirement!r}")
            )
        if practice.requirement in out:
            raise BundleError(
                doc.problem([*at, "requirement"], f"{practice.requirement} is attested twice")
            )
        for j, ref in enumerate(practice.evidence):
            if ref not in documents:
                raise BundleError(
                    doc.problem([*at, "evidence", j], f"no document with id {ref!r} in documents")
                )
        out[practice.requirement] = practice
    return out


def _check_nqms(doc: LocatedDoc, manifest: Manifest, catalog: Catalog) -> None:
    if manifest.nqms is None:
        return
    seen: set[str] = set()
    for i, goal in enumerate(manifest.nqms.plan_goals):
        at: list[str | int] = ["nqms", "plan_goals", i]
        if goal.id in seen:
            raise BundleError(doc.problem([*at, "id"], f"duplicate goal id {goal.id!r}"))
        seen.add(goal.id)
        if goal.requirement is not None and not catalog.has_requirement(goal.requirement):
            raise BundleError(
                doc.problem([*at, "requirement"], f"unknown requirement {goal.requirement!r}")
            )
        if goal.done_on is not None and goal.status != "done":
            raise BundleError(
                doc.problem([*at, "done_on"], f"done_on is set but status is {goal.status!r}")
            )


# -- tables ----------------------------------------------------------------------------------


class _TableErrors:
    """Collects located problems for one table; rows are mapped to file lines lazily (the
    file is read again only on this error path)."""

    def __init__(self, display: str, path: Path) -> None:
        self.display = display
        self.path = path
        self.problems: list[Problem] = []
        self._lines: list[int] | None = None

    def line_of(self, row_index: int) -> int:
        """File line of data row ``row_index`` (0-based, header excluded)."""
        if self._lines is None:
            lines = []
            try:
                text = self.path.read_bytes().decode("utf-8-sig", errors="replace")
            except OSError:  # pragma: no cover - the file was readable moments ago
                text = ""
            reader = csv.reader(io.StringIO(text.replace("\x00", ""), newline=""))
            try:
                for row in reader:
                    if row:
                        lines.append(reader.line_num)
            except csv.Error:
                pass
            self._lines = lines[1:]  # drop the header
        if 0 <= row_index < len(self._lines):
            return self._lines[row_index]
        return 0

    def add(
        self,
        message: str,
        row: int | None = None,
        column: int | None = None,
        field: str | None = None,
    ) -> None:
        line = 1 if row is None else self.line_of(row)
        self.problems.append(Problem(message, self.display, line, column, field))
        if len(self.problems) >= MAX_PROBLEMS:
            raise self.fail()

    def fail(self) -> BundleError:
        # distinct values are checked in set order: report in file order
        return BundleError(sorted(self.problems, key=lambda p: (p.line or 0, p.column or 0)))


_ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:/#-"
_DROP_ID_CHARS = str.maketrans("", "", _ID_CHARS + "\n")
_ID_BAD_START = tuple("\n" + c for c in "._:/#-")


def _all_ids_valid(values: set[str]) -> bool:
    """True when every value is a valid id, checked in a few C-level passes over all of them
    joined (the per-value regular expression only runs when this says no)."""
    if not values:
        return True
    joined = "\n" + "\n".join(values)
    return (
        max(map(len, values)) <= 100
        and not joined.translate(_DROP_ID_CHARS)
        and "\n\n" not in joined
        and not joined.endswith("\n")
        and not any(bad in joined for bad in _ID_BAD_START)
    )


#: Rows parsed per chunk: bounds memory to one chunk of raw strings at a time.
CHUNK_ROWS = 65536


class _Converted(dict[str, Any]):
    """Cell text -> parsed value. ``map(cache.__getitem__, cells)`` runs at C speed; only the
    distinct texts not seen before reach ``__missing__``, which converts them once."""

    __slots__ = ("parser",)

    def __init__(self, parser: _ColumnParser) -> None:
        super().__init__()
        self.parser = parser

    def __missing__(self, text: str) -> Any:
        value = self[text] = self.parser.convert(text)
        return value


#: A referenced column's values (each mapped to itself) and the file they come from.
Known = tuple[dict[str, Any], str]


class _ColumnParser:
    """Parses one column chunk by chunk.

    Each distinct cell text is validated and converted once (``cache``); the output holds
    the cached object, so repeated dates and enum values share one Python object. Id columns
    are checked in bulk per chunk. A referencing column (contacts.match_id) is checked by
    looking each value up among the referenced ids, and holds those very strings.
    """

    def __init__(
        self, column: Column, col_no: int, errors: _TableErrors, known: Known | None = None
    ) -> None:
        self.column = column
        self.col_no = col_no
        self.errors = errors
        self.known = known
        self.cache = _Converted(self)
        if not column.required:
            self.cache[""] = None
        self.bad: dict[str, str] = {}  # text -> problem, found while parsing a chunk
        self.unknown: dict[str, int] = {}  # well-formed ids missing from `known` -> first row
        self.out: list[Any] = []
        self.seen: set[str] | None = set() if column.unique else None

    def feed(self, values: Sequence[str], offset: int) -> None:
        """Parse one chunk of the column's cells (``offset``: row index of the first)."""
        if self.known is not None:
            try:
                self.out.extend(map(self.known[0].__getitem__, values))
            except KeyError:
                self._check_references(values, offset)
        elif self.column.type == "id":
            self._feed_ids(values, offset)
        else:
            self.out.extend(map(self.cache.__getitem__, values))
        if self.bad:
            for i, v in enumerate(values):
                if v in self.bad:
                    self.errors.add(self.bad.pop(v), offset + i, self.col_no, self.column.name)
                    if not self.bad:
                        break

    def _feed_ids(self, values: Sequence[str], offset: int) -> None:
        distinct = set(values)
        if self.seen is not None:
            seen = self.seen
            if len(distinct) != len(values) or not seen.isdisjoint(distinct):
                for i, v in enumerate(values):
                    if v in seen:
                        message = f"{v!r} appears more than once"
                        self.errors.add(message, offset + i, self.col_no, self.column.name)
                        break
                    seen.add(v)
            seen.update(distinct)
        blank = "" in distinct
        if blank:
            distinct.discard("")
            if self.column.required:
                self.bad[""] = "a value is required"
        # ids map to themselves: validate the chunk's distinct values in bulk
        if not _all_ids_valid(distinct):
            for v in distinct:
                self.convert(v)
        self.out.extend([v or None for v in values] if blank else values)

    def _check_references(self, values: Sequence[str], offset: int) -> None:
        """The error path of a referencing column: blanks and malformed ids are reported as
        such; well-formed ids missing from the referenced column are collected."""
        assert self.known is not None
        distinct = set(values).difference(self.known[0])
        for v in distinct:
            self.convert(v)  # records blanks and malformed ids in self.bad
        missing = {v for v in distinct if v not in self.bad and v not in self.unknown}
        for i, v in enumerate(values):
            if not missing:
                break
            if v in missing:
                self.unknown[v] = offset + i
                missing.discard(v)

    def finish(self) -> None:
        """Report unknown referencing ids: the first in sort order, and how many in all."""
        if not self.unknown or self.known is None:
            return
        first = min(self.unknown)
        count = len(self.unknown)
        self.errors.add(
            f"{first!r} is not a {self.column.name} in {self.known[1]}"
            + (f" ({count} unknown ids in all)" if count > 1 else ""),
            self.unknown[first],
            self.col_no,
            self.column.name,
        )

    def convert(self, v: str) -> Any:
        """Validate and convert one distinct cell text (problems go to ``self.bad``)."""
        column = self.column
        kind = column.type
        if len(v) > MAX_FIELD_CHARS:
            self.bad[v] = f"a field is longer than {MAX_FIELD_CHARS} characters"
            return None
        if not v:
            self.bad[v] = "a value is required"
            return None
        if kind == "text":
            return v
        if kind == "id":
            if not _ID_RE.match(v) or len(v) > 100:
                self.bad[v] = (
                    f"{v!r} is not a valid id (letters, digits and ._:/#- only; "
                    "pseudonymous ids, never names)"
                )
            return v
        if kind == "enum":
            if v not in column.choices:
                self.bad[v] = f"{v!r} is not one of {', '.join(column.choices)}"
            return v
        if kind == "date":
            ordinal = _parse_date(v)
            if ordinal is None:
                self.bad[v] = f"{v!r} is not a date (YYYY-MM-DD)"
            elif ordinal == -1:
                self.bad[v] = f"{v!r} is out of range (1900-01-01 to 2100-12-31)"
                return None
            return ordinal
        try:
            number: float | int = int(v) if kind == "int" else float(v)
        except ValueError:
            what = "a whole number" if kind == "int" else "a number"
            self.bad[v] = f"{v!r} is not {what}"
            return None
        if not math.isfinite(number):
            self.bad[v] = f"{v!r} is not a finite number"
        elif column.minimum is not None and number < column.minimum:
            self.bad[v] = f"{v!r} is below the minimum {column.minimum:g}"
        elif column.maximum is not None and number > column.maximum:
            self.bad[v] = f"{v!r} is above the maximum {column.maximum:g}"
        return number


def read_table(
    path: Path,
    name: str,
    *,
    display: str | None = None,
    allow_personal_data: bool = False,
    references: dict[str, Known] | None = None,
) -> Table:
    """Read and validate one table file (see :data:`TABLES`).

    The file is read once; rows are parsed in chunks of :data:`CHUNK_ROWS`, column by column,
    so memory holds the parsed columns and one chunk of raw text, never every raw row.
    ``references`` maps a referencing column (``Column.references``) to the values it may
    hold and their file; without it such a column is checked as ids only.
    """
    display = display or str(path)
    spec = TABLES[name]
    try:
        size = path.stat().st_size
        if size > MAX_TABLE_BYTES:
            raise BundleError(
                Problem(
                    f"file is {size} bytes, larger than the {MAX_TABLE_BYTES}-byte limit", display
                )
            )
        raw = path.read_bytes()
    except OSError as err:
        raise BundleError(Problem(f"cannot read file: {err.strerror or err}", display)) from err
    digest = hashlib.sha256(raw).hexdigest()
    if b"\x00" in raw:
        line = raw.count(b"\n", 0, raw.index(b"\x00")) + 1
        raise BundleError(
            Problem("contains a NUL byte (is this really a CSV text file?)", display, line)
        )
    errors = _TableErrors(display, path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise BundleError(utf8_problem(raw, err, display, "; save the file as UTF-8")) from err
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        raw = raw.replace(b"\r\n", b"\n")
    simple = '"' not in text and "\r" not in text
    separators = raw.translate(None, _NOT_SEPARATORS) if simple else b""
    del raw
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of short-lived lists: the cyclic GC only slows this down
    try:
        if simple:
            header_row, chunks = _split_chunks(text, display, errors, separators)
        else:
            header_row, chunks = _csv_chunks(text, display, errors)
        del separators
        if not header_row:
            raise BundleError(Problem("empty file: expected a header row", display, 1))
        del text
        header = [h.strip() for h in header_row]
        index = _check_header(header, spec, errors, allow_personal_data)
        known = references or {}
        parsers = {
            c.name: _ColumnParser(c, index[c.name] + 1, errors, known.get(c.name))
            for c in spec
            if c.name in index
        }
        positions = [(index[n], p) for n, p in parsers.items()]
        n_rows = 0
        for raw_columns, count in chunks:
            for pos, parser in positions:
                parser.feed(raw_columns[pos], n_rows)
            n_rows += count
        for parser in parsers.values():
            parser.finish()
    finally:
        if gc_was_enabled:
            gc.enable()
    if errors.problems:
        raise errors.fail()
    columns = {n: p.out for n, p in parsers.items()}
    table = Table(
        name=name,
        file=display,
        columns=columns,
        n_rows=n_rows,
        sha256=digest,
        size=size,
        path=path,
        positions={n: p.col_no for n, p in parsers.items()},
    )
    _check_rows(table, errors)
    if errors.problems:
        raise errors.fail()
    return table


#: Characters per chunk on the fast path (about 64k rows of a typical table).
CHUNK_CHARS = 2 * 1024 * 1024

Chunks = Iterator[tuple[list[list[str]], int]]


_NOT_SEPARATORS = bytes(c for c in range(256) if c not in b",\n")


def _split_chunks(
    text: str, display: str, errors: _TableErrors, separators: bytes
) -> tuple[list[str], Chunks]:
    """Header and column chunks of a CSV text with no quotes and no blank lines.

    Without quotes, CSV is plain splitting, done here by C string methods: a chunk of lines
    becomes one flat list of fields, sliced into columns. When ``separators`` (the file's
    commas and newlines, in order) repeat the header's pattern, every line has the right
    field count and none is checked on its own. Texts with quotes or blank lines go through
    :func:`_csv_chunks` instead.
    """
    head, _, body = text.partition("\n")
    if body.endswith("\n"):
        body = body[:-1]
    if "\n\n" in body or body.startswith("\n") or not head:
        return _csv_chunks(text, display, errors)
    header = head.split(",")
    width = len(header)
    lines = body.count("\n") + 1 if body else 0
    if not separators.endswith(b"\n"):
        separators += b"\n"
    regular = separators == (b"," * (width - 1) + b"\n") * (lines + 1)
    return header, _split_body(body, width, errors, checked=regular)


def _split_body(body: str, width: int, errors: _TableErrors, *, checked: bool) -> Chunks:
    size, pos, rows_before = len(body), 0, 0
    while pos < size:
        end = body.find("\n", pos + CHUNK_CHARS)
        if end == -1:
            end = size
        chunk = body[pos:end]
        pos = end + 1
        if not checked:
            _check_field_counts(chunk.split("\n"), width, errors, rows_before)
        flat = chunk.replace("\n", ",").split(",")
        del chunk
        count = len(flat) // width
        yield [flat[i::width] for i in range(width)], count
        rows_before += count


def _check_field_counts(
    lines: list[str], width: int, errors: _TableErrors, rows_before: int
) -> None:
    if set(map(str.count, lines, itertools.repeat(","))) != {width - 1}:
        for i, line in enumerate(lines):
            if line.count(",") != width - 1:
                errors.add(
                    f"row has {line.count(',') + 1} fields, the header has {width}",
                    rows_before + i,
                )
        raise errors.fail()


def _csv_chunks(text: str, display: str, errors: _TableErrors) -> tuple[list[str], Chunks]:
    """Header and column chunks of any CSV text, through :mod:`csv` (blank lines skipped)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    old_limit = csv.field_size_limit(MAX_FIELD_CHARS)
    try:
        header = next((row for row in reader if row), [])
    except csv.Error as err:
        raise _csv_problem(err, display, reader.line_num) from err
    finally:
        csv.field_size_limit(old_limit)
    return header, _csv_body(reader, len(header), display, errors)


def _csv_problem(err: csv.Error, display: str, line: int) -> BundleError:
    message = str(err)
    if "field larger" in message:
        message = f"a field is longer than {MAX_FIELD_CHARS} characters"
    return BundleError(Problem(message, display, line))


def _csv_body(reader: Any, width: int, display: str, errors: _TableErrors) -> Chunks:
    old_limit = csv.field_size_limit(MAX_FIELD_CHARS)
    rows_before = 0
    try:
        while True:
            chunk = list(itertools.islice(reader, CHUNK_ROWS))
            if not chunk:
                return
            lengths = set(map(len, chunk))
            if 0 in lengths:  # blank lines are skipped
                chunk = [row for row in chunk if row]
                lengths.discard(0)
                if not chunk:
                    continue
            if lengths != {width}:
                for i, row in enumerate(chunk):
                    if len(row) != width:
                        errors.add(
                            f"row has {len(row)} fields, the header has {width}", rows_before + i
                        )
                raise errors.fail()
            yield [list(col) for col in zip(*chunk, strict=True)], len(chunk)
            rows_before += len(chunk)
    except csv.Error as err:
        raise _csv_problem(err, display, reader.line_num) from err
    finally:
        csv.field_size_limit(old_limit)


def _check_header(
    header: list[str], spec: tuple[Column, ...], errors: _TableErrors, allow_personal: bool
) -> dict[str, int]:
    from .privacy import PRIVACY_HELP, personal_column

    index: dict[str, int] = {}
    known = {c.name for c in spec}
    for pos, name in enumerate(header):
        if name in index:
            errors.add(f"column {name!r} appears twice", None, pos + 1, name)
        elif name not in known and personal_column(name):
            if not allow_personal:
                errors.add(
                    f"column {name!r} looks like personal data: {PRIVACY_HELP}",
                    None,
                    pos + 1,
                    name,
                )
        elif name not in known:
            errors.add(
                f"unknown column {name!r} (expected: {', '.join(c.name for c in spec)})",
                None,
                pos + 1,
                name,
            )
        index[name] = pos
    for column in spec:
        if column.name not in index and not column.optional_column:
            errors.add(f"missing column {column.name!r}", None, None, column.name)
    if errors.problems:
        raise errors.fail()
    return index


def _check_rows(table: Table, errors: _TableErrors) -> None:
    if table.name != "matches":
        return
    col = table.positions
    for i, (start, planned, end, reason) in enumerate(
        table.rows("start_date", "planned_end_date", "end_date", "closure_reason")
    ):
        if end is not None and end < start:
            errors.add("end_date is before start_date", i, col["end_date"], "end_date")
        if planned is not None and planned < start:
            errors.add(
                "planned_end_date is before start_date",
                i,
                col["planned_end_date"],
                "planned_end_date",
            )
        if reason is not None and end is None:
            errors.add(
                "closure_reason is set but end_date is blank (an active match has no "
                "closure reason)",
                i,
                col["closure_reason"],
                "closure_reason",
            )


def _references(name: str, tables: dict[str, Table]) -> dict[str, Known]:
    """The known values of each referencing column of table ``name``."""
    out: dict[str, Known] = {}
    for column in TABLES[name]:
        if column.references is None:
            continue
        target, _, target_column = column.references.partition(".")
        table = tables.get(target)
        if table is None:
            continue
        known: dict[str, Any] = {v: v for v in table[target_column] if v is not None}
        if not column.required:
            known[""] = None
        out[column.name] = (known, table.file)
    return out


def _load_tables(
    root: Path, doc: LocatedDoc, manifest: Manifest, allow_personal_data: bool
) -> tuple[dict[str, Table], BundleError | bool | None]:
    """Read the manifest's tables in :data:`TABLES` order.

    A large contacts file is summarised by a helper process (:mod:`mentorstd._worker`)
    while this one reads the tables after it and scans their ids for personal data (the
    scan's result is returned; ``True`` when it has not run). Problems are still raised in
    the order a one-by-one reading would raise them.
    """
    from . import _worker

    worker = None
    if manifest.data.contacts is not None and manifest.data.matches is not None:
        path = _inside(root, manifest.data.contacts, doc, ["data", "contacts"])
        worker = _worker.start(path.stat().st_size)
        if worker is not None:
            worker.send(
                contacts=path,
                matches=_inside(root, manifest.data.matches, doc, ["data", "matches"]),
                matches_columns=frozenset(c.name for c in TABLES["matches"]),
                columns=frozenset(c.name for c in TABLES["contacts"]),
                max_bytes=MAX_TABLE_BYTES,
            )
    tables: dict[str, Table] = {}
    pending: Callable[[], Table] | None = None
    held: BundleError | None = None
    id_problem: BundleError | bool | None = True
    try:
        for name in TABLES:
            rel = getattr(manifest.data, name)
            if rel is None:
                continue
            file_path = _inside(root, rel, doc, ["data", name])
            read = functools.partial(
                read_table,
                file_path,
                name,
                display=rel,
                allow_personal_data=allow_personal_data,
                references=_references(name, tables),
            )
            if name == "contacts" and "matches" in tables:
                matches = tables["matches"]
                request = {
                    "path": file_path,
                    "match_ids": matches["match_id"],
                    "start_dates": matches["start_date"],
                    "columns": frozenset(c.name for c in TABLES["contacts"]),
                    "max_bytes": MAX_TABLE_BYTES,
                }
                if worker is not None:
                    pending = functools.partial(
                        _contacts_from_worker, worker, request, matches.sha256, file_path, rel, read
                    )
                    continue
                tables[name] = _contacts_table(_summarise(request), file_path, rel, read)
            elif pending is None:
                tables[name] = read()
            else:
                try:
                    tables[name] = read()
                except BundleError as err:  # raised after the contacts table's problems
                    held = err
                    break
        if pending is not None:
            if held is None and not allow_personal_data:
                # contacts hold no id of their own to scan (match_id references matches)
                from .privacy import scan_tables

                id_problem = scan_tables(tables, is_id=True)
            # while the helper finishes: import what assessing the bundle needs next
            from . import assessment  # noqa: F401

            tables["contacts"] = pending()
        if held is not None:
            raise held
    finally:
        if worker is not None:
            worker.close()
    return {name: tables[name] for name in TABLES if name in tables}, id_problem


def _summarise(request: dict[str, Any]) -> Any:
    from ._contacts import summarise

    return summarise(**request)


def _contacts_from_worker(
    worker: Any,
    request: dict[str, Any],
    matches_sha256: str,
    path: Path,
    display: str,
    read: Callable[[], Table],
) -> Table:
    done, answer = worker.result()
    if done and answer is not None and answer[0] == matches_sha256:
        summary = answer[1]  # None: the contacts file needs the full reader
    else:  # the helper failed, could not read the matches, or read other ones: count here
        why = "failed" if not done else "passed" if answer is None else "read other matches"
        logging.getLogger("mentorstd").debug("contacts helper %s; counting here", why)
        summary = _summarise(request)
    return _contacts_table(summary, path, display, read)


def _contacts_table(summary: Any, path: Path, display: str, read: Callable[[], Table]) -> Table:
    """The contacts table as contact counts, its columns read from the file only if asked
    for; or read in full when the summary declined the file."""
    if summary is None:
        return read()
    return Table(
        name="contacts",
        file=display,
        columns={},
        n_rows=summary.n_rows,
        sha256=summary.sha256,
        size=summary.size,
        path=path,
        positions=summary.positions,
        summary=summary.counts,
        distinct=dict(summary.distinct),
        loader=read,
    )
