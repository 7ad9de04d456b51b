"""Checks: attestation, document and metric checks turned into findings.

:func:`iter_findings` is the engine's primitive: it yields one :class:`Finding` per check of a
requirement, each with its own status; :mod:`mentorstd.assess` combines them. Every requirement
is checked against the bundle's attestation of it (``practices``), against its explicit
document checks, and, without an attestation, against documents and tables of its other
evidence kinds. Documents give ``met`` only through a check marked ``sufficient``.
Message templates live in :data:`MESSAGES` (``mentorstd codes`` lists them).
"""

from __future__ import annotations

import operator as op
from collections.abc import Callable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from ._registry import METRIC_SPECS
from .models import DocumentCheck, MetricCheck, Requirement
from .render import format_threshold, format_value

if TYPE_CHECKING:
    from .bundle import Bundle
    from .catalog import Catalog
    from .metrics import MetricContext, MetricResult

__all__ = ["MESSAGES", "STATUSES", "CheckContext", "Finding", "Status", "iter_findings"]

Status = Literal["met", "partially-met", "not-met", "not-assessed", "not-applicable"]
STATUSES: tuple[Status, ...] = ("met", "partially-met", "not-met", "not-assessed", "not-applicable")

#: Finding codes and their message templates (values are filled with ``str.format``).
MESSAGES: dict[str, str] = {
    "attested": "The program attests the practice is implemented, citing {evidence}.",
    "attested-without-evidence": "The program attests the practice is implemented but names "
    "no evidence, and the bundle holds none of the kinds {kinds}.",
    "attested-partial": "The program attests the practice is only partly in place.",
    "attested-planned": "The program attests the practice is planned, not yet in place.",
    "attested-not-implemented": "The program attests the practice is not implemented.",
    "attested-not-applicable": "The program attests the requirement does not apply to it{note}.",
    "documents-present": "Evidence of kind {kinds}: {evidence}; the requirement is about "
    "having this document, so the document suffices.",
    "documented-only": "Documents of kind {kinds} are present ({evidence}), but a document "
    "shows that a practice may exist, not that it is in place: documented; not attested or "
    "measured.",
    "documents-incomplete": "Only some of the required kinds are present ({present}); missing "
    "{missing}.",
    "document-stale": "{evidence} is dated {doc_date}, more than {max_age} days before the "
    "period end ({period_end}).",
    "document-undated": "{evidence} has no date, so its age ({max_age}-day limit) is unknown.",
    "metric-met": "{title} is {value_text} ({numerator} of {denominator}), meeting the target "
    "{threshold_text}.",
    "metric-not-met": "{title} is {value_text} ({numerator} of {denominator}), short of the "
    "target {threshold_text}.",
    "metric-all-pass": "All {total} {entities} meet {title} {threshold_text}.",
    "metric-some-fail": "{passed} of {total} {entities} ({value_text}) meet {title} "
    "{threshold_text}; {failed} do not.",
    "metric-none-pass": "None of the {total} {entities} meets {title} {threshold_text}.",
    "metric-no-data": "{title} cannot be computed: {reason}.",
    "no-evidence": "Nothing in the bundle bears on this requirement: no attestation, no "
    "document of the kinds {kinds}, no data for its checks.",
    "via-crosswalk": "No direct evidence; {status} through the crosswalk: {source} "
    "({source_status}, {source_basis}) {relation_text} this requirement.",
    "crosswalk-over-documents": "Direct evidence is documents only ({direct_status}); "
    "{source} ({source_status}, {source_basis}) {relation_text} this requirement, and "
    "{source_basis} evidence is stronger than documents, so the crosswalk decides: {status}.",
    "crosswalk-agrees": "Through the crosswalk, {source} ({source_status}, {source_basis}) "
    "{relation_text} this requirement, which also gives {status}, so the direct evidence "
    "decides.",
    "rollup": "{counts} among its {total} requirements.",
}

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": op.ge,
    ">": op.gt,
    "<=": op.le,
    "<": op.lt,
    "==": op.eq,
}


