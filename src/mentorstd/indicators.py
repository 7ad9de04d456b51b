"""Program indicators: retention, closure, length, contact completion and dosage, with the
published figures they can be read against.

The indicators are data (``standards/indicators.yaml``, schema ``indicators``): each names a
metric of :mod:`mentorstd.metrics` and its parameters, a definition, and benchmarks with their
source and year. :func:`compute_indicators` computes them for a bundle into the ``indicators``
section of a report. They describe the program; they never change a requirement's status.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from . import schemas
from ._registry import METRIC_SPECS
from ._resources import standards_dir
from ._validate import build_model
from ._yaml import load_yaml
from .errors import StandardsError

if TYPE_CHECKING:
    from .metrics import MetricContext, MetricResult

__all__ = [
    "SUMMARY_INDICATORS",
    "Benchmark",
    "Indicator",
    "IndicatorDefinition",
    "IndicatorsFile",
    "IndicatorsSection",
    "compute_indicators",
    "indicator_metrics",
    "load_indicators",
]

#: Indicators written as columns of a batch's summary.csv (``indicator-<id>``), in order.
SUMMARY_INDICATORS = (
    "retention-12m",
    "premature-closure",
    "early-closure-3m",
    "median-length-closed",
    "median-length-active",
    "contacts-completed",
    "meeting-dosage",
    "rematched-mentees",
    "duplicate-contacts",
)
#: Said at the top of the section in every format.
APART = (
    "Program indicators describe the program's matches and support; they are not framework "
    "requirements and do not change any status above. Benchmarks are published figures to "
    "read them against, each with its source and year."
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BenchmarkRef(_Model):
    """A published figure an indicator can be read against."""

    source: str = Field(description="Who published it, and where (paraphrased title).")
    year: int | None = Field(default=None, description="Year of publication, when known.")
    figure: str = Field(description="The figure, in our words.")
    value: float | None = Field(
        default=None, description="The figure as a number (shares as 0-1, hours, months)."
    )
    kind: Literal["goal", "reference"] = Field(
        description="goal: a target programs set themselves; reference: a figure observed in "
        "research, to compare with."
    )
    operator: Literal[">=", "<="] | None = Field(
        default=None, description="For a goal: how the indicator must compare with the value."
    )
    applies_to: list[str] = Field(
        default_factory=list,
        description="Program models it applies to (empty: every model).",
    )
    url: str | None = Field(default=None, description="Where to read it.")
    note: str | None = Field(default=None, description="How to read it.")


class IndicatorDefinition(_Model):
    """One indicator of ``indicators.yaml``."""

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", description="Kebab-case id.")
    title: str = Field(description="Title.")
    metric: str = Field(description="The metric computing it (see `mentorstd metrics`).")
    params: dict[str, Any] = Field(default_factory=dict, description="Metric parameters.")
    unit: Literal["share", "months", "hours", "count"] = Field(
        default="share", description="Unit of the value."
    )
    better: Literal["higher", "lower"] | None = Field(
        default=None, description="Which direction is better, when one is."
    )
    ids_are: str | None = Field(default=None, description="What the listed ids are.")
    definition: str = Field(description="How it is computed, in words.")
    benchmarks: list[BenchmarkRef] = Field(default_factory=list, description="Benchmarks.")


class IndicatorsFile(_Model):
    """``standards/indicators.yaml``: the indicators every report shows."""

    indicators_version: Literal[1] = Field(description="Format version (1).")
    indicators: list[IndicatorDefinition] = Field(description="The indicators, in report order.")


schemas.register("indicators", "mentorstd.indicators", "IndicatorsFile")


class Benchmark(BenchmarkRef):
    """A benchmark with how the program's value reads against it."""

    comparison: str | None = Field(
        default=None,
        description="For a goal: 'meets' or 'short of'; for a reference: 'above', 'below' or "
        "'equal to'; null without a value.",
    )


class Share(_Model):
    """One part of an indicator: a cohort, or an initiator."""

    key: str = Field(description="Start cohort or category.")
    value: float | None = Field(description="Its value.")
    numerator: int | None = Field(default=None, description="Counted.")
    denominator: int | None = Field(default=None, description="Out of.")


