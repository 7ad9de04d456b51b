"""Find and load frameworks: the shipped standards, user folders and entry points.

A *standards root* is a folder holding framework folders (each with a ``framework.yaml``), and
optionally ``evidence-kinds.yaml`` and ``crosswalks/``. The shipped root is always loaded first
(unless ``builtin=False``); each extra path is either another root or a single framework folder;
packages can add roots through the ``mentorstd.frameworks`` entry-point group (the entry point
names a callable returning a path, or a module whose folder is the root).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._plugins import ENTRY_POINT_GROUP, entry_point_roots, plugin_warnings
from ._registry import METRIC_SPECS
from ._resources import standards_dir
from ._validate import build_model
from ._yaml import LocatedDoc, load_yaml
from .errors import Problem, StandardsError, UnknownIdError
from .models import (
    CrosswalkFile,
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
        notes: Sequence[str] = (),
    ) -> None:
        self.frameworks: dict[str, Framework] = frameworks
        self.evidence_kinds: dict[str, EvidenceKind] = evidence_kinds
        self.roots: tuple[Path, ...] = tuple(roots)
        #: What loading wants the user to know, e.g. a user folder overriding a shipped one.
        self.notes: tuple[str, ...] = tuple(notes)
        self._crosswalk_files = list(crosswalk_files)

    def __repr__(self) -> str:
        n = sum(len(fw.requirements) for fw in self.frameworks.values())
        ids = ", ".join(self.frameworks)
        return f"<Catalog {len(self.frameworks)} frameworks ({ids}), {n} requirements>"

    def __len__(self) -> int:
        return len(self.frameworks)

    def __iter__(self) -> Iterator[Framework]:
        """The frameworks, in catalog order."""
        return iter(self.frameworks.values())

    def __contains__(self, item: object) -> bool:
        """A framework id (``"eepm"``) or a global requirement id (``"eepm:B.3.1"``)."""
        if not isinstance(item, str):
            return False
        return self.has_requirement(item) if ":" in item else item in self.frameworks

    def framework(self, framework_id: str) -> Framework:
        """The framework with this id (:class:`UnknownIdError`, with suggestions, if absent)."""
        try:
            return self.frameworks[framework_id]
        except KeyError:
            raise UnknownIdError(
                f"unknown framework {framework_id!r}{suggest_framework(self, framework_id)}"
            ) from None

    def requirement(self, global_id: str) -> Requirement:
        """The requirement with global id ``<framework>:<local id>``.

        A local id alone (``"B.3.1"``), a framework id in the wrong case or a near-miss raise
        :class:`UnknownIdError` naming the closest global ids.
        """
        framework_id, sep, local_id = global_id.partition(":")
        if not sep or not local_id:
            raise UnknownIdError(
                f"{global_id!r} is not a requirement id: expected <framework>:<local id>, "
                f"e.g. 'eepm:B.3.1'{suggest_requirement(self, global_id)}"
            )
        framework = self.frameworks.get(framework_id)
        if framework is None or local_id not in framework:
            hint = suggest_requirement(self, global_id)
            if framework is None and not hint:
                raise UnknownIdError(
                    f"unknown framework {framework_id!r} in {global_id!r}"
                    + suggest_framework(self, framework_id)
                )
            raise UnknownIdError(f"unknown requirement {global_id!r}{hint}")
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


# -- suggestions for near-miss ids -------------------------------------------------------------


def _did_you_mean(candidates: Sequence[str]) -> str:
    unique = list(dict.fromkeys(candidates))[:3]
    if not unique:
        return ""
    if len(unique) == 1:
        return f"; did you mean {unique[0]!r}?"
    return "; did you mean " + ", ".join(repr(c) for c in unique[:-1]) + f" or {unique[-1]!r}?"


def _close(word: str, options: Sequence[str], cutoff: float) -> list[str]:
    """Options equal to ``word`` ignoring case first, then difflib's close matches."""
    import difflib

    folded = [o for o in options if o.casefold() == word.casefold()]
    if folded:
        return folded
    by_fold = {o.casefold(): o for o in options}
    return [
        by_fold[m] for m in difflib.get_close_matches(word.casefold(), list(by_fold), 3, cutoff)
    ]


def suggest_framework(catalog: Catalog, framework_id: str) -> str:
    """``"; did you mean 'eepm'? (known: ...)"`` for an unknown framework id.

    A requirement's local id given where a framework is expected (``B.3.1``) suggests the
    global ids that end in it.
    """
    known = f" (known: {', '.join(catalog.frameworks) or 'none'})"
    close = _close(framework_id, list(catalog.frameworks), 0.6)
    if close:
        return _did_you_mean(close) + known
    as_local = _local_matches(catalog, list(catalog.frameworks), framework_id)
    if as_local:
        return (
            f"; {framework_id!r} looks like a requirement's local id"
            + _did_you_mean(as_local)
            + known
        )
    return known


