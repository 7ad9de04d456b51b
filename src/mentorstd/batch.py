"""Assess many bundles in parallel: one report each, a summary CSV and an index page.

A bundle that cannot be read becomes an error row; it never stops the batch. Workers are
separate processes (``--jobs``), each loading the catalog once.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._io import write_atomic
from .checks import STATUSES
from .errors import MentorstdError, UsageError

if TYPE_CHECKING:
    from .catalog import Catalog

__all__ = ["BatchResult", "find_bundles", "run_batch"]

#: Requirements per basis, and statuses that came through the crosswalk (direct = the rest).
BASIS_COLUMNS = [
    *(f"basis-{b}" for b in ("measured", "attested", "documented", "crosswalk", "none")),
    *(f"{s}-crosswalk" for s in ("met", "partially-met", "not-met")),
]
SUMMARY_HEADER = ["bundle", "path", "result", "error", *STATUSES, *BASIS_COLUMNS, "unmet"]


@dataclass
class BatchResult:
    """Rows of the summary, in bundle order, and the files written."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    summary_csv: Path | None = None
    index_html: Path | None = None
    summary_xlsx: Path | None = None  # with the xlsx format

    @property
    def errors(self) -> int:
        """Bundles that could not be assessed."""
        return sum(1 for r in self.rows if r["result"] == "error")


def find_bundles(root: Path) -> list[Path]:
    """Every folder under ``root`` holding a ``bundle.yaml`` (not descending into bundles)."""
    if not root.is_dir():
        raise UsageError(f"{root}: not a directory")
    found: list[Path] = []
    for current, dirs, files in os.walk(root, followlinks=False):
        if "bundle.yaml" in files:
            found.append(Path(current))
            dirs.clear()
            continue
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
    return sorted(found)


def _name_for(root: Path, bundle: Path) -> str:
    rel = bundle.relative_to(root).as_posix()
    return "__".join(rel.split("/")) if rel != "." else bundle.name


_CATALOG: Catalog | None = None


def _init_worker(standards: Sequence[str], threads: str | None = None) -> None:
    global _CATALOG  # noqa: PLW0603  (one catalog per worker process, loaded once)
    if threads is not None:  # before polars is first imported in this process
        os.environ["POLARS_MAX_THREADS"] = threads
    from .catalog import load_catalog

    _CATALOG = load_catalog(standards)


def _assess_one(
    path: str,
    name: str,
    framework: str,
    out: str,
    as_of: str | None,
    allow_personal: bool,
    formats: Sequence[str],
) -> dict[str, Any]:
    from .assessment import assess
    from .bundle import load_bundle
    from .report import render_report

    assert _CATALOG is not None
    row: dict[str, Any] = {"bundle": name, "path": path, "result": "assessed", "error": ""}
    try:
        bundle = load_bundle(path, catalog=_CATALOG, allow_personal_data=allow_personal)
        day = dt.date.fromisoformat(as_of) if as_of else None
        report = assess(bundle, framework, _CATALOG, as_of=day)
        for fmt in formats:
            suffix = {"json": ".json", "markdown": ".md", "html": ".html", "xlsx": ".xlsx"}[fmt]
            if fmt == "xlsx":
                from .report.xlsx import report_xlsx

                data: str | bytes = report_xlsx(report)
            else:
                data = render_report(report, fmt)  # type: ignore[arg-type]
            write_atomic(Path(out) / f"{name}{suffix}", data, protect=[path])
    except MentorstdError as err:
        row.update(result="error", error=str(err))
        row.update(dict.fromkeys([*STATUSES, *BASIS_COLUMNS], ""))
        row["unmet"] = ""
        return row
    row.update(report.summary)
    for basis, counts in report.summary_by_basis.items():
        row[f"basis-{basis}"] = sum(counts.values())
    for status in ("met", "partially-met", "not-met"):
        row[f"{status}-crosswalk"] = report.summary_by_basis["crosswalk"][status]
    row["unmet"] = " ".join(r.requirement for r in report.results if r.status == "not-met")
    return row