class Finding(BaseModel):
    """One check's outcome for one requirement."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(description="Stable kebab-case code (see `mentorstd codes`).")
    check: str = Field(description="attestation, document, or the metric name.")
    status: Status = Field(description="The status this check alone supports.")
    message: str = Field(description="One sentence explaining it.")
    value: float | None = Field(default=None, description="Measured value (shares as 0-1).")
    threshold: float | None = Field(default=None, description="The threshold compared with.")
    operator: str | None = Field(default=None, description="Comparison operator.")
    unit: str | None = Field(default=None, description="share, hours, months or count.")
    scope: str | None = Field(
        default=None, description="'program' for rates, else the entity judged one by one."
    )
    params: dict[str, Any] = Field(default_factory=dict, description="Metric parameters.")
    passed: int | None = Field(default=None, description="Entities or records that pass.")
    total: int | None = Field(default=None, description="Entities or records judged.")
    failing: list[str] = Field(default_factory=list, description="Ids that fail, sorted.")
    evidence: list[str] = Field(
        default_factory=list, description="Document ids and table files used."
    )


def _finding(code: str, check: str, status: Status, **fields: Any) -> Finding:
    text_fields = fields.pop("text", {})
    message = MESSAGES[code].format(**text_fields)
    return Finding(code=code, check=check, status=status, message=message, **fields)


def plural(noun: str) -> str:
    """English plural of an entity noun (match -> matches)."""
    return noun + ("es" if noun.endswith(("ch", "sh", "s", "x")) else "s")


def _quote(items: list[str]) -> str:
    return ", ".join(repr(i) for i in items)


# -- attestation and documents ---------------------------------------------------------------


class CheckContext:
    """What checks need from one bundle: its evidence by kind, and memoised metrics."""

    def __init__(self, bundle: Bundle, catalog: Catalog, *, cadence: str | None = None) -> None:
        from .metrics import MetricContext

        self.bundle = bundle
        # cadence: the contact schedule chosen for the run (``--cadence``), else None
        self.metrics = MetricContext(bundle, cadence=cadence)
        by_kind: dict[str, list[str]] = {}
        for doc in bundle.documents.values():
            by_kind.setdefault(doc.ref.kind, []).append(doc.ref.id)
        for kind in catalog.evidence_kinds.values():
            table = bundle.table(kind.table) if kind.table else None
            if table is not None and table.n_rows:  # a header row alone is no evidence
                by_kind.setdefault(kind.id, []).append(table.file)
        self.by_kind = by_kind

    def evidence_of(self, kinds: list[str]) -> list[str]:
        """Document ids and table files of the given evidence kinds."""
        return [e for k in kinds for e in self.by_kind.get(k, ())]


def _attestation(req: Requirement, ctx: CheckContext) -> Iterator[Finding]:
    practice = ctx.bundle.practices.get(req.global_id)
    if practice is None:
        return
    evidence = list(practice.evidence)
    if practice.status == "implemented":
        # evidence named in the attestation, else the bundle's evidence of the right kinds
        evidence = evidence or ctx.evidence_of(req.evidence)
        if evidence:
            yield _finding(
                "attested",
                "attestation",
                "met",
                evidence=evidence,
                text={"evidence": _quote(evidence)},
            )
        else:
            yield _finding(
                "attested-without-evidence",
                "attestation",
                "partially-met",
                text={"kinds": _quote(req.evidence) or "(none listed)"},
            )
        return
    status = _PRACTICE_STATUS[practice.status]
    note = f" ({practice.note})" if practice.note and status == "not-applicable" else ""
    yield _finding(
        f"attested-{practice.status}", "attestation", status, evidence=evidence, text={"note": note}
    )


_PRACTICE_STATUS: dict[str, Status] = {
    "partial": "partially-met",
    "planned": "not-met",
    "not-implemented": "not-met",
    "not-applicable": "not-applicable",
}


def _documents(check: DocumentCheck, ctx: CheckContext) -> Iterator[Finding]:
    kinds = check.kinds
    present = {k: ctx.evidence_of([k]) for k in kinds}
    have = [k for k in kinds if present[k]]
    used = [e for k in kinds for e in present[k]]
    if not have:
        return  # no evidence of these kinds: not assessed, which the summary reports
    if check.match == "all" and len(have) < len(kinds):
        missing = [k for k in kinds if not present[k]]
        yield _finding(
            "documents-incomplete",
            "document",
            "partially-met",
            evidence=used,
            text={"present": _quote(have), "missing": _quote(missing)},
        )
        return
    if check.max_age_days is not None:
        stale = _stale(check.max_age_days, have, ctx.bundle)
        if stale is not None:
            yield stale
            return
    # A document shows that a practice may exist, not that it is in place; only a
    # requirement about having the document itself is met by it.
    yield _finding(
        "documents-present" if check.sufficient else "documented-only",
        "document",
        "met" if check.sufficient else "partially-met",
        evidence=used,
        text={"kinds": _quote(have), "evidence": _quote(used)},
    )


def _stale(max_age: int, kinds: list[str], bundle: Bundle) -> Finding | None:
    """A finding when no document of ``kinds`` is recent enough, else ``None``.

    Tables count as current records, so a kind satisfied by a table is never stale.
    """
    docs = bundle.documents_of_kind(kinds)
    if not docs or len({d.ref.kind for d in docs}) < len(kinds):
        return None
    period_end = bundle.period_end
    if any(d.ref.date is not None and (period_end - d.ref.date).days <= max_age for d in docs):
        return None
    undated = [d.ref.id for d in docs if d.ref.date is None]
    if undated:
        return _finding(
            "document-undated",
            "document",
            "partially-met",
            evidence=undated,
            text={"evidence": _quote(undated), "max_age": max_age},
        )
    newest = max(docs, key=lambda d: d.ref.date or date.min)
    return _finding(
        "document-stale",
        "document",
        "partially-met",
        evidence=[newest.ref.id],
        text={
            "evidence": repr(newest.ref.id),
            "doc_date": newest.ref.date,
            "max_age": max_age,
            "period_end": period_end,
        },
    )


# -- metrics ---------------------------------------------------------------------------------


def _metric(check: MetricCheck, ctx: MetricContext) -> Iterator[Finding]:
    result = ctx.result(check.metric, dict(check.params))
    if "threshold" in result.details:  # the metric resolved the program's own threshold
        check = check.model_copy(update={"threshold": float(result.details["threshold"])})
    for finding in _metric_findings(check, ctx, result):
        extra = [result.note] if result.note and result.computable else []
        if check.interpretation:
            extra.append(f"(Our reading: {check.interpretation})")
        yield (
            finding.model_copy(update={"message": " ".join([finding.message, *extra])})
            if extra
            else finding
        )


def _metric_findings(
    check: MetricCheck, ctx: MetricContext, result: MetricResult
) -> Iterator[Finding]:
    spec = METRIC_SPECS[check.metric]
    tables = sorted({c.partition(".")[0] for c in spec.reads})
    evidence = [ctx.bundle.tables[t].file for t in tables if t in ctx.bundle.tables]
    common: dict[str, Any] = {
        "check": check.metric,
        "threshold": check.threshold,
        "operator": check.operator,
        "unit": spec.unit,
        "params": result.params,
        "evidence": evidence,
    }
    title = spec.title.lower()
    party = result.params.get("with")
    if party:  # say who was contacted: a requirement may check each party on its own
        title += f" with the {party}"
    entity = (
        str(result.params.get("role", spec.entity)) if spec.entity == "person" else (spec.entity)
    )
    threshold_text = format_threshold(check)
    if not result.computable:
        yield _finding(
            "metric-no-data",
            status="not-assessed",
            text={
                "title": spec.title + (f" with the {party}" if party else ""),
                "reason": result.note or "no data in scope",
            },
            **common,
        )
        return
    compare = _OPS[check.operator]
    if spec.kind == "rate":
        assert result.value is not None
        ok = compare(result.value, check.threshold)
        code = "metric-met" if ok else "metric-not-met"
        yield _finding(
            code,
            status="met" if ok else "not-met",
            value=result.value,
            scope="program",
            passed=result.numerator,
            total=result.denominator,
            failing=[] if ok and not result.failing else list(result.failing),
            text={
                "title": spec.title,
                "value_text": format_value(result.value, spec.unit),
                "numerator": result.numerator,
                "denominator": result.denominator,
                "threshold_text": threshold_text,
            },
            **common,
        )
        return
    values = result.values
    assert values is not None
    failing = (
        values.filter(~compare(pl.col("value"), check.threshold)).get_column("id").sort().to_list()
    )
    total = values.height
    passed = total - len(failing)
    share = passed / total
    text = {
        "title": title,
        "threshold_text": threshold_text,
        "total": total,
        "entities": plural(entity),
        "passed": passed,
        "failed": len(failing),
        "value_text": format_value(share, "share"),
    }
    status: Status
    if not failing:
        code, status = "metric-all-pass", "met"
    elif passed:
        code, status = "metric-some-fail", "partially-met"
    else:
        code, status = "metric-none-pass", "not-met"
    yield _finding(
        code,
        status=status,
        value=share,
        scope=f"each {entity}",
        passed=passed,
        total=total,
        failing=failing,
        text=text,
        **common,
    )


# -- the primitive ---------------------------------------------------------------------------


def iter_findings(requirement: Requirement, ctx: CheckContext) -> Iterator[Finding]:
    """Yield one finding per check of ``requirement`` that the bundle bears on.

    Checks with no evidence at all yield nothing (the requirement is then not assessed).
    """
    attested = list(_attestation(requirement, ctx))
    yield from attested
    explicit = {k for c in requirement.checks if isinstance(c, DocumentCheck) for k in c.kinds}
    implicit = [k for k in requirement.evidence if k not in explicit]
    # The program's own statement about the requirement outranks documents that merely share
    # an evidence kind with it, so implicit document checks run only without an attestation.
    if implicit and not attested:
        yield from _documents(DocumentCheck(type="document", kinds=implicit), ctx)
    for check in requirement.checks:
        if isinstance(check, DocumentCheck):
            yield from _documents(check, ctx)
        elif isinstance(check, MetricCheck):
            yield from _metric(check, ctx.metrics)
