"""Find and load frameworks: the shipped standards, user folders and entry points.

A *standards root* is a folder holding framework folders (each with a ``framework.yaml``), and
optionally ``evidence-kinds.yaml`` and ``crosswalks/``. The shipped root is always loaded first
(unless ``builtin=False``); each extra path is either another root or a single framework folder;
packages can add roots through the ``mentorstd.frameworks`` entry-point group (the entry point
names a callable returning a path, or a module whose folder is the root).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._plugins import ENTRY_POINT_GROUP, entry_point_roots
from ._registry import METRIC_SPECS
from ._resources import standards_dir
from ._validate import build_model
from ._yaml import LocatedDoc, load_yaml
from .errors import Problem, StandardsError, UnknownIdError
from .models import (
    DocumentCheck,
    EvidenceKind,
    EvidenceKindsFile,
    Framework,
    FrameworkFile,
    MetricCheck,
    Requirement,
    RequirementSpec,
    StandardFile,
)

if TYPE_CHECKING:
    from .crosswalk import Crosswalk
    from .models import CrosswalkFile

__all__ = ["ENTRY_POINT_GROUP", "Catalog", "LintReport", "lint", "load_catalog"]

#: Extra standards roots, separated like PATH.
PATH_ENV = "MENTORSTD_PATH"

SCHEMA_FOR = {
    "framework": "framework.schema.json",
    "standard": "standard.schema.json",
    "evidence-kinds": "evidence-kinds.schema.json",
    "crosswalk": "crosswalk.schema.json",
    "nqms": "nqms.schema.json",
}


class Catalog:
    """Every loaded framework, the evidence vocabulary and (lazily) the crosswalk graph.

    Examples
    --------
    >>> cat = load_catalog()
    >>> cat.requirement("ima:III-2").title
    'Matching criteria and process'
    """

    def __init__(
        self,
        frameworks: dict[str, Framework],
        evidence_kinds: dict[str, EvidenceKind],
        crosswalk_files: Sequence[tuple[CrosswalkFile, LocatedDoc | None]] = (),
        roots: Sequence[Path] = (),
    ) -> None:
        self.frameworks: dict[str, Framework] = frameworks
        self.evidence_kinds: dict[str, EvidenceKind] = evidence_kinds
        self.roots: tuple[Path, ...] = tuple(roots)
        self._crosswalk_files = list(crosswalk_files)

    def __repr__(self) -> str:
        return f"<Catalog frameworks={list(self.frameworks)}>"

    def framework(self, framework_id: str) -> Framework:
        """The framework with this id (:class:`UnknownIdError` if absent)."""
        try:
            return self.frameworks[framework_id]
        except KeyError:
            known = ", ".join(self.frameworks) or "none"
            raise UnknownIdError(f"unknown framework {framework_id!r} (known: {known})") from None

    def requirement(self, global_id: str) -> Requirement:
        """The requirement with global id ``<framework>:<local id>``."""
        framework_id, sep, local_id = global_id.partition(":")
        if not sep or not local_id:
            raise UnknownIdError(
                f"{global_id!r} is not a requirement id: expected <framework>:<local id>, "
                "e.g. 'eepm:B.3.1'"
            )
        framework = self.framework(framework_id)
        if local_id not in framework:
            raise UnknownIdError(f"unknown requirement {global_id!r}")
        return framework.requirement(local_id)

    def has_requirement(self, global_id: str) -> bool:
        """True when ``global_id`` names a loaded requirement."""
        framework_id, _, local_id = global_id.partition(":")
        framework = self.frameworks.get(framework_id)
        return framework is not None and local_id in framework

    def iter_requirements(self, framework_id: str | None = None) -> Iterator[Requirement]:
        """Requirements of one framework, or of all in catalog order."""
        ids = [framework_id] if framework_id else list(self.frameworks)
        for fid in ids:
            yield from self.framework(fid).requirements

    @cached_property
    def crosswalk(self) -> Crosswalk:
        """The crosswalk graph over every loaded framework (built on first use)."""
        from .crosswalk import Crosswalk

        return Crosswalk.from_files(self, self._crosswalk_files)


@dataclass
class LintReport:
    """What ``mentorstd lint`` found."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    catalog: Catalog | None = None

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def counts(self) -> dict[str, dict[str, int]]:
        """Per framework: requirements by kind, by provenance and by id basis (keys
        ``id-source``, ``id-assigned``, ``id-inferred``)."""
        out: dict[str, dict[str, int]] = {}
        if self.catalog is None:
            return out
        for fid, fw in self.catalog.frameworks.items():
            kinds = Counter[str](r.kind for r in fw.requirements)
            prov = Counter[str](r.provenance for r in fw.requirements)
            basis = Counter[str](f"id-{r.id_basis}" for r in fw.requirements)
            out[fid] = {"requirements": len(fw.requirements), **kinds, **prov, **basis}
        return out


