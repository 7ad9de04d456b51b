"""Load an evidence bundle: the manifest, its documents and its tables.

A bundle is a folder::

    my-program/
      bundle.yaml        manifest (required)
      documents/...      files the manifest references
      data/*.csv         operational records (each table optional)

Nothing is ever written into the bundle, and nothing in it is ever imported or run. Every path
must stay inside the bundle folder (no absolute paths, no ``..``, no symlink leading out).
Tables are read and validated by :mod:`mentorstd.tables`. Every problem of the bundle (the
documents, the attestations, the NQMS record and every table) is collected and raised together
in one :class:`~mentorstd.errors.BundleError`, so one run shows them all.
"""

from __future__ import annotations

import codecs
import datetime as dt
import difflib
import functools
import hashlib
import os
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Annotated, Literal, get_args

import polars as pl
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from . import schemas
from ._validate import build_model
from ._yaml import LocatedDoc, load_yaml
from .errors import BundleError, Problem
from .tables import (
    CLOSURE_REASONS,
    DATE_MAX,
    DATE_MIN,
    TABLES,
    CellError,
    Column,
    Known,
    Table,
    TableSpec,
    UnplacedError,
    columns_of,
    excerpt,
    header_text,
    normal_form,
    read_table,
    stands_for,
)

if TYPE_CHECKING:
    from .catalog import Catalog
    from .privacy import Scan

__all__ = [
    "CLOSURE_REASONS",
    "TABLES",
    "Bundle",
    "Column",
    "DocumentRef",
    "Manifest",
    "Table",
    "TableEntry",
    "load_bundle",
]

MANIFEST = "bundle.yaml"
#: Largest manifest accepted (bytes).
MAX_MANIFEST_BYTES = 1024 * 1024
#: Largest document hashed (bytes).
MAX_DOCUMENT_BYTES = 200 * 1024 * 1024


# -- manifest models -------------------------------------------------------------------------

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_text(value: object) -> object:
    """Dates are written YYYY-MM-DD (the YAML loader keeps them as text)."""
    if isinstance(value, dt.date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise ValueError(f"{value!r} is not a date written YYYY-MM-DD")


def _in_range(value: dt.date) -> dt.date:
    if not DATE_MIN <= value <= DATE_MAX:
        raise ValueError(f"{value.isoformat()} is outside {DATE_MIN.year}-{DATE_MAX.year}")
    return value


def _whole_number(value: object) -> object:
    """Numbers are whole numbers in ASCII digits: not true, 1.0 or '1'."""
    if type(value) is not int:
        raise ValueError(f"{value!r} is not a whole number written in digits")
    return value


#: Encoding names as Python knows them (any spelling or alias, e.g. ``UTF8``, ``latin-1``),
#: as the ones a table spec takes. Latin-1 is read as cp1252, its superset in Windows
#: exports (as browsers read it); ASCII as UTF-8, which holds it.
_ENCODINGS = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8",
    "ascii": "utf-8",
    "utf-16": "utf-16",
    "cp1252": "cp1252",
    "iso8859-1": "cp1252",
}


def _encoding(value: object) -> object:
    """An encoding's name in any spelling Python knows, as one of ours (others are left for
    the choice's own message)."""
    if isinstance(value, str):
        try:
            return _ENCODINGS.get(codecs.lookup(value.strip()).name, value)
        except LookupError:
            return value
    return value


def _date_format(value: str) -> str:
    """A date format that reads every date it writes (a day past the 12th, so that day and
    month cannot pass for each other)."""
    sample = dt.date(2024, 10, 31)
    written: str | None = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pl.exceptions.ChronoFormatWarning)
        try:  # written from midnight of that day, as a format with a time may write it
            written = pl.Series([dt.datetime(2024, 10, 31)]).dt.strftime(value)[0]
            back = pl.Series([written]).str.strptime(pl.Date, value, strict=False)[0]
        except pl.exceptions.PolarsError:
            back = None
    chrono = [str(w.message) for w in caught if w.category is pl.exceptions.ChronoFormatWarning]
    if chrono:  # a Python strftime code that polars (chrono) reads otherwise: its advice
        advice = chrono[0].split(" See the full specification")[0]
        raise ValueError(f"not a date format as polars reads one: {advice}")
    if back != sample:
        shown = f" (polars writes 31 October 2024 as {written!r} and cannot read it back)"
        raise ValueError(
            f"not a date format that reads a whole date{shown if written else ''}: use "
            "strftime codes for the year, month and day, e.g. '%m/%d/%Y' for 10/31/2024"
        )
    return value


