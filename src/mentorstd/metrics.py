"""Metrics computed from a bundle's tables, one registered function per metric.

Each function takes a :class:`MetricContext` and its parameters and returns a
:class:`MetricResult`; it works on the tables' polars frames (filters, joins, group-bys).
Rate metrics return a program-wide ``value`` with its numerator, denominator and the ids
counted as failures; per-entity metrics return one value per person or match (``entities``),
which checks compare with their threshold one by one; informational metrics return
``details`` only. Definitions are in :mod:`mentorstd._registry` (and
``mentorstd metrics``); a test proves that both registries hold the same names.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from ._registry import METRIC_SPECS
from .errors import UsageError

if TYPE_CHECKING:
    from .bundle import Bundle
    from .tables import Table

__all__ = [
    "METRICS",
    "MetricContext",
    "MetricResult",
    "add_months",
    "compute",
    "month_index",
]

Params = dict[str, Any]


@dataclass(frozen=True)
class MetricResult:
    """The outcome of one metric on one bundle."""

    metric: str
    params: dict[str, Any]
    value: float | None = None
    numerator: int | None = None
    denominator: int | None = None
    failing: tuple[str, ...] = ()
    values: pl.DataFrame | None = field(default=None, repr=False)  # per entity: id, value
    details: dict[str, Any] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    note: str | None = None

    @property
    def computable(self) -> bool:
        """False when a table was missing or nothing was in scope."""
        if self.missing:
            return False
        if self.values is not None:
            return self.values.height > 0
        if METRIC_SPECS[self.metric].kind == "info":
            return bool(self.details)
        return self.value is not None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for reports (entity values are summarised, not listed)."""
        spec = METRIC_SPECS[self.metric]
        out: dict[str, Any] = {
            "metric": self.metric,
            "params": self.params,
            "kind": spec.kind,
            "unit": spec.unit,
            "value": self.value,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "missing": list(self.missing),
            "note": self.note,
        }
        values = self.values
        out["entities"] = None if values is None else values.height
        out["entity_summary"] = (
            values.select(
                min=pl.col("value").min(),
                median=pl.col("value").median(),
                max=pl.col("value").max(),
            ).row(0, named=True)
            if values is not None and values.height
            else None
        )
        out["details"] = dict(self.details)
        return out

    @property
    def entities(self) -> dict[str, float] | None:
        """Per-entity metrics: each person's or match's value, in the order of ``values``."""
        if self.values is None:
            return None
        return dict(self.values.iter_rows())


