"""Improvement plans: every gap of an assessment becomes a ranked goal.

Ranking, highest first:

1. **safety**: requirements tagged ``safety`` (screening, child safety, monitoring);
2. **leverage**: how many requirements across all frameworks the fix would satisfy through the
   crosswalk (fully: itself and requirements it is ``equal`` to or a ``superset`` of; half
   weight: those it is a ``subset`` of or ``intersects``);
3. **gap size**: how far from met (a metric's distance to its threshold; otherwise 1 for
   not-met, 0.75 for not-assessed, 0.5 for partially-met);

then the framework's own order. Goals are grouped by standard in the outputs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._registry import METRIC_SPECS
from .assessment import PROJECTION
from .checks import plural
from .render import format_value

if TYPE_CHECKING:
    from .assessment import Report, Result
    from .catalog import Catalog
    from .checks import Finding

__all__ = ["GAP_STATUSES", "Goal", "Plan", "build_plan", "plan_text"]

GAP_STATUSES = ("not-met", "partially-met", "not-assessed")
_BASE_GAP = {"not-met": 1.0, "not-assessed": 0.75, "partially-met": 0.5}
MAX_IDS_IN_TEXT = 10


@dataclass
class Goal:
    """One improvement goal."""

    rank: int
    id: str
    requirement: str
    title: str
    standard: str
    standard_title: str
    status: str
    safety: bool
    leverage: float
    satisfies: list[str]
    supports: list[str]
    gap: float
    missing: list[str]
    failing: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "rank": self.rank,
            "id": self.id,
            "requirement": self.requirement,
            "title": self.title,
            "standard": self.standard,
            "standard_title": self.standard_title,
            "status": self.status,
            "safety": self.safety,
            "leverage": self.leverage,
            "satisfies": self.satisfies,
            "supports": self.supports,
            "gap": round(self.gap, 4),
            "missing": self.missing,
            "failing": self.failing,
        }


@dataclass
class Plan:
    """Ranked goals for one bundle and framework."""

    framework: str
    bundle: str
    program: str
    goals: list[Goal]

    def groups(self) -> list[tuple[str, str, list[Goal]]]:
        """Goals grouped by standard; groups ordered by their best-ranked goal."""
        by: dict[str, list[Goal]] = {}
        titles: dict[str, str] = {}
        for goal in self.goals:
            by.setdefault(goal.standard, []).append(goal)
            titles[goal.standard] = goal.standard_title
        return [(s, titles[s], goals) for s, goals in by.items()]

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON output)."""
        return {
            "framework": self.framework,
            "bundle": self.bundle,
            "program": self.program,
            "ranking": ["safety", "leverage", "gap"],
            "goals": [g.to_dict() for g in self.goals],
        }

    def to_plan_goals(self) -> list[dict[str, Any]]:
        """Goals as ``nqms.plan_goals`` entries for the bundle manifest."""
        return [
            {"id": g.id, "requirement": g.requirement, "title": g.title, "status": "open"}
            for g in self.goals
        ]


def _metric_gap(finding: Finding) -> tuple[float, str] | None:
    spec = METRIC_SPECS.get(finding.check)
    if spec is None or finding.value is None or finding.threshold is None:
        return None
    if finding.scope == "program":
        value, threshold = finding.value, finding.threshold
        distance = max(0.0, (threshold - value) / threshold) if threshold else 0.0
        total = finding.total or 0
        needed = max(0, math.ceil(threshold * total - 1e-9) - (finding.passed or 0))
        text = (
            f"{spec.title}: {format_value(value, spec.unit)} against "
            f"{finding.operator} {format_value(threshold, spec.unit)}"
            f"{f'; {needed} more of {total} would reach it' if needed else ''}"
        )
        return distance, text
    failing = len(finding.failing)
    total = finding.total or 0
    share = failing / total if total else 0.0
    template = _SHORTFALL.get(spec.name, _SHORTFALL_DEFAULT)
    entity = (finding.scope or "each item").removeprefix("each ")
    text = template.format(
        failing=failing,
        total=total,
        entities=plural(entity),
        threshold=finding.threshold,
        title=spec.title.lower(),
        op=finding.operator,
        **finding.params,
    )
    return share, text


_SHORTFALL_DEFAULT = "{failing} of {total} {entities} fall short of {title} {op} {threshold:g}"
_SHORTFALL = {
    "pre-match-training-hours": "{failing} of {total} {entities} had less than {threshold:g} "
    "hours of pre-match training by their first match",
    "staff-contact-cadence": "{failing} of {total} matches missed the required staff contacts "
    "with the {with} in at least one month ({first_month_min} in month 1, {later_month_min} "
    "in each month after)",
    "interview-before-match": "{failing} of {total} mentors had no interview recorded before "
    "their first match",
    "background-check-before-match": "{failing} of {total} mentors had no background check "
    "recorded before their first match",
    "references-checked": "{failing} of {total} mentors had fewer than {threshold:g} "
    "references checked",
    "planned-commitment-months": "{failing} of {total} matches were planned for less than "
    "{threshold:g} months",
}