_Months = Annotated[int, Field(ge=1, le=120), BeforeValidator(_whole_number)]
#: A manifest date: ISO text, within the same years as table dates.
Date = Annotated[dt.date, BeforeValidator(_iso_text), AfterValidator(_in_range)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Period(_Model):
    """The reporting period the records cover."""

    start: Date = Field(description="First day (ISO date).")
    end: Date = Field(description="Last day (ISO date); metrics judge up to this day.")

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
    started: Date | None = Field(default=None, description="When the program began.")
    period: Period = Field(description="Reporting period of the records.")
    commitment_months: (
        Annotated[int, Field(ge=1, le=120), BeforeValidator(_whole_number)] | None
    ) = Field(
        default=None,
        description="The program's own minimum commitment in months, which every match is "
        "planned to last (EEPM B.2.6, B.2.11). Without it the minimum is the model's "
        "default: 9 months (a school year) for school programs, 12 for every other model.",
    )


class DocumentRef(_Model):
    """A document in the bundle, offered as evidence of one kind."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", description="Document id.")
    kind: str = Field(
        description="Evidence-kind id or one of its aliases (see `mentorstd evidence-kinds`)."
    )
    path: str = Field(min_length=1, description="Path inside the bundle, e.g. documents/x.pdf.")
    date: Date | None = Field(default=None, description="Date of the document (ISO).")
    title: str | None = Field(default=None, description="Title.")


class Practice(_Model):
    """The program's own statement about one requirement of any framework."""

    requirement: str = Field(description="Global requirement id, e.g. eepm:B.2.5.")
    status: Literal["implemented", "partial", "planned", "not-implemented", "not-applicable"] = (
        Field(description="How far the practice is in place.")
    )
    evidence: list[str] = Field(default_factory=list, description="Document ids supporting it.")
    note: str | None = Field(default=None, description="Free comment.")


class ProfileEntry(_Model):
    """How to read one table of a program's own export: every key of a table spec but
    ``path`` (also the shape of each table in a profile)."""

    sheet: str | None = Field(
        default=None, min_length=1, description="xlsx only: the sheet (default: the first)."
    )
    delimiter: Literal[",", ";", "\t", "|"] | None = Field(
        default=None,
        description="Text files: the field separator (default: detect , ; tab or |; tab for .tsv).",
    )
    encoding: Annotated[Literal["utf-8", "utf-16", "cp1252"], BeforeValidator(_encoding)] | None = (
        Field(
            default=None,
            description="Text encoding (default utf-8, a BOM allowed); other names of these "
            "are taken (UTF8, windows-1252), and Latin-1 is read as cp1252.",
        )
    )
    date_format: Annotated[str, AfterValidator(_date_format)] | None = Field(
        default=None,
        description="strftime format of the dates, e.g. '%m/%d/%Y' (default ISO YYYY-MM-DD).",
    )
    columns: dict[str, str] = Field(
        default_factory=dict, description="Our column name: the file's header."
    )
    values: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Per our column: the file's value: ours ('' makes it blank).",
    )


class TableEntry(ProfileEntry):
    """A table spec: where a table is and how to read it."""

    path: str = Field(
        min_length=1,
        description="Path inside the bundle (.csv .tsv .txt .xlsx .parquet).",
    )


def _table_ref_tag(value: object) -> str:
    return "spec" if isinstance(value, dict | TableEntry) else "path"


# a path or a table spec; the tag picks one, so a bad spec's errors are the spec's alone
TableRef = Annotated[
    Annotated[str, Tag("path")] | Annotated[TableEntry, Tag("spec")],
    Discriminator(_table_ref_tag),
]


class DataPaths(_Model):
    """The data tables (each optional): a path relative to the bundle, or a table spec."""

    matches: TableRef | None = Field(default=None, description="Matches table.")
    contacts: TableRef | None = Field(default=None, description="Staff contacts table.")
    training: TableRef | None = Field(default=None, description="Training table.")
    screening: TableRef | None = Field(default=None, description="Screening table.")
    surveys: TableRef | None = Field(default=None, description="Surveys table.")
    outcomes: TableRef | None = Field(default=None, description="Outcomes table.")
    meetings: TableRef | None = Field(
        default=None, description="Mentor-mentee meetings table (match_id, date, minutes, mode)."
    )
    practices: TableRef | None = Field(
        default=None,
        description="The self-assessment sheet: columns requirement, status, evidence "
        "(document ids separated by ';'), note. It means what `practices:` means.",
    )
    profile: str | None = Field(
        default=None,
        min_length=1,
        description="A YAML profile: per table name, the keys of a table spec except path. "
        "Keys given here in `data:` win over the profile's.",
    )


