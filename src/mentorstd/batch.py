"""Assess many bundles in parallel: one report each, a summary CSV and an index page.

A bundle that cannot be read, or that meets a bug, becomes an error row; it never stops the
batch, and ``summary.csv`` and ``index.html`` are always written. A folder that holds no bundle
becomes a skipped row with the reason. Workers are separate processes (``--jobs``, default the
number of CPUs), each loading the catalog once.

Each bundle gets its own output name (its path below DIR with ``/`` as ``__``; names that would
still collide, such as ``a/b`` and ``a__b``, get ``~2``, ``~3`` ... in path order).

Interrupted runs: before any bundle is assessed, the reports this run will write are removed
and ``summary.csv`` and ``index.html`` list every bundle as ``pending``; so whatever stops the
run, even SIGKILL, no summary of an earlier run sits beside it. Ctrl-C (or SIGTERM) stops the
workers and writes the summary with the bundles not yet assessed as ``interrupted``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._io import write_atomic
from .checks import STATUSES
from .errors import MentorstdError, UsageError
from .indicators import SUMMARY_INDICATORS

if TYPE_CHECKING:
    from .catalog import Catalog

__all__ = [
    "EXIT_CODES",
    "BatchResult",
    "find_bundles",
    "heat_map",
    "run_batch",
    "scan",
    "unique_names",
]

#: Requirements per basis, and statuses that came through the crosswalk (direct = the rest).
BASIS_COLUMNS = [
    *(f"basis-{b}" for b in ("measured", "attested", "documented", "crosswalk", "none")),
    *(f"{s}-crosswalk" for s in ("met", "partially-met", "not-met")),
]
SUMMARY_HEADER = [
    "bundle",
    "program",
    "framework",
    "assessed_on",
    "path",
    "result",
    "error",
    *STATUSES,
    *BASIS_COLUMNS,
    "unmet",
    # program indicators (report section `indicators`): shares as 0-1, months, hours, counts
    *(f"indicator-{i}" for i in SUMMARY_INDICATORS),
]

#: Exit codes of ``mentorstd batch`` (documented in its help and the README).
EXIT_CODES = {
    0: "every bundle was assessed (skipped folders do not count)",
    1: "every bundle was assessed and one reached the --fail-on level",
    2: "some bundles could not be assessed (the others' reports are written), or bad usage",
}

_SUFFIX = {"json": ".json", "yaml": ".yaml", "markdown": ".md", "html": ".html", "xlsx": ".xlsx"}


@dataclass
class BatchResult:
    """Rows of the summary (bundles and skipped folders, in path order) and the files written."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    summary_csv: Path | None = None
    index_html: Path | None = None
    summary_xlsx: Path | None = None  # with the xlsx format

    @property
    def assessed(self) -> int:
        """Bundles assessed."""
        return sum(1 for r in self.rows if r["result"] == "assessed")

    @property
    def errors(self) -> int:
        """Bundles that could not be assessed."""
        return sum(1 for r in self.rows if r["result"] == "error")

    @property
    def skipped(self) -> int:
        """Folders holding no bundle."""
        return sum(1 for r in self.rows if r["result"] == "skipped")


def find_bundles(root: Path) -> list[Path]:
    """Every folder under ``root`` holding a ``bundle.yaml`` (not descending into bundles)."""
    return scan(root)[0]


