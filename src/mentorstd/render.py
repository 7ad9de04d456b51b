"""Words for data: how checks, thresholds and statuses read in text output and reports."""

from __future__ import annotations

from ._registry import METRIC_SPECS
from .models import AttestationCheck, Check, DocumentCheck, MetricCheck

__all__ = [
    "BASIS_LABEL",
    "BASIS_MARK",
    "INFERRED_LEGEND",
    "INFERRED_MARK",
    "describe_check",
    "format_indicator",
    "format_threshold",
    "format_value",
]

#: How a basis reads next to a status.
BASIS_LABEL: dict[str, str] = {
    "measured": "measured",
    "attested": "attested",
    "documented": "documented only",
    "crosswalk": "through the crosswalk",
    "none": "no evidence",
}
#: A short marker for tables and terminals (documented-only and crosswalk stand out).
BASIS_MARK: dict[str, str] = {
    "measured": "measured",
    "attested": "attested",
    "documented": "documented*",
    "crosswalk": "crosswalk~",
    "none": "",
}


def format_value(value: float | None, unit: str) -> str:
    """A metric value as people read it: shares as percentages, hours and counts as numbers."""
    if value is None:
        return "n/a"
    if unit == "share":
        return f"{value * 100:.1f}%"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}"


def format_indicator(value: float | None, unit: str) -> str:
    """An indicator's value with its unit: ``79.8%``, ``12.3 months``, ``4.5 hours``, ``43``."""
    if value is None:
        return "n/a"
    if unit == "share":
        return f"{value * 100:.1f}%"
    if unit == "count":
        return str(round(value))
    return f"{value:.1f} {unit}"


def format_threshold(check: MetricCheck) -> str:
    """``>= 90%`` or ``>= 2 hours`` for a metric check."""
    spec = METRIC_SPECS.get(check.metric)
    unit = spec.unit if spec else "share"
    text = format_value(check.threshold, unit)
    if unit in {"hours", "months"}:
        text += f" {unit}"
    return f"{check.operator} {text}"


def describe_check(check: Check) -> list[str]:
    """One or more lines describing a check: the rule, then what it reads."""
    if isinstance(check, AttestationCheck):
        return [f"attestation: {check.description or 'the program attests the practice'}"]
    if isinstance(check, DocumentCheck):
        age = f", not older than {check.max_age_days} days" if check.max_age_days else ""
        joiner = " and " if check.match == "all" else " or "
        line = f"document: {joiner.join(check.kinds)}{age}"
        if check.sufficient:
            line += " (sufficient: the requirement is about having it)"
        return [line] + ([check.description] if check.description else [])
    spec = METRIC_SPECS.get(check.metric)
    params = ", ".join(
        f"{k}={'/'.join(v) if isinstance(v, list) else v}" for k, v in check.params.items()
    )
    scope = ""
    if spec is not None and spec.kind == "per-entity":
        scope = f"each {spec.entity} "
    line = f"metric {check.metric}" + (f" ({params})" if params else "")
    line += f": {scope}{format_threshold(check)}"
    lines = [line]
    if check.description:
        lines.append(check.description)
    if check.interpretation:
        lines.append("our reading: " + check.interpretation)
    if spec is not None:
        lines.append("reads " + ", ".join(spec.reads))
    return lines


#: Marks an id reconstructed from a restatement of the source (``id_basis: inferred``).
INFERRED_MARK = "\u2020"
INFERRED_LEGEND = (
    "\u2020 id inferred from a restatement of the source; it may differ from the source's own "
    "numbering (see the framework's notes)."
)