class Indicator(_Model):
    """One indicator computed for a bundle."""

    id: str = Field(description="Indicator id.")
    title: str = Field(description="Title.")
    metric: str = Field(description="Metric that computed it.")
    params: dict[str, Any] = Field(default_factory=dict, description="Its parameters.")
    value: float | None = Field(description="The value (null when it cannot be computed).")
    unit: str = Field(description="share, months, hours or count.")
    numerator: int | None = Field(default=None, description="Counted (for rates).")
    denominator: int | None = Field(default=None, description="Out of: the n it rests on.")
    definition: str = Field(description="How it is computed.")
    better: str | None = Field(default=None, description="higher or lower, when one is.")
    note: str | None = Field(default=None, description="What to know about this value.")
    missing: list[str] = Field(default_factory=list, description="Tables it needs but lacks.")
    ids_are: str | None = Field(default=None, description="What the listed ids are.")
    ids: list[str] = Field(default_factory=list, description="Ids of the matches or mentees.")
    breakdown: list[Share] = Field(default_factory=list, description="Per cohort or category.")
    benchmarks: list[Benchmark] = Field(default_factory=list, description="Benchmarks.")


class IndicatorWarning(_Model):
    """Something in the data the reader should check."""

    code: str = Field(description="Kebab-case code.")
    message: str = Field(description="One sentence.")
    count: int = Field(description="Rows concerned.")
    ids: list[str] = Field(default_factory=list, description="Matches concerned.")


class SurvivalPoint(_Model):
    """The survival estimate at one whole month."""

    month: int = Field(description="Calendar months since the start (the m-th anniversary).")
    at_risk: int = Field(description="Matches still observed, open, at that time.")
    closed: int = Field(description="Closures up to that time.")
    survival: float = Field(description="Kaplan-Meier estimate of the share still open.")


class SurvivalCohort(_Model):
    """The survival table of one start cohort."""

    cohort: str = Field(description="Start year ('all' for every match).")
    matches: int = Field(description="Matches in the cohort.")
    closed: int = Field(description="Closed by the period end (events).")
    censored: int = Field(description="Open at the period end (censored).")
    table: list[SurvivalPoint] = Field(description="One row per whole month.")


class Survival(_Model):
    """Time to closure per start cohort (Kaplan-Meier)."""

    method: str = Field(description="How the table was computed.")
    months: Literal["calendar"] = Field(
        "calendar",
        description="Month m is the m-th anniversary of a match's start (calendar months, as "
        "the retention indicator counts them).",
    )
    cohorts: list[SurvivalCohort] = Field(description="Per start year, then all matches.")


class IndicatorsSection(_Model):
    """The ``indicators`` section of a report."""

    about: str = Field(description="What the section is, and is not.")
    cadence: str = Field(description="Contact schedule used (eepm4 or bbbs).")
    indicators: list[Indicator] = Field(description="In the order of indicators.yaml.")
    warnings: list[IndicatorWarning] = Field(
        default_factory=list, description="Data to check (duplicate contact rows)."
    )
    survival: Survival | None = Field(
        default=None, description="Time to closure per start cohort; null without matches."
    )

    def get(self, indicator_id: str) -> Indicator:
        """The indicator with this id."""
        for item in self.indicators:
            if item.id == indicator_id:
                return item
        raise KeyError(indicator_id)


@cache
def load_indicators() -> IndicatorsFile:
    """The shipped indicator definitions (``standards/indicators.yaml``), validated."""
    path = standards_dir() / "indicators.yaml"
    doc = load_yaml(path, display="standards/indicators.yaml", error=StandardsError)
    built, problems = build_model(IndicatorsFile, doc, "indicators.schema.json")
    if built is None:
        raise StandardsError(problems)
    for number, item in enumerate(built.indicators):
        spec = METRIC_SPECS.get(item.metric)
        if spec is None:
            raise StandardsError(
                doc.problem(["indicators", number, "metric"], f"unknown metric {item.metric!r}")
            )
        for name in item.params:
            if spec.param(name) is None:
                raise StandardsError(
                    doc.problem(
                        ["indicators", number, "params", name],
                        f"metric {item.metric!r} has no parameter {name!r}",
                    )
                )
    return built


def _compare(value: float | None, bench: BenchmarkRef) -> str | None:
    if value is None or bench.value is None:
        return None
    if bench.kind == "goal":
        ok = value >= bench.value if bench.operator != "<=" else value <= bench.value
        return "meets" if ok else "short of"
    if abs(value - bench.value) < 1e-9:
        return "equal to"
    return "above" if value > bench.value else "below"


