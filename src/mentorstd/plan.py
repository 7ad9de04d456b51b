"""Improvement plans: every gap of an assessment becomes a ranked goal.

Ranking, highest first:

1. **safety**: requirements tagged ``safety`` (screening, child safety, monitoring);
2. **leverage**: how many requirements across all frameworks the fix would satisfy through the
   crosswalk (fully: itself and requirements it is ``equal`` to or a ``superset`` of; half
   weight: those it is a ``subset`` of or ``intersects``);
3. **gap size**: how far from met (a metric's distance to its threshold; otherwise 1 for
   not-met, 0.75 for not-assessed, 0.5 for partially-met);

then the framework's own order. Leverage counts the same links that projection uses (at least
the report's minimum confidence, and only links that transfer evidence). Every goal says what
to do in sentences that start with a verb; the top goals open every report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._registry import METRIC_SPECS
from .assessment import PROJECTION
from .checks import plural
from .crosswalk import CONFIDENCE_ORDER
from .metrics import CADENCE_PROFILES
from .models import DocumentCheck, MetricCheck
from .render import BASIS_LABEL, format_value

if TYPE_CHECKING:
    from .assessment import Report, Result
    from .catalog import Catalog
    from .checks import Finding
    from .models import Requirement

__all__ = ["GAP_STATUSES", "Goal", "Plan", "build_plan", "plan_html", "plan_text"]

GAP_STATUSES = ("not-met", "partially-met", "not-assessed")
_BASE_GAP = {"not-met": 1.0, "not-assessed": 0.75, "partially-met": 0.5}
MAX_IDS_IN_TEXT = 10


@dataclass
class Goal:
    """One improvement goal: a requirement that is not met, and what to do about it."""

    rank: int
    id: str
    requirement: str
    title: str
    standard: str
    standard_title: str
    status: str
    basis: str
    safety: bool
    leverage: float
    satisfies: list[str]
    supports: list[str]
    gap: float
    actions: list[str]
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
            "basis": self.basis,
            "safety": self.safety,
            "leverage": self.leverage,
            "satisfies": self.satisfies,
            "supports": self.supports,
            "gap": round(self.gap, 4),
            "actions": self.actions,
            "failing": self.failing,
        }


@dataclass
class Plan:
    """Ranked goals for one bundle and framework."""

    framework: str
    bundle: str
    program: str
    goals: list[Goal]
    framework_title: str = ""
    min_confidence: str = "medium"

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
            "min_confidence": self.min_confidence,
            "goals": [g.to_dict() for g in self.goals],
        }

    def to_plan_goals(self) -> list[dict[str, Any]]:
        """Goals as ``nqms.plan_goals`` entries for the bundle manifest."""
        return [
            {"id": g.id, "requirement": g.requirement, "title": g.title, "status": "open"}
            for g in self.goals
        ]


def _metric_gap(finding: Finding, cadence: str | None = None) -> tuple[float, str] | None:
    """How far a measured finding falls short (0-1) and what to do about it; ``cadence`` is
    the contact schedule the run used (``--cadence``), when not the check's own."""
    spec = METRIC_SPECS.get(finding.check)
    if spec is None or finding.value is None or finding.threshold is None:
        return None
    if finding.scope == "program":
        value, threshold = finding.value, finding.threshold
        distance = max(0.0, (threshold - value) / threshold) if threshold else 0.0
        total = finding.total or 0
        needed = max(0, math.ceil(threshold * total - 1e-9) - (finding.passed or 0))
        text = (
            f"Raise the {spec.title.lower()} from {format_value(value, spec.unit)} to "
            f"{finding.operator} {format_value(threshold, spec.unit)}"
            f"{f': {needed} more of {total} would reach it' if needed else ''}."
        )
        return distance, text
    failing = len(finding.failing)
    total = finding.total or 0
    share = failing / total if total else 0.0
    template = _SHORTFALL.get(spec.name, _SHORTFALL_DEFAULT)
    schedule = finding.params.get("profile") if cadence in (None, "eepm4") else cadence
    if spec.name == "staff-contact-cadence" and schedule not in (None, "eepm4"):
        template = _SCHEDULED.format(description=CADENCE_PROFILES[schedule].description)
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


