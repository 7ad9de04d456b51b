"""Compare two assessments of the same program: what improved, regressed, and by how much."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ._validate import pydantic_problems
from ._yaml import LocatedDoc
from .assessment import Report
from .checks import plural
from .errors import DataError, Problem, UsageError

__all__ = ["ReportDiff", "diff_reports", "load_report"]

#: Order used to call a change an improvement or a regression.
STATUS_ORDER = {"not-assessed": 0, "not-met": 1, "partially-met": 2, "met": 3}


def load_report(path: str | Path) -> Report:
    """Read a JSON report written by ``mentorstd validate --format json`` (or
    :meth:`Report.to_json`)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise DataError(Problem(f"cannot read file: {err.strerror or err}", str(path))) from err
    except UnicodeDecodeError as err:
        raise DataError(Problem("not valid UTF-8", str(path))) from err
    except json.JSONDecodeError as err:
        raise DataError(Problem(f"not JSON: {err.msg}", str(path), err.lineno, err.colno)) from err
    try:
        return Report.model_validate(data)
    except ValidationError as err:
        doc = LocatedDoc(data=data, file=str(path))
        problems = pydantic_problems(doc, err)
        problems = [
            Problem(f"not a mentorstd JSON report: {p.message}", p.file, None, None, p.field)
            for p in problems
        ]
        raise DataError(problems) from err


