"""Metrics computed from a bundle's tables, one registered function per metric.

Each function takes a :class:`MetricContext` and its parameters and returns a
:class:`MetricResult`. Rate metrics return a program-wide ``value`` with its numerator,
denominator and the ids counted as failures; per-entity metrics return one value per person or
match (``entities``), which checks compare with their threshold one by one; informational
metrics return ``details`` only. Definitions are in :mod:`mentorstd._registry` (and
``mentorstd metrics``); a test proves that both registries hold the same names.
"""

from __future__ import annotations

import datetime as dt
import itertools
import operator
import statistics
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ._registry import METRIC_SPECS
from .errors import UsageError

if TYPE_CHECKING:
    from .bundle import Bundle, Table

__all__ = [
    "METRICS",
    "MetricContext",
    "MetricResult",
    "add_months",
    "compute",
    "month_index",
    "month_starts",
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
    entities: dict[str, float] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    note: str | None = None

    @property
    def computable(self) -> bool:
        """False when a table was missing or nothing was in scope."""
        if self.missing:
            return False
        if self.entities is not None:
            return bool(self.entities)
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
        values = list(self.entities.values()) if self.entities is not None else []
        out["entities"] = len(values) if self.entities is not None else None
        out["entity_summary"] = (
            {"min": min(values), "median": statistics.median(values), "max": max(values)}
            if values
            else None
        )
        out["details"] = dict(self.details)
        return out


# -- calendar helpers ----------------------------------------------------------------------


@lru_cache(maxsize=65536)
def add_months(ordinal: int, months: int) -> int:
    """The date ``months`` calendar months after ``ordinal`` (day clamped to month length).

    >>> date.fromordinal(add_months(date(2025, 1, 31).toordinal(), 1))
    datetime.date(2025, 2, 28)
    """
    d = date.fromordinal(ordinal)
    total = d.year * 12 + (d.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    day = min(d.day, _days_in_month(year, month))
    return date(year, month, day).toordinal()


def _days_in_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (date(year, month + 1, 1) - date(year, month, 1)).days


def month_index(start: int, day: int) -> int:
    """How many whole months after ``start`` the ordinal ``day`` falls (0 in month 1).

    >>> s = date(2025, 1, 15).toordinal()
    >>> month_index(s, date(2025, 2, 14).toordinal()), month_index(s, date(2025, 2, 15).toordinal())
    (0, 1)
    """
    a, b = date.fromordinal(start), date.fromordinal(day)
    k = (b.year - a.year) * 12 + (b.month - a.month)
    while k > 0 and add_months(start, k) > day:
        k -= 1
    while add_months(start, k + 1) <= day:
        k += 1
    return k


# -- context --------------------------------------------------------------------------------


class MetricContext:
    """A bundle's tables with memoised metric results and shared derived indexes."""

    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle
        self.period_end = bundle.period_end.toordinal()
        self._results: dict[tuple[str, tuple[tuple[str, Any], ...]], MetricResult] = {}
        self._first_start: dict[str, dict[str, int]] = {}
        self._contact_months: dict[str, tuple[list[int], list[int]]] | None = None

    def table(self, name: str) -> Table | None:
        """A table of the bundle, or ``None``."""
        return self.bundle.table(name)

    def contact_months(self) -> dict[str, tuple[list[int], list[int]]]:
        """Per person contacted: (match row index, month of the match) of every contact.

        Month k of a match starts k calendar months after its start date (day clamped to the
        month's length, as :func:`add_months`); contacts before the start get a negative k.
        Computed once per bundle by C-level ``map`` passes over the columns: no Python loop
        runs per contact.
        """
        if self._contact_months is None:
            out: dict[str, tuple[list[int], list[int]]] = {}
            contacts, matches = self.bundle.table("contacts"), self.bundle.table("matches")
            if contacts is not None and matches is not None and contacts.n_rows:
                row_of = {m: i for i, m in enumerate(matches["match_id"])}
                rows = list(map(row_of.__getitem__, contacts["match_id"]))
                days = contacts["date"]
                starts = list(map(matches["start_date"].__getitem__, rows))
                # two plain min()/max() calls: unpacking millions of values would copy them
                first, last = sorted((min(days), min(starts), max(days), max(starts)))[::3]
                ym, dom, dim = _calendar(first, last)
                # k0: calendar months between the dates; one less when the day falls before
                # the start's day of month, clamped to the length of the day's month
                k0 = map(operator.sub, map(ym.__getitem__, days), map(ym.__getitem__, starts))
                clamp = map(min, map(dom.__getitem__, starts), map(dim.__getitem__, days))
                early = map(operator.lt, map(dom.__getitem__, days), clamp)
                months = list(map(operator.sub, k0, early))
                whos = contacts["with"]
                for who in set(whos):
                    mask = list(map(operator.eq, whos, itertools.repeat(who)))
                    out[who] = (
                        list(itertools.compress(rows, mask)),
                        list(itertools.compress(months, mask)),
                    )
            self._contact_months = out
        return self._contact_months

    def first_match_start(self, column: str) -> dict[str, int]:
        """Earliest match start per person in ``matches[column]`` (mentor_id or mentee_id)."""
        if column not in self._first_start:
            matches = self.bundle.table("matches")
            first: dict[str, int] = {}
            if matches is not None:
                for person, start in matches.rows(column, "start_date"):
                    if person not in first or start < first[person]:
                        first[person] = start
            self._first_start[column] = first
        return self._first_start[column]

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


def _as_set(value: Any) -> set[str]:
    return set(value) if isinstance(value, list) else {value}


def _sorted_ids(ids: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(ids)))


def _rate(
    name: str, params: Params, good: int, total: int, failing: Iterable[str], empty_note: str
) -> MetricResult:
    if total == 0:
        return MetricResult(name, params, numerator=0, denominator=0, note=empty_note)
    return MetricResult(
        name,
        params,
        value=good / total,
        numerator=good,
        denominator=total,
        failing=_sorted_ids(failing),
    )


def _ended(end: int | None, period_end: int) -> bool:
    return end is not None and end <= period_end


# -- rate metrics ----------------------------------------------------------------------------


@metric("pair-completion-rate")
def pair_completion_rate(ctx: MetricContext, params: Params) -> MetricResult:
    """Completed matches over matches that have ended or are past their planned end."""
    matches = ctx.table("matches")
    assert matches is not None
    good, total, failing = 0, 0, []
    for match_id, planned, end, reason in matches.rows(
        "match_id", "planned_end_date", "end_date", "closure_reason"
    ):
        ended = _ended(end, ctx.period_end)
        overdue = planned is not None and planned < ctx.period_end
        if not (ended or overdue):
            continue
        total += 1
        if ended and reason == "completed":
            good += 1
        else:
            failing.append(match_id)
    return _rate(
        "pair-completion-rate",
        params,
        good,
        total,
        failing,
        "no match has ended or passed its planned end",
    )


def _survey_rate(
    name: str, ctx: MetricContext, params: Params, column: str, ok: Callable[[Any], bool]
) -> MetricResult:
    surveys = ctx.table("surveys")
    assert surveys is not None
    role = params["role"]
    good, total, failing = 0, 0, []
    for respondent, r, value in surveys.rows("respondent_id", "role", column):
        if r != role or value is None:
            continue
        total += 1
        if ok(value):
            good += 1
        else:
            failing.append(respondent)
    return _rate(name, params, good, total, failing, f"no {role} survey response answers {column}")


@metric("satisfaction-rate")
def satisfaction_rate(ctx: MetricContext, params: Params) -> MetricResult:
    """Share of a role's survey responses with satisfaction >= min_score."""
    floor = params["min_score"]
    return _survey_rate("satisfaction-rate", ctx, params, "satisfaction", lambda v: v >= floor)


@metric("success-rate")
def success_rate(ctx: MetricContext, params: Params) -> MetricResult:
    """Share of a role's survey responses reporting success."""
    return _survey_rate("success-rate", ctx, params, "reports_success", lambda v: v == "yes")


@metric("outcome-improvement-rate")
def outcome_improvement_rate(ctx: MetricContext, params: Params) -> MetricResult:
    """Share of outcome records for the measure(s) showing improvement."""
    outcomes = ctx.table("outcomes")
    assert outcomes is not None
    measures = _as_set(params["measure"])
    good, total, failing = 0, 0, []
    for mentee, measure, improved in outcomes.rows("mentee_id", "measure", "improved"):
        if measure not in measures or improved is None:
            continue
        total += 1
        if improved == "yes":
            good += 1
        else:
            failing.append(mentee)
    return _rate(
        "outcome-improvement-rate",
        params,
        good,
        total,
        failing,
        "no outcome record for " + "/".join(sorted(measures)),
    )


@metric("planned-end-reached-rate")
def planned_end_reached_rate(ctx: MetricContext, params: Params) -> MetricResult:
    """Share of ended matches (with a planned end) that lasted to their planned end."""
    matches = ctx.table("matches")
    assert matches is not None
    good, total, failing = 0, 0, []
    for match_id, planned, end in matches.rows("match_id", "planned_end_date", "end_date"):
        if planned is None or not _ended(end, ctx.period_end):
            continue
        total += 1
        if end >= planned:
            good += 1
        else:
            failing.append(match_id)
    return _rate(
        "planned-end-reached-rate",
        params,
        good,
        total,
        failing,
        "no ended match has a planned end date",
    )


# -- per-entity metrics ----------------------------------------------------------------------


@metric("pre-match-training-hours")
def pre_match_training_hours(ctx: MetricContext, params: Params) -> MetricResult:
    """Pre-match training hours per person, dated on or before their first match start."""
    role = params["role"]
    first = ctx.first_match_start("mentor_id" if role == "mentor" else "mentee_id")
    hours: dict[str, float] = dict.fromkeys(first, 0.0)
    training = ctx.table("training")
    assert training is not None
    for person, r, day, h, phase in training.rows("person_id", "role", "date", "hours", "phase"):
        if r != role or phase != "pre-match":
            continue
        start = first.get(person)
        if start is not None and day <= start:
            hours[person] += h
    return MetricResult("pre-match-training-hours", params, entities=hours)


def _first_screening(ctx: MetricContext, column: str) -> dict[str, float]:
    first = ctx.first_match_start("mentor_id")
    screening = ctx.table("screening")
    assert screening is not None
    done = {m: d for m, d in screening.rows("mentor_id", column) if d is not None}
    return {m: 1.0 if m in done and done[m] <= start else 0.0 for m, start in first.items()}


@metric("interview-before-match")
def interview_before_match(ctx: MetricContext, params: Params) -> MetricResult:
    """1 per mentor interviewed on or before their first match start, else 0."""
    return MetricResult(
        "interview-before-match", params, entities=_first_screening(ctx, "interview_date")
    )


@metric("background-check-before-match")
def background_check_before_match(ctx: MetricContext, params: Params) -> MetricResult:
    """1 per mentor background-checked on or before their first match start, else 0."""
    return MetricResult(
        "background-check-before-match",
        params,
        entities=_first_screening(ctx, "background_check_date"),
    )


@metric("references-checked")
def references_checked(ctx: MetricContext, params: Params) -> MetricResult:
    """References checked per matched mentor (0 without a screening record)."""
    first = ctx.first_match_start("mentor_id")
    screening = ctx.table("screening")
    assert screening is not None
    refs = {m: float(n or 0) for m, n in screening.rows("mentor_id", "references_checked")}
    return MetricResult("references-checked", params, entities={m: refs.get(m, 0.0) for m in first})


@metric("planned-commitment-months")
def planned_commitment_months(ctx: MetricContext, params: Params) -> MetricResult:
    """Whole months from start to planned end, per match."""
    matches = ctx.table("matches")
    assert matches is not None
    out: dict[str, float] = {}
    for match_id, start, planned in matches.rows("match_id", "start_date", "planned_end_date"):
        out[match_id] = 0.0 if planned is None else float(month_index(start, planned))
    return MetricResult("planned-commitment-months", params, entities=out)


@metric("staff-contact-cadence")
def staff_contact_cadence(ctx: MetricContext, params: Params) -> MetricResult:
    """Per match: share of judged months with enough staff contacts with one person."""
    first_min = int(params["first_month_min"])
    later_min = int(params["later_month_min"])
    matches = ctx.table("matches")
    assert matches is not None
    period_end = ctx.period_end
    # judged[i]: whole months of match row i inside [start, min(end, period end)]
    judged = [
        bisect_right(month_starts(start, w_end), w_end + 1) - 1
        for start, w_end in zip(
            matches["start_date"],
            (period_end if e is None or e > period_end else e for e in matches["end_date"]),
            strict=True,
        )
    ]
    rows, months = ctx.contact_months().get(params["with"], ([], []))
    # Month 0: contacts per match. Later months: per match, months with enough contacts.
    in_first = Counter(itertools.compress(rows, map(operator.eq, months, itertools.repeat(0))))
    later = map(
        operator.and_,
        map(operator.lt, itertools.repeat(0), months),
        map(operator.lt, months, map(judged.__getitem__, rows)),
    )
    keys = itertools.compress(
        map(operator.add, map(operator.mul, rows, itertools.repeat(4096)), months), later
    )
    if later_min <= 1:
        month_keys: Iterable[int] = set(keys)
    else:
        month_keys = [key for key, n in Counter(keys).items() if n >= later_min]
    later_met = Counter(map(operator.floordiv, month_keys, itertools.repeat(4096)))
    out: dict[str, float] = {}
    short_months = 0
    for i, (match_id, n_months) in enumerate(zip(matches["match_id"], judged, strict=True)):
        if n_months <= 0:
            continue
        met = later_met[i] + (in_first[i] >= first_min)
        out[match_id] = met / n_months
        short_months += n_months - met
    details = {"months_judged": sum(n for n in judged if n > 0), "months_short": short_months}
    return MetricResult(
        "staff-contact-cadence", params, entities=out, details=details if out else {}
    )


def _calendar(first: int, last: int) -> tuple[dict[int, int], dict[int, int], dict[int, int]]:
    """For every ordinal in [first, last]: year*12+month, day of month, days in that month."""
    ym, dom, dim = {}, {}, {}
    day = dt.date.fromordinal(first)
    for ordinal in range(first, last + 1):
        ym[ordinal] = day.year * 12 + day.month - 1
        dom[ordinal] = day.day
        dim[ordinal] = _days_in_month(day.year, day.month)
        day += _ONE_DAY
    return ym, dom, dim


_ONE_DAY = dt.timedelta(days=1)


_MONTH_STARTS: dict[int, list[int]] = {}


def month_starts(start: int, until: int) -> list[int]:
    """Ordinals of ``start`` plus 0, 1, 2 ... calendar months, reaching past ``until``.

    Cached per start date: a program has at most a few thousand distinct start dates.
    """
    bounds = _MONTH_STARTS.get(start)
    if bounds is None:
        bounds = _MONTH_STARTS.setdefault(start, [start])
    while bounds[-1] <= until + 1:
        bounds.append(add_months(start, len(bounds)))
    return bounds


# -- informational -------------------------------------------------------------------------


@metric("match-length")
def match_length(ctx: MetricContext, params: Params) -> MetricResult:
    """Length of ended matches in months (30.44-day months)."""
    matches = ctx.table("matches")
    assert matches is not None
    lengths = [
        (end - start) / 30.44
        for start, end in matches.rows("start_date", "end_date")
        if _ended(end, ctx.period_end)
    ]
    if not lengths:
        return MetricResult("match-length", params, note="no ended matches")
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
    matches = ctx.table("matches")
    assert matches is not None
    counts = Counter(
        reason or "unknown"
        for end, reason in matches.rows("end_date", "closure_reason")
        if _ended(end, ctx.period_end)
    )
    if not counts:
        return MetricResult("closure-reasons", params, note="no ended matches")
    return MetricResult(
        "closure-reasons",
        params,
        denominator=sum(counts.values()),
        details=dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
    )