def scan(root: Path, out: Path | None = None) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Bundles under ``root``, and the outermost folders that hold none, each with the reason.

    A folder is skipped when neither it nor any folder below it holds a ``bundle.yaml``;
    hidden folders, symbolic links and the output folder ``out`` are skipped unsearched.
    """
    if not root.is_dir():
        raise UsageError(f"{root}: not a directory")
    out_resolved = out.resolve() if out is not None else None
    bundles: list[Path] = []

    def visit(folder: Path) -> tuple[bool, list[tuple[Path, str]]]:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as err:
            return False, [(folder, f"cannot be read: {err.strerror or err}")]
        if any(e.name == "bundle.yaml" and e.is_file() for e in entries):
            bundles.append(folder)
            return True, []
        found, skipped = False, []
        for entry in entries:
            path = Path(entry.path)
            if entry.is_symlink():
                if entry.is_dir():
                    skipped.append((path, "symbolic link, not followed"))
                continue
            if not entry.is_dir():
                continue
            if entry.name.startswith("."):
                skipped.append((path, "hidden folder, not searched"))
            elif out_resolved is not None and path.resolve() == out_resolved:
                skipped.append((path, "the output folder of this batch"))
            else:
                has, below = visit(path)
                if has:
                    found = True
                    skipped.extend(below)
                else:
                    skipped.append((path, _why_not_a_bundle(path)))
        return found, skipped

    found, skipped = visit(root)
    if not found:
        raise UsageError(f"{root}: no bundle.yaml found in this folder or below")
    return sorted(bundles), skipped


def _why_not_a_bundle(folder: Path) -> str:
    names = {p.name for p in folder.rglob("*") if p.is_file()} if folder.is_dir() else set()
    if not names:
        return "empty folder"
    near = sorted(n for n in names if n.lower() in {"bundle.yml", "bundle.yaml", "bundle.json"})
    if near:
        return f"holds {near[0]}; a bundle's manifest must be named bundle.yaml"
    return "no bundle.yaml in it or below"


def _name_for(root: Path, bundle: Path) -> str:
    rel = bundle.relative_to(root).as_posix()
    name = "__".join(rel.split("/")) if rel != "." else bundle.name
    if len(name.encode("utf-8")) > _MAX_NAME_BYTES:  # file names are limited to 255 bytes
        digest = hashlib.sha256(rel.encode("utf-8", "surrogateescape")).hexdigest()[:12]
        name = name.encode("utf-8")[:120].decode("utf-8", "ignore") + "-" + digest
    return name


_MAX_NAME_BYTES = 200


def unique_names(root: Path, bundles: Sequence[Path]) -> list[str]:
    """One output name per bundle, distinct even on a case-insensitive file system.

    The name is the path below ``root`` with ``/`` as ``__``; when two paths give the same
    name (``a/b`` and ``a__b``), the later ones in path order get ``~2``, ``~3`` ...
    """
    taken: set[str] = set()
    names = []
    for bundle in bundles:
        base = name = _name_for(root, bundle)
        n = 1
        while name.casefold() in taken:
            n += 1
            name = f"{base}~{n}"
        taken.add(name.casefold())
        names.append(name)
    return names


def _short(text: str, limit: int = 500) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


_CATALOG: Catalog | None = None


def _init_worker(standards: Sequence[str], pooled: bool = False) -> None:
    global _CATALOG  # noqa: PLW0603  (one catalog per worker process, loaded once)
    if pooled:
        # a worker process: Ctrl-C reaches the whole process group, and the parent alone
        # decides (it stops the workers and writes the summary)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
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
    cadence: str | None = None,
) -> dict[str, Any]:
    from .assessment import assess
    from .bundle import load_bundle
    from .report import render_report

    assert _CATALOG is not None
    row: dict[str, Any] = {
        "bundle": name,
        "program": "",
        "framework": framework,
        "assessed_on": "",
        "path": path,
        "result": "assessed",
        "error": "",
    }
    try:
        bundle = load_bundle(path, catalog=_CATALOG, allow_personal_data=allow_personal)
        row["program"] = bundle.manifest.program.name
        day = dt.date.fromisoformat(as_of) if as_of else None
        report = assess(bundle, framework, _CATALOG, as_of=day, cadence=cadence)
        for fmt in formats:
            text: str | bytes
            if fmt == "xlsx":
                from .report.xlsx import report_xlsx

                text = report_xlsx(report)
            elif fmt == "yaml":
                import json

                import yaml

                text = yaml.safe_dump(
                    json.loads(report.to_json()), sort_keys=False, allow_unicode=True, width=100
                )
            else:
                text = render_report(report, fmt)  # type: ignore[arg-type]
            write_atomic(Path(out) / f"{name}{_SUFFIX[fmt]}", text, protect=[path])
    except MentorstdError as err:
        return _error_row(row, str(err))
    except Exception as err:
        # a bug met in one bundle must not stop the batch: it becomes that bundle's error row,
        # named as a bug (MENTORSTD_DEBUG=1 re-raises it)
        if os.environ.get("MENTORSTD_DEBUG"):
            raise
        return _error_row(
            row, f"internal error: {type(err).__name__}: {err} (this is a bug; please report it)"
        )
    row["assessed_on"] = report.assessed_on
    row.update(report.summary)
    for basis, counts in report.summary_by_basis.items():
        row[f"basis-{basis}"] = sum(counts.values())
    for status in ("met", "partially-met", "not-met"):
        row[f"{status}-crosswalk"] = report.summary_by_basis["crosswalk"][status]
    row["unmet"] = " ".join(r.requirement for r in report.results if r.status == "not-met")
    if report.indicators is not None:
        values = {i.id: i.value for i in report.indicators.indicators}
        for indicator in SUMMARY_INDICATORS:
            value = values.get(indicator)
            row[f"indicator-{indicator}"] = "" if value is None else round(value, 4)
    row["statuses"] = report.statuses()
    return row


def _error_row(row: dict[str, Any], message: str) -> dict[str, Any]:
    row.update(result="error", error=_short(message))
    row.update(dict.fromkeys([*STATUSES, *BASIS_COLUMNS], ""))
    row["unmet"] = ""
    return row


def _assess_chunk(tasks: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [_assess_one(*task) for task in tasks]


def _placeholder(path: Path, name: str, framework: str, result: str, why: str) -> dict[str, Any]:
    return _error_row(
        {
            "bundle": name,
            "program": "",
            "framework": framework,
            "assessed_on": "",
            "path": str(path),
            "result": result,
            "error": why,
        },
        why,
    ) | {"result": result}


def _clear_previous(out: Path, names: Sequence[str], formats: Sequence[str]) -> None:
    """Remove the reports this run is about to write (and temporary files a killed run left)."""
    if not out.is_dir():
        return
    wanted = {f"{name}{_SUFFIX[fmt]}" for name in names for fmt in formats}
    wanted |= {"summary.csv", "summary.xlsx", "index.html"}
    for entry in os.scandir(out):
        stale = entry.name in wanted
        if not stale and entry.name.startswith(".") and entry.name.endswith(".tmp"):
            stale = entry.name[1:].rsplit(".", 2)[0] in wanted  # .NAME.random.tmp
        if stale and entry.is_file(follow_symlinks=False):
            try:
                Path(entry.path).unlink()
            except OSError as err:
                raise UsageError(f"{entry.path}: cannot remove: {err.strerror or err}") from None


def _chunks(tasks: list[tuple[Any, ...]], jobs: int) -> list[list[tuple[Any, ...]]]:
    """``tasks`` cut into chunks for ``jobs`` workers, shrinking as the work runs out.

    One round trip per chunk instead of per bundle keeps the parent (which only collects
    rows) from competing with the workers for the CPU; chunks that shrink towards the end
    (a quarter of each worker's share of what is left, at most 32 bundles) keep a worker
    from idling long while another finishes a large last chunk.
    """
    chunks: list[list[tuple[Any, ...]]] = []
    start = 0
    while start < len(tasks):
        size = max(1, min(32, (len(tasks) - start) // (jobs * 4)))
        chunks.append(tasks[start : start + size])
        start += size
    return chunks


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what is queued and end the workers now (after Ctrl-C or SIGTERM)."""
    # the executor has no public way to end running tasks; its processes are ours to end
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(5)


def run_batch(
    root: Path,
    framework: str,
    out: Path,
    *,
    jobs: int | None = None,
    standards: Sequence[str] = (),
    as_of: dt.date | None = None,
    allow_personal_data: bool = False,
    formats: Sequence[str] = ("json", "html"),
    progress: Callable[[int, int], None] | None = None,
    catalog: Catalog | None = None,
    cadence: str | None = None,
) -> BatchResult:
    """Assess every bundle under ``root`` against ``framework``.

    Parameters
    ----------
    root : Path
        Folder holding bundles at any depth.
    framework : str
        Framework id.
    out : Path
        Folder for one report per bundle and format, ``summary.csv`` and ``index.html``.
    jobs : int, optional
        Worker processes (default: the number of CPUs, at least 1).
    standards : sequence of str
        Extra standards folders, loaded in each worker.
    catalog : Catalog, optional
        The catalog of ``standards`` (titles for the index); loaded when not given.
    cadence : {"eepm4", "bbbs"}, optional
        The staff-contact schedule for every bundle (see :func:`mentorstd.assess`).

    Returns
    -------
    BatchResult
        One row per bundle (``result`` assessed or error) and per skipped folder (``result``
        skipped, the reason in ``error``), in path order.
    """
    bundles, skipped = scan(root, out)
    out_resolved = out.resolve()
    for bundle in bundles:
        if out_resolved.is_relative_to(bundle.resolve()):
            raise UsageError(f"{out}: refusing to write inside the input bundle {bundle}")
    jobs = max(1, jobs if jobs is not None else (os.cpu_count() or 1))
    names = unique_names(root, bundles)
    tasks = [
        (
            str(b),
            n,
            framework,
            str(out),
            as_of.isoformat() if as_of else None,
            allow_personal_data,
            tuple(formats),
            cadence,
        )
        for b, n in zip(bundles, names, strict=True)
    ]
    if catalog is None:
        from .catalog import load_catalog

        catalog = load_catalog(standards)
    protect = [*bundles, *(folder for folder, _ in skipped)]

    def finish(rows: dict[str, dict[str, Any]], missing: str, why: str) -> BatchResult:
        entries: list[tuple[Path, dict[str, Any]]] = [
            (b, rows.get(n) or _placeholder(b, n, framework, missing, why))
            for b, n in zip(bundles, names, strict=True)
        ]
        for folder, reason in skipped:
            entries.append(
                (
                    folder,
                    _placeholder(folder, _name_for(root, folder), framework, "skipped", reason),
                )
            )
        entries.sort(key=lambda e: e[0].as_posix())
        result = BatchResult(rows=[row for _, row in entries])
        return _write_summaries(
            result,
            framework,
            out,
            formats,
            protect,
            catalog,
            incomplete=why if len(rows) < len(bundles) else "",
        )

    _clear_previous(out, names, formats)
    rows: dict[str, dict[str, Any]] = {}

    def pending() -> None:  # while the workers start: they take a second to import
        finish({}, "pending", "not assessed yet: the batch is running, or was stopped")

    try:
        _run(tasks, jobs, standards, rows, progress, pending)
    except BaseException:
        # Ctrl-C, SIGTERM or a failure outside any one bundle: say what was done, then stop
        finish(rows, "interrupted", "not assessed: the batch was interrupted")
        raise
    return finish(rows, "error", "not assessed: its worker process stopped unexpectedly")


def _run(
    tasks: list[tuple[Any, ...]],
    jobs: int,
    standards: Sequence[str],
    rows: dict[str, dict[str, Any]],
    progress: Callable[[int, int], None] | None,
    started: Callable[[], None],
) -> None:
    """Assess ``tasks``, adding each row to ``rows`` as it arrives; ``started`` is called
    once the work is handed out, before any row arrives."""
    done = 0
    if jobs <= 1:  # in this process
        _init_worker(list(standards))
        started()
        for task in tasks:
            rows[task[1]] = _assess_one(*task)
            done += 1
            if progress:
                progress(done, len(tasks))
    else:
        # the pool's processes start as it is made (its resource tracker) and as the chunks
        # are handed out (its workers): all in the environment meant for them
        with _worker_environment(jobs):
            pool = _pool(jobs, standards)
            try:
                futures = [pool.submit(_assess_chunk, chunk) for chunk in _chunks(tasks, jobs)]
            except BaseException:
                _stop(pool)
                raise
        try:
            started()
            for future in as_completed(futures):
                try:
                    chunk_rows = future.result()
                except BrokenProcessPool:
                    # a worker died (killed, out of memory): the bundles of its chunk get
                    # error rows; the chunks other workers finished keep theirs
                    continue
                for row in chunk_rows:
                    rows[row["bundle"]] = row
                done += len(chunk_rows)
                if progress:
                    progress(done, len(tasks))
        except BaseException:
            _stop(pool)
            raise
        pool.shutdown()


def _pool(jobs: int, standards: Sequence[str]) -> ProcessPoolExecutor:
    """The batch's worker processes: spawned, not forked, as polars' thread pool must not be
    copied into a child mid-flight. Make the pool and submit its work under
    :func:`_worker_environment`: multiprocessing starts its resource tracker (a Python process
    too) as the pool is made, and each worker as work is submitted. (No worker is started
    later: none is replaced, as the pool sets no ``max_tasks_per_child``; a worker that dies
    breaks the pool.)"""
    return ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(list(standards), True),
    )