_SHORTFALL_DEFAULT = "Bring {failing} of {total} {entities} up to {title} {op} {threshold:g}."
_SHORTFALL = {
    "pre-match-training-hours": "Train {failing} of {total} {entities} before their first "
    "match: they had less than {threshold:g} hours of pre-match training by then.",
    "staff-contact-cadence": "Make the required staff contacts with the {with} in every month: "
    "{failing} of {total} matches missed them in at least one month ({first_month_min} in "
    "month 1, {later_month_min} in each month after).",
    "interview-before-match": "Interview every mentor before their first match: {failing} of "
    "{total} mentors had no interview recorded before it.",
    "background-check-before-match": "Complete a background check on every mentor before "
    "their first match: {failing} of {total} mentors had none recorded before it.",
    "references-checked": "Check at least {threshold:g} references for every mentor: "
    "{failing} of {total} mentors had fewer.",
    "planned-commitment-months": "Plan matches for at least {threshold:g} months: {failing} "
    "of {total} matches were planned for less.",
}


#: A cadence shortfall under a named schedule other than the checks' own monthly rule.
_SCHEDULED = (
    "Make the required staff contacts with the {{with}} on the schedule: {{failing}} of "
    "{{total}} matches missed at least one period ({description})."
)


def _kinds(kinds: list[str]) -> str:
    return " or ".join(kinds) if kinds else "(any)"


def _actions(
    result: Result, catalog: Catalog, cadence: str | None = None
) -> tuple[float, list[str], list[str]]:
    """Gap size, what to do (sentences starting with a verb) and failing ids."""
    req = catalog.requirement(result.requirement)
    gap = _BASE_GAP[result.status]
    actions: list[str] = []
    failing: list[list[str]] = []
    measured = False
    for finding in result.findings:
        if finding.status in {"met", "not-applicable"}:
            continue
        metric = _metric_gap(finding, cadence)
        if metric is not None:
            distance, text = metric
            gap = max(gap if measured else 0.0, distance)
            measured = True
            actions.append(text)
            if finding.failing:
                failing.append(finding.failing)
        elif finding.code in {"attested-planned", "attested-not-implemented"}:
            state = finding.code.removeprefix("attested-").replace("-", " ")
            actions.append(f"Put the practice in place: the program attests it is {state}.")
        elif finding.code == "attested-partial":
            actions.append("Complete the practice: the program attests it is only partly in place.")
        elif finding.code == "attested-without-evidence":
            actions.append(
                f"Name evidence for the attestation: a document of kind {_kinds(req.evidence)}."
            )
        elif finding.code == "document-stale":
            actions.append(f"Update the document: {finding.message}")
        elif finding.code == "document-undated":
            actions.append(f"Date the document: {finding.message}")
        elif finding.code == "documents-incomplete":
            actions.append(f"Add the missing documents: {finding.message}")
        elif finding.code == "metric-no-data":
            actions.append(f"Add the data this check needs: {finding.message}")
        elif finding.code == "documented-only" and result.basis == "documented":
            actions.append(_evidence_action(req, documented=True))
        elif finding.code == "via-crosswalk":
            actions.append(
                "Add direct evidence (an attestation, or records that measure it): the status "
                f"now comes only through {finding.evidence[0]}."
            )
        elif finding.code == "crosswalk-over-documents":
            actions.append(
                "Attest the practice directly: the bundle has only documents for it, so its "
                f"status comes through {finding.evidence[0]}."
            )
    if not actions:
        actions.append(_evidence_action(req))
    # each finding's failing ids are sorted and distinct already
    ids = failing[0] if len(failing) == 1 else sorted(set().union(*failing))
    return gap, actions, list(ids)