class _Loader:
    """Loads standards roots, collecting every problem instead of stopping at the first."""

    def __init__(self, *, strict: bool) -> None:
        self.strict = strict
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        self.frameworks: dict[str, Framework] = {}
        self.framework_docs: dict[str, list[tuple[LocatedDoc, StandardFile]]] = {}
        self.framework_meta_docs: dict[str, LocatedDoc] = {}
        self.kinds: dict[str, EvidenceKind] = {}
        self.kind_docs: list[tuple[LocatedDoc, EvidenceKindsFile]] = []
        self.crosswalks: list[tuple[CrosswalkFile, LocatedDoc | None]] = []
        self.roots: list[Path] = []
        self.extra_docs: list[tuple[LocatedDoc, Any]] = []

    # -- reading -------------------------------------------------------------------------
    def _read(self, path: Path, display: str, schema: str) -> LocatedDoc | None:
        try:
            doc = load_yaml(path, display=display, error=StandardsError)
        except StandardsError as err:
            self.problems.extend(err.problems)
            return None
        if self.strict:
            self._check_header(path, display, schema)
        return doc

    def _check_header(self, path: Path, display: str, schema: str) -> None:
        with path.open(encoding="utf-8-sig") as handle:
            first = handle.readline().strip()
        marker = "# yaml-language-server: $schema="
        if not first.startswith(marker):
            self.problems.append(
                Problem(
                    f"first line should be '{marker}<path to {schema}>' so editors validate it",
                    display,
                    1,
                    1,
                )
            )
        elif not first.endswith("/" + schema) and first[len(marker) :] != schema:
            self.problems.append(
                Problem(
                    f"schema comment names {first[len(marker) :]!r}, expected a path to {schema!r}",
                    display,
                    1,
                    1,
                )
            )

    def _build(self, model: Any, doc: LocatedDoc, schema: str) -> Any:
        built, problems = build_model(model, doc, schema, strict_schema=self.strict)
        self.problems.extend(problems)
        return built

    # -- roots and folders ---------------------------------------------------------------
    def load_root(self, root: Path, display_prefix: str) -> None:
        self.roots.append(root)
        kinds_path = root / "evidence-kinds.yaml"
        if kinds_path.is_file():
            self.load_kinds(kinds_path, f"{display_prefix}evidence-kinds.yaml")
        for child in sorted(p for p in root.iterdir() if (p / "framework.yaml").is_file()):
            self.load_framework(child, f"{display_prefix}{child.name}/")
        cw_dir = root / "crosswalks"
        if cw_dir.is_dir():
            for path in sorted(cw_dir.glob("*.yaml")):
                self.load_crosswalk(path, f"{display_prefix}crosswalks/{path.name}")

    def load_path(self, path: Path) -> None:
        display = str(path).rstrip("/") + "/"
        if (path / "framework.yaml").is_file():
            self.load_framework(path, display)
        elif path.is_dir():
            self.load_root(path, display)
        else:
            self.problems.append(
                Problem(
                    "not a standards folder (expected framework.yaml or framework folders)",
                    str(path),
                )
            )

    def load_kinds(self, path: Path, display: str) -> None:
        doc = self._read(path, display, SCHEMA_FOR["evidence-kinds"])
        if doc is None:
            return
        built: EvidenceKindsFile | None = self._build(
            EvidenceKindsFile, doc, SCHEMA_FOR["evidence-kinds"]
        )
        if built is None:
            return
        for i, kind in enumerate(built.kinds):
            if kind.id in self.kinds:
                self.problems.append(
                    doc.problem(["kinds", i, "id"], f"duplicate evidence kind {kind.id!r}")
                )
            self.kinds[kind.id] = kind
        self.kind_docs.append((doc, built))

    def load_framework(self, folder: Path, display: str) -> None:
        meta_doc = self._read(
            folder / "framework.yaml", display + "framework.yaml", SCHEMA_FOR["framework"]
        )
        if meta_doc is None:
            return
        meta: FrameworkFile | None = self._build(FrameworkFile, meta_doc, SCHEMA_FOR["framework"])
        if meta is None:
            return
        if meta.id != folder.name:
            self.problems.append(
                meta_doc.problem(
                    ["id"], f"framework id {meta.id!r} differs from its folder name {folder.name!r}"
                )
            )
        if meta.id in self.frameworks:
            self.problems.append(meta_doc.problem(["id"], f"framework {meta.id!r} loaded twice"))
            return
        requirements: list[Requirement] = []
        docs: list[tuple[LocatedDoc, StandardFile]] = []
        for i, part in enumerate(meta.parts):
            part_path = folder / part
            if not part_path.is_file() or ".." in Path(part).parts:
                self.problems.append(meta_doc.problem(["parts", i], f"no such file {part!r}"))
                continue
            doc = self._read(part_path, display + part, SCHEMA_FOR["standard"])
            if doc is None:
                continue
            built: StandardFile | None = self._build(StandardFile, doc, SCHEMA_FOR["standard"])
            if built is None:
                continue
            docs.append((doc, built))
            requirements.extend(_as_requirement(spec, meta.id) for spec in built.requirements)
        extras: dict[str, Any] = {}
        for name, rel in meta.extras.items():
            extras[name] = self.load_extra(folder, display, meta_doc, name, rel)
        self.frameworks[meta.id] = Framework(
            id=meta.id, meta=meta, requirements=tuple(requirements), extras=extras
        )
        self.framework_docs[meta.id] = docs
        self.framework_meta_docs[meta.id] = meta_doc

    def load_extra(
        self, folder: Path, display: str, meta_doc: LocatedDoc, name: str, rel: str
    ) -> Any:
        path = folder / rel
        if not path.is_file() or ".." in Path(rel).parts:
            self.problems.append(meta_doc.problem(["extras", name], f"no such file {rel!r}"))
            return None
        if name != "nqms":
            self.problems.append(
                meta_doc.problem(["extras", name], f"unknown extra {name!r} (known: nqms)")
            )
            return None
        from .models import NqmsFile

        doc = self._read(path, display + rel, SCHEMA_FOR["nqms"])
        if doc is None:
            return None
        built = self._build(NqmsFile, doc, SCHEMA_FOR["nqms"])
        if built is not None:
            self.extra_docs.append((doc, built))
        return built

    def load_crosswalk(self, path: Path, display: str) -> None:
        from .models import CrosswalkFile

        doc = self._read(path, display, SCHEMA_FOR["crosswalk"])
        if doc is None:
            return
        built: CrosswalkFile | None = self._build(CrosswalkFile, doc, SCHEMA_FOR["crosswalk"])
        if built is not None:
            self.crosswalks.append((built, doc))

    # -- cross-file checks ---------------------------------------------------------------
    def check(self) -> None:
        for fid, docs in self.framework_docs.items():
            if fid not in self.frameworks:
                continue
            self._check_framework(self.frameworks[fid], docs)
        for fid in self.frameworks:
            self._check_counts(fid)
        for doc, built in self.extra_docs:
            self._check_extra(doc, built)

    def _check_framework(
        self, framework: Framework, docs: list[tuple[LocatedDoc, StandardFile]]
    ) -> None:
        seen: dict[str, str] = {}
        all_ids = {r.id for r in framework.requirements}
        for doc, built in docs:
            for i, spec in enumerate(built.requirements):
                here: list[str | int] = ["requirements", i]
                if spec.id in seen:
                    self.problems.append(
                        doc.problem(
                            [*here, "id"], f"duplicate id {spec.id!r} (first in {seen[spec.id]})"
                        )
                    )
                else:
                    seen[spec.id] = doc.file
                if spec.parent is not None and spec.parent not in all_ids:
                    self.problems.append(
                        doc.problem([*here, "parent"], f"parent {spec.parent!r} does not exist")
                    )
                if spec.parent == spec.id:
                    self.problems.append(doc.problem([*here, "parent"], "is its own parent"))
                for j, kind in enumerate(spec.evidence):
                    if kind not in self.kinds:
                        self.problems.append(
                            doc.problem([*here, "evidence", j], f"unknown evidence kind {kind!r}")
                        )
                self._check_checks(doc, here, spec)
        self._check_cycles(framework, docs)

    def _check_cycles(
        self, framework: Framework, docs: list[tuple[LocatedDoc, StandardFile]]
    ) -> None:
        parents = {r.id: r.parent for r in framework.requirements}
        for doc, built in docs:
            for i, spec in enumerate(built.requirements):
                node, steps = spec.parent, 0
                while node is not None and steps <= len(parents):
                    if node == spec.id:
                        self.problems.append(
                            doc.problem(["requirements", i, "parent"], "parent chain forms a cycle")
                        )
                        break
                    node, steps = parents.get(node), steps + 1

    def _check_checks(self, doc: LocatedDoc, here: list[str | int], spec: RequirementSpec) -> None:
        for k, check in enumerate(spec.checks):
            at = [*here, "checks", k]
            if isinstance(check, DocumentCheck):
                for j, kind in enumerate(check.kinds):
                    if kind not in self.kinds:
                        self.problems.append(
                            doc.problem([*at, "kinds", j], f"unknown evidence kind {kind!r}")
                        )
            elif isinstance(check, MetricCheck):
                self.problems.extend(metric_check_problems(doc, at, check))

    def _check_counts(self, fid: str) -> None:
        framework = self.frameworks[fid]
        counts = Counter[str](r.kind for r in framework.requirements)
        for kind, expected in framework.meta.expected_counts.items():
            have = counts.get(kind, 0)
            if have < expected:
                self.notes.append(
                    f"{fid}: {have} of the {expected} {kind}s the source states are encoded "
                    "(see the framework's notes for why)"
                )
            elif have > expected:
                self.problems.append(
                    self.framework_meta_docs[fid].problem(
                        ["expected_counts", kind],
                        f"{have} {kind}s encoded but the source states {expected}",
                    )
                )

    def _check_extra(self, doc: LocatedDoc, built: Any) -> None:
        from .models import NqmsFile

        if isinstance(built, NqmsFile):
            for i, part in enumerate(built.parts):
                for j, rid in enumerate(part.covers):
                    fid, _, local = rid.partition(":")
                    fw = self.frameworks.get(fid)
                    if fw is None or local not in fw:
                        self.problems.append(
                            doc.problem(["parts", i, "covers", j], f"unknown requirement {rid!r}")
                        )

    def catalog(self) -> Catalog:
        return Catalog(self.frameworks, self.kinds, self.crosswalks, self.roots)


