"""A framework as a workbook (.xlsx) and back, with explicit updates by id.

``to_workbook`` writes two sheets. *Requirements* has one row per requirement in source order
and one column per field of a requirement: lists (criteria, evidence, tags, applies_to) hold one
entry per line of the cell, ``source`` is spread over ``source.section``, ``source.document``
and ``source.url``, ``checks`` is JSON, and a last column ``action`` is left blank. *Framework*
holds the framework's own fields as key and value (lists and mappings as JSON).

``from_workbook`` applies a workbook to a base framework (the loaded framework with the same
id, if any), by id:

* a row whose id the base lacks is **added** (after the row above it in the sheet);
* a row whose id the base has is **changed** when any field differs, else left as it is;
* a row whose ``action`` is ``delete`` **deletes** that requirement;
* a requirement the sheet does not list is **kept**: nothing is deleted by leaving it out.

The result is a complete framework folder (framework.yaml and one YAML file per top-level
requirement, reusing the base's file names), which the command line then lints together with
the shipped standards and crosswalks. YAML comments in the base files are not carried over.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import yaml

from ..errors import DataError, Problem
from ..models import FrameworkFile, RequirementSpec
from . import _first_error

if TYPE_CHECKING:
    from ..models import Framework

__all__ = ["FrameworkUpdate", "base_parts", "from_workbook", "read_framework_id", "to_workbook"]

REQUIREMENTS_SHEET = "Requirements"
FRAMEWORK_SHEET = "Framework"
_SOURCE_KEYS = ("section", "document", "url")
_HEADER = "# yaml-language-server: $schema=../../schemas/{}.schema.json\n"


def _list_fields(model: type[RequirementSpec] | type[FrameworkFile]) -> set[str]:
    return {name for name, info in model.model_fields.items() if info.default_factory is list} - {
        "checks"
    }


def _columns() -> list[str]:
    out: list[str] = []
    for name in RequirementSpec.model_fields:
        if name == "source":
            out.extend(f"source.{k}" for k in _SOURCE_KEYS)
        else:
            out.append(name)
    return [*out, "action"]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value)


def to_workbook(framework: Framework) -> bytes:
    """The framework as an .xlsx workbook (bytes)."""
    from ..report.xlsx import write_workbook

    columns = _columns()
    rows: dict[str, list[str]] = {c: [] for c in columns}
    for req in framework.requirements:
        spec = RequirementSpec.model_validate(_spec_data(req))
        for name in RequirementSpec.model_fields:
            value = getattr(spec, name)
            if name == "source":
                for key in _SOURCE_KEYS:
                    rows[f"source.{key}"].append(_cell(getattr(value, key)))
            elif name == "checks":
                rows[name].append(json.dumps(_checks(spec)) if value else "")
            else:
                rows[name].append(_cell(value))
        rows["action"].append("")
    requirements = pl.DataFrame(rows, schema=dict.fromkeys(columns, pl.String))
    meta = framework.meta.model_dump(mode="json")
    pairs = [
        (key, value if isinstance(value, str) else "" if value is None else json.dumps(value))
        for key, value in meta.items()
    ]
    about = pl.DataFrame(
        {"key": [k for k, _ in pairs], "value": [v for _, v in pairs]},
        schema={"key": pl.String, "value": pl.String},
    )
    return write_workbook([(REQUIREMENTS_SHEET, requirements), (FRAMEWORK_SHEET, about)])


def _spec_data(req: Any) -> dict[str, Any]:
    return {name: getattr(req, name) for name in RequirementSpec.model_fields}


def _checks(spec: RequirementSpec) -> list[dict[str, Any]]:
    return [
        c.model_dump(mode="json", exclude_defaults=True, exclude={"reads"}) for c in spec.checks
    ]


@dataclass
class FrameworkUpdate:
    """The framework a workbook makes, and what changed against the base."""

    meta: FrameworkFile
    requirements: list[RequirementSpec]
    parts: dict[str, list[str]]  # part file -> requirement ids, in order
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    kept: int = 0  # base requirements the sheet did not list

    def summary(self) -> str:
        """One line: what was added, changed, deleted and kept."""

        def part(verb: str, ids: list[str]) -> str:
            return f"{verb} {len(ids)}" + (f" ({', '.join(ids)})" if ids else "")

        return (
            f"{self.meta.id}: {part('added', self.added)}; {part('changed', self.changed)}; "
            f"{part('deleted', self.deleted)}; {self.kept} not listed, kept"
        )

    def write(self, folder: Path, base_folder: Path | None = None) -> list[Path]:
        """Write framework.yaml and the part files into ``folder``, with the base folder's
        extra data files (such as nqms.yaml) copied; returns the files written."""
        from .._io import write_atomic

        by_id = {r.id: r for r in self.requirements}
        written = [
            write_atomic(
                folder / "framework.yaml",
                _HEADER.format("framework")
                + _dump(self.meta.model_dump(mode="json", exclude_defaults=True)),
            )
        ]
        for part, ids in self.parts.items():
            reqs = [_requirement_data(by_id[i]) for i in ids]
            written.append(
                write_atomic(
                    folder / part, _HEADER.format("standard") + _dump({"requirements": reqs})
                )
            )
        for rel in self.meta.extras.values():
            source = base_folder / rel if base_folder is not None else None
            if source is not None and source.is_file() and ".." not in Path(rel).parts:
                written.append(write_atomic(folder / rel, source.read_bytes()))
        return written


def _requirement_data(spec: RequirementSpec) -> dict[str, Any]:
    data = spec.model_dump(mode="json", exclude_defaults=True, exclude={"checks"})
    if spec.checks:
        ordered: dict[str, Any] = {}
        for key in RequirementSpec.model_fields:
            if key == "checks":
                ordered["checks"] = _checks(spec)
            elif key in data:
                ordered[key] = data[key]
        return ordered
    return data


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _read_sheet(path: Path, sheet: str) -> pl.DataFrame:
    from fastexcel import FastExcelError, read_excel

    from .._xlsx import check_extent, check_workbook

    try:
        raw = path.read_bytes()
        check_workbook(raw, str(path), table=False)  # before calamine opens it (mentorstd._xlsx)
        if sheet in read_excel(raw).sheet_names:  # (one it lacks is said below)
            check_extent(raw, sheet, str(path))
        return pl.read_excel(raw, sheet_name=sheet, infer_schema_length=0)
    except DataError:  # said where it is already
        raise
    except (FastExcelError, ValueError, OSError) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise DataError(Problem(f"cannot read sheet {sheet!r}: {reason}", str(path))) from None


def read_framework_id(path: Path) -> str:
    """The framework id a workbook's Framework sheet names."""
    return _parse_meta(path, _read_sheet(path, FRAMEWORK_SHEET)).id