def _evidence_action(req: Requirement, *, documented: bool = False) -> str:
    """What evidence would decide ``req``: data for its metrics, an attestation, or a document
    that suffices on its own."""
    tables = sorted(
        {
            column.partition(".")[0]
            for check in req.checks
            if isinstance(check, MetricCheck)
            for column in METRIC_SPECS[check.metric].reads
        }
    )
    sufficient = [
        k for c in req.checks if isinstance(c, DocumentCheck) and c.sufficient for k in c.kinds
    ]
    options = []
    if tables:
        options.append(f"add the {' and '.join(tables)} data its checks read")
    if sufficient:
        options.append(f"add a document of kind {_kinds(sufficient)}, which is enough here")
    attest = "attest the practice in the bundle's practices"
    if not documented and req.evidence:
        attest += f", naming a document of kind {_kinds(req.evidence)} as its evidence"
    options.append(attest)
    text = options[0][0].upper() + options[0][1:]
    for middle in options[1:-1]:
        text += f", {middle}"
    if len(options) > 1:
        text += f", or {options[-1]}"
    if documented:
        text += ": documents alone show only that the practice may exist"
    return text + "."


def _leverage(gid: str, catalog: Catalog, min_confidence: str) -> tuple[list[str], list[str]]:
    """Requirements a met here would make met (full) or partially met (partial) elsewhere,
    through the same links that projection uses."""
    floor = CONFIDENCE_ORDER[min_confidence]
    full, partial = [], []
    for link in catalog.crosswalk.related(gid, inferred=True):
        if not link.transfers_evidence or CONFIDENCE_ORDER[link.confidence] < floor:
            continue
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
    cadence = report.indicators.cadence if report.indicators is not None else None
    raw: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    for result in report.results:
        if result.status not in GAP_STATUSES:
            continue
        gap, actions, failing = _actions(result, catalog, cadence)
        full, partial = _leverage(result.requirement, catalog, report.min_confidence)
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
            "basis": result.basis,
            "safety": safety,
            "leverage": leverage,
            "satisfies": full,
            "supports": partial,
            "gap": gap,
            "actions": actions,
            "failing": failing,
        }
        key = (not safety, -leverage, -gap, order[result.requirement])
        raw.append((key, fields))
    raw.sort(key=lambda item: item[0])
    goals = [Goal(rank=n, **fields) for n, (_, fields) in enumerate(raw, 1)]
    return Plan(
        framework=report.framework,
        bundle=report.bundle,
        program=report.program.name,
        goals=goals,
        framework_title=report.framework_title,
        min_confidence=report.min_confidence,
    )


def plan_text(plan: Plan, markdown: bool = False) -> str:
    """The plan as plain text or Markdown: one flat list, best-ranked goal first."""
    from .report.text import md_text

    def esc(value: object) -> str:
        return md_text(value) if markdown else str(value)

    title = f"Improvement plan: {esc(plan.program)} ({plan.framework})"
    lines = [f"# {title}" if markdown else title, ""]
    lines.append(
        f"{len(plan.goals)} goals, ranked by safety first, then leverage across frameworks, "
        "then size of the gap. Each goal says what its status rests on now."
    )
    lines.append("")
    for g in plan.goals:
        # Markdown nests a list under "10. " only when indented by the marker's width
        indent = " " * len(f"{g.rank}. ") + "- " if markdown else "     - "
        flags = ", ".join(
            x for x in ("safety" if g.safety else "", f"leverage {g.leverage:g}") if x
        )
        head = f"{g.requirement} {esc(g.title)}"
        if markdown:
            head = f"**{esc(g.requirement)}** {esc(g.title)}"
        lines.append(f"{g.rank}. {head}: {g.status} ({BASIS_LABEL[g.basis]}); {flags}")
        lines.extend(f"{indent}{esc(action)}" for action in g.actions)
        if g.failing:
            shown = ", ".join(g.failing[:MAX_IDS_IN_TEXT])
            more = (
                f" and {len(g.failing) - MAX_IDS_IN_TEXT} more"
                if len(g.failing) > MAX_IDS_IN_TEXT
                else ""
            )
            lines.append(f"{indent}Failing: {esc(shown)}{more}")
        if g.satisfies:
            lines.append(f"{indent}Once met, also meets: {esc(', '.join(g.satisfies))}")
    return "\n".join(lines) + "\n"


def plan_html(plan: Plan) -> str:
    """The plan as one self-contained HTML page."""
    from .report.html import render_template

    return render_template("plan.html.j2", p=plan, basis_label=BASIS_LABEL)