class Profile(_Model):
    """A profile: how one database exports each table, shared by every program using it."""

    matches: ProfileEntry | None = Field(default=None, description="Matches table.")
    contacts: ProfileEntry | None = Field(default=None, description="Staff contacts table.")
    training: ProfileEntry | None = Field(default=None, description="Training table.")
    screening: ProfileEntry | None = Field(default=None, description="Screening table.")
    surveys: ProfileEntry | None = Field(default=None, description="Surveys table.")
    outcomes: ProfileEntry | None = Field(default=None, description="Outcomes table.")
    meetings: ProfileEntry | None = Field(default=None, description="Meetings table.")
    practices: ProfileEntry | None = Field(default=None, description="Self-assessment sheet.")


class PlanGoal(_Model):
    """A goal of the NQMS Improvement and Innovation Plan."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", description="Goal id.")
    requirement: str | None = Field(default=None, description="Requirement it improves.")
    title: str | None = Field(default=None, description="What the goal is.")
    status: Literal["open", "done"] = Field(description="open or done.")
    done_on: Date | None = Field(default=None, description="When it was completed.")


class NqmsRecord(_Model):
    """Where the program stands in its NQMS cycle."""

    self_assessment_completed: Date | None = Field(
        default=None, description="Date the self-assessment was completed."
    )
    review_meeting: Date | None = Field(
        default=None, description="Date of the review meeting with the affiliate."
    )
    plan_goals: list[PlanGoal] = Field(
        default_factory=list, description="Improvement and Innovation Plan goals."
    )


class Manifest(_Model):
    """``bundle.yaml``: what a program hands over as evidence."""

    bundle_version: Annotated[Literal[1], BeforeValidator(_whole_number)] = Field(
        description="Manifest format version (1)."
    )
    program: Program = Field(description="The program.")
    documents: list[DocumentRef] = Field(default_factory=list, description="Documents.")
    practices: list[Practice] = Field(default_factory=list, description="Attestations.")
    data: DataPaths = Field(default_factory=DataPaths, description="Data tables.")
    nqms: NqmsRecord | None = Field(default=None, description="NQMS cycle record.")


schemas.register("bundle", "mentorstd.bundle", "Manifest")
schemas.register("profile", "mentorstd.bundle", "Profile")


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
    if any(ord(c) < 32 or ord(c) == 127 for c in rel):
        raise BundleError(
            doc.problem(at, f"{excerpt(rel)} holds a control character (NUL, newline ...)")
        )
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
    try:
        handle = path.open("rb")
    except OSError as err:
        raise BundleError(
            Problem(
                f"cannot read file: {err.strerror or err}",
                problem.file,
                problem.line,
                problem.column,
                problem.field,
            )
        ) from None
    with handle:
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
    catalog: Catalog | Callable[[], Catalog] | None = None,
    allow_personal_data: bool = False,
) -> Bundle:
    """Load and validate an evidence bundle.

    Parameters
    ----------
    path : path
        The bundle folder (or its ``bundle.yaml``).
    catalog : Catalog or callable, optional
        Used to check requirement ids and evidence kinds (default: ``load_catalog()``). A
        function returning it is called once, while the tables are being read.
    allow_personal_data : bool
        Skip the privacy guard that stops on columns or values that look like personal data.

    Raises
    ------
    BundleError
        With every problem found, each ``file:line[:col]: field: message``.

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
    # the manifest obeys the rule of every path in the bundle: no symlink leading out
    if not manifest_path.resolve().is_relative_to(root):
        raise BundleError(Problem(f"{MANIFEST} leads outside the bundle (symlink)", MANIFEST))
    doc = load_yaml(
        manifest_path,
        display=MANIFEST,
        allow_aliases=False,
        max_bytes=MAX_MANIFEST_BYTES,
        error=BundleError,
    )
    manifest, problems = build_model(Manifest, doc, "bundle.schema.json")
    if manifest is None:
        raise BundleError([_with_suggestion(Manifest, p) for p in problems])
    _, manifest_sha = _sha256_file(manifest_path, MAX_MANIFEST_BYTES, Problem("", MANIFEST))
    found: list[Problem] = []
    notes: list[str] = []
    table_found: list[Problem] = []
    specs = _table_specs(root, doc, manifest, table_found)
    # the tables are read on other threads while the catalog loads and the documents are checked
    with _TableReads(specs, allow_personal_data) as reads:
        if catalog is None:
            from .catalog import load_catalog

            catalog = load_catalog()
        elif callable(catalog):
            catalog = catalog()
        documents = _load_documents(root, doc, manifest, catalog, found, notes)
        practices = _check_practices(doc, manifest, catalog, documents, found)
        _check_nqms(doc, manifest, catalog, found)
        found.extend(table_found)
        tables = reads.collect(found, notes)
    if "practices" in specs:
        _load_practice_sheet(
            doc,
            specs["practices"],
            manifest,
            catalog,
            practices,
            found,
            notes,
            allow_personal_data=allow_personal_data,
        )
    if found:
        if not allow_personal_data:  # said in the same run as the other problems
            from .privacy import personal_data

            found.extend(personal_data(manifest, doc, reads.scans()))
        raise BundleError(found)
    bundle = Bundle(
        path=root,
        name=root.name,
        manifest=manifest,
        documents=documents,
        tables=tables,
        manifest_sha256=manifest_sha,
        practices=practices,
        warnings=notes,
    )
    if not allow_personal_data:
        from .privacy import check_bundle

        check_bundle(bundle, doc, reads.scans())
    return bundle


