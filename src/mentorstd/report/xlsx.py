"""Spreadsheets out: reports, plans and batch summaries as .xlsx workbooks.

Each workbook is built from polars frames and written by xlsxwriter with formula, URL and number
conversion switched off, so a cell that starts with ``=`` stays text (no formula injection) and
an id such as ``0012`` keeps its zeros. The first sheet is the one a reader wants: one row per
requirement (report), per goal (plan) or per bundle (batch).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from ..assessment import Report
    from ..plan import Plan

__all__ = ["plan_xlsx", "report_xlsx", "summary_xlsx", "write_workbook"]

#: xlsxwriter options that keep every string a string.
WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def write_workbook(sheets: Sequence[tuple[str, pl.DataFrame]]) -> bytes:
    """An .xlsx file (bytes) holding each frame on a sheet of its own, in order."""
    import xlsxwriter

    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True, **WORKBOOK_OPTIONS}) as book:
        for name, frame in sheets:
            frame.write_excel(
                workbook=book,
                worksheet=name,
                autofit=True,
                freeze_panes=(1, 0),
                table_style="Table Style Light 1",
            )
    return buffer.getvalue()


def _strings(rows: list[dict[str, Any]], columns: Sequence[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {c: [row[c] for row in rows] for c in columns}, schema=dict.fromkeys(columns, pl.String)
    )


def report_rows(report: Report) -> list[dict[str, Any]]:
    """One plain row per requirement: status, basis, findings and failing ids."""
    rows = []
    for r in report.results:
        failing: list[str] = []
        for f in r.findings:
            failing.extend(x for x in f.failing if x not in failing)
        rows.append(
            {
                "requirement": r.requirement,
                "title": r.title,
                "standard": r.standard,
                "status": r.status,
                "basis": r.basis,
                "via": r.via.from_ if r.via else "",
                "via_path": " > ".join(r.via.path) if r.via else "",
                "findings": "\n".join(f.message for f in r.findings),
                "checks": "; ".join(dict.fromkeys(f.check for f in r.findings)),
                "failing": " ".join(failing),
                "failing_count": str(len(failing)),
            }
        )
    return rows


_REPORT_COLUMNS = [
    "requirement",
    "title",
    "standard",
    "status",
    "basis",
    "via",
    "via_path",
    "findings",
    "checks",
    "failing",
    "failing_count",
]


def report_xlsx(report: Report) -> bytes:
    """The report as a workbook: Results (one row per requirement), Summary (statuses per
    basis), Indicators (the program indicators, one row each, with their benchmarks) and
    About (what was assessed, and how)."""
    results = _strings(report_rows(report), _REPORT_COLUMNS).with_columns(
        pl.col("failing_count").cast(pl.Int64)
    )
    statuses = list(report.summary)
    summary = pl.DataFrame(
        [
            {"basis": basis, **{s: counts.get(s, 0) for s in statuses}}
            for basis, counts in report.summary_by_basis.items()
        ]
        + [{"basis": "all", **report.summary}],
        schema={"basis": pl.String, **dict.fromkeys(statuses, pl.Int64)},
    )
    about = _about(
        [
            ("framework", f"{report.framework} ({report.framework_title})"),
            ("bundle", report.bundle),
            ("program", report.program.name),
            ("period", f"{report.program.period_start} to {report.program.period_end}"),
            ("assessed_on", report.assessed_on),
            ("generator", report.generator),
            ("crosswalk", "used" if report.use_crosswalk else "not used"),
            ("min_confidence", report.min_confidence),
            *(("status rule", rule) for rule in report.status_rules),
            *(("bundle note", note) for note in report.evidence.notes),
        ]
    )
    sheets = [("Results", results), ("Summary", summary)]
    if report.indicators is not None:
        sheets.append(("Indicators", _indicators(report)))
    return write_workbook([*sheets, ("About", about)])


_INDICATOR_COLUMNS = {
    "id": pl.String,
    "title": pl.String,
    "value": pl.Float64,
    "unit": pl.String,
    "numerator": pl.Int64,
    "denominator": pl.Int64,
    "benchmarks": pl.String,
    "note": pl.String,
    "ids": pl.String,
    "definition": pl.String,
}


def _indicators(report: Report) -> pl.DataFrame:
    """One row per program indicator: its value (a share as 0-1), what it counts, how it
    compares with each benchmark (with the source), and the ids it concerns."""
    from ._indicators import benchmark_text

    assert report.indicators is not None
    rows = [
        {
            "id": item.id,
            "title": item.title,
            "value": item.value,
            "unit": item.unit,
            "numerator": item.numerator,
            "denominator": item.denominator,
            "benchmarks": "; ".join(benchmark_text(b, item.unit) for b in item.benchmarks),
            "note": item.note or "",
            "ids": " ".join(item.ids),
            "definition": item.definition,
        }
        for item in report.indicators.indicators
    ]
    return pl.DataFrame(rows, schema=_INDICATOR_COLUMNS, orient="row")


def _about(pairs: list[tuple[str, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {"key": [k for k, _ in pairs], "value": [v for _, v in pairs]},
        schema={"key": pl.String, "value": pl.String},
    )


def plan_xlsx(plan: Plan) -> bytes:
    """The plan as a workbook: Goals (one row per goal, ranked) and About."""
    columns = [
        "rank",
        "goal",
        "requirement",
        "title",
        "standard",
        "status",
        "basis",
        "safety",
        "leverage",
        "gap",
        "actions",
        "failing",
        "satisfies",
        "supports",
    ]
    goals = pl.DataFrame(
        {
            "rank": [g.rank for g in plan.goals],
            "goal": [g.id for g in plan.goals],
            "requirement": [g.requirement for g in plan.goals],
            "title": [g.title for g in plan.goals],
            "standard": [f"{g.standard} {g.standard_title}" for g in plan.goals],
            "status": [g.status for g in plan.goals],
            "basis": [g.basis for g in plan.goals],
            "safety": ["yes" if g.safety else "" for g in plan.goals],
            "leverage": [g.leverage for g in plan.goals],
            "gap": [round(g.gap, 4) for g in plan.goals],
            "actions": ["\n".join(g.actions) for g in plan.goals],
            "failing": [" ".join(g.failing) for g in plan.goals],
            "satisfies": [" ".join(g.satisfies) for g in plan.goals],
            "supports": [" ".join(g.supports) for g in plan.goals],
        },
        schema={
            c: pl.Int64 if c == "rank" else pl.Float64 if c in {"leverage", "gap"} else pl.String
            for c in columns
        },
    )
    about = _about(
        [
            ("framework", f"{plan.framework} ({plan.framework_title})"),
            ("bundle", plan.bundle),
            ("program", plan.program),
            ("ranking", "safety first, then leverage across frameworks, then size of the gap"),
            ("min_confidence", plan.min_confidence),
        ]
    )
    return write_workbook([("Goals", goals), ("About", about)])


def summary_xlsx(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """A batch summary (one row per bundle) as a one-sheet workbook; a column whose every
    filled cell is a whole number (the counts) is written as numbers."""
    cells: dict[str, list[str]] = {h: [] for h in header}
    for row in rows:
        for h, value in zip(header, row, strict=True):
            cells[h].append("" if value is None else str(value))
    counts = {
        h
        for h, values in cells.items()
        if any(values) and all(v.isdigit() for v in values if v != "")
    }
    data: dict[str, list[Any]] = {
        h: [int(v) if v != "" else None for v in values] if h in counts else values
        for h, values in cells.items()
    }
    frame = pl.DataFrame(data, schema={h: pl.Int64 if h in counts else pl.String for h in header})
    return write_workbook([("Summary", frame)])
