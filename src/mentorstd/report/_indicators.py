"""What the Markdown and HTML reports show of the ``indicators`` section: benchmark text,
cohort breakdowns, the survival table's months and the chart's lines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..render import format_indicator

if TYPE_CHECKING:
    from ..indicators import Benchmark, Indicator, IndicatorsSection

__all__ = [
    "benchmark_head",
    "benchmark_text",
    "breakdown_text",
    "counts_text",
    "survival_chart",
    "survival_rows",
    "value_text",
]

#: Months between rows of the survival table in the Markdown and HTML reports.
TABLE_STEP = 3
#: Line colours of the survival chart, one per cohort ("all" is drawn in ink).
_COLOURS = ("#1565c0", "#ef6c00", "#2e7d32", "#6a1b9a", "#00838f", "#ad1457", "#5d4037")


def benchmark_head(bench: Benchmark, unit: str) -> str:
    """``goal >= 73.6%: meets``: the benchmark and how the value compares, without its source."""
    head: str = bench.kind
    if bench.value is not None:
        head += f" {bench.operator or '~'} {format_indicator(bench.value, unit)}"
    return head + (f": {bench.comparison}" if bench.comparison else "")


def benchmark_text(bench: Benchmark, unit: str) -> str:
    """``goal >= 73.6%: meets (BBBS ..., 2018)``."""
    year = f", {bench.year}" if bench.year else ""
    return f"{benchmark_head(bench, unit)} ({bench.figure} {bench.source.strip()}{year})"


def value_text(item: Indicator) -> str:
    """The value with its unit; the share of who-ended-matches names the mentor, whose share
    it is; ``n/a (why)`` when there is none."""
    if item.value is None:
        return f"n/a ({item.note})" if item.note else "n/a"
    text = format_indicator(item.value, item.unit)
    return f"mentor {text}" if item.metric == "closure-initiators" else text


def counts_text(item: Indicator) -> str:
    """``67 of 84`` for rates, ``n = 88`` otherwise; empty when nothing was counted."""
    if item.numerator is not None and item.denominator:
        return f"{item.numerator} of {item.denominator}"
    if item.denominator:
        return f"n = {item.denominator}"
    return ""


def breakdown_text(item: Indicator) -> str:
    """``2024: 84.2% (32 of 38); 2026: none could reach it`` (empty without a breakdown)."""
    parts = []
    for share in item.breakdown:
        if share.value is None:
            parts.append(f"{share.key}: none could reach it")
        else:
            parts.append(
                f"{share.key}: {format_indicator(share.value, 'share')} "
                f"({share.numerator} of {share.denominator})"
            )
    return "; ".join(parts)


def survival_rows(section: IndicatorsSection) -> tuple[list[str], list[list[str]]]:
    """Cohort names, and one row per ``TABLE_STEP`` months: the month, then each cohort's
    survival (blank once it has no match at risk)."""
    survival = section.survival
    if survival is None:
        return [], []
    cohorts = [c.cohort for c in survival.cohorts]
    by_cohort = [{p.month: p for p in c.table} for c in survival.cohorts]
    longest = max((p.month for c in survival.cohorts for p in c.table), default=0)
    months = list(range(0, longest + 1, TABLE_STEP))
    if longest not in months:
        months.append(longest)
    rows = []
    for month in months:
        cells = [str(month)]
        for points in by_cohort:
            point = points.get(month)
            cells.append("" if point is None else f"{point.survival * 100:.1f}% ({point.at_risk})")
        rows.append(cells)
    return cohorts, rows


def survival_chart(section: IndicatorsSection) -> dict[str, Any] | None:
    """Step lines of the survival curves in SVG coordinates (numbers only), with axis ticks."""
    survival = section.survival
    if survival is None:
        return None
    width, height, left, bottom, top, right = 560, 240, 44, 28, 10, 10
    longest = max((p.month for c in survival.cohorts for p in c.table), default=0) or 1
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(month: float) -> float:
        return round(left + plot_w * month / longest, 1)

    def y(share: float) -> float:
        return round(top + plot_h * (1 - share), 1)

    lines = []
    colours = iter(_COLOURS)
    for cohort in survival.cohorts:
        points: list[str] = []
        previous = None
        for p in cohort.table:
            if previous is not None:
                points.append(f"{x(p.month)},{y(previous)}")
            points.append(f"{x(p.month)},{y(p.survival)}")
            previous = p.survival
        colour = "#1d2330" if cohort.cohort == "all" else next(colours, "#9e9e9e")
        lines.append({"cohort": cohort.cohort, "points": " ".join(points), "colour": colour})
    step = max(1, round(longest / 8 / 3) * 3) if longest > 8 else 1
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "top": top,
        "bottom": height - bottom,
        "lines": lines,
        "x_ticks": [{"x": x(m), "label": m} for m in range(0, longest + 1, step)],
        "y_ticks": [{"y": y(v / 100), "label": f"{v}%"} for v in (0, 25, 50, 75, 100)],
    }