def _submodel(annotation: object) -> type[BaseModel] | None:
    """The model an annotation holds (``list[DocumentRef]``, ``TableRef | None`` ...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _submodel(arg)
        if found is not None:
            return found
    return None


def _with_suggestion(model: type[BaseModel], problem: Problem) -> Problem:
    """An unknown key's problem, with the key it most likely meant (a typo, another case); a
    `values:` map's problem, with how the map is written."""
    parts = (problem.field or "").split(".")
    if "values" in parts[1:-1]:
        at = parts.index("values", 1)
        return _values_problem(problem, parts[at - 1], parts[at + 1 :])
    if problem.message != "unknown field" or not problem.field:
        return problem
    *parents, key = [part for part in re.split(r"\.|\[\d+\]", problem.field) if part]
    current: type[BaseModel] | None = model
    for part in parents:
        field_info = current.model_fields.get(part) if current is not None else None
        current = _submodel(field_info.annotation) if field_info is not None else None
    if current is None:
        return problem
    names = list(current.model_fields)
    folded = {name.casefold(): name for name in names}
    close = [folded[key.casefold()]] if key.casefold() in folded else []
    close = close or difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(names)}"
    message = f"unknown field {key!r} ({hint})"
    return Problem(message, problem.file, problem.line, problem.column, problem.field)


def _values_problem(problem: Problem, table: str, under: list[str]) -> Problem:
    """A `values:` map's problem (of ``table``; ``under``: the keys below ``values``) said
    with how the map is written, when its type is wrong: a number where text is wanted, or
    no map where a column's map is wanted."""
    message = problem.message
    if len(under) >= 2 and message.endswith("Input should be a valid string"):
        value = message.removesuffix("Input should be a valid string").removesuffix(": ")
        message = (
            f"{value} is not text: write it in quotes, as '{value}' (a `values:` map gives our "
            "values as text)"
        )
    elif len(under) == 1 and message.startswith("Input should be a valid dictionary"):
        key = under[0]
        columns = columns_of(table) if table in TABLES else ()
        enums = [c for c in columns if c.type == "enum"]
        column, choice = (enums[0].name, enums[0].choices[0]) if enums else ("column", "ours")
        if key in {c.name for c in columns}:
            message = (
                f"`values:` gives {key!r} a map of the file's values to ours, as "
                f"`values: {{{key}: {{Their value: {choice if key == column else 'ours'}}}}}`"
            )
        else:
            message = (
                f"{key!r} is not one of our columns: `values:` gives each of our columns a "
                f"map of its own, as `values: {{{column}: {{{key}: {choice}}}}}`"
            )
    return Problem(message, problem.file, problem.line, problem.column, problem.field)


def _collect(found: list[Problem], err: BundleError) -> None:
    found.extend(err.problems)


def kind_named(catalog: Catalog, name: str) -> str | None:
    """The evidence-kind id that ``name`` is (an id or an alias, case and spacing aside)."""
    if name in catalog.evidence_kinds:
        return name
    wanted = normal_form(name)
    for kind in catalog.evidence_kinds.values():
        if wanted == kind.id or any(normal_form(a) == wanted for a in kind.aliases):
            return kind.id
    return None


def _unknown_requirement(catalog: Catalog, rid: str) -> str:
    """The message for an unknown requirement id, with the ids it may have meant."""
    local = rid.split(":", 1)[-1].strip().casefold()
    meant = [
        req.global_id
        for fw in catalog.frameworks.values()
        for req in fw.requirements
        if req.id.casefold() == local and req.global_id != rid
    ]
    if meant:
        listed = " or ".join(repr(m) for m in meant[:3])
        return f"unknown requirement {rid!r} (did you mean {listed}?)"
    return f"unknown requirement {rid!r} (ids are framework:id, e.g. 'eepm:B.2.5')"


def _kind_suggestion(catalog: Catalog, name: str) -> str | None:
    names: dict[str, str] = {}
    for kind in catalog.evidence_kinds.values():
        for label in (kind.id, kind.title, *kind.aliases, *kind.examples):
            names.setdefault(normal_form(label), kind.id)
    close = difflib.get_close_matches(normal_form(name), list(names), n=1, cutoff=0.6)
    return names[close[0]] if close else None