def _breakdown(item: IndicatorDefinition, result: MetricResult) -> list[Share]:
    if item.metric == "retention-rate":
        return [
            Share(
                key=c["cohort"],
                value=c["rate"],
                numerator=int(c["retained"]),
                denominator=int(c["eligible"]),
            )
            for c in result.details.get("cohorts", [])
        ]
    if item.metric == "closure-initiators" and result.details:
        total = result.denominator
        return [
            Share(key=k, value=v["share"], numerator=v["count"], denominator=total)
            for k, v in result.details.items()
        ]
    return []


def _value(item: IndicatorDefinition, result: MetricResult) -> float | None:
    if item.metric == "closure-initiators":
        mentor = result.details.get("mentor")
        return None if mentor is None else float(mentor["share"])
    if not result.computable:
        return None
    return result.value


def _params(item: IndicatorDefinition, ctx: MetricContext) -> dict[str, Any]:
    params = dict(item.params)
    if item.metric == "contact-schedule-completion":
        params.setdefault("profile", ctx.cadence or "eepm4")
    return params


def indicator_metrics(ctx: MetricContext) -> list[tuple[str, dict[str, Any]]]:
    """The metrics (names and parameters) that :func:`compute_indicators` asks ``ctx`` for."""
    wanted = [(item.metric, _params(item, ctx)) for item in load_indicators().indicators]
    if ctx.table("matches") is not None:
        wanted.append(("match-survival", {}))
    return wanted


def _indicator(item: IndicatorDefinition, ctx: MetricContext, model: str) -> Indicator:
    result = ctx.result(item.metric, _params(item, ctx))
    value = _value(item, result)
    numerator, denominator = result.numerator, result.denominator
    if item.metric in {"median-match-length", "meeting-dosage"}:
        numerator = None
    benchmarks = [
        Benchmark(**bench.model_dump(), comparison=_compare(value, bench))
        for bench in item.benchmarks
        if not bench.applies_to or model in bench.applies_to
    ]
    return Indicator(
        id=item.id,
        title=item.title,
        metric=item.metric,
        params=result.params,
        value=value,
        unit=item.unit,
        numerator=numerator,
        denominator=denominator,
        definition=item.definition,
        better=item.better,
        note=result.note,
        missing=list(result.missing),
        ids_are=item.ids_are if result.failing else None,
        ids=list(result.failing),
        breakdown=_breakdown(item, result),
        benchmarks=benchmarks,
    )


def compute_indicators(ctx: MetricContext) -> IndicatorsSection:
    """The indicators section for the bundle of ``ctx`` (with its ``--cadence`` choice).

    Examples
    --------
    >>> import mentorstd
    >>> from mentorstd.metrics import MetricContext
    >>> bundle = mentorstd.load_bundle("examples/bundles/riverside")  # doctest: +SKIP
    >>> compute_indicators(MetricContext(bundle)).get("retention-12m").value  # doctest: +SKIP
    0.797...
    """
    model = ctx.bundle.manifest.program.model
    indicators = [_indicator(item, ctx, model) for item in load_indicators().indicators]
    warnings = []
    duplicates = next((i for i in indicators if i.metric == "duplicate-contacts"), None)
    if duplicates is not None and duplicates.numerator:
        n = duplicates.numerator
        warnings.append(
            IndicatorWarning(
                code="duplicate-contacts",
                message=f"{n} contact row{'s' * (n != 1)} repeat a match, day and person "
                f"already recorded, in {len(duplicates.ids)} matches; the cadence checks and "
                "indicators count each such contact once. Check the contact log for "
                "double entries.",
                count=n,
                ids=duplicates.ids,
            )
        )
    survival = None
    if ctx.table("matches") is not None:
        result = ctx.result("match-survival", {})
        if result.details:
            survival = Survival(
                method=METRIC_SPECS["match-survival"].definition,
                months=result.details["months"],
                cohorts=[SurvivalCohort(**c) for c in result.details["cohorts"]],
            )
    return IndicatorsSection(
        about=APART,
        cadence=ctx.cadence or "eepm4",
        indicators=indicators,
        warnings=warnings,
        survival=survival,
    )
