"""Markdown rendering of an assessment report."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..render import BASIS_LABEL, INFERRED_LEGEND, format_value
from ._indicators import benchmark_text, breakdown_text, counts_text, survival_rows, value_text
from .text import md_cell, md_code, md_text

if TYPE_CHECKING:
    from ..assessment import Report

__all__ = ["MAX_IDS", "READING", "report_markdown"]

#: The rules in brief, repeated near the top of every report (the full rules close it).
READING = (
    "Each status says what it rests on: **measured** (a metric decided), **attested** (the "
    "program's attestation decided), **documented only** (documents or tables of the "
    "requirement's evidence kinds, and nothing else), **through the crosswalk** (projected "
    "from a linked requirement of another framework) or no evidence. Documents alone give at "
    "most partially-met unless the requirement is about having the document itself. "
    "Projection uses links of at least {min_confidence} confidence that transfer evidence."
)

#: Failing ids listed inline per finding; the JSON report always has them all.
MAX_IDS = 25

_ICON = {
    "met": "met",
    "partially-met": "partially met",
    "not-met": "NOT MET",
    "not-assessed": "not assessed",
    "not-applicable": "n/a",
}


def _ids(ids: list[str]) -> str:
    shown = ", ".join(md_text(i) for i in ids[:MAX_IDS])
    if len(ids) > MAX_IDS:
        shown += f" … and {len(ids) - MAX_IDS} more (see the JSON report)"
    return shown


def md_text_reading(report: Report) -> str:
    """The rules in brief for this report (Markdown)."""
    if not report.use_crosswalk:
        return READING.split(" Projection uses", maxsplit=1)[0] + " The crosswalk was not used."
    return READING.format(min_confidence=report.min_confidence)


def report_markdown(report: Report) -> str:
    """The report as GitHub-flavoured Markdown."""
    out: list[str] = []
    add = out.append
    p = report.program
    add(f"# {md_text(p.name)}: {md_text(report.framework_title)}")
    add("")
    add(
        f"Bundle {md_code(report.bundle)} · framework {md_code(report.framework)} · period "
        f"{p.period_start} to "
        f"{p.period_end} · assessed {report.assessed_on} · {report.generator}"
    )
    add("")
    add("## What to fix first")
    add("")
    if not report.fix_first:
        add("Nothing: every requirement is met or does not apply.")
    for goal in report.fix_first:
        flags = "; safety" if goal.safety else ""
        add(
            f"{goal.rank}. **{md_text(goal.requirement)}** {md_text(goal.title)} "
            f"({goal.status}, {BASIS_LABEL[goal.basis]}{flags}): {md_text(goal.action)}"
        )
    if report.fix_first:
        add("")
        add(
            "Ranked by safety first, then leverage across frameworks, then size of the gap; "
            "`mentorstd plan` lists every goal."
        )
    add("")
    add("## Summary")
    add("")
    add(md_text_reading(report))
    add("")
    bases = list(report.summary_by_basis)
    add("| status | all | " + " | ".join(BASIS_LABEL[b] for b in bases) + " |")
    add("|---|---:|" + "---:|" * len(bases))
    for status, count in report.summary.items():
        cells = " | ".join(str(report.summary_by_basis[b][status]) for b in bases)
        add(f"| {status} | {count} | {cells} |")
    direct = sum(
        n
        for b, row in report.summary_by_basis.items()
        if b not in {"crosswalk", "none"}
        for n in row.values()
    )
    through = sum(report.summary_by_basis.get("crosswalk", {}).values())
    add("")
    add(
        f"Direct evidence decides {direct} requirements; the crosswalk decides {through}. "
        "NQMS-style reviews do not rank programs; there is no overall score."
    )
    add("")
    add("## By standard")
    add("")
    add(
        "| standard | roll-up | met | partially | not met | not assessed | n/a "
        "| documented only | through the crosswalk |"
    )
    add("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for s in report.standards:
        c = s.counts
        documented = sum(s.by_basis.get("documented", {}).values())
        through = sum(s.by_basis.get("crosswalk", {}).values())
        add(
            f"| {md_cell(s.requirement)} {md_cell(s.title)} | {s.status} "
            f"({c['met']} of {sum(c.values())} met) | {c['met']} | "
            f"{c['partially-met']} | {c['not-met']} | {c['not-assessed']} | "
            f"{c['not-applicable']} | {documented} | {through} |"
        )
    if report.nqms is not None:
        n = report.nqms
        add("")
        add("## NQMS cycle")
        add("")
        add(f"- Badge: **{md_text(n['badge_title'] or 'none')}**")
        for reason in n["reasons"]:
            add(f"- {md_text(reason)}")
        add(f"- Plan goals done: {n['goals']['done']} of {n['goals']['total']}")
        if n["expires_on"]:
            add(
                f"- Badges expire: {n['expires_on']}; next self-assessment due: "
                f"{n['next_self_assessment_due']}"
            )
    if report.indicators is not None:
        out.extend(_indicators_markdown(report))
    add("")
    add("## Requirements")
    if any(r.id_basis == "inferred" for r in report.results):
        add("")
        add(INFERRED_LEGEND)
    for r in report.results:
        add("")
        add(
            f"### {md_text(r.marked_id)} {md_text(r.title)}: {_ICON[r.status]} "
            f"({BASIS_LABEL[r.basis]})"
        )
        add("")
        if r.via is not None:
            path = " → ".join(md_text(x) for x in r.via.path)
            add(
                f"Through the crosswalk from `{r.via.from_}` ({r.via.source_status}, "
                f"{BASIS_LABEL[r.via.source_basis]}; {', '.join(r.via.relations)}; "
                f"{r.via.confidence} confidence{', inferred' if r.via.inferred else ''}): "
                f"{path}"
            )
            add("")
        if r.provenance != "verified":
            add(f"_Encoding provenance: {r.provenance}._")
            add("")
        for f in r.findings:
            line = f"- **{md_text(f.check)}** ({f.status}): {md_text(f.message)}"
            if f.failing:
                line += f" Failing: {_ids(f.failing)}."
            add(line)
    add("")
    add("## Metrics")
    add("")
    add("| metric | parameters | value | counts | definition |")
    add("|---|---|---:|---|---|")
    for m in report.metrics:
        res = m.result
        params = ", ".join(f"{k}={v}" for k, v in res["params"].items())
        value = format_value(res["value"], res["unit"]) if res["value"] is not None else ""
        counts = ""
        if res.get("denominator"):
            counts = f"{res.get('numerator') or 0}/{res['denominator']}"
        elif res.get("entities"):
            counts = f"{res['entities']} judged"
        if res.get("details") and m.metric == "closure-reasons":
            counts = ", ".join(f"{k}: {v}" for k, v in res["details"].items())
        add(
            f"| {md_cell(m.metric)} | {md_cell(params)} | {value} | {md_cell(counts)} | "
            f"{md_cell(m.definition)} |"
        )
    add("")
    add("## Evidence")
    add("")
    add(f"Manifest sha256 `{report.evidence.manifest_sha256}`")
    add("")
    add("| id | kind | path | date | sha256 |")
    add("|---|---|---|---|---|")
    for d in report.evidence.documents:
        add(
            f"| {md_cell(d.id)} | {md_cell(d.kind)} | {md_cell(d.path)} | {d.date or ''} | "
            f"`{d.sha256[:16]}…` |"
        )
    for t in report.evidence.tables:
        add(
            f"| {md_cell(t.name)} | table ({t.rows} rows) | {md_cell(t.path)} |  | "
            f"`{t.sha256[:16]}…` |"
        )
    add("")
    if report.evidence.notes:
        add("Noted while reading the bundle:")
        add("")
        for note in report.evidence.notes:
            add(f"- {md_text(note)}")
        add("")
    add("## How statuses were decided")
    add("")
    add(
        f"Crosswalk projection used links of at least {report.min_confidence} confidence."
        if report.use_crosswalk
        else "The crosswalk was not used."
    )
    add("")
    for rule in report.status_rules:
        add(f"- {md_text(rule)}")
    add("")
    return "\n".join(out)


def _indicators_markdown(report: Report) -> list[str]:
    """The program indicators section: table, breakdowns, warnings, ids and survival."""
    section = report.indicators
    assert section is not None
    out = ["", "## Program indicators", "", md_text(section.about), ""]
    out.append(f"Contact schedule: `{section.cadence}`.")
    out.append("")
    for warning in section.warnings:
        out.append(f"> **Warning ({warning.code}):** {md_text(warning.message)}")
        out.append("")
    out.append("| indicator | value | counted | benchmark | definition |")
    out.append("|---|---:|---|---|---|")
    for item in section.indicators:
        value = value_text(item)
        benchmarks = "<br>".join(md_cell(benchmark_text(b, item.unit)) for b in item.benchmarks)
        out.append(
            f"| {md_cell(item.title)} | {md_cell(value)} | {md_cell(counts_text(item))} | "
            f"{benchmarks} | {md_cell(item.definition)} |"
        )
    out.append("")
    for item in section.indicators:
        lines = []
        if item.breakdown:
            label = "By start year" if item.metric == "retention-rate" else "By who ended them"
            lines.append(f"{label}: {md_text(breakdown_text(item))}.")
        if item.note and item.value is not None:
            lines.append(md_text(item.note))
        if item.ids and item.ids_are:
            lines.append(
                f"{md_text(item.ids_are[0].upper() + item.ids_are[1:])} ({len(item.ids)}): "
                f"{_ids(item.ids)}."
            )
        if lines:
            out.append(f"- **{md_text(item.title)}**: " + " ".join(lines))
    survival = section.survival
    if survival is not None:
        cohorts, rows = survival_rows(section)
        out += ["", "### Match survival by start year", "", md_text(survival.method), ""]
        out.append(
            "Share of matches still open (matches still observed) at each month: "
            + ", ".join(
                f"{c.cohort}: {c.matches} matches, {c.closed} closed, {c.censored} open"
                for c in survival.cohorts
            )
            + "."
        )
        out.append("")
        out.append("| month | " + " | ".join(md_cell(c) for c in cohorts) + " |")
        out.append("|---:|" + "---:|" * len(cohorts))
        for row in rows:
            out.append("| " + " | ".join(row) + " |")
    return out