def _load_documents(
    root: Path,
    doc: LocatedDoc,
    manifest: Manifest,
    catalog: Catalog,
    found: list[Problem],
    notes: list[str],
) -> dict[str, DocumentFile]:
    out: dict[str, DocumentFile] = {}
    for i, ref in enumerate(manifest.documents):
        at: list[str | int] = ["documents", i]
        if ref.id in out:
            found.append(doc.problem([*at, "id"], f"duplicate document id {ref.id!r}"))
            continue
        kind = kind_named(catalog, ref.kind)
        if kind is None:
            close = _kind_suggestion(catalog, ref.kind)
            hint = f"did you mean {close!r}? " if close else ""
            notes.append(
                str(
                    doc.problem(
                        [*at, "kind"],
                        f"unknown evidence kind {ref.kind!r} ({hint}see `mentorstd "
                        "evidence-kinds`); the document still counts where a practice cites "
                        f"{ref.id!r}",
                    )
                )
            )
        elif kind != ref.kind:
            ref = ref.model_copy(update={"kind": kind})  # noqa: PLW2901  (the alias resolved)
        try:
            file_path = _inside(root, ref.path, doc, [*at, "path"])
            size, digest = _sha256_file(
                file_path, MAX_DOCUMENT_BYTES, doc.problem([*at, "path"], "")
            )
        except BundleError as err:
            _collect(found, err)
            continue
        out[ref.id] = DocumentFile(ref=ref, size=size, sha256=digest)
    return out


def _check_practices(
    doc: LocatedDoc,
    manifest: Manifest,
    catalog: Catalog,
    documents: dict[str, DocumentFile],
    found: list[Problem],
) -> dict[str, Practice]:
    out: dict[str, Practice] = {}
    listed = {d.id for d in manifest.documents}
    for i, practice in enumerate(manifest.practices):
        at: list[str | int] = ["practices", i]
        if not catalog.has_requirement(practice.requirement):
            found.append(
                doc.problem(
                    [*at, "requirement"], _unknown_requirement(catalog, practice.requirement)
                )
            )
            continue
        if practice.requirement in out:
            found.append(
                doc.problem([*at, "requirement"], f"{practice.requirement} is attested twice")
            )
            continue
        for j, ref in enumerate(practice.evidence):
            if ref not in listed:
                found.append(
                    doc.problem([*at, "evidence", j], f"no document with id {ref!r} in documents")
                )
        out[practice.requirement] = practice
    return out


def _check_nqms(
    doc: LocatedDoc, manifest: Manifest, catalog: Catalog, found: list[Problem]
) -> None:
    if manifest.nqms is None:
        return
    seen: set[str] = set()
    for i, goal in enumerate(manifest.nqms.plan_goals):
        at: list[str | int] = ["nqms", "plan_goals", i]
        if goal.id in seen:
            found.append(doc.problem([*at, "id"], f"duplicate goal id {goal.id!r}"))
        seen.add(goal.id)
        if goal.requirement is not None and not catalog.has_requirement(goal.requirement):
            found.append(
                doc.problem([*at, "requirement"], f"unknown requirement {goal.requirement!r}")
            )
        if goal.done_on is not None and goal.status != "done":
            found.append(
                doc.problem([*at, "done_on"], f"done_on is set but status is {goal.status!r}")
            )


def _reference_targets(name: str) -> Iterator[tuple[str, str, str]]:
    """Each referencing column of table ``name``, with the table and column it refers to."""
    for column in TABLES[name]:
        if column.references is not None:
            target, _, target_column = column.references.partition(".")
            yield column.name, target, target_column


def _references(name: str, targets: dict[str, tuple[pl.DataFrame, str]]) -> dict[str, Known]:
    """The values each referencing column of table ``name`` may hold, and their file, from
    the ``targets`` read (their checked columns, and file)."""
    out: dict[str, Known] = {}
    for column, target, target_column in _reference_targets(name):
        found = targets.get(target)
        if found is not None and target_column in found[0].columns:
            out[column] = (found[0].get_column(target_column), found[1])
    return out


def _unplaced(read: Future[Table]) -> tuple[str, ...] | None:
    """The columns of a table some of whose rows could not be placed (``None``: it was read
    whole, or not at all)."""
    error = read.exception()
    return error.columns if isinstance(error, UnplacedError) else None


def _checked(read: Future[Table]) -> tuple[pl.DataFrame, str] | None:
    """The checked columns of a table read, and its file, also when some of its cells are bad
    (``None``: it could not be read, or its rows could not be placed)."""
    try:
        table = read.result()
    except CellError as err:
        return err.frame, err.file
    except BundleError:
        return None
    return table.frame, table.file