def _local_matches(
    catalog: Catalog, framework_ids: Sequence[str], local_id: str, cutoff: float | None = None
) -> list[str]:
    """Global ids in these frameworks whose local id is ``local_id`` (ignoring case), or, with
    ``cutoff``, close to it."""
    found: list[str] = []
    for fid in framework_ids:
        ids = [r.id for r in catalog.frameworks[fid].requirements]
        matches = (
            [i for i in ids if i.casefold() == local_id.casefold()]
            if cutoff is None
            else _close(local_id, ids, cutoff)
        )
        found.extend(f"{fid}:{i}" for i in matches)
    return found


def suggest_requirement(catalog: Catalog, global_id: str) -> str:
    """``"; did you mean 'eepm:B.3.1'?"`` for an unknown requirement id, or ``""``.

    Tries, in order: the id with the framework's case fixed and the local id's case fixed; a
    local id alone, in every framework; then close matches (difflib) of the local id.
    """
    framework_id, sep, local_id = global_id.partition(":")
    if not sep:
        return _did_you_mean(_local_matches(catalog, list(catalog.frameworks), global_id))
    fids = _close(framework_id, list(catalog.frameworks), 0.6)
    exact = _local_matches(catalog, fids, local_id)
    if exact:
        return _did_you_mean(exact)
    return _did_you_mean(_local_matches(catalog, fids, local_id, cutoff=0.75))