def _assess_task(task: tuple[Any, ...]) -> dict[str, Any]:
    return _assess_one(*task)


def run_batch(
    root: Path,
    framework: str,
    out: Path,
    *,
    jobs: int = 1,
    standards: Sequence[str] = (),
    as_of: dt.date | None = None,
    allow_personal_data: bool = False,
    formats: Sequence[str] = ("json", "html"),
    progress: Callable[[int, int], None] | None = None,
) -> BatchResult:
    """Assess every bundle under ``root`` against ``framework`` with ``jobs`` processes."""
    bundles = find_bundles(root)
    if not bundles:
        raise UsageError(f"{root}: no bundle.yaml found under this folder")
    out_resolved = out.resolve()
    for bundle in bundles:
        if out_resolved.is_relative_to(bundle.resolve()):
            raise UsageError(f"{out}: refusing to write inside the input bundle {bundle}")
    names = [_name_for(root, b) for b in bundles]
    tasks = [
        (
            str(b),
            n,
            framework,
            str(out),
            as_of.isoformat() if as_of else None,
            allow_personal_data,
            tuple(formats),
        )
        for b, n in zip(bundles, names, strict=True)
    ]
    rows: dict[str, dict[str, Any]] = {}
    done = 0
    if jobs <= 1:
        _init_worker(list(standards))
        for task in tasks:
            rows[task[1]] = _assess_one(*task)
            done += 1
            if progress:
                progress(done, len(tasks))
    else:
        # Tasks go out in chunks: one round trip per chunk instead of per bundle keeps the
        # parent (which only collects rows) from competing with the workers for the CPU.
        chunk = max(1, min(32, len(tasks) // (jobs * 8)))
        # spawned, not forked: polars' thread pool must not be copied into a child mid-flight;
        # and the workers share the CPUs, so each gets its share of polars threads
        threads = str(max(1, (os.cpu_count() or 1) // jobs))
        # and a spawned child must not put the current folder first on its path either
        os.environ["PYTHONSAFEPATH"] = "1"
        with ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(list(standards), threads),
        ) as pool:
            for row in pool.map(_assess_task, tasks, chunksize=chunk):
                rows[row["bundle"]] = row
                done += 1
                if progress:
                    progress(done, len(tasks))
    result = BatchResult(rows=[rows[n] for n in names])
    result.summary_csv = write_summary(result.rows, out / "summary.csv", protect=bundles)
    if "xlsx" in formats:
        from .report.xlsx import summary_xlsx

        result.summary_xlsx = write_atomic(
            out / "summary.xlsx",
            summary_xlsx(SUMMARY_HEADER, list(iter_summary_rows(result.rows))),
            protect=bundles,
        )
    result.index_html = write_index(
        result.rows, framework, out / "index.html", formats, protect=bundles
    )
    return result


def iter_summary_rows(rows: Sequence[dict[str, Any]]) -> Iterator[list[Any]]:
    """Summary rows in :data:`SUMMARY_HEADER` order."""
    for row in rows:
        yield [row.get(column, "") for column in SUMMARY_HEADER]


def write_summary(rows: Sequence[dict[str, Any]], path: Path, protect: Sequence[Path] = ()) -> Path:
    """``summary.csv``: one row per bundle; cells neutralised against formula injection."""
    from .report.text import csv_text

    return write_atomic(path, csv_text(SUMMARY_HEADER, iter_summary_rows(rows)), protect=protect)


def write_index(
    rows: Sequence[dict[str, Any]],
    framework: str,
    path: Path,
    formats: Sequence[str],
    protect: Sequence[Path] = (),
) -> Path:
    """``index.html`` linking every report."""
    from .report.html import render_template

    order = [(".html", "html"), (".json", "json"), (".md", "markdown"), (".xlsx", "xlsx")]
    link = next((suffix for suffix, fmt in order if fmt in formats), ".json")
    page = render_template(
        "batch.html.j2",
        rows=rows,
        framework=framework,
        link=link,
        generated=dt.date.today().isoformat(),
    )
    return write_atomic(path, page, protect=protect)