@dataclass(frozen=True, slots=True)
class _Spec:
    """A table of the manifest, resolved: its file, how it is named, and how to read it."""

    path: Path
    display: str
    spec: TableSpec


def _load_profile(
    root: Path, doc: LocatedDoc, rel: str, found: list[Problem]
) -> tuple[Profile, LocatedDoc] | None:
    try:
        file_path = _inside(root, rel, doc, ["data", "profile"])
        pdoc = load_yaml(
            file_path,
            display=rel,
            allow_aliases=False,
            max_bytes=MAX_MANIFEST_BYTES,
            error=BundleError,
        )
    except BundleError as err:
        _collect(found, err)
        return None
    if pdoc.data is None:
        pdoc.data = {}
    profile, problems = build_model(Profile, pdoc, "profile.schema.json")
    if profile is None:
        found.extend(_with_suggestion(Profile, p) for p in problems)
        return None
    return profile, pdoc


def _check_maps(
    name: str, keys: dict[str, object], where: LocatedDoc, at: list[str | int], found: list[Problem]
) -> None:
    """Every key of a spec's ``columns`` and ``values`` must be one of the table's columns."""
    names = [c.name for c in columns_of(name)]
    for key in ("columns", "values"):
        given = keys.get(key)
        if not isinstance(given, dict):
            continue
        for ours, theirs in given.items():
            if ours in names:
                continue
            if key == "columns" and isinstance(theirs, str) and theirs in names:
                message = (
                    f"{ours!r} is not a column of {name}: a `columns:` map names our column "
                    f"first, then the file's header: `{theirs}: {ours}`"
                )
            else:
                close = difflib.get_close_matches(str(ours), names, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                message = f"{ours!r} is not a column of {name} ({hint}columns: {', '.join(names)})"
            found.append(where.problem([*at, key, ours], message))
    _check_shared_headers(keys.get("columns"), where, at, found)
    values = keys.get("values")
    if isinstance(values, dict):
        choices = {c.name: c.choices for c in columns_of(name) if c.type == "enum"}
        for column, given in values.items():
            if isinstance(given, dict):
                _check_value_keys(given, where, [*at, "values", column], found)
                if column in choices:
                    _check_value_targets(
                        given, choices[column], where, [*at, "values", column], found
                    )


def _check_value_targets(
    given: dict[object, object],
    choices: tuple[str, ...],
    where: LocatedDoc,
    at: list[str | int],
    found: list[Problem],
) -> None:
    """Each value an enumeration's map gives must be one of its choices (or blank): said
    where it is written, not at every row it would reach, and all at once."""
    for value, target in given.items():
        if not isinstance(target, str) or not target or stands_for(target, choices) in choices:
            continue
        close = difflib.get_close_matches(target, choices, n=1)
        if not close and stands_for(str(value), choices) in choices:  # the other way round
            message = (
                f"maps {value!r} to {target!r}, which is not one of {', '.join(choices)}: a "
                f"`values:` map names the file's value first, then ours: `{target}: {value}`"
            )
        else:  # (a typo of a choice, mostly)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            message = (
                f"maps {value!r} to {target!r}, which is not one of {', '.join(choices)}{hint}"
            )
        found.append(where.problem([*at, value], message))  # type: ignore[list-item]


def _check_shared_headers(
    columns: object, where: LocatedDoc, at: list[str | int], found: list[Problem]
) -> None:
    """Two of our columns mapped to one header: one header gives one column."""
    if not isinstance(columns, dict):
        return
    first_of: dict[str, object] = {}
    for ours, theirs in columns.items():
        if not isinstance(theirs, str):
            continue
        first = first_of.setdefault(header_text(theirs), ours)
        if first != ours:
            found.append(
                where.problem(
                    [*at, "columns", ours],
                    f"maps {ours!r} to {theirs!r}, as it maps {first!r}: a header gives one "
                    f"column; map {ours!r} to a header of its own",
                )
            )


def _check_value_keys(
    given: dict[object, object], where: LocatedDoc, at: list[str | int], found: list[Problem]
) -> None:
    """Keys of one column's ``values`` map that are one value once case and spacing are set
    aside, as values are matched, yet are mapped apart: which applies would be chance."""
    seen: dict[str, tuple[object, object]] = {}
    for value, target in given.items():
        first, first_target = seen.setdefault(normal_form(str(value)), (value, target))
        if first != value and first_target != target:
            found.append(
                where.problem(
                    [*at, value if isinstance(value, str | int) else str(value)],
                    f"{value!r} and {first!r} are one value once case and spacing are set "
                    f"aside, as values are matched, but are mapped to {target!r} and "
                    f"{first_target!r}; map them to one value",
                )
            )