@dataclass
class LintReport:
    """What ``mentorstd lint`` found."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
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
        self.origins: dict[str, str] = {}  # framework id -> the folder it was loaded from
        # the two frameworks of a crosswalk -> [(root, display)] of the files loaded for them
        self.crosswalk_origins: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self.kind_origins: dict[str, str] = {}
        self._seen_paths: set[Path] = set()
        self.current_root = ""
        self.overridden: dict[str, dict[str, list[str]]] = {}  # root -> what it replaced

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
        self.current_root = display_prefix
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

    def is_new(self, path: Path) -> bool:
        """False for a folder already loaded (given twice, e.g. by -S and MENTORSTD_PATH)."""
        resolved = path.resolve()
        if resolved in self._seen_paths:
            return False
        self._seen_paths.add(resolved)
        return True

    def load_path(self, path: Path) -> None:
        if not self.is_new(path):
            return
        display = str(path).rstrip("/") + "/"
        self.current_root = display
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
        changed = []
        for i, kind in enumerate(built.kinds):
            if self.kind_origins.get(kind.id) == display:
                self.problems.append(
                    doc.problem(["kinds", i, "id"], f"duplicate evidence kind {kind.id!r}")
                )
            elif kind.id in self.kinds and self.kinds[kind.id] != kind:
                changed.append(kind.id)
            self.kinds[kind.id] = kind
            self.kind_origins[kind.id] = display
        for kind_id in changed:
            self._record_override("evidence kinds", kind_id, "")
        self.kind_docs.append((doc, built))

    def _record_override(self, what: str, item: str, earlier: str) -> None:
        shipped = earlier.startswith("standards/")
        key = f"{what}|{'shipped' if shipped else 'earlier'}"
        self.overridden.setdefault(self.current_root, {}).setdefault(key, []).append(item)

    def override_notes(self) -> list[str]:
        """One note per folder naming everything it replaced."""
        notes = []
        for root, replaced in self.overridden.items():
            parts = []
            for key, items in replaced.items():
                what, origin = key.split("|")
                shown = ", ".join(items[:6]) + (
                    f" and {len(items) - 6} more" if len(items) > 6 else ""
                )
                parts.append(f"{'the shipped ' if origin == 'shipped' else ''}{what} {shown}")
            notes.append(f"{root} overrides {'; '.join(parts)} (its definitions are used instead)")
        return notes

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
            self._override_framework(meta.id, display)
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
        self.origins[meta.id] = display

    def _override_framework(self, framework_id: str, display: str) -> None:
        """A later folder holding a framework id already loaded replaces it, with a note."""
        earlier = self.origins.get(framework_id, "?")
        self._record_override("frameworks", framework_id, earlier)
        # the entry is replaced in place by the caller, keeping the catalog's order
        self.framework_docs.pop(framework_id, None)
        self.framework_meta_docs.pop(framework_id, None)
        self.extra_docs = [
            (doc, built) for doc, built in self.extra_docs if not doc.file.startswith(earlier)
        ]

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
        if built is None:
            return
        pair = (min(built.source, built.target), max(built.source, built.target))
        loaded = self.crosswalk_origins.setdefault(pair, [])
        replaced = {shown for root, shown in loaded if root != self.current_root}
        if replaced:
            # a later folder's file for the same two frameworks (either direction) replaces
            # the earlier folders' files: a user's edited copy. Files of one folder add up.
            self.crosswalks = [
                (cw, d) for cw, d in self.crosswalks if d is None or d.file not in replaced
            ]
            loaded[:] = [(root, shown) for root, shown in loaded if shown not in replaced]
            for shown in sorted(replaced):
                self._record_override("crosswalks", f"{pair[0]}--{pair[1]}", shown)
        loaded.append((self.current_root, display))
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
        self.notes[:0] = self.override_notes()

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
        # only overrides concern every command; the other notes are for lint
        return Catalog(
            self.frameworks, self.kinds, self.crosswalks, self.roots, self.override_notes()
        )

    def assessability_warnings(self) -> list[str]:
        """Frameworks holding nothing an assessment could report on (only groups)."""
        warnings = []
        for fid, framework in self.frameworks.items():
            if all(r.is_group for r in framework.requirements):
                kinds = sorted({r.kind for r in framework.requirements})
                warnings.append(
                    f"{self.origins.get(fid, fid)}: framework {fid!r} holds only "
                    f"{' and '.join(kinds)} entries, which roll up their items; with no items "
                    "(kind benchmark, indicator, item, ...) nothing can be assessed"
                )
        return warnings


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


def _shipped_kinds() -> Path:
    return standards_dir() / "evidence-kinds.yaml"


def _env_roots() -> list[Path]:
    value = os.environ.get(PATH_ENV, "")
    return [Path(p) for p in value.split(os.pathsep) if p]


def _load(
    paths: Iterable[str | os.PathLike[str]], *, builtin: bool, entry_points: bool, strict: bool
) -> _Loader:
    loader = _Loader(strict=strict)
    if builtin:
        loader.is_new(standards_dir())
        loader.load_root(standards_dir(), "standards/")
    else:
        # the evidence vocabulary is shared by every framework, not part of the shipped ones
        loader.load_kinds(_shipped_kinds(), "standards/evidence-kinds.yaml")
    if entry_points:
        for root in entry_point_roots():
            if loader.is_new(root):
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
        *([standards_dir()] if builtin else [_shipped_kinds()]),
        *(entry_point_roots() if entry_points else []),
        *_env_roots(),
        *map(Path, paths),
    ]
    key = _cache.fingerprint(roots)
    catalog = _cached_catalog(key)
    if catalog is None:
        loader = _load(paths, builtin=builtin, entry_points=entry_points, strict=False)
        if loader.problems:
            raise StandardsError(loader.problems)
        catalog = loader.catalog()
        _cache.write_catalog(key, _catalog_json(catalog))
    if entry_points:
        catalog.notes = (*catalog.notes, *plugin_warnings())
    if builtin and roots == [standards_dir()]:
        # the listing `mentorstd frameworks` prints without loading anything (see _entry)
        if _cache.read_rendered(key, "text") is not None:
            return catalog
        from ._summary import framework_rows, render

        rows = framework_rows(catalog)
        _cache.write_rendered(key, {fmt: render(rows, fmt) for fmt in ("text", "json")})
    return catalog


@cache
def _catalog_adapter() -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(tuple[dict[str, Framework], dict[str, EvidenceKind], list[CrosswalkFile]])


def _catalog_json(catalog: Catalog) -> bytes:
    head = json.dumps({"roots": [str(r) for r in catalog.roots], "notes": list(catalog.notes)})
    body: bytes = _catalog_adapter().dump_json(
        (catalog.frameworks, catalog.evidence_kinds, [cw for cw, _ in catalog._crosswalk_files]),
        exclude_computed_fields=True,
    )
    return head.encode() + b"\n" + body


def _cached_catalog(key: str) -> Catalog | None:
    """The catalog from the JSON cache, validated again by the models (``None`` if absent or
    not valid)."""
    from pydantic import ValidationError

    from . import _cache
    from .models import NqmsFile

    raw = _cache.read_catalog(key)
    if raw is None:
        return None
    head, _, body = raw.partition(b"\n")
    try:
        meta = json.loads(head)
        frameworks, kinds, crosswalks = _catalog_adapter().validate_json(body)
        for fid, fw in frameworks.items():
            nqms = fw.extras.get("nqms")
            if isinstance(nqms, dict):  # an extra is typed Any: JSON keeps only its data
                extras = {**fw.extras, "nqms": NqmsFile.model_validate(nqms)}
                frameworks[fid] = fw.model_copy(update={"extras": extras})
        roots = [Path(r) for r in meta["roots"]]
        notes = [str(n) for n in meta["notes"]]
    except (ValueError, ValidationError, KeyError, TypeError):
        return None
    return Catalog(frameworks, kinds, [(cw, None) for cw in crosswalks], roots, notes)


def lint(
    paths: Iterable[str | os.PathLike[str]] = (),
    *,
    builtin: bool = True,
    entry_points: bool = True,
) -> LintReport:
    """Check standards data thoroughly: JSON Schemas, ids, parents, evidence kinds, metrics,
    crosswalk consistency. Returns every problem found (never raises for bad data)."""
    loader = _load(paths, builtin=builtin, entry_points=entry_points, strict=True)
    report = LintReport(
        problems=list(loader.problems),
        notes=list(loader.notes),
        warnings=loader.assessability_warnings(),
    )
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
