"""``mentorstd demo``: assess the shipped example bundles against every framework."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from pathlib import Path

from ._io import write_atomic
from ._resources import examples_dir
from .assessment import assess
from .bundle import load_bundle
from .catalog import Catalog
from .report import render_report
from .report.crosswalk import build_table, render_crosswalk

__all__ = ["DemoResult", "run_demo"]


@dataclass
class DemoResult:
    """What the demo wrote."""

    out: Path
    reports: list[tuple[str, str, dict[str, int], Path]] = field(default_factory=list)
    #: (bundle, framework) -> requirements per basis, then per status
    by_basis: dict[tuple[str, str], dict[str, dict[str, int]]] = field(default_factory=dict)
    crosswalks: list[Path] = field(default_factory=list)
    index: Path | None = None


def run_demo(
    catalog: Catalog,
    out: Path,
    *,
    as_of: dt.date | None = None,
    bundles: Path | None = None,
) -> DemoResult:
    """Assess every example bundle against every framework; write reports (JSON, Markdown,
    HTML), crosswalk tables for every framework pair, and an index page."""
    from .report.html import render_template

    source = bundles or examples_dir()
    result = DemoResult(out=out)
    folders = sorted(p for p in source.iterdir() if (p / "bundle.yaml").is_file())
    for folder in folders:
        bundle = load_bundle(folder, catalog=catalog)
        for fid in catalog.frameworks:
            report = assess(bundle, fid, catalog, as_of=as_of)
            base = out / bundle.name / fid
            for fmt, suffix in (("json", ".json"), ("markdown", ".md"), ("html", ".html")):
                write_atomic(
                    base.with_suffix(suffix),
                    render_report(report, fmt),  # type: ignore[arg-type]
                    protect=[source],
                )
            result.reports.append(
                (bundle.name, fid, dict(report.summary), base.with_suffix(".html"))
            )
            result.by_basis[(bundle.name, fid)] = report.summary_by_basis
    for a, b in itertools.combinations(list(catalog.frameworks), 2):
        table = build_table(catalog, a, b)
        for fmt, suffix in (("html", ".html"), ("csv", ".csv"), ("markdown", ".md")):
            path = out / "crosswalks" / f"{a}--{b}{suffix}"
            write_atomic(path, render_crosswalk(table, fmt), protect=[source])  # type: ignore[arg-type]
            result.crosswalks.append(path)
    index = render_template(
        "index.html.j2",
        title="mentorstd demo",
        reports=[
            (n, f, s, p.relative_to(out).as_posix(), result.by_basis[(n, f)])
            for n, f, s, p in result.reports
        ],
        crosswalks=[
            p.relative_to(out).as_posix() for p in result.crosswalks if p.suffix == ".html"
        ],
        frameworks=catalog.frameworks,
    )
    result.index = write_atomic(out / "index.html", index, protect=[source])
    return result