@dataclass
class ReportDiff:
    """Differences between an older and a newer report."""

    framework: str
    old: dict[str, str]
    new: dict[str, str]
    improved: list[tuple[str, str, str]] = field(default_factory=list)
    regressed: list[tuple[str, str, str]] = field(default_factory=list)
    changed: list[tuple[str, str, str]] = field(default_factory=list)
    unchanged: list[tuple[str, str]] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, tuple[int, int]] = field(default_factory=dict)
    goals_completed: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return (
            f"<ReportDiff {self.framework} {self.old.get('assessed_on')} -> "
            f"{self.new.get('assessed_on')}: {len(self.improved)} improved, "
            f"{len(self.regressed)} regressed, {len(self.unchanged)} unchanged>"
        )

    def to_text(self) -> str:
        """Plain text (what ``mentorstd diff`` prints)."""
        return diff_text(self)

    def to_markdown(self) -> str:
        """Markdown (``mentorstd diff --format markdown``)."""
        return diff_text(self, markdown=True)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON output)."""

        def rows(items: list[tuple[str, str, str]]) -> list[dict[str, str]]:
            return [{"requirement": r, "old": a, "new": b} for r, a, b in items]

        return {
            "framework": self.framework,
            "old": self.old,
            "new": self.new,
            "improved": rows(self.improved),
            "regressed": rows(self.regressed),
            "changed": rows(self.changed),
            "unchanged": [{"requirement": r, "status": s} for r, s in self.unchanged],
            "added": self.added,
            "removed": self.removed,
            "metrics": self.metrics,
            "summary": {k: {"old": a, "new": b} for k, (a, b) in self.summary.items()},
            "goals_completed": self.goals_completed,
            "notes": self.notes,
        }


def _metric_key(item: dict[str, Any]) -> str:
    params = ",".join(f"{k}={v}" for k, v in sorted(item["result"]["params"].items()))
    return f"{item['metric']}({params})" if params else item["metric"]


def diff_reports(old: Report, new: Report) -> ReportDiff:
    """Compare two reports of the same framework."""
    if old.framework != new.framework:
        raise UsageError(
            f"the reports assess different frameworks ({old.framework!r} and "
            f"{new.framework!r}); compare like with like"
        )
    out = ReportDiff(
        framework=new.framework,
        old={
            "bundle": old.bundle,
            "assessed_on": old.assessed_on,
            "period_end": old.program.period_end,
        },
        new={
            "bundle": new.bundle,
            "assessed_on": new.assessed_on,
            "period_end": new.program.period_end,
        },
    )
    if old.program.name != new.program.name:
        out.notes.append(
            f"the reports name different programs ({old.program.name!r} and {new.program.name!r})"
        )
    before, after = old.statuses(), new.statuses()
    for rid, status in after.items():
        if rid not in before:
            out.added.append(rid)
            continue
        was = before[rid]
        if was == status:
            out.unchanged.append((rid, status))
        elif was in STATUS_ORDER and status in STATUS_ORDER:
            target = out.improved if STATUS_ORDER[status] > STATUS_ORDER[was] else out.regressed
            target.append((rid, was, status))
        else:
            out.changed.append((rid, was, status))
    out.removed = [rid for rid in before if rid not in after]
    old_metrics = {_metric_key(m.model_dump()): m.result for m in old.metrics}
    for m in new.metrics:
        key = _metric_key(m.model_dump())
        if key not in old_metrics:
            continue
        a, b = old_metrics[key].get("value"), m.result.get("value")
        if a is None and b is None:
            continue
        out.metrics.append(
            {
                "metric": key,
                "unit": m.result.get("unit"),
                "old": a,
                "new": b,
                "delta": None if a is None or b is None else round(b - a, 6),
            }
        )
    # Checks judged one by one (per mentor, per match) have no program-wide metric value:
    # compare the share that passes each requirement's check instead.
    old_findings = {
        (r.requirement, f.check, json.dumps(f.params, sort_keys=True)): f
        for r in old.results
        for f in r.findings
        if f.scope and f.scope != "program"
    }
    for r in new.results:
        for f in r.findings:
            finding_key = (r.requirement, f.check, json.dumps(f.params, sort_keys=True))
            before_f = old_findings.get(finding_key)
            if before_f is None or f.value is None or before_f.value is None or not f.scope:
                continue
            params = ",".join(f"{k}={v}" for k, v in sorted(f.params.items()))
            noun = plural(f.scope.removeprefix("each "))
            out.metrics.append(
                {
                    "metric": f"{r.requirement} {f.check}({params}): share of {noun} passing",
                    "unit": "share",
                    "old": before_f.value,
                    "new": f.value,
                    "delta": round(f.value - before_f.value, 6),
                }
            )
    out.summary = {s: (old.summary.get(s, 0), new.summary.get(s, 0)) for s in new.summary}
    old_goals = {g["id"]: g for g in (old.nqms or {}).get("plan_goals", [])}
    for goal in (new.nqms or {}).get("plan_goals", []):
        before_goal = old_goals.get(goal["id"])
        if goal["status"] == "done" and (before_goal is None or before_goal["status"] != "done"):
            out.goals_completed.append(goal)
    return out


def diff_text(d: ReportDiff, markdown: bool = False) -> str:
    """The comparison as text or Markdown."""
    from .render import format_value
    from .report.text import md_text

    def esc(value: object) -> str:
        return md_text(value) if markdown else str(value)

    h1, h2, item = ("# ", "## ", "- ") if markdown else ("", "", "  ")
    lines = [
        f"{h1}Progress on {d.framework}: {esc(d.old['bundle'])} "
        f"({d.old['assessed_on']}) → {esc(d.new['bundle'])} ({d.new['assessed_on']})",
        "",
    ]
    lines += [f"{item}{esc(n)}" for n in d.notes]
    lines.append("Status counts: " + ", ".join(f"{s} {a} → {b}" for s, (a, b) in d.summary.items()))
    for title, rows in (
        ("Improved", d.improved),
        ("Regressed", d.regressed),
        ("Changed", d.changed),
    ):
        lines += ["", f"{h2}{title} ({len(rows)})"]
        lines += [f"{item}{r}: {a} → {b}" for r, a, b in rows]
    lines += ["", f"{h2}Unchanged ({len(d.unchanged)})"]
    if d.added or d.removed:
        lines += ["", f"{h2}Requirements added {len(d.added)}, removed {len(d.removed)}"]
        lines += [f"{item}+ {r}" for r in d.added] + [f"{item}- {r}" for r in d.removed]
    lines += ["", f"{h2}Metrics"]
    for m in d.metrics:
        unit = m["unit"] or "share"
        delta = m["delta"]
        shown = (
            ""
            if delta is None
            else (
                f" ({'+' if delta >= 0 else ''}{delta * 100:.1f} points)"
                if unit == "share"
                else f" ({'+' if delta >= 0 else ''}{delta:g})"
            )
        )
        lines.append(
            f"{item}{esc(m['metric'])}: {format_value(m['old'], unit)} → "
            f"{format_value(m['new'], unit)}{shown}"
        )
    lines += ["", f"{h2}Plan goals completed ({len(d.goals_completed)})"]
    lines += [
        f"{item}{esc(g['id'])} {esc(g.get('title') or g.get('requirement') or '')} "
        f"({g.get('done_on') or 'date not recorded'})"
        for g in d.goals_completed
    ]
    return "\n".join(lines) + "\n"