def metric_check_problems(
    doc: LocatedDoc, at: list[str | int], check: MetricCheck
) -> list[Problem]:
    """Problems with a metric check: unknown metric, unknown or missing parameters."""
    spec = METRIC_SPECS.get(check.metric)
    if spec is None:
        known = ", ".join(sorted(METRIC_SPECS))
        return [doc.problem([*at, "metric"], f"unknown metric {check.metric!r} (known: {known})")]
    problems = []
    if spec.kind == "info":
        problems.append(
            doc.problem([*at, "metric"], f"metric {check.metric!r} is informational: no threshold")
        )
    for name, value in check.params.items():
        param = spec.param(name)
        if param is None:
            problems.append(
                doc.problem(
                    [*at, "params", name], f"metric {check.metric!r} takes no parameter {name!r}"
                )
            )
            continue
        values = value if isinstance(value, list) else [value]
        if isinstance(value, list) and not param.many:
            problems.append(doc.problem([*at, "params", name], "takes one value, not a list"))
        if param.choices:
            for v in values:
                if v not in param.choices:
                    problems.append(
                        doc.problem(
                            [*at, "params", name], f"{v!r} is not one of {', '.join(param.choices)}"
                        )
                    )
    for param in spec.params:
        if param.required and param.name not in check.params:
            problems.append(
                doc.problem(
                    [*at, "params"], f"metric {check.metric!r} needs parameter {param.name!r}"
                )
            )
    return problems