def _table_specs(
    root: Path, doc: LocatedDoc, manifest: Manifest, found: list[Problem]
) -> dict[str, _Spec]:
    """Each table of ``data:`` (and the practices sheet), its profile keys under its inline
    ones, with the file resolved inside the bundle."""
    profile: Profile | None = None
    pdoc: LocatedDoc | None = None
    out: dict[str, _Spec] = {}
    if manifest.data.profile is not None:
        loaded = _load_profile(root, doc, manifest.data.profile, found)
        if loaded is None:  # read without it, every table would seem to lack its columns
            return out
        profile, pdoc = loaded
    for name in (*TABLES, "practices"):
        entry: TableRef | None = getattr(manifest.data, name)
        if entry is None:
            continue
        keys: dict[str, object] = {}
        known = len(found)
        base: ProfileEntry | None = getattr(profile, name) if profile is not None else None
        if base is not None and pdoc is not None:
            _check_maps(name, base.model_dump(exclude_unset=True), pdoc, [name], found)
            keys.update(base.model_dump(exclude_unset=True))
        if isinstance(entry, TableEntry):
            inline = entry.model_dump(exclude_unset=True)
            _check_maps(name, inline, doc, ["data", name], found)
            keys.update(inline)
            rel = entry.path
            at: list[str | int] = ["data", name, "path"]
        else:
            rel = entry
            at = ["data", name]
        if len(found) > known:  # a map names no column of ours: read so, columns would be amiss
            continue
        keys.pop("path", None)
        try:
            file_path = _inside(root, rel, doc, at)
        except BundleError as err:
            _collect(found, err)
            continue
        spec = TableSpec(
            sheet=_opt_str(keys.get("sheet")),
            delimiter=_opt_str(keys.get("delimiter")),
            encoding=_opt_str(keys.get("encoding")) or "utf-8",
            date_format=_opt_str(keys.get("date_format")),
            columns=_str_map(keys.get("columns")),
            values={k: _str_map(v) for k, v in _obj_map(keys.get("values")).items()},
        )
        if spec.sheet is not None and file_path.suffix.lower() not in (".xlsx", ".xlsm"):
            found.append(
                doc.problem(at, f"`sheet:` is for an xlsx workbook, and {rel!r} is not one")
            )
            continue
        display = f"{rel}[{spec.sheet}]" if spec.sheet is not None else rel
        out[name] = _Spec(file_path, display, spec)
    return out


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _obj_map(value: object) -> dict[str, object]:
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


def _str_map(value: object) -> dict[str, str]:
    return {str(k): str(v) for k, v in _obj_map(value).items()}


#: Tables whose files add up to more than this are read one by one, so that peak memory
#: stays that of the largest table (at most :data:`~mentorstd.tables.MAX_TABLE_BYTES` each);
#: a 100,000-match bundle (about 110 MB) is read side by side.
SIDE_BY_SIDE_BYTES = 256 * 1024 * 1024


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # read_table says what is wrong with it
        return 0