#: Held while this process's environment is set for the workers it starts.
_ENVIRONMENT = threading.Lock()


@contextlib.contextmanager
def _worker_environment(jobs: int) -> Iterator[None]:
    """While the pool's workers start, the environment they start with:

    - ``POLARS_MAX_THREADS``, each worker's share of the CPUs. polars sizes its thread pool
      once, when it is first imported, and a worker imports it before its initializer runs
      (unpickling the initializer imports this module);
    - ``PYTHONSAFEPATH``: a spawned child must not put the current folder first on its path.

    They are set in this process, which the pool's processes inherit them from, and restored
    once those have started; a lock keeps two batches on different threads from mixing their
    saved values (a program that starts other processes meanwhile passes them on too)."""
    wanted = {
        "POLARS_MAX_THREADS": str(max(1, (os.cpu_count() or 1) // jobs)),
        "PYTHONSAFEPATH": "1",
    }
    with _ENVIRONMENT:
        saved = {name: os.environ.get(name) for name in wanted}
        os.environ.update(wanted)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def _write_summaries(
    result: BatchResult,
    framework: str,
    out: Path,
    formats: Sequence[str],
    protect: Sequence[Path],
    catalog: Catalog,
    incomplete: str,
) -> BatchResult:
    result.summary_csv = write_summary(result.rows, out / "summary.csv", protect=protect)
    if "xlsx" in formats:
        from .report.xlsx import summary_xlsx

        result.summary_xlsx = write_atomic(
            out / "summary.xlsx",
            summary_xlsx(SUMMARY_HEADER, list(iter_summary_rows(result.rows))),
            protect=protect,
        )
    result.index_html = write_index(
        result.rows,
        framework,
        out / "index.html",
        formats,
        protect=protect,
        catalog=catalog,
        incomplete=incomplete,
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


def heat_map(rows: Sequence[dict[str, Any]], framework: str, catalog: Catalog) -> dict[str, Any]:
    """Requirement x program statuses of the assessed rows, with per-requirement counts.

    Returns ``programs`` (the assessed rows), ``requirements`` (id, title, one status per
    program, counts per status) in the framework's order, and ``most_unmet``: requirements
    not met in at least one program, most often first.
    """
    assessed = [r for r in rows if r["result"] == "assessed"]
    requirements: list[dict[str, Any]] = []
    for req in catalog.framework(framework).requirements:
        if req.is_group:
            continue
        cells = [r.get("statuses", {}).get(req.global_id, "not-assessed") for r in assessed]
        counts = dict.fromkeys(STATUSES, 0)
        for status in cells:
            counts[status] += 1
        requirements.append(
            {"id": req.global_id, "title": req.title, "cells": cells, "counts": counts}
        )
    order = {item["id"]: n for n, item in enumerate(requirements)}
    most_unmet = sorted(
        (item for item in requirements if item["counts"]["not-met"]),
        key=lambda item: (-item["counts"]["not-met"], order[item["id"]]),
    )
    return {"programs": assessed, "requirements": requirements, "most_unmet": most_unmet}


def write_index(
    rows: Sequence[dict[str, Any]],
    framework: str,
    path: Path,
    formats: Sequence[str],
    protect: Sequence[Path] = (),
    catalog: Catalog | None = None,
    incomplete: str = "",
) -> Path:
    """``index.html``: every row linked to its report, and a requirement x program heat map;
    ``incomplete`` (why some bundles are not assessed) puts a warning at the top."""
    from .report.html import render_template

    if catalog is None:
        from .catalog import load_catalog

        catalog = load_catalog()
    link = next(
        (_SUFFIX[f] for f in ("html", "json", "markdown", "yaml", "xlsx") if f in formats), ""
    )
    page = render_template(
        "batch.html.j2",
        rows=rows,
        framework=framework,
        framework_title=catalog.framework(framework).title,
        link=link,
        heat=heat_map(rows, framework, catalog),
        generated=dt.date.today().isoformat(),
        incomplete=incomplete,
    )
    return write_atomic(path, page, protect=protect)