# -- month arithmetic ------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """The date ``months`` calendar months after ``day``, its day clamped to the month's length.

    >>> add_months(dt.date(2025, 1, 31), 1)
    datetime.date(2025, 2, 28)
    """
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    following = dt.date(year + (month == 11), (month + 1) % 12 + 1, 1)
    return dt.date(year, month + 1, min(day.day, (following - dt.timedelta(days=1)).day))


def month_index(start: dt.date, day: dt.date) -> int:
    """Whole calendar months from ``start`` to ``day``: the largest k with
    ``add_months(start, k) <= day`` (0 in the first month, negative before the start).

    >>> month_index(dt.date(2025, 1, 15), dt.date(2025, 2, 14))
    0
    """
    k = (day.year - start.year) * 12 + day.month - start.month
    return k if add_months(start, k) <= day else k - 1


def _with_calendar(frame: pl.DataFrame, column: str, prefix: str) -> pl.DataFrame:
    """``frame`` with the calendar of each date of ``column``: its month number
    (``year * 12 + month``), day of the month and the month's length, as ``{prefix}_ym``,
    ``{prefix}_dom`` and ``{prefix}_dim``. Worked out once per distinct date and joined."""
    dates = frame.get_column(column).unique().drop_nulls()
    day = pl.col(column)
    calendar = pl.DataFrame({column: dates}).with_columns(
        (day.dt.year().cast(pl.Int64) * 12 + day.dt.month()).alias(f"{prefix}_ym"),
        day.dt.day().cast(pl.Int64).alias(f"{prefix}_dom"),
        day.dt.month_end().dt.day().cast(pl.Int64).alias(f"{prefix}_dim"),
    )
    return frame.join(calendar, on=column, how="left", maintain_order="left")


def _months(start: str, day: str) -> pl.Expr:
    """:func:`month_index` on frames with the calendars of two dates (see
    :func:`_with_calendar`): the calendar months between them, less one when the day of the
    month of ``day`` falls short of ``start``'s, clamped to the length of ``day``'s month (as
    :func:`add_months` clamps)."""
    short = pl.col(f"{day}_dom") < pl.min_horizontal(f"{start}_dom", f"{day}_dim")
    return pl.col(f"{day}_ym") - pl.col(f"{start}_ym") - short.cast(pl.Int64)


#: The people a staff contact can be with, as the codes of :meth:`MetricContext.contact_counts`.
_PARTIES = {"mentor": 0, "mentee": 1, "parent": 2}
#: Months of a match packed into one key: dates are 1900-2100, so |month| < 2412 < span / 2.
_MONTH_SPAN = 8192


# -- context --------------------------------------------------------------------------------


class MetricContext:
    """A bundle's tables with memoised metric results and shared derived frames."""

    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle
        self.period_end: dt.date = bundle.period_end
        self._results: dict[tuple[str, tuple[tuple[str, Any], ...]], MetricResult] = {}
        self._people: dict[str, pl.DataFrame] = {}
        self._match_months: pl.DataFrame | None = None
        self._contact_counts: pl.DataFrame | None = None

    def table(self, name: str) -> Table | None:
        """A table of the bundle, or ``None``."""
        return self.bundle.table(name)

    def frame(self, name: str) -> pl.DataFrame:
        """The frame of a table the metric's spec reads (its presence is checked first)."""
        table = self.bundle.table(name)
        assert table is not None, name
        return table.frame

    def ended(self) -> pl.Expr:
        """Matches that ended on or before the period's last day."""
        return (pl.col("end_date") <= self.period_end).fill_null(False)

    def people(self, column: str) -> pl.DataFrame:
        """The people of ``matches[column]`` in order of first appearance (``person``), with
        the earliest start of their matches (``first``)."""
        if column not in self._people:
            self._people[column] = (
                self.frame("matches")
                .group_by(column, maintain_order=True)
                .agg(pl.col("start_date").min().alias("first"))
                .rename({column: "person"})
            )
        return self._people[column]

    def match_months(self) -> pl.DataFrame:
        """Per match row: ``row``, ``match_id``, the calendar of its start (see
        :func:`_with_calendar`) and ``judged``, the whole months of the match inside
        [start, min(end, period end)]."""
        if self._match_months is None:
            last = (
                pl.when(pl.col("end_date").is_null() | (pl.col("end_date") > self.period_end))
                .then(pl.lit(self.period_end))
                .otherwise(pl.col("end_date"))
            )
            # month k (k >= 1) is whole when add_months(start, k) <= last day + 1
            matches = (
                self.frame("matches")
                .select("match_id", "start_date", (last + pl.duration(days=1)).alias("after"))
                .with_row_index("row")
            )
            matches = _with_calendar(matches, "start_date", "start")
            matches = _with_calendar(matches, "after", "after")
            self._match_months = matches.select(
                "row", "match_id", "start_ym", "start_dom", judged=_months("start", "after")
            )
        return self._match_months

    def contact_counts(self) -> pl.DataFrame:
        """Staff contacts counted per match ``row``, person contacted (``with``) and ``month``
        of the match (0 for the first): one row per combination that has contacts (``n``),
        sorted by row, person and month."""
        if self._contact_counts is None:
            matches = self.match_months()
            table = self.bundle.table("contacts")
            assert table is not None
            # the loader resolved each contact's match_id to its row of matches
            contacts = _with_calendar(
                table.frame.select("date", "with").with_columns(
                    row=table.referenced_rows["match_id"]
                ),
                "date",
                "day",
            )
            start = matches.select("start_ym", "start_dom")
            contacts = contacts.with_columns(
                start_ym=start["start_ym"].gather(contacts["row"]),
                start_dom=start["start_dom"].gather(contacts["row"]),
            )
            # one integer per (row, person, month); sorted, equal keys are runs to count
            party = pl.col("with").replace_strict(_PARTIES, return_dtype=pl.Int64)
            key = (pl.col("row").cast(pl.Int64) * len(_PARTIES) + party) * _MONTH_SPAN + (
                _months("start", "day") + _MONTH_SPAN // 2
            )
            runs = contacts.select(key.sort().rle().alias("runs")).unnest("runs")
            value = pl.col("value")
            self._contact_counts = runs.select(
                row=value // (_MONTH_SPAN * len(_PARTIES)),
                with_=(value // _MONTH_SPAN) % len(_PARTIES),
                month=value % _MONTH_SPAN - _MONTH_SPAN // 2,
                n=pl.col("len"),
            ).rename({"with_": "with"})
        return self._contact_counts

    def result(self, name: str, params: Params) -> MetricResult:
        """The metric's result, computed once per bundle and parameter set."""
        key = (name, tuple(sorted((k, _hashable(v)) for k, v in params.items())))
        if key not in self._results:
            self._results[key] = compute(self, name, params)
        return self._results[key]


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


# -- registry ------------------------------------------------------------------------------

MetricFunction = Callable[[MetricContext, Params], MetricResult]
METRICS: dict[str, MetricFunction] = {}


def metric(name: str) -> Callable[[MetricFunction], MetricFunction]:
    """Register a metric function under ``name`` (which must have a spec)."""

    def register(func: MetricFunction) -> MetricFunction:
        if name not in METRIC_SPECS:  # pragma: no cover - programming error
            raise KeyError(f"metric {name!r} has no spec in _registry")
        METRICS[name] = func
        return func

    return register


def compute(ctx: MetricContext, name: str, params: Params) -> MetricResult:
    """Compute metric ``name`` with ``params`` (defaults filled in from its spec)."""
    spec = METRIC_SPECS.get(name)
    if spec is None or name not in METRICS:
        raise UsageError(f"unknown metric {name!r}")
    full = {p.name: p.default for p in spec.params if p.default is not None}
    full.update(params)
    for p in spec.params:
        if p.required and p.name not in full:
            raise UsageError(f"metric {name!r} needs parameter {p.name!r}")
    needs = sorted({column.partition(".")[0] for column in spec.reads})
    missing = tuple(t for t in needs if ctx.table(t) is None)
    if missing:
        return MetricResult(
            name, full, missing=missing, note="no " + " or ".join(f"{t} table" for t in missing)
        )
    return METRICS[name](ctx, full)


def _as_list(value: Any) -> list[str]:
    return list(value) if isinstance(value, list) else [value]


def _sorted_ids(ids: pl.Series) -> tuple[str, ...]:
    return tuple(ids.unique().sort().to_list())


def _rate(
    name: str, params: Params, scope: pl.DataFrame, good: pl.Expr, id_column: str, empty: str
) -> MetricResult:
    """The share of ``scope``'s rows where ``good`` holds; the ids of the others fail."""
    total = scope.height
    if total == 0:
        return MetricResult(name, params, numerator=0, denominator=0, note=empty)
    ok = scope.select(good.fill_null(False)).to_series()
    n_good = int(ok.sum())
    return MetricResult(
        name,
        params,
        value=n_good / total,
        numerator=n_good,
        denominator=total,
        failing=_sorted_ids(scope.get_column(id_column).filter(~ok)),
    )


def _entities(ids: pl.Series, values: pl.Series) -> pl.DataFrame:
    return pl.DataFrame({"id": ids, "value": values.cast(pl.Float64)})


# -- rate metrics ----------------------------------------------------------------------------


@metric("pair-completion-rate")
def pair_completion_rate(ctx: MetricContext, params: Params) -> MetricResult:
    """Completed matches over matches that have ended or are past their planned end (with
    ``denominator: all``, over every match: open pairs count as not completed)."""
    matches = ctx.frame("matches")
    overdue = (pl.col("planned_end_date") < ctx.period_end).fill_null(False)
    every = params.get("denominator") == "all"
    scope = matches if every else matches.filter(ctx.ended() | overdue)
    return _rate(
        "pair-completion-rate",
        params,
        scope,
        ctx.ended() & (pl.col("closure_reason") == "completed"),
        "match_id",
        "no match has ended or passed its planned end",
    )


def _survey_rate(
    name: str, ctx: MetricContext, params: Params, column: str, good: pl.Expr
) -> MetricResult:
    role = params["role"]
    scope = ctx.frame("surveys").filter((pl.col("role") == role) & pl.col(column).is_not_null())
    return _rate(
        name, params, scope, good, "respondent_id", f"no {role} survey response answers {column}"
    )


@metric("satisfaction-rate")
def satisfaction_rate(ctx: MetricContext, params: Params) -> MetricResult:
    """Share of a role's survey responses with satisfaction >= min_score."""
    good = pl.col("satisfaction") >= params["min_score"]
    return _survey_rate("satisfaction-rate", ctx, params, "satisfaction", good)


@metric("success-rate")
def success_rate(ctx: MetricContext, params: Params) -> MetricResult:
    """Share of a role's survey responses reporting success (with ``denominator: matched``,
    mentors or mentees in the matches table who gave no answer count as not reporting it)."""
    good = pl.col("reports_success") == "yes"
    result = _survey_rate("success-rate", ctx, params, "reports_success", good)
    role = params["role"]
    if params.get("denominator") != "matched" or role not in ("mentor", "mentee"):
        return result
    matches = ctx.table("matches")
    if matches is None:
        return MetricResult("success-rate", params, missing=("matches",), note="no matches table")
    answered = ctx.frame("surveys").filter(
        (pl.col("role") == role) & pl.col("reports_success").is_not_null()
    )["respondent_id"]
    people = matches[f"{role}_id"]
    silent = people.filter(~people.is_in(answered.implode())).unique()
    total = (result.denominator or 0) + silent.len()
    if total == 0:
        return MetricResult(
            "success-rate",
            params,
            numerator=0,
            denominator=0,
            note=f"no {role} in a match and no {role} survey response",
        )
    good_count = result.numerator or 0
    failing = pl.concat([pl.Series(list(result.failing), dtype=pl.String), silent])
    return MetricResult(
        "success-rate",
        params,
        value=good_count / total,
        numerator=good_count,
        denominator=total,
        failing=_sorted_ids(failing),
    )


@metric("outcome-improvement-rate")
def outcome_improvement_rate(ctx: MetricContext, params: Params) -> MetricResult:
    """Share of outcome records for the measure(s) showing improvement."""
    measures = _as_list(params["measure"])
    scope = ctx.frame("outcomes").filter(
        pl.col("measure").is_in(measures) & pl.col("improved").is_not_null()
    )
    return _rate(
        "outcome-improvement-rate",
        params,
        scope,
        pl.col("improved") == "yes",
        "mentee_id",
        "no outcome record for " + "/".join(sorted(set(measures))),
    )


@metric("planned-end-reached-rate")
def planned_end_reached_rate(ctx: MetricContext, params: Params) -> MetricResult:
    """Share of ended matches (with a planned end) that lasted to their planned end."""
    scope = ctx.frame("matches").filter(pl.col("planned_end_date").is_not_null() & ctx.ended())
    return _rate(
        "planned-end-reached-rate",
        params,
        scope,
        pl.col("end_date") >= pl.col("planned_end_date"),
        "match_id",
        "no ended match has a planned end date",
    )


# -- per-entity metrics ----------------------------------------------------------------------


@metric("pre-match-training-hours")
def pre_match_training_hours(ctx: MetricContext, params: Params) -> MetricResult:
    """Pre-match training hours per person, dated on or before their first match start."""
    role = params["role"]
    people = ctx.people("mentor_id" if role == "mentor" else "mentee_id")
    training = ctx.frame("training").filter(
        (pl.col("role") == role) & (pl.col("phase") == "pre-match")
    )
    hours = (
        training.join(people, left_on="person_id", right_on="person", how="inner")
        .filter(pl.col("date") <= pl.col("first"))
        .group_by("person_id")
        .agg(pl.col("hours").sum())
    )
    out = people.join(
        hours, left_on="person", right_on="person_id", how="left", maintain_order="left"
    )
    return MetricResult(
        "pre-match-training-hours",
        params,
        values=_entities(out["person"], out["hours"].fill_null(0.0)),
    )


def _screened_before_match(ctx: MetricContext, column: str) -> pl.DataFrame:
    """1 per mentor whose screening ``column`` is dated on or before their first match."""
    people = ctx.people("mentor_id")
    out = people.join(
        ctx.frame("screening").select("mentor_id", column),
        left_on="person",
        right_on="mentor_id",
        how="left",
        maintain_order="left",
    )
    done = (pl.col(column) <= pl.col("first")).fill_null(False)
    return _entities(out["person"], out.select(done).to_series())


@metric("interview-before-match")
def interview_before_match(ctx: MetricContext, params: Params) -> MetricResult:
    """1 per mentor interviewed on or before their first match start, else 0."""
    return MetricResult(
        "interview-before-match", params, values=_screened_before_match(ctx, "interview_date")
    )


@metric("background-check-before-match")
def background_check_before_match(ctx: MetricContext, params: Params) -> MetricResult:
    """1 per mentor background-checked on or before their first match start, else 0."""
    return MetricResult(
        "background-check-before-match",
        params,
        values=_screened_before_match(ctx, "background_check_date"),
    )


@metric("references-checked")
def references_checked(ctx: MetricContext, params: Params) -> MetricResult:
    """References checked per matched mentor (0 without a screening record)."""
    people = ctx.people("mentor_id")
    out = people.join(
        ctx.frame("screening").select("mentor_id", "references_checked"),
        left_on="person",
        right_on="mentor_id",
        how="left",
        maintain_order="left",
    )
    return MetricResult(
        "references-checked",
        params,
        values=_entities(out["person"], out["references_checked"].fill_null(0)),
    )


#: Minimum commitment in months when the program declares none, by program model: a school
#: year for school programs (about 9 months of term, September to June in the US, 39 teaching
#: weeks in England), else the one year of EEPM's default (B.2.6).
DEFAULT_COMMITMENT_MONTHS: dict[str, int] = {"school": 9}
DEFAULT_COMMITMENT_OTHER = 12


def program_commitment(bundle: Bundle) -> tuple[int, str]:
    """The minimum commitment a bundle's matches are judged against, and why that one."""
    program = bundle.manifest.program
    if program.commitment_months is not None:
        return program.commitment_months, "declared by the program (program.commitment_months)"
    months = DEFAULT_COMMITMENT_MONTHS.get(program.model, DEFAULT_COMMITMENT_OTHER)
    why = (
        "the school-year default for a school program"
        if program.model == "school"
        else f"the one-year default for a {program.model} program"
    )
    return months, why + "; no program.commitment_months declared"


@metric("planned-commitment-months")
def planned_commitment_months(ctx: MetricContext, params: Params) -> MetricResult:
    """Whole months from start to planned end, per match (0 without a planned end).

    With ``minimum: program`` the check's threshold is replaced by the program's own minimum
    (:func:`program_commitment`), reported in ``details`` and the note.
    """
    details: dict[str, Any] = {}
    note = None
    if params.get("minimum") == "program":
        minimum, why = program_commitment(ctx.bundle)
        details = {"threshold": float(minimum), "minimum_months": minimum, "minimum_basis": why}
        note = f"Minimum commitment used: {minimum} months, {why}."
    matches = ctx.frame("matches").select("match_id", "start_date", "planned_end_date")
    matches = _with_calendar(matches, "start_date", "start")
    matches = _with_calendar(matches, "planned_end_date", "planned")
    months = matches.select(_months("start", "planned").fill_null(0)).to_series()
    return MetricResult(
        "planned-commitment-months",
        params,
        values=_entities(matches["match_id"], months),
        details=details,
        note=note,
    )


@metric("staff-contact-cadence")
def staff_contact_cadence(ctx: MetricContext, params: Params) -> MetricResult:
    """Per match: share of judged months with enough staff contacts with one person."""
    first_min = int(params["first_month_min"])
    later_min = int(params["later_month_min"])
    matches = ctx.match_months()
    counts = ctx.contact_counts().filter(pl.col("with") == _PARTIES[params["with"]])
    judged = matches["judged"].gather(counts["row"])
    # month 0 is met with first_min contacts; a later month inside the judged span with
    # later_min contacts
    month, n = pl.col("month"), pl.col("n")
    met = (
        counts.with_columns(judged=judged)
        .filter(
            ((month == 0) & (n >= first_min))
            | ((month > 0) & (month < pl.col("judged")) & (n >= later_min))
        )
        .select(pl.col("row").rle().alias("runs"))  # rows are sorted: one run per match
        .unnest("runs")
        .rename({"value": "row", "len": "met"})
    )
    scope = (
        matches.filter(pl.col("judged") > 0)
        .join(met, on="row", how="left", maintain_order="left")
        .with_columns(pl.col("met").fill_null(0))
    )
    out = _entities(scope["match_id"], scope["met"] / scope["judged"])
    months_judged = int(scope["judged"].sum())
    details = {
        "months_judged": months_judged,
        "months_short": months_judged - int(scope["met"].sum()),
    }
    return MetricResult(
        "staff-contact-cadence", params, values=out, details=details if out.height else {}
    )


# -- informational -------------------------------------------------------------------------


@metric("match-length")
def match_length(ctx: MetricContext, params: Params) -> MetricResult:
    """Length of ended matches in months (30.44-day months)."""
    days = (
        ctx.frame("matches")
        .filter(ctx.ended())
        .select((pl.col("end_date") - pl.col("start_date")).dt.total_days())
        .to_series()
        .to_list()
    )
    if not days:
        return MetricResult("match-length", params, note="no ended matches")
    lengths = [d / 30.44 for d in days]
    details = {
        "count": len(lengths),
        "mean": round(statistics.fmean(lengths), 2),
        "median": round(statistics.median(lengths), 2),
        "min": round(min(lengths), 2),
        "max": round(max(lengths), 2),
    }
    return MetricResult("match-length", params, value=details["mean"], details=details)


@metric("closure-reasons")
def closure_reasons(ctx: MetricContext, params: Params) -> MetricResult:
    """Ended matches counted by closure reason ('unknown' when blank)."""
    counts = (
        ctx.frame("matches")
        .filter(ctx.ended())
        .group_by(pl.col("closure_reason").fill_null("unknown"))
        .agg(pl.len().alias("n"))
        .sort(["n", "closure_reason"], descending=[True, False])
    )
    if counts.height == 0:
        return MetricResult("closure-reasons", params, note="no ended matches")
    return MetricResult(
        "closure-reasons",
        params,
        denominator=int(counts["n"].sum()),
        details=dict(zip(counts["closure_reason"].to_list(), counts["n"].to_list(), strict=True)),
    )