class _TableReads:
    """Every table of the manifest, read side by side; :meth:`collect` gathers them and all
    their problems in :data:`TABLES` order.

    The tables are read on polars' threads (polars releases the GIL while it parses and
    checks): a table that references another is parsed at once and waits for its target only
    before its cells are checked. A referenced table comes before the tables referencing it in
    :data:`TABLES` (a test holds this) and tables are started in that order, so a table waited
    for has always started: the wait cannot deadlock. Large bundles are read one by one
    (:data:`SIDE_BY_SIDE_BYTES`). Unless personal data is allowed, each table read is then
    scanned for it (:func:`~mentorstd.privacy.scan_both`) as a task of its own, behind the
    reads still waiting, so that no table waits for a scan (see :meth:`scans`).

    Used as a context manager: leaving it normally waits for every read and scan; leaving it
    on an exception waits for the reads running and cancels the rest.
    """

    def __init__(self, specs: dict[str, _Spec], allow_personal_data: bool) -> None:
        from .privacy import PRIVACY_HELP, personal_column, scan_both

        self.specs = specs
        self.names = [name for name in TABLES if name in specs]
        self.futures: dict[str, Future[Table]] = {}
        self._scans: dict[str, Future[Scan]] = {}

        def read(name: str) -> Table:
            spec = specs[name]
            table = read_table(
                spec.path,
                name,
                display=spec.display,
                references=functools.partial(self._references, name),
                personal_column=personal_column,
                privacy_help=None if allow_personal_data else PRIVACY_HELP,
                spec=spec.spec,
            )
            if not allow_personal_data:  # each name is written by its own read only
                self._scans[name] = self.pool.submit(scan_both, name, table, self.names)
            return table

        # side by side, two large tables would be in memory at once: past a budget, one by one
        size = sum(_file_size(specs[name].path) for name in self.names)
        workers = 1
        if size <= SIDE_BY_SIDE_BYTES:
            workers = max(1, min(pl.thread_pool_size(), len(self.names)))
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="mentorstd-table")
        # in TABLES order, so a referenced table starts before the tables waiting for it
        for name in self.names:
            self.futures[name] = self.pool.submit(read, name)

    def __enter__(self) -> _TableReads:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        self.pool.shutdown(wait=True, cancel_futures=kind is not None)

    def scans(self) -> dict[str, Scan]:
        """What the personal-data scan found in each table read (by name, for
        :func:`~mentorstd.privacy.check_bundle`); empty when personal data is allowed."""
        return {name: found.result() for name, found in self._scans.items()}

    def _references(self, name: str) -> dict[str, Known]:
        done: dict[str, tuple[pl.DataFrame, str]] = {}
        for _, target, _ in _reference_targets(name):
            if target in self.futures and target not in done:
                found = _checked(self.futures[target])
                if found is not None:
                    done[target] = found
        return _references(name, done)

    def collect(self, found: list[Problem], notes: list[str]) -> dict[str, Table]:
        """The tables read without problems; the problems of the others go to ``found``."""
        specs = self.specs
        tables: dict[str, Table] = {}
        for name in self.names:
            try:
                tables[name] = self.futures[name].result()
                notes.extend(tables[name].notes)
            except BundleError as err:
                _collect(found, err)
            checked = _checked(self.futures[name])
            # a table with rows that could not be placed had its other rows checked
            columns = checked[0].columns if checked is not None else _unplaced(self.futures[name])
            if columns is None:
                continue
            for column, target, target_column in _reference_targets(name):  # unchecked: said
                if target not in specs and column in columns:
                    notes.append(
                        f"{specs[name].display}: {column}: not checked: the bundle has no "
                        f"{target} table"
                    )
                    continue
                # its rows not all placed, or (a missing column) no ids to refer to
                known = _checked(self.futures[target]) if target in specs else None
                unplaced = target in specs and (
                    known is None or target_column not in known[0].columns
                )
                if unplaced and column in columns:
                    found.append(
                        Problem(
                            f"not checked against {specs[target].display}, which has problems "
                            "(see above); run again once it is fixed",
                            specs[name].display,
                            None,
                            None,
                            column,
                        )
                    )
        return tables


def _load_practice_sheet(
    doc: LocatedDoc,
    spec: _Spec,
    manifest: Manifest,
    catalog: Catalog,
    practices: dict[str, Practice],
    found: list[Problem],
    notes: list[str],
    *,
    allow_personal_data: bool = False,
) -> None:
    """Add the self-assessment sheet's attestations to ``practices`` (rows with a blank
    status are not assessed yet); every problem is located at its row and column."""
    try:
        sheet = read_table(spec.path, "practices", display=spec.display, spec=spec.spec)
    except BundleError as err:
        _collect(found, err)
        return
    notes.extend(sheet.notes)
    listed = {d.id for d in manifest.documents}
    yaml_rows = {p.requirement: i for i, p in enumerate(manifest.practices)}
    seen: dict[str, int] = {}
    frame = sheet.frame
    rows = frame.to_dicts()

    def at(row: int, column: str, message: str) -> Problem:
        return Problem(message, sheet.file, sheet.line_of(row), sheet.positions.get(column), column)

    for row, values in enumerate(rows):
        requirement = str(values["requirement"])
        status = values.get("status")
        if status is None:
            continue
        if not catalog.has_requirement(requirement):
            found.append(at(row, "requirement", _unknown_requirement(catalog, requirement)))
            continue
        if requirement in seen:
            first = sheet.line_of(seen[requirement])
            found.append(
                at(row, "requirement", f"{requirement} is attested twice (also at line {first})")
            )
            continue
        if requirement in yaml_rows:
            line, col = doc.locate(["practices", yaml_rows[requirement]])
            found.append(
                at(
                    row,
                    "requirement",
                    f"{requirement} is attested twice: here and in {doc.file}:{line}:{col} "
                    f"(practices[{yaml_rows[requirement]}]); keep one",
                )
            )
            continue
        seen[requirement] = row
        note = values.get("note")
        if note and not allow_personal_data:
            from .privacy import PRIVACY_HELP, looks_personal

            what = looks_personal(str(note))
            if what is not None:
                found.append(at(row, "note", f"text looks like it contains {what}: {PRIVACY_HELP}"))
        evidence = [e.strip() for e in str(values.get("evidence") or "").split(";") if e.strip()]
        missing = [e for e in evidence if e not in listed]
        if missing:
            found.append(at(row, "evidence", f"no document with id {missing[0]!r} in documents"))
        practices[requirement] = Practice(
            requirement=requirement,
            status=status,
            evidence=evidence,
            note=values.get("note"),
        )
