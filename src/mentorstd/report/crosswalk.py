"""Crosswalk tables between two frameworks: CSV, Markdown, JSON, Mermaid and HTML."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ..crosswalk import CONFIDENCE_ORDER
from .text import csv_text, md_cell, md_text

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..crosswalk import Coverage, JointLink, Link

__all__ = ["CrosswalkFormat", "CrosswalkTable", "build_table", "render_crosswalk"]

CrosswalkFormat = Literal["csv", "markdown", "html", "json", "mermaid"]
_STRENGTH = {"equal": 3.0, "subset": 2.0, "superset": 2.0, "intersects": 1.0}
_CONF_WEIGHT = {"high": 1.0, "medium": 0.66, "low": 0.33}


@dataclass(frozen=True)
class CrosswalkTable:
    """The links from framework ``a`` into ``b`` and coverage both ways."""

    catalog: Catalog
    a: str
    b: str
    links: list[Link]
    coverage_ab: Coverage
    coverage_ba: Coverage
    inferred: bool
    min_confidence: str
    joint: list[JointLink] = field(default_factory=list)

    def title_of(self, gid: str) -> str:
        """A requirement's title."""
        return self.catalog.requirement(gid).title

    def to_dict(self) -> dict[str, Any]:
        """Plain data (the JSON output)."""
        return {
            "a": self.a,
            "b": self.b,
            "inferred": self.inferred,
            "min_confidence": self.min_confidence,
            "links": [link.to_dict() for link in self.links],
            "joint": [j.to_dict() for j in self.joint],
            "coverage": [self.coverage_ab.to_dict(), self.coverage_ba.to_dict()],
        }


def build_table(
    catalog: Catalog, a: str, b: str, *, inferred: bool = False, min_confidence: str = "low"
) -> CrosswalkTable:
    """Collect the links from ``a`` into ``b`` at or above ``min_confidence``."""
    cw = catalog.crosswalk
    floor = CONFIDENCE_ORDER[min_confidence]
    links = [
        link
        for link in cw.table(a, b, inferred=inferred)
        if CONFIDENCE_ORDER[link.confidence] >= floor
    ]
    return CrosswalkTable(
        catalog,
        a,
        b,
        links,
        cw.coverage(a, b, inferred=inferred),
        cw.coverage(b, a, inferred=inferred),
        inferred,
        min_confidence,
        [j for j in cw.joint_table(a, b) if CONFIDENCE_ORDER[j.confidence] >= floor],
    )


def render_crosswalk(table: CrosswalkTable, fmt: CrosswalkFormat) -> str:
    """Render the table in one format."""
    renderers = {
        "csv": _csv,
        "markdown": _markdown,
        "json": _json,
        "mermaid": _mermaid,
        "html": _html,
    }
    return renderers[fmt](table)


def _csv(t: CrosswalkTable) -> str:
    header = [
        "source",
        "source_title",
        "target",
        "target_title",
        "relation",
        "confidence",
        "inferred",
        "transfers_evidence",
        "path",
        "rationale",
    ]
    rows = [
        [
            link.source,
            t.title_of(link.source),
            link.target,
            t.title_of(link.target),
            link.relation,
            link.confidence,
            "yes" if link.inferred else "no",
            "yes" if link.transfers_evidence else "no",
            " > ".join(link.path),
            link.rationale,
        ]
        for link in t.links
    ]
    return csv_text(header, rows)


def _coverage_line(c: Coverage) -> str:
    return (
        f"{c.a} → {c.b}: {len(c.covered)} of {c.total} requirements linked "
        f"({c.share:.0%}); {len(c.no_counterpart)} stated as having no counterpart; "
        f"{len(c.unmapped)} unmapped"
    )


def _markdown(t: CrosswalkTable) -> str:
    lines = [f"# Crosswalk: {t.a} → {t.b}", ""]
    lines += [f"- {md_text(_coverage_line(c))}" for c in (t.coverage_ab, t.coverage_ba)]
    lines += [
        "",
        "| source | target | relation | confidence | rationale |",
        "|---|---|---|---|---|",
    ]
    for link in t.links:
        rel = link.relation + (" (inferred)" if link.inferred else "")
        rel += "" if link.transfers_evidence else " (topical)"
        lines.append(
            f"| {md_cell(link.source)} {md_cell(t.title_of(link.source))} | "
            f"{md_cell(link.target)} {md_cell(t.title_of(link.target))} | {rel} | "
            f"{link.confidence} | {md_cell(link.rationale)} |"
        )
    if t.joint:
        lines += ["", "Sets that together answer one requirement (joint mappings):", ""]
        lines += [
            f"- {md_text(' + '.join(j.sources))} together {j.relation} {md_text(j.target)} "
            f"({j.confidence}; {len(j.members)} required items): {md_text(j.rationale)}"
            for j in t.joint
        ]
    if any(not link.transfers_evidence for link in t.links):
        lines += [
            "",
            "(topical): the two share a subject, but meeting one is no evidence about the "
            "other, so assessments do not project statuses along the link.",
        ]
    return "\n".join(lines) + "\n"


def _json(t: CrosswalkTable) -> str:
    return json.dumps(t.to_dict(), indent=2, ensure_ascii=False) + "\n"


def _node_id(gid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", gid)


def _label(text: str) -> str:
    # Mermaid labels in quotes: escape quotes and angle brackets as entity codes.
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;").replace("`", "'")


def _mermaid(t: CrosswalkTable) -> str:
    lines = ["flowchart LR"]
    for fid, side in ((t.a, "source"), (t.b, "target")):
        order = {r.global_id: i for i, r in enumerate(t.catalog.iter_requirements(fid))}
        nodes = sorted({getattr(link, side) for link in t.links}, key=order.__getitem__)
        lines.append(f'  subgraph {_node_id(fid)}["{_label(t.catalog.framework(fid).title)}"]')
        for gid in nodes:
            short = gid.partition(":")[2]
            title = t.title_of(gid)
            lines.append(f'    {_node_id(gid)}["{_label(short)}: {_label(title[:48])}"]')
        lines.append("  end")
    for link in t.links:
        rel = link.relation + ("" if link.transfers_evidence else " (topical)")
        arrow = f"-. {rel} .->" if link.inferred else f"-- {rel} -->"
        lines.append(f"  {_node_id(link.source)} {arrow} {_node_id(link.target)}")
    return "\n".join(lines) + "\n"


def _matrix(t: CrosswalkTable) -> dict[str, Any]:
    fa, fb = t.catalog.framework(t.a), t.catalog.framework(t.b)
    rows = fa.children(None)
    cols = fb.children(None)
    cells: dict[tuple[str, str], list[Link]] = {}
    for link in t.links:
        ra = fa.top_level(t.catalog.requirement(link.source)).id
        cb = fb.top_level(t.catalog.requirement(link.target)).id
        cells.setdefault((ra, cb), []).append(link)
    scores = {
        key: sum(_STRENGTH[x.relation] * _CONF_WEIGHT[x.confidence] for x in links)
        for key, links in cells.items()
    }
    top = max(scores.values(), default=1.0) or 1.0
    return {
        "rows": rows,
        "cols": cols,
        "cells": cells,
        "shade": {k: round(0.12 + 0.78 * v / top, 2) for k, v in scores.items()},
    }


def _html(t: CrosswalkTable) -> str:
    from .html import render_template

    return render_template(
        "crosswalk.html.j2",
        t=t,
        m=_matrix(t),
        fa=t.catalog.framework(t.a),
        fb=t.catalog.framework(t.b),
        coverage=[t.coverage_ab, t.coverage_ba],
    )