def _parse_meta(path: Path, frame: pl.DataFrame) -> FrameworkFile:
    if not {"key", "value"} <= set(frame.columns):
        raise DataError(
            Problem(f"sheet {FRAMEWORK_SHEET!r} needs columns key and value", str(path))
        )
    data: dict[str, Any] = {}
    text_fields = {"id", "title", "short_title", "edition", "publisher", "source", "url", "usage"}
    for i, row in enumerate(frame.iter_rows(named=True)):
        key, value = (row["key"] or "").strip(), row["value"]
        if not key:
            continue
        if value in (None, ""):
            continue
        if key in text_fields:
            data[key] = value
            continue
        try:
            data[key] = json.loads(value)
        except json.JSONDecodeError:
            raise DataError(
                Problem(f"{key}: {value!r} is not JSON", f"{path}:{FRAMEWORK_SHEET}", i + 2, None)
            ) from None
    try:
        return FrameworkFile.model_validate(data)
    except ValueError as err:
        raise DataError(
            Problem(f"not a valid framework: {_first_error(err)}", f"{path}:{FRAMEWORK_SHEET}")
        ) from None


def _row_spec(row: dict[str, Any], list_fields: set[str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    source: dict[str, Any] = {}
    for name in RequirementSpec.model_fields:
        if name == "source":
            for key in _SOURCE_KEYS:
                value = (row.get(f"source.{key}") or "").strip()
                if value:
                    source[key] = value
            data["source"] = source
            continue
        raw = row.get(name)
        text = "" if raw is None else str(raw)
        if name == "checks":
            if text.strip():
                data["checks"] = json.loads(text)
        elif name in list_fields:
            items = [line.strip() for line in text.splitlines() if line.strip()]
            if items:
                data[name] = items
        elif text.strip():
            data[name] = text.strip()
    return data


def from_workbook(
    path: Path, base: Framework | None, base_parts: dict[str, str]
) -> FrameworkUpdate:
    """Apply the workbook at ``path`` to ``base`` (see the module docstring).

    ``base_parts`` maps each base requirement id to the part file that holds it. Every problem
    is located at ``file:sheet:row`` (spreadsheet rows, the header being row 1) and raised
    together.
    """
    meta = _parse_meta(path, _read_sheet(path, FRAMEWORK_SHEET))
    if base is not None and base.id != meta.id:
        raise DataError(Problem(f"framework {meta.id!r} is not {base.id!r}", str(path)))
    frame = _read_sheet(path, REQUIREMENTS_SHEET)
    where = f"{path}:{REQUIREMENTS_SHEET}"
    if "id" not in frame.columns:
        raise DataError(Problem("no column 'id'", where, 1))
    known = set(_columns())
    unknown = [c for c in frame.columns if c not in known]
    if unknown:
        raise DataError(Problem(f"unknown column(s) {', '.join(map(repr, unknown))}", where, 1))
    list_fields = _list_fields(RequirementSpec)
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    listed: list[tuple[str, RequirementSpec | None, int]] = []  # id, spec (None: delete), row
    for i, row in enumerate(frame.iter_rows(named=True)):
        line = i + 2
        rid = (row.get("id") or "").strip()
        if not rid:
            if any((v or "").strip() for v in row.values()):
                problems.append(Problem("id is empty", where, line, None, "id"))
            continue
        if rid in seen:
            problems.append(
                Problem(
                    f"id {rid!r} is listed twice (also row {seen[rid]})", where, line, None, "id"
                )
            )
            continue
        seen[rid] = line
        action = (row.get("action") or "").strip().lower()
        if action not in ("", "delete"):
            problems.append(
                Problem(
                    f"action {action!r}: leave blank to add or change, or write 'delete'",
                    where,
                    line,
                    None,
                    "action",
                )
            )
            continue
        if action == "delete":
            if base is None or rid not in base:
                problems.append(
                    Problem(f"cannot delete {rid!r}: no such requirement", where, line, None, "id")
                )
            listed.append((rid, None, line))
            continue
        try:
            spec = RequirementSpec.model_validate(_row_spec(row, list_fields))
        except json.JSONDecodeError as err:
            problems.append(Problem(f"checks is not JSON: {err}", where, line, None, "checks"))
            continue
        except ValueError as err:
            problems.append(Problem(_first_error(err), where, line))
            continue
        listed.append((rid, spec, line))
    if problems:
        raise DataError(problems)
    update = FrameworkUpdate(meta=meta, requirements=[], parts={})
    order: list[str] = [r.id for r in base.requirements] if base is not None else []
    specs: dict[str, RequirementSpec] = {}
    if base is not None:
        for req in base.requirements:
            specs[req.id] = RequirementSpec.model_validate(_spec_data(req))
    listed_ids = {rid for rid, _, _ in listed}
    update.kept = sum(1 for rid in order if rid not in listed_ids)
    previous: str | None = None
    for rid, new, _line in listed:
        if new is None:
            update.deleted.append(rid)
            order.remove(rid)
            specs.pop(rid, None)
            continue
        if rid in specs:
            if specs[rid] != new:
                update.changed.append(rid)
            specs[rid] = new
        else:
            update.added.append(rid)
            specs[rid] = new
            at = order.index(previous) + 1 if previous in order else len(order)
            order.insert(at, rid)
        previous = rid
    update.requirements = [specs[rid] for rid in order]
    update.parts = _assign_parts(update.requirements, base_parts, meta.parts)
    update.meta = meta.model_copy(update={"parts": list(update.parts)})
    return update


def _assign_parts(
    requirements: list[RequirementSpec], base_parts: dict[str, str], meta_parts: list[str]
) -> dict[str, list[str]]:
    by_id = {r.id: r for r in requirements}
    part_of: dict[str, str] = {}

    def top(rid: str) -> str:
        seen: set[str] = set()
        node = rid
        while by_id[node].parent in by_id and node not in seen:
            seen.add(node)
            node = by_id[node].parent  # type: ignore[assignment]
        return node

    parts: dict[str, list[str]] = {p: [] for p in meta_parts}
    for req in requirements:
        name = base_parts.get(req.id)
        if name is None:
            root = top(req.id)
            name = base_parts.get(root) or part_of.get(root) or f"{_slug(root)}.yaml"
        part_of[req.id] = name
        parts.setdefault(name, []).append(req.id)
    return {p: ids for p, ids in parts.items() if ids}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "part"


def base_parts(folder: Path | None) -> dict[str, str]:
    """Requirement id -> part file name, read from a framework folder's files."""
    if folder is None:
        return {}
    try:
        meta = yaml.safe_load((folder / "framework.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    out: dict[str, str] = {}
    for part in meta.get("parts", []) if isinstance(meta, dict) else []:
        try:
            doc = yaml.safe_load((folder / part).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        for item in doc.get("requirements", []) if isinstance(doc, dict) else []:
            if isinstance(item, dict) and "id" in item:
                out[str(item["id"])] = part
    return out
