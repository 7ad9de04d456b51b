"""SSSOM mapping sets (Simple Standard for Sharing Ontological Mappings) in and out.

A crosswalk table becomes an SSSOM/TSV file: a YAML header (each line behind ``#``) with the
mapping set's metadata and its ``curie_map``, then one tab-separated row per link. Our set
relations become SKOS predicates, read as "subject <predicate> object":

============  ====================  ======================================================
relation      predicate             why
============  ====================  ======================================================
equal         ``skos:exactMatch``   the two ask for the same thing
subset        ``skos:broadMatch``   the source asks for part of the target: the object is
                                    broader than the subject
superset      ``skos:narrowMatch``  the source asks for more: the object is narrower
intersects    ``skos:relatedMatch`` they overlap, neither covers the other
============  ====================  ======================================================

On import ``skos:closeMatch`` is read as ``intersects`` too (close, but not shown equal).
Stored links carry ``semapv:ManualMappingCuration``; inferred links ``semapv:MappingChaining``
with their path in ``comment``. Confidence levels become numbers (high 0.9, medium 0.6, low 0.3)
and come back by band (>= 0.8 high, >= 0.5 medium, else low). A topical-only link (one that
carries no evidence) has a comment starting with ``[topical only]``.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import yaml

from ..errors import DataError, Problem
from ..models import CrosswalkFile, Mapping
from . import NAMESPACE, _first_error

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..report.crosswalk import CrosswalkTable

__all__ = [
    "CONFIDENCE_SCORE",
    "PREDICATE",
    "SSSOMImport",
    "crosswalk_from_sssom",
    "to_sssom",
]

PREDICATE = {
    "equal": "skos:exactMatch",
    "subset": "skos:broadMatch",
    "superset": "skos:narrowMatch",
    "intersects": "skos:relatedMatch",
}
_RELATION = {
    **{p: r for r, p in PREDICATE.items()},
    "skos:closeMatch": "intersects",
}
CONFIDENCE_SCORE = {"high": 0.9, "medium": 0.6, "low": 0.3}
MANUAL = "semapv:ManualMappingCuration"
CHAINING = "semapv:MappingChaining"
TOPICAL = "[topical only] "
#: The licence of mentorstd's crosswalk data (the project's own, MIT).
LICENSE = "https://opensource.org/licenses/MIT"
_BASE_PREFIXES = {
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "semapv": "https://w3id.org/semapv/vocab/",
}
COLUMNS = [
    "subject_id",
    "subject_label",
    "predicate_id",
    "object_id",
    "object_label",
    "mapping_justification",
    "confidence",
    "author_label",
    "mapping_date",
    "comment",
]


def _score(level: str) -> float:
    return CONFIDENCE_SCORE[level]


def _level(score: float) -> str:
    if score >= 0.8:
        return "high"
    if score >= 0.5:
        return "medium"
    return "low"


def to_sssom(table: CrosswalkTable) -> str:
    """The crosswalk table as SSSOM/TSV text (header and rows).

    >>> from mentorstd import load_catalog
    >>> from mentorstd.report.crosswalk import build_table
    >>> text = to_sssom(build_table(load_catalog(), "eepm", "ima"))
    >>> text.splitlines()[0]
    '# curie_map:'
    """
    a, b = table.a, table.b
    cat = table.catalog
    header: dict[str, Any] = {
        "curie_map": {
            **_BASE_PREFIXES,
            "mentorstd": NAMESPACE,
            a: f"{NAMESPACE}{a}:",
            b: f"{NAMESPACE}{b}:",
        },
        "mapping_set_id": f"{NAMESPACE}crosswalk:{a}--{b}",
        "mapping_set_title": f"mentorstd crosswalk {cat.framework(a).title} to "
        f"{cat.framework(b).title}",
        "mapping_set_description": (
            "Set relations between requirements (NIST IR 8477 style) written as SKOS "
            "predicates: equal exactMatch, subset broadMatch, superset narrowMatch, intersects "
            "relatedMatch." + (" Includes links inferred along paths." if table.inferred else "")
        ),
        "license": LICENSE,
        "subject_source": f"mentorstd:{a}",
        "subject_source_version": cat.framework(a).meta.edition or str(cat.framework(a).meta.year),
        "object_source": f"mentorstd:{b}",
        "object_source_version": cat.framework(b).meta.edition or str(cat.framework(b).meta.year),
        "mapping_tool": "mentorstd",
    }
    rows: dict[str, list[Any]] = {c: [] for c in COLUMNS}
    for link in table.links:
        comment = link.rationale
        if link.inferred:
            steps = ", ".join(link.relations)
            comment = f"path {' > '.join(link.path)} ({steps})"
        if not link.transfers_evidence:
            comment = TOPICAL + comment
        rows["subject_id"].append(link.source)
        rows["subject_label"].append(table.title_of(link.source))
        rows["predicate_id"].append(PREDICATE[link.relation])
        rows["object_id"].append(link.target)
        rows["object_label"].append(table.title_of(link.target))
        rows["mapping_justification"].append(CHAINING if link.inferred else MANUAL)
        rows["confidence"].append(_score(link.confidence))
        rows["author_label"].append(link.author or "")
        rows["mapping_date"].append(link.date or "")
        rows["comment"].append(comment)
    frame = pl.DataFrame(
        rows, schema={c: pl.Float64 if c == "confidence" else pl.String for c in COLUMNS}
    )
    head = yaml.safe_dump(header, sort_keys=False, allow_unicode=True, width=1000)
    commented = "".join(f"# {line}\n" for line in head.splitlines())
    return commented + frame.write_csv(separator="\t", line_terminator="\n")


class SSSOMImport:
    """The crosswalk file built from an SSSOM mapping set, and what was left out (notes)."""

    def __init__(self, crosswalk: CrosswalkFile, notes: list[str]) -> None:
        self.crosswalk = crosswalk
        self.notes = notes

    def to_yaml(self) -> str:
        """The crosswalk as a YAML file in the shape of ``standards/crosswalks/*.yaml``."""
        data = self.crosswalk.model_dump(mode="json", exclude_defaults=True)
        data.setdefault("mappings", [])
        return "# yaml-language-server: $schema=../../schemas/crosswalk.schema.json\n" + (
            yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
        )


_PREFIX = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*):(.+)$")


def _split_header(text: str) -> tuple[list[str], str, int]:
    head: list[str] = []
    lines = text.splitlines(keepends=True)
    n = 0
    for line in lines:
        if not line.startswith("#"):
            break
        head.append(line[1:])
        n += 1
    return head, "".join(lines[n:]), n


def crosswalk_from_sssom(path: Path, catalog: Catalog, *, author: str | None = None) -> SSSOMImport:
    """Read an SSSOM/TSV file into a crosswalk between two loaded frameworks.

    Subjects must all belong to one framework and objects to another; a CURIE's prefix is the
    framework id, or any prefix the ``curie_map`` expands to ``urn:mentorstd:<framework>:``.
    Rows justified by chaining (inferred links) are left out: a crosswalk file holds stored
    links only. Every problem is located at ``file:line``; all are raised together.
    """
    display = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(Problem(f"cannot read: {err}", display)) from None
    head_lines, body, n_head = _split_header(text)
    try:
        header = yaml.safe_load("".join(head_lines)) if head_lines else {}
    except yaml.YAMLError as err:
        raise DataError(Problem(f"the # header is not YAML: {err}", display, 1)) from None
    if not isinstance(header, dict):
        header = {}
    curie_map = header.get("curie_map") or {}
    if not isinstance(curie_map, dict):
        raise DataError(Problem("curie_map: expected a mapping of prefixes", display, 1))
    prefix_fw: dict[str, str] = {}
    for prefix, expansion in curie_map.items():
        exp = str(expansion)
        if exp.startswith(NAMESPACE) and exp.endswith(":"):
            prefix_fw[str(prefix)] = exp[len(NAMESPACE) : -1]
    try:
        frame = pl.read_csv(io.StringIO(body), separator="\t", infer_schema=False, quote_char='"')
    except (pl.exceptions.PolarsError, ValueError) as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DataError(Problem(f"not a TSV table: {reason}", display, n_head + 1)) from None
    missing = [c for c in ("subject_id", "predicate_id", "object_id") if c not in frame.columns]
    if missing:
        raise DataError(Problem(f"missing column(s) {', '.join(missing)}", display, n_head + 1))
    problems: list[Problem] = []
    notes: list[str] = []
    rows: list[dict[str, Any]] = []
    pair: dict[str, set[str]] = {"subject": set(), "object": set()}
    skipped_chain = 0

    def resolve(curie: str, line: int, column: str) -> tuple[str, str] | None:
        m = _PREFIX.match(curie.strip())
        if not m:
            problems.append(
                Problem(f"{curie!r} is not a CURIE (prefix:id)", display, line, None, column)
            )
            return None
        fw = prefix_fw.get(m.group(1), m.group(1))
        if fw not in catalog.frameworks:
            problems.append(
                Problem(f"{m.group(1)!r} names no loaded framework", display, line, None, column)
            )
            return None
        if not catalog.has_requirement(f"{fw}:{m.group(2)}"):
            problems.append(
                Problem(
                    f"unknown requirement {fw + ':' + m.group(2)!r}", display, line, None, column
                )
            )
            return None
        return fw, m.group(2)

    for i, row in enumerate(frame.iter_rows(named=True)):
        line = n_head + 2 + i
        justification = (row.get("mapping_justification") or "").strip()
        if justification == CHAINING:
            skipped_chain += 1
            continue
        if (row.get("predicate_modifier") or "").strip() == "Not":
            notes.append(f"{display}:{line}: a negated mapping (predicate_modifier Not) left out")
            continue
        predicate = (row.get("predicate_id") or "").strip()
        relation = _RELATION.get(predicate)
        if relation is None:
            problems.append(
                Problem(
                    f"predicate {predicate!r} has no set relation (use one of "
                    f"{', '.join(_RELATION)})",
                    display,
                    line,
                    None,
                    "predicate_id",
                )
            )
            continue
        subj = resolve(row.get("subject_id") or "", line, "subject_id")
        obj = resolve(row.get("object_id") or "", line, "object_id")
        if subj is None or obj is None:
            continue
        pair["subject"].add(subj[0])
        pair["object"].add(obj[0])
        raw_conf = (row.get("confidence") or "").strip()
        try:
            score = float(raw_conf)
        except ValueError:
            problems.append(
                Problem(
                    f"confidence {raw_conf!r} is not a number from 0 to 1",
                    display,
                    line,
                    None,
                    "confidence",
                )
            )
            continue
        if not 0 <= score <= 1:
            problems.append(
                Problem(
                    f"confidence {score!r} is outside 0 to 1", display, line, None, "confidence"
                )
            )
            continue
        comment = (row.get("comment") or "").strip()
        topical = comment.startswith(TOPICAL.strip())
        if topical:
            comment = comment[len(TOPICAL.strip()) :].strip()
        if not comment:
            problems.append(
                Problem(
                    "comment is empty: give the one-line rationale of the mapping",
                    display,
                    line,
                    None,
                    "comment",
                )
            )
            continue
        item: dict[str, Any] = {
            "source": subj[1],
            "target": obj[1],
            "relation": relation,
            "confidence": _level(score),
            "rationale": comment,
        }
        if topical:
            item["transfers_evidence"] = False
        who = (row.get("author_label") or "").strip()
        when = (row.get("mapping_date") or "").strip()
        if who:
            item["author"] = who
        if when:
            item["date"] = when
        try:
            Mapping.model_validate(item)
        except ValueError as err:
            problems.append(Problem(_first_error(err), display, line))
            continue
        rows.append(item)
    for side in ("subject", "object"):
        if len(pair[side]) > 1:
            problems.append(
                Problem(
                    f"{side}s come from several frameworks ({', '.join(sorted(pair[side]))}); "
                    "a crosswalk links one framework to one other",
                    display,
                )
            )
    if problems:
        raise DataError(problems)
    if not rows:
        raise DataError(Problem("no mappings to import", display))
    if skipped_chain:
        notes.append(
            f"{display}: {skipped_chain} inferred (chaining) mapping(s) left out; a crosswalk "
            "file holds stored links only"
        )
    source, target = next(iter(pair["subject"])), next(iter(pair["object"]))
    authors = {r.get("author") for r in rows}
    dates = {r.get("date") for r in rows}
    file_author = author or (authors.pop() if len(authors) == 1 and None not in authors else None)
    file_author = file_author or str(header.get("creator_label") or f"imported from {path.name}")
    file_date = dates.pop() if len(dates) == 1 and None not in dates else None
    file_date = file_date or str(header.get("publication_date") or dt.date.today().isoformat())
    for r in rows:
        if r.get("author") == file_author:
            del r["author"]
        if r.get("date") == file_date:
            del r["date"]
    description = header.get("mapping_set_description")
    try:
        built = CrosswalkFile.model_validate(
            {
                "source": source,
                "target": target,
                "author": file_author if isinstance(file_author, str) else str(file_author),
                "date": file_date,
                "method": "human",
                **({"description": str(description)} if description else {}),
                "mappings": rows,
            }
        )
    except ValueError as err:
        raise DataError(
            Problem(f"does not make a valid crosswalk: {_first_error(err)}", display)
        ) from None
    return SSSOMImport(built, notes)