def _as_requirement(spec: RequirementSpec, framework_id: str) -> Requirement:
    fields = dict(spec)
    return Requirement.model_construct(
        _fields_set={*spec.model_fields_set, "framework"}, framework=framework_id, **fields
    )


def _env_roots() -> list[Path]:
    value = os.environ.get(PATH_ENV, "")
    return [Path(p) for p in value.split(os.pathsep) if p]


def _load(
    paths: Iterable[str | os.PathLike[str]], *, builtin: bool, entry_points: bool, strict: bool
) -> _Loader:
    loader = _Loader(strict=strict)
    if builtin:
        loader.load_root(standards_dir(), "standards/")
    if entry_points:
        for root in entry_point_roots():
            loader.load_root(root, f"{root}/")
    for path in [*_env_roots(), *map(Path, paths)]:
        loader.load_path(path)
    loader.check()
    return loader


def load_catalog(
    paths: Iterable[str | os.PathLike[str]] = (),
    *,
    builtin: bool = True,
    entry_points: bool = True,
) -> Catalog:
    """Load the shipped frameworks plus any extra standards folders.

    Parameters
    ----------
    paths : iterable of path
        Extra standards roots or single framework folders (also read from the
        ``MENTORSTD_PATH`` environment variable, separated like ``PATH``).
    builtin : bool
        Load the frameworks shipped with mentorstd (default True).
    entry_points : bool
        Load roots registered under the ``mentorstd.frameworks`` entry-point group.

    Raises
    ------
    StandardsError
        With every located problem when any file is invalid.

    Examples
    --------
    >>> cat = load_catalog()
    >>> sorted(cat.frameworks)
    ['eepm', 'ima', 'npss', 'uk_school']
    """
    from . import _cache

    roots = [
        *([standards_dir()] if builtin else []),
        *(entry_point_roots() if entry_points else []),
        *_env_roots(),
        *map(Path, paths),
    ]
    key = _cache.fingerprint(roots)
    cached = _cache.read(key)
    if cached is not None:
        frameworks, kinds, crosswalks, loaded_roots = cached
        catalog = Catalog(frameworks, kinds, [(cw, None) for cw in crosswalks], loaded_roots)
    else:
        loader = _load(paths, builtin=builtin, entry_points=entry_points, strict=False)
        if loader.problems:
            raise StandardsError(loader.problems)
        catalog = loader.catalog()
        _cache.write(
            key,
            (
                catalog.frameworks,
                catalog.evidence_kinds,
                [cw for cw, _ in catalog._crosswalk_files],
                catalog.roots,
            ),
        )
    if builtin and roots == [standards_dir()] and _cache.read_rendered(key, "text") is None:
        from ._summary import framework_rows, render

        rows = framework_rows(catalog)
        _cache.write_rendered(key, {fmt: render(rows, fmt) for fmt in ("text", "json")})
    return catalog


