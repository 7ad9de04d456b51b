"""Metrics computed from a bundle's tables, one registered function per metric.

Each function takes a :class:`MetricContext` and its parameters and returns a
:class:`MetricResult`. Rate metrics return a program-wide ``value`` with its numerator,
denominator and the ids counted as failures; per-entity metrics return one value per person or
match (``entities``), which checks compare with their threshold one by one; informational
metrics return ``details`` only. Definitions are in :mod:`mentorstd._registry` (and
``mentorstd metrics``); a test proves that both registries hold the same names.
"""

from __future__ import annotations

import itertools
import math
import operator
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ._calendar import MONTH_SPAN, MONTH_ZERO, REACHED, STARTED, add_months, month_index
from ._contacts import ContactCounts, count_columns
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


# -- context --------------------------------------------------------------------------------


class MetricContext:
    """A bundle's tables with memoised metric results and shared derived indexes."""

    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle
        self.period_end = bundle.period_end.toordinal()
        self._results: dict[tuple[str, tuple[tuple[str, Any], ...]], MetricResult] = {}
        self._people: dict[str, tuple[list[str], npt.NDArray[np.int64]]] = {}
        self._person_index: dict[str, dict[str, int]] = {}
        self._contact_counts: ContactCounts | None = None
        self._judged: list[int] | None = None

    def table(self, name: str) -> Table | None:
        """A table of the bundle, or ``None``."""
        return self.bundle.table(name)

    def contact_counts(self) -> ContactCounts:
        """Contacts per person contacted and match-month (see :mod:`mentorstd._contacts`):
        kept by the loader when it summarised the file, else counted from the columns."""
        if self._contact_counts is None:
            contacts, matches = self.bundle.table("contacts"), self.bundle.table("matches")
            if contacts is None or matches is None:
                self._contact_counts = {}
            elif contacts.summary is not None:
                self._contact_counts = contacts.summary
            else:
                self._contact_counts = count_columns(contacts, matches)
        return self._contact_counts

    def judged_months(self) -> list[int]:
        """Per match row: whole months of the match inside [start, min(end, period end)]."""
        if self._judged is None:
            matches = self.bundle.table("matches")
            assert matches is not None
            period_end = self.period_end
            # month k (k >= 1) is whole when add_months(start, k) <= last day + 1
            reached = map(
                REACHED.__getitem__,
                (
                    (period_end if e is None or e > period_end else e) + 1
                    for e in matches["end_date"]
                ),
            )
            self._judged = list(
                map(
                    operator.floordiv,
                    map(operator.sub, reached, map(STARTED.__getitem__, matches["start_date"])),
                    itertools.repeat(32),
                )
            )
        return self._judged

    def people(self, column: str) -> tuple[list[str], npt.NDArray[np.int64]]:
        """The people of ``matches[column]`` in order of first appearance, and the earliest
        start ordinal of their matches."""
        if column not in self._people:
            matches = self.bundle.table("matches")
            people: list[str] = []
            first = np.zeros(0, dtype=np.int64)
            if matches is not None:
                people = list(self.person_index(column))
                first = np.full(len(people), np.iinfo(np.int64).max, dtype=np.int64)
                rows, _ = self.rows_of(column, matches[column])
                np.minimum.at(first, rows, np.array(matches["start_date"], dtype=np.int64))
            self._people[column] = (people, first)
        return self._people[column]

    def person_index(self, column: str) -> dict[str, int]:
        """Position of each person of ``matches[column]`` in :meth:`people`."""
        if column not in self._person_index:
            matches = self.bundle.table("matches")
            people = dict.fromkeys(matches[column]) if matches is not None else {}
            self._person_index[column] = dict(zip(people, range(len(people)), strict=True))
        return self._person_index[column]

    def rows_of(
        self, column: str, ids: list[Any]
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
        """Position in :meth:`people` of each id (-1 for others), and which were found."""
        index = self.person_index(column)
        rows = np.fromiter(map(index.get, ids, itertools.repeat(-1)), np.intp, len(ids))
        return rows, rows >= 0

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
    # sorting first is quick on ids already in order (a file sorted by id)
    return tuple(dict.fromkeys(sorted(ids)))


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
    """Completed matches over matches that have ended or are past their planned end (with
    ``denominator: all``, over every match: open pairs count as not completed)."""
    matches = ctx.table("matches")
    assert matches is not None
    every = params.get("denominator") == "all"
    good, total, failing = 0, 0, []
    for match_id, planned, end, reason in matches.rows(
        "match_id", "planned_end_date", "end_date", "closure_reason"
    ):
        ended = _ended(end, ctx.period_end)
        overdue = planned is not None and planned < ctx.period_end
        if not (ended or overdue or every):
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
    """Share of a role's survey responses reporting success (with ``denominator: matched``,
    mentors or mentees in the matches table who gave no answer count as not reporting it)."""
    result = _survey_rate("success-rate", ctx, params, "reports_success", lambda v: v == "yes")
    role = params["role"]
    if params.get("denominator") != "matched" or role not in ("mentor", "mentee"):
        return result
    surveys, matches = ctx.table("surveys"), ctx.table("matches")
    assert surveys is not None
    if matches is None:
        return MetricResult("success-rate", params, missing=("matches",), note="no matches table")
    answered = {
        person
        for person, r, value in surveys.rows("respondent_id", "role", "reports_success")
        if r == role and value is not None
    }
    silent = sorted(set(matches[f"{role}_id"]) - answered)
    good = result.numerator or 0
    return _rate(
        "success-rate",
        params,
        good,
        (result.denominator or 0) + len(silent),
        [*result.failing, *silent],
        f"no {role} in a match and no {role} survey response",
    )


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
    column = "mentor_id" if role == "mentor" else "mentee_id"
    people, first = ctx.people(column)
    training = ctx.table("training")
    assert training is not None
    if not people:
        return MetricResult("pre-match-training-hours", params, entities={})
    rows, known = ctx.rows_of(column, training["person_id"])
    wanted = (
        known
        & (np.array(training["role"], dtype=object) == role)
        & (np.array(training["phase"], dtype=object) == "pre-match")
    )
    days = np.array(training["date"], dtype=np.int64)
    wanted &= days <= first[np.where(known, rows, 0)]
    hours = np.zeros(len(people), dtype=np.float64)
    # unbuffered, in file order: each person's hours are summed in the order they always were
    np.add.at(hours, rows[wanted], np.array(training["hours"], dtype=np.float64)[wanted])
    return MetricResult(
        "pre-match-training-hours", params, entities=dict(zip(people, hours.tolist(), strict=True))
    )


def _first_screening(ctx: MetricContext, column: str) -> dict[str, float]:
    people, first = ctx.people("mentor_id")
    screening = ctx.table("screening")
    assert screening is not None
    rows, known = ctx.rows_of("mentor_id", screening["mentor_id"])
    dates = screening[column]
    done = np.array([math.inf if d is None else d for d in dates], dtype=np.float64)
    when = np.full(len(people), math.inf)  # never done counts as after any start
    when[rows[known]] = done[known]
    return dict(zip(people, (when <= first).astype(np.float64).tolist(), strict=True))


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
    people, _ = ctx.people("mentor_id")
    screening = ctx.table("screening")
    assert screening is not None
    rows, known = ctx.rows_of("mentor_id", screening["mentor_id"])
    numbers = np.array([float(n or 0) for n in screening["references_checked"]], dtype=np.float64)
    counts = np.zeros(len(people), dtype=np.float64)
    counts[rows[known]] = numbers[known]
    return MetricResult(
        "references-checked", params, entities=dict(zip(people, counts.tolist(), strict=True))
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
    """Whole months from start to planned end, per match.

    With ``minimum: program`` the check's threshold is replaced by the program's own minimum
    (:func:`program_commitment`), reported in ``details`` and the note.
    """
    details: dict[str, Any] = {}
    note = None
    if params.get("minimum") == "program":
        minimum, why = program_commitment(ctx.bundle)
        details = {"threshold": float(minimum), "minimum_months": minimum, "minimum_basis": why}
        note = f"Minimum commitment used: {minimum} months, {why}."
    matches = ctx.table("matches")
    assert matches is not None
    planned = matches["planned_end_date"]
    starts = matches["start_date"]
    has_plan = list(map(operator.is_not, planned, itertools.repeat(None)))
    months = np.zeros(len(planned), dtype=np.float64)
    months[np.array(has_plan, dtype=bool)] = np.fromiter(
        map(
            operator.floordiv,
            map(
                operator.sub,
                map(REACHED.__getitem__, itertools.compress(planned, has_plan)),
                map(STARTED.__getitem__, itertools.compress(starts, has_plan)),
            ),
            itertools.repeat(32),
        ),
        np.float64,
    )
    out = dict(zip(matches["match_id"], months.tolist(), strict=True))
    return MetricResult(
        "planned-commitment-months", params, entities=out, details=details, note=note
    )


@metric("staff-contact-cadence")
def staff_contact_cadence(ctx: MetricContext, params: Params) -> MetricResult:
    """Per match: share of judged months with enough staff contacts with one person."""
    first_min = int(params["first_month_min"])
    later_min = int(params["later_month_min"])
    matches = ctx.table("matches")
    assert matches is not None
    judged = np.array(ctx.judged_months(), dtype=np.int64)
    met = np.zeros(len(judged), dtype=np.int64)
    counts = ctx.contact_counts().get(params["with"])
    if counts is not None:
        keys, numbers = counts
        rows, months = np.divmod(keys, MONTH_SPAN)
        months -= MONTH_ZERO
        # month 0 is met with first_min contacts; a later month inside the judged span
        # with later_min contacts
        met += np.bincount(rows[(months == 0) & (numbers >= first_min)], minlength=len(judged))
        later = (months > 0) & (months < judged[rows]) & (numbers >= later_min)
        met += np.bincount(rows[later], minlength=len(judged))
    scope = judged > 0
    ids = list(itertools.compress(matches["match_id"], scope.tolist()))
    shares = (met[scope] / judged[scope]).tolist()
    out = dict(zip(ids, shares, strict=True))
    months_judged = int(judged[scope].sum())
    details = {
        "months_judged": months_judged,
        "months_short": months_judged - int(met[scope].sum()),
    }
    return MetricResult(
        "staff-contact-cadence", params, entities=out, details=details if out else {}
    )


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