_AS_STATED = {"document-stale", "document-undated", "documents-incomplete", "metric-no-data"}


def _missing(result: Result, catalog: Catalog) -> tuple[float, list[str], list[str]]:
    req = catalog.requirement(result.requirement)
    gap = _BASE_GAP[result.status]
    missing: list[str] = []
    failing: list[str] = []
    measured = False
    for finding in result.findings:
        if finding.status in {"met", "not-applicable"}:
            continue
        metric = _metric_gap(finding)
        if metric is not None:
            distance, text = metric
            gap = max(gap if measured else 0.0, distance)
            measured = True
            missing.append(text)
            failing.extend(finding.failing)
        elif finding.code in {"attested-planned", "attested-not-implemented"}:
            missing.append(
                "the practice is not in place yet (attested "
                f"{finding.code.removeprefix('attested-')})"
            )
        elif finding.code == "attested-partial":
            missing.append("the practice is only partly in place")
        elif finding.code == "attested-without-evidence":
            missing.append(
                "evidence for the attestation: a document of kind "
                + " or ".join(req.evidence or ["(any)"])
            )
        elif finding.code in _AS_STATED:
            missing.append(finding.message)
        elif finding.code == "via-crosswalk":
            missing.append(
                f"direct evidence (the status comes only through {finding.evidence[0]})"
                if finding.evidence
                else "direct evidence"
            )
    if result.status == "not-assessed" and not missing:
        kinds = " or ".join(req.evidence) if req.evidence else "an attestation"
        missing.append(f"evidence: a document of kind {kinds}, or an attestation in practices")
    return gap, missing, sorted(set(failing))


def _leverage(gid: str, catalog: Catalog) -> tuple[list[str], list[str]]:
    full, partial = [], []
    for link in catalog.crosswalk.related(gid, inferred=True):
        # A met here would give, at the other end:
        outcome = PROJECTION.get(("met", link.relation))
        if outcome == "met":
            full.append(link.target)
        elif outcome == "partially-met":
            partial.append(link.target)
    return sorted(set(full)), sorted(set(partial) - set(full))


def build_plan(report: Report, catalog: Catalog) -> Plan:
    """Goals for every requirement of ``report`` that is not met, ranked."""
    order = {r.requirement: i for i, r in enumerate(report.results)}
    raw: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    for result in report.results:
        if result.status not in GAP_STATUSES:
            continue
        gap, missing, failing = _missing(result, catalog)
        full, partial = _leverage(result.requirement, catalog)
        leverage = 1 + len(full) + 0.5 * len(partial)
        safety = "safety" in result.tags
        standard = catalog.requirement(result.standard)
        fields = {
            "id": result.requirement.replace(":", "-"),
            "requirement": result.requirement,
            "title": result.title,
            "standard": result.standard,
            "standard_title": standard.title,
            "status": result.status,
            "safety": safety,
            "leverage": leverage,
            "satisfies": full,
            "supports": partial,
            "gap": gap,
            "missing": missing,
            "failing": failing,
        }
        key = (not safety, -leverage, -gap, order[result.requirement])
        raw.append((key, fields))
    raw.sort(key=lambda item: item[0])
    goals = [Goal(rank=n, **fields) for n, (_, fields) in enumerate(raw, 1)]
    return Plan(
        framework=report.framework, bundle=report.bundle, program=report.program.name, goals=goals
    )


def plan_text(plan: Plan, markdown: bool = False) -> str:
    """The plan as plain text or Markdown, grouped by standard."""
    from .report.text import md_text

    def esc(value: object) -> str:
        return md_text(value) if markdown else str(value)

    lines = [
        f"{'# ' if markdown else ''}Improvement plan: {esc(plan.program)} ({plan.framework})",
        "",
    ]
    lines.append(
        f"{len(plan.goals)} goals, ranked by safety first, then leverage across "
        "frameworks, then size of the gap."
    )
    for standard, title, goals in plan.groups():
        lines += ["", f"{'## ' if markdown else ''}{standard} {esc(title)}", ""]
        for g in goals:
            flags = ", ".join(
                x for x in ("safety" if g.safety else "", f"leverage {g.leverage:g}") if x
            )
            lines.append(
                f"{'- ' if markdown else ''}{g.rank}. {g.requirement} {esc(g.title)} "
                f"[{g.status}; {flags}]"
            )
            for item in g.missing:
                lines.append(f"{'  - ' if markdown else '     - '}{esc(item)}")
            if g.failing:
                shown = ", ".join(g.failing[:MAX_IDS_IN_TEXT])
                more = (
                    f" and {len(g.failing) - MAX_IDS_IN_TEXT} more"
                    if len(g.failing) > MAX_IDS_IN_TEXT
                    else ""
                )
                lines.append(f"{'  - ' if markdown else '     - '}failing: {esc(shown)}{more}")
            if g.satisfies:
                lines.append(
                    f"{'  - ' if markdown else '     - '}would also satisfy: "
                    f"{esc(', '.join(g.satisfies))}"
                )
    return "\n".join(lines) + "\n"