def lint(
    paths: Iterable[str | os.PathLike[str]] = (),
    *,
    builtin: bool = True,
    entry_points: bool = True,
) -> LintReport:
    """Check standards data thoroughly: JSON Schemas, ids, parents, evidence kinds, metrics,
    crosswalk consistency. Returns every problem found (never raises for bad data)."""
    loader = _load(paths, builtin=builtin, entry_points=entry_points, strict=True)
    report = LintReport(problems=list(loader.problems), notes=list(loader.notes))
    if not loader.problems:
        catalog = loader.catalog()
        report.catalog = catalog
        report.notes.extend(_sufficient_notes(catalog))
        if catalog._crosswalk_files:
            from .crosswalk import consistency_problems

            report.problems.extend(consistency_problems(catalog))
    return report


def _sufficient_notes(catalog: Catalog) -> list[str]:
    """One note per framework listing the requirements a document alone can make met."""
    notes = []
    for fid in catalog.frameworks:
        ids = [
            req.id
            for req in catalog.iter_requirements(fid)
            if any(isinstance(c, DocumentCheck) and c.sufficient for c in req.checks)
        ]
        if ids:
            notes.append(
                f"{fid}: a document alone suffices (sufficient: true) for {len(ids)} "
                f"requirements: {', '.join(ids)}"
            )
    return notes
