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

import datetime as dt
import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from . import schemas
from ._validate import build_model
from ._yaml import LocatedDoc, load_yaml
from .errors import BundleError, Problem
from .tables import CLOSURE_REASONS, TABLES, Column, Known, Table, read_table

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
#: Largest document hashed (bytes).
MAX_DOCUMENT_BYTES = 200 * 1024 * 1024


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
    commitment_months: int | None = Field(
        default=None,
        ge=1,
        le=120,
        description="The program's own minimum commitment in months, which every match is "
        "planned to last (EEPM B.2.6, B.2.11). Without it the minimum is the model's "
        "default: 9 months (a school year) for school programs, 12 for every other model.",
    )


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
    found: list[Problem] = []
    documents = _load_documents(root, doc, manifest, catalog, found)
    practices = _check_practices(doc, manifest, catalog, documents, found)
    _check_nqms(doc, manifest, catalog, found)
    tables = _load_tables(root, doc, manifest, allow_personal_data, found)
    if found:
        raise BundleError(found)
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

        check_bundle(bundle, doc)
    return bundle


def _collect(found: list[Problem], err: BundleError) -> None:
    found.extend(err.problems)


def _load_documents(
    root: Path, doc: LocatedDoc, manifest: Manifest, catalog: Catalog, found: list[Problem]
) -> dict[str, DocumentFile]:
    out: dict[str, DocumentFile] = {}
    for i, ref in enumerate(manifest.documents):
        at: list[str | int] = ["documents", i]
        if ref.id in out:
            found.append(doc.problem([*at, "id"], f"duplicate document id {ref.id!r}"))
            continue
        if ref.kind not in catalog.evidence_kinds:
            found.append(
                doc.problem(
                    [*at, "kind"],
                    f"unknown evidence kind {ref.kind!r} (see `mentorstd evidence-kinds`)",
                )
            )
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
                doc.problem([*at, "requirement"], f"unknown requirement {practice.requirement!r}")
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


def _references(name: str, tables: dict[str, Table]) -> dict[str, Known]:
    """The values each referencing column of table ``name`` may hold, and their file."""
    out: dict[str, Known] = {}
    for column in TABLES[name]:
        if column.references is None:
            continue
        target, _, target_column = column.references.partition(".")
        table = tables.get(target)
        if table is not None:
            out[column.name] = (table[target_column], table.file)
    return out


def _load_tables(
    root: Path,
    doc: LocatedDoc,
    manifest: Manifest,
    allow_personal_data: bool,
    found: list[Problem],
) -> dict[str, Table]:
    """Read every table of the manifest, in :data:`TABLES` order, collecting all problems."""
    from .privacy import PRIVACY_HELP, personal_column

    tables: dict[str, Table] = {}
    for name in TABLES:
        rel = getattr(manifest.data, name)
        if rel is None:
            continue
        try:
            file_path = _inside(root, rel, doc, ["data", name])
            tables[name] = read_table(
                file_path,
                name,
                display=rel,
                references=_references(name, tables),
                personal_column=personal_column,
                privacy_help=None if allow_personal_data else PRIVACY_HELP,
            )
        except BundleError as err:
            _collect(found, err)
    return tables
