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
import functools
import statistics
import threading
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

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


_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
#: The span of the shared calendar (the dates a bundle may hold).
_CALENDAR_SPAN = (dt.date(1900, 1, 1), dt.date(2100, 12, 31))


def _calendar_of(first: dt.date, last: dt.date) -> pl.DataFrame:
    """Month number (``year * 12 + month``), day of the month and the month's length of every
    day from ``first`` to ``last``, one row a day."""
    day = pl.col("day")
    return pl.DataFrame({"day": pl.date_range(first, last, eager=True)}).select(
        ym=day.dt.year().cast(pl.Int64) * 12 + day.dt.month(),
        dom=day.dt.day().cast(pl.Int64),
        dim=day.dt.month_end().dt.day().cast(pl.Int64),
    )


@functools.cache
def _shared_calendar() -> pl.DataFrame:
    """:func:`_calendar_of` 1900-2100 (73,415 days), worked out once per process."""
    return _calendar_of(*_CALENDAR_SPAN)


def _with_calendar(frame: pl.DataFrame, column: str, prefix: str) -> pl.DataFrame:
    """``frame`` with the calendar of each date of ``column``: its month number
    (``year * 12 + month``), day of the month and the month's length, as ``{prefix}_ym``,
    ``{prefix}_dom`` and ``{prefix}_dim``.

    Each row takes its day's entry of a dense calendar by position: the shared one of
    1900-2100 (the dates a bundle may hold), else one worked out from the earliest date to
    the latest.
    """
    names = [f"{prefix}_ym", f"{prefix}_dom", f"{prefix}_dim"]
    number = pl.col(column).cast(pl.Int32)
    first, last = frame.select(number.min(), number.max().alias("max")).row(0)
    if first is None:  # no dates at all
        return frame.with_columns(pl.lit(None, dtype=pl.Int64).alias(n) for n in names)
    low, high = (int(d.toordinal() - _EPOCH_ORDINAL) for d in _CALENDAR_SPAN)
    if low <= first and last <= high:
        calendar, base = _shared_calendar(), low
    else:
        epoch = dt.date(1970, 1, 1)
        start, end = (epoch + dt.timedelta(days=n) for n in (first, last))
        calendar, base = _calendar_of(start, end), first
    offset = frame.select((number - base).cast(pl.UInt32)).to_series()
    days = calendar.select("ym", "dom", "dim")[offset]  # one gather of the three columns
    return frame.with_columns(days.rename(dict(zip(days.columns, names, strict=True))))


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
#: Days packed into one key: dates are 1900-2100 (days since 1970 from -25,567 to 47,846).
_DAY_SHIFT = 32768
_DAY_SPAN = 131072


# -- context --------------------------------------------------------------------------------

_T = TypeVar("_T")


class _Memo:
    """Values worked out once each, also when several threads ask for one at the same time
    (the others wait for the first; different values are worked out side by side)."""

    def __init__(self) -> None:
        self._values: dict[Hashable, Any] = {}
        self._locks: dict[Hashable, threading.RLock] = {}
        self._guard = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], _T]) -> _T:
        """The value of ``key``, built by ``build()`` the first time."""
        try:
            return self._values[key]  # type: ignore[no-any-return]
        except KeyError:
            pass
        with self._guard:
            # reentrant: a build asking for its own key recurses (and fails) as it would
            # without the lock, rather than waiting for ever
            lock = self._locks.setdefault(key, threading.RLock())
        with lock:
            if key not in self._values:
                self._values[key] = build()
            return self._values[key]  # type: ignore[no-any-return]


_P = ParamSpec("_P")


def _memoised(
    method: Callable[Concatenate[MetricContext, _P], _T],
) -> Callable[Concatenate[MetricContext, _P], _T]:
    """A method of :class:`MetricContext` worked out once per context and arguments."""

    def once(self: MetricContext, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        key = (method.__name__, *args, *sorted(kwargs.items()))
        return self._memo.get(key, lambda: method(self, *args, **kwargs))

    functools.update_wrapper(once, method)  # its name and documentation
    return once


class MetricContext:
    """A bundle's tables with memoised metric results and shared derived frames.

    Safe to use from several threads at once: each result and frame is worked out once, by
    the first thread to ask for it (see :meth:`prefetch`); one whose work raises is worked
    out again, and raises again, when next asked for.
    """

    def __init__(self, bundle: Bundle, *, cadence: str | None = None) -> None:
        if cadence is not None and cadence not in CADENCE_PROFILES:
            known = ", ".join(CADENCE_PROFILES)
            raise UsageError(f"unknown contact cadence {cadence!r} (known: {known})")
        self.bundle = bundle
        self.period_end: dt.date = bundle.period_end
        #: The contact schedule chosen for the run (``--cadence``), else ``None``: each
        #: staff-contact-cadence check then uses its own parameters.
        self.cadence = cadence
        #: Metric results and the frames derived for them, each worked out once.
        self._memo = _Memo()

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

    @_memoised
    def people(self, column: str) -> pl.DataFrame:
        """The people of ``matches[column]`` in order of first appearance (``person``), with
        the earliest start of their matches (``first``)."""
        return (
            self.frame("matches")
            .group_by(column, maintain_order=True)
            .agg(pl.col("start_date").min().alias("first"))
            .rename({column: "person"})
        )

    @_memoised
    def match_months(self) -> pl.DataFrame:
        """Per match row: ``row``, ``match_id``, the calendar of its start (see
        :func:`_with_calendar`), ``judged``, the whole months of the match inside
        [start, min(end, period end)], and ``observed``, the days of that span."""
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
        return matches.select(
            "row",
            "match_id",
            "start_ym",
            "start_dom",
            judged=_months("start", "after"),
            observed=(pl.col("after") - pl.col("start_date")).dt.total_days(),
        )

    @_memoised
    def contact_runs(self) -> pl.DataFrame:
        """Each distinct staff contact as one integer packing its match row, person (a code of
        :data:`_PARTIES`) and day (``value``, ascending: by row, person and day), and how many
        rows of the table recorded it (``len``).

        A contact entered twice (same match, day and person) is one contact: the cadence rules
        count distinct days, so a double-entered call cannot make up the two contacts of a
        first month.
        """
        table = self.bundle.table("contacts")
        assert table is not None
        # the loader resolved each contact's match_id to its row of matches
        rows = table.referenced_rows["match_id"].cast(pl.Int64)
        # the loader kept only the names of _PARTIES (comparing is faster than replacing)
        party = pl.sum_horizontal(
            (pl.col("with") == name).cast(pl.Int64) * code for name, code in _PARTIES.items()
        )
        day = pl.col("date").cast(pl.Int64) + _DAY_SHIFT  # 1900-2100: 7,201 to 80,614
        key = (pl.col("row") * len(_PARTIES) + party) * _DAY_SPAN + day
        # sorted, a contact entered n times is one run of n equal keys
        return (
            table.frame.lazy()
            .select("date", "with")
            .with_columns(row=rows)
            .select(key.sort().rle().alias("runs"))
            .unnest("runs")
            .collect()
        )

    def duplicate_rows(self) -> int:
        """Rows of the contacts table repeating a contact already recorded (same match, day
        and person)."""
        table = self.bundle.table("contacts")
        assert table is not None
        return table.n_rows - self.contact_runs().height

    def repeated_contacts(self) -> pl.DataFrame:
        """The contacts of :meth:`contact_runs` recorded more than once (``value``) and how
        many times (``len``)."""
        return self.contact_runs().filter(pl.col("len") > 1)

    @_memoised
    def contacts(self) -> pl.DataFrame:
        """Staff contacts once per match ``row``, person (``with``, as a code of
        :data:`_PARTIES`) and ``date``, with the ``start_date`` of their match, sorted by row,
        person and date (see :meth:`contact_runs`)."""
        code = pl.col("value")
        frame = self.contact_runs().select(
            row=code // (_DAY_SPAN * len(_PARTIES)),
            with_=(code // _DAY_SPAN) % len(_PARTIES),
            date=(code % _DAY_SPAN - _DAY_SHIFT).cast(pl.Int32).cast(pl.Date),
        )
        return frame.rename({"with_": "with"}).with_columns(
            start_date=self.frame("matches")
            .get_column("start_date")
            .gather(frame.get_column("row"))
        )

    @_memoised
    def contact_counts(self) -> pl.DataFrame:
        """Staff contacts (distinct days, see :meth:`contact_runs`) counted per match ``row``,
        person contacted (``with``) and ``month`` of the match (0 for the first): one row per
        combination that has contacts (``n``), sorted by row, person and month."""
        matches = self.match_months()
        calendar = _shared_calendar()  # the loader keeps every date within it
        low = _CALENDAR_SPAN[0].toordinal() - _EPOCH_ORDINAL
        code = pl.col("value")
        offset, row = pl.col("offset"), pl.col("row")
        # one integer per (row, person, month); the runs come sorted by row, person and
        # day, and the month never falls as the day grows, so equal keys are already runs
        # to count
        key = (row * len(_PARTIES) + pl.col("with")) * _MONTH_SPAN + (
            _months("start", "day") + _MONTH_SPAN // 2
        )
        value = pl.col("value")
        return (
            self.contact_runs()
            .lazy()
            .select(
                row=code // (_DAY_SPAN * len(_PARTIES)),
                with_=(code // _DAY_SPAN) % len(_PARTIES),
                offset=code % _DAY_SPAN - _DAY_SHIFT - low,
            )
            .rename({"with_": "with"})
            .with_columns(
                *(
                    pl.lit(calendar.get_column(part)).gather(offset).alias(f"day_{part}")
                    for part in ("ym", "dom", "dim")
                ),
                *(
                    pl.lit(matches.get_column(f"start_{part}")).gather(row).alias(f"start_{part}")
                    for part in ("ym", "dom")
                ),
            )
            .select(key.rle().alias("runs"))
            .unnest("runs")
            .select(
                row=value // (_MONTH_SPAN * len(_PARTIES)),
                with_=(value // _MONTH_SPAN) % len(_PARTIES),
                month=value % _MONTH_SPAN - _MONTH_SPAN // 2,
                n=pl.col("len"),
            )
            .rename({"with_": "with"})
            .collect()
        )

    def result(self, name: str, params: Params) -> MetricResult:
        """The metric's result, computed once per bundle and parameter set."""
        # keyed with the defaults filled in, as computed: asked with or without them, the
        # same result (a report asks again with the parameters a result gives)
        full = _with_defaults(name, params)
        key = ("result", name, tuple(sorted((k, _hashable(v)) for k, v in full.items())))
        return self._memo.get(key, lambda: compute(self, name, params))

    def prefetch(self, wanted: Iterable[tuple[str, Params]]) -> None:
        """Work out the results of ``wanted`` (metric names and parameters) ahead of their
        use, the metrics that read contacts on a thread of their own beside the others.

        The contact metrics share the frames derived from the largest table (a bundle of
        100,000 matches holds 2.5 million contacts), while the others work on the matches;
        polars lets go of Python while it computes, so the two groups overlap: an assessment
        of 1,000 to 100,000 matches took 12-18% less time on two CPUs. A metric that fails
        here is left out, to fail where it is asked for (:meth:`result`). When this thread
        is interrupted (Ctrl-C), the other stops after the metric it is on, and is not
        waited for.
        """
        contacts: list[tuple[str, Params]] = []
        others: list[tuple[str, Params]] = []
        for name, params in wanted:
            spec = METRIC_SPECS.get(name)
            reads_contacts = spec is not None and any(
                column.startswith("contacts.") for column in spec.reads
            )
            (contacts if reads_contacts else others).append((name, params))
        if not contacts or not others or self.table("contacts") is None:
            return  # nothing to overlap: each result is worked out when asked for
        stop = threading.Event()
        aside = ThreadPoolExecutor(1, thread_name_prefix="mentorstd-metrics")
        try:
            done = aside.submit(self._results_of, contacts, stop)
            self._results_of(others, stop)
            done.result()  # the contact metrics worked out too
        finally:
            stop.set()
            aside.shutdown(wait=False)

    def _results_of(self, wanted: list[tuple[str, Params]], stop: threading.Event) -> None:
        for name, params in wanted:
            if stop.is_set():
                return
            try:
                self.result(name, params)
            except Exception:  # noqa: S112 - it fails again where its result is asked for
                continue


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
    full = _with_defaults(name, params)
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


def _with_defaults(name: str, params: Params) -> Params:
    """``params`` after the defaults of metric ``name``'s parameters (none for an unknown
    metric)."""
    spec = METRIC_SPECS.get(name)
    full = {p.name: p.default for p in spec.params if p.default is not None} if spec else {}
    full.update(params)
    return full


def _as_list(value: Any) -> list[str]:
    return list(value) if isinstance(value, list) else [value]


def _sorted_ids(ids: pl.Series) -> tuple[str, ...]:
    return tuple(ids.unique().sort().to_list())


def _rate(
    name: str,
    params: Params,
    scope: pl.DataFrame,
    good: pl.Expr,
    id_column: str,
    empty: str,
    *,
    counted_fail: bool = False,
) -> MetricResult:
    """The share of ``scope``'s rows where ``good`` holds; the ids of the others fail. With
    ``counted_fail`` (a rate of something bad, such as early closure) the rows counted are
    the ones whose ids fail."""
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
        failing=_sorted_ids(scope.get_column(id_column).filter(ok if counted_fail else ~ok)),
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


@dataclass(frozen=True)
class CadenceProfile:
    """A named staff-contact schedule: what is due in a match's first weeks, which later months
    are judged one by one, and how often contact is due after them.

    Months are counted from the match start (:func:`month_index`); a period is judged only when
    it lies wholly inside the match's observed span (start to the earlier of its end and the
    period end).
    """

    name: str
    description: str
    #: A first contact due within this many days of the start, replacing month 1's rule.
    first_window_days: int | None
    #: Contacts due in month 1 (without a first window).
    first_month_min: int
    #: Months (counting month 1) judged one by one; ``None``: every month.
    monthly_months: int | None
    #: After those, one period per this many months.
    later_every: int
    #: Contacts due in each later month or period.
    later_min: int


#: The contact schedules ``--cadence`` and the ``profile`` parameter name.
CADENCE_PROFILES: dict[str, CadenceProfile] = {
    "eepm4": CadenceProfile(
        "eepm4",
        "two contacts in month 1, then at least one in every later month, with each person "
        "(EEPM 4th ed., B.5.1 and B.5.3)",
        first_window_days=None,
        first_month_min=2,
        monthly_months=None,
        later_every=1,
        later_min=1,
    ),
    "bbbs": CadenceProfile(
        "bbbs",
        "a first contact within 14 days of the match start, then at least one in each month of "
        "year 1 and in each 3-month period after it, with each person (BBBS match support)",
        first_window_days=14,
        first_month_min=0,
        monthly_months=12,
        later_every=3,
        later_min=1,
    ),
}
#: Months judged one by one when a profile has no limit.
_EVERY_MONTH = 1 << 20


def cadence_profile(ctx: MetricContext, params: Params) -> CadenceProfile:
    """The schedule a cadence metric uses: ``--cadence`` when chosen, else the ``profile``
    parameter, else eepm4 with the check's ``first_month_min`` and ``later_month_min``."""
    name = ctx.cadence or params.get("profile") or "eepm4"
    profile = CADENCE_PROFILES[name]
    if name == "eepm4":
        profile = replace(
            profile,
            first_month_min=int(params.get("first_month_min", profile.first_month_min)),
            later_min=int(params.get("later_month_min", profile.later_min)),
        )
    return profile


def _cadence(ctx: MetricContext, profile: CadenceProfile, party: str) -> pl.DataFrame:
    """Per match row with at least one judged period: ``match_id``, periods judged
    (``slots``) and met (``met``), contacts due (``required``) and made, up to what each
    period needs (``completed``), for the contacts with ``party``."""
    every_party = ctx._memo.get(("cadence", profile), lambda: _compute_cadence(ctx, profile))
    return every_party.filter(pl.col("with") == _PARTIES[party]).drop("with")


def _compute_cadence(ctx: MetricContext, profile: CadenceProfile) -> pl.DataFrame:
    """:func:`_cadence` of every person at once (``with``, a code of :data:`_PARTIES`),
    computed once per context and schedule, in match order."""
    matches = ctx.match_months()
    judged, month, n = pl.col("judged"), pl.col("month"), pl.col("n")
    monthly = profile.monthly_months or _EVERY_MONTH
    every = profile.later_every
    # one key per match row and person: row * 3 + person
    person_key = pl.col("row").cast(pl.Int64) * len(_PARTIES) + pl.col("with")
    counts = (
        ctx.contact_counts()
        .lazy()
        .with_columns(
            judged=pl.lit(matches.get_column("judged")).gather(pl.col("row")),
            key=person_key,
        )
    )
    # periods after the first: months 2..monthly one by one, then blocks of `every` months;
    # a period is judged when its last month is whole
    slot = pl.when(month < monthly).then(month).otherwise(monthly + (month - monthly) // every)
    slot_end = (
        pl.when(slot < monthly).then(slot + 1).otherwise(monthly + (slot - monthly + 1) * every)
    )
    later = counts.filter((month >= 1) & (slot_end <= judged)).with_columns(slot=slot)
    if every > 1 and profile.monthly_months is not None:
        later = later.group_by("key", "slot").agg(n.sum())
    later = later.group_by("key").agg(
        met_later=(n >= profile.later_min).sum().cast(pl.Int64),
        done_later=n.clip(upper_bound=profile.later_min).sum().cast(pl.Int64),
    )
    n_later = (pl.min_horizontal(judged, monthly) - 1).clip(lower_bound=0) + (
        (judged - monthly).clip(lower_bound=0) // every
    )
    if profile.first_window_days is None:
        first_due = profile.first_month_min
        first_judged = judged >= 1
        first = counts.filter(month == 0).select(
            "key",
            met_first=(n >= profile.first_month_min).cast(pl.Int64),
            done_first=n.clip(upper_bound=profile.first_month_min).cast(pl.Int64),
        )
    else:
        first_due = 1
        first_judged = pl.col("observed") > profile.first_window_days
        days = (pl.col("date") - pl.col("start_date")).dt.total_days()
        first = (
            ctx.contacts()
            .lazy()
            .filter((days >= 0) & (days <= profile.first_window_days))
            .select(person_key.alias("key"))
            .unique()
            .with_columns(met_first=pl.lit(1, pl.Int64), done_first=pl.lit(1, pl.Int64))
        )
    # a person's key (row * 3 + person) is its position among every match's three people:
    # what a key has is placed by position, no join needed
    first_rows, later_rows = pl.collect_all([first, later])
    position = pl.int_range(matches.height * len(_PARTIES), eager=True)

    def placed(found: pl.DataFrame, column: str) -> pl.Series:
        """``column`` of ``found`` at its rows' keys, 0 for the keys it has no row for."""
        zeros = pl.zeros(position.len(), pl.Int64, eager=True)
        return zeros.scatter(found.get_column("key"), found.get_column(column)).alias(column)

    people = matches[position // len(_PARTIES)].with_columns(
        (position % len(_PARTIES)).alias("with"),
        *(placed(first_rows, c) for c in ("met_first", "done_first")),
        *(placed(later_rows, c) for c in ("met_later", "done_later")),
    )
    fj = first_judged.cast(pl.Int64)
    return (
        people.lazy()
        .select(
            "with",
            "match_id",
            slots=fj + n_later,
            met=fj * pl.col("met_first") + pl.col("met_later"),
            required=fj * first_due + n_later * profile.later_min,
            completed=fj * pl.col("done_first") + pl.col("done_later"),
        )
        .filter(pl.col("slots") > 0)
        .collect()
    )


def _duplicates_note(ctx: MetricContext) -> str | None:
    duplicates = ctx.duplicate_rows()
    if not duplicates:
        return None
    rows = "row" if duplicates == 1 else "rows"
    return (
        f"{duplicates} contact {rows} repeating a match, day and person already recorded "
        "counted once."
    )


@metric("staff-contact-cadence")
def staff_contact_cadence(ctx: MetricContext, params: Params) -> MetricResult:
    """Per match: share of judged periods (months, or the profile's periods) with enough
    staff contacts with one person."""
    profile = cadence_profile(ctx, params)
    scope = _cadence(ctx, profile, params["with"])
    out = _entities(scope["match_id"], scope["met"] / scope["slots"])
    months_judged = int(scope["slots"].sum())
    details: dict[str, Any] = {
        "months_judged": months_judged,
        "months_short": months_judged - int(scope["met"].sum()),
    }
    notes = []
    if ctx.cadence or "profile" in params:
        details["profile"] = profile.name
        notes.append(f"Contact schedule {profile.name!r}: {profile.description}.")
    duplicates = _duplicates_note(ctx)
    if duplicates:
        notes.append(duplicates)
    return MetricResult(
        "staff-contact-cadence",
        params,
        values=out,
        details=details if out.height else {},
        note=" ".join(notes) or None,
    )


@metric("contact-schedule-completion")
def contact_schedule_completion(ctx: MetricContext, params: Params) -> MetricResult:
    """Share of scheduled staff contacts made, over the persons of ``with`` (default mentor and
    mentee): each judged period of :func:`_cadence` owes its due contacts; contacts beyond
    what a period needs do not make up for another period."""
    profile = cadence_profile(ctx, params)
    parties = _as_list(params.get("with") or ["mentor", "mentee"])
    frames = [_cadence(ctx, profile, party) for party in dict.fromkeys(parties)]
    scope = pl.concat(frames)
    required = int(scope["required"].sum())
    full = {**params, "profile": profile.name, "with": list(dict.fromkeys(parties))}
    if required == 0:
        return MetricResult(
            "contact-schedule-completion",
            full,
            numerator=0,
            denominator=0,
            note="no match has a whole scheduled period inside the period",
        )
    completed = int(scope["completed"].sum())
    short = scope.filter(pl.col("completed") < pl.col("required"))["match_id"]
    return MetricResult(
        "contact-schedule-completion",
        full,
        value=completed / required,
        numerator=completed,
        denominator=required,
        failing=_sorted_ids(short),
        details={"profile": profile.name, "schedule": profile.description},
        note=_duplicates_note(ctx),
    )


@metric("duplicate-contacts")
def duplicate_contacts(ctx: MetricContext, params: Params) -> MetricResult:
    """Contact rows repeating a match, day and person already recorded (counted once by the
    cadence metrics); the matches they belong to."""
    table = ctx.bundle.table("contacts")
    assert table is not None
    extra = ctx.duplicate_rows()
    total = table.n_rows
    if total == 0:
        return MetricResult("duplicate-contacts", params, note="no contact rows")
    failing: tuple[str, ...] = ()
    groups = 0
    if extra:
        repeated = ctx.repeated_contacts()
        groups = repeated.height
        rows = repeated.select(pl.col("value") // (_DAY_SPAN * len(_PARTIES))).to_series()
        failing = _sorted_ids(ctx.frame("matches").get_column("match_id").gather(rows))
    return MetricResult(
        "duplicate-contacts",
        params,
        value=float(extra),
        numerator=extra,
        denominator=total,
        failing=failing,
        details={"rows": total, "duplicate_rows": extra, "repeated_contacts": groups},
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


# -- program indicators: retention, closure, length, rematches, dosage, survival -------------

#: Who ended a match, by closure reason (``tables.CLOSURE_REASONS``). A rematch is the
#: program's decision to pair the young person with someone else; ``other`` and a blank
#: reason do not say who ended it.
CLOSURE_INITIATORS: dict[str, str] = {
    "completed": "planned",
    "mentor-withdrew": "mentor",
    "mentee-withdrew": "mentee",
    "family-withdrew": "family",
    "rematched": "program",
    "program-ended": "program",
    "other": "unknown",
}
INITIATORS = ("mentor", "mentee", "family", "program", "planned", "unknown")
#: Days in a month where lengths are given in months (the average Gregorian month, rounded
#: as :func:`match_length` does).
MONTH_DAYS = 30.44


def _cohort(params: Params) -> pl.Expr:
    """The start cohort of a match: its start year, or year and quarter (``2025-Q1``)."""
    year = pl.col("start_date").dt.year().cast(pl.String)
    if params.get("cohort") == "quarter":
        return pl.format("{}-Q{}", year, pl.col("start_date").dt.quarter())
    return year


def _anniversary(months: int) -> pl.Expr:
    """The day ``months`` calendar months after the start (clamped as :func:`add_months`)."""
    return pl.col("start_date").dt.offset_by(f"{months}mo")


def _closed_before(ctx: MetricContext, day: pl.Expr) -> pl.Expr:
    """Matches that ended, on or before the period end, before ``day``."""
    return ctx.ended() & (pl.col("end_date") < day).fill_null(False)


@metric("retention-rate")
def retention_rate(ctx: MetricContext, params: Params) -> MetricResult:
    """Share of matches still open on their ``months``-month anniversary, over the matches
    whose anniversary falls on or before the period end; per start cohort in ``details``."""
    months = int(params["months"])
    matches = ctx.frame("matches").with_columns(
        cohort=_cohort(params), anniversary=_anniversary(months)
    )
    scope = matches.filter(pl.col("anniversary") <= ctx.period_end)
    lost = _closed_before(ctx, pl.col("anniversary"))
    if matches.height == 0:
        return MetricResult("retention-rate", params, numerator=0, denominator=0, note="no matches")
    if scope.height == 0:
        return MetricResult(
            "retention-rate",
            params,
            numerator=0,
            denominator=0,
            note=f"no match could have reached {months} months by the period end "
            f"({ctx.period_end.isoformat()}): every match started after "
            f"{add_months(ctx.period_end, -months).isoformat()}",
        )
    cohorts = (
        matches.group_by("cohort")
        .agg(
            matches=pl.len(),
            eligible=(pl.col("anniversary") <= ctx.period_end).sum(),
            retained=((pl.col("anniversary") <= ctx.period_end) & ~lost).sum(),
        )
        .sort("cohort")
        .with_columns(
            rate=pl.when(pl.col("eligible") > 0).then(pl.col("retained") / pl.col("eligible"))
        )
    )
    result = _rate(
        "retention-rate", params, scope, ~lost, "match_id", "no match could reach the mark"
    )
    notes = []
    left_out = matches.height - scope.height
    if left_out:
        notes.append(
            f"{left_out} matches started too late to reach {months} months by the period end "
            "and are not counted."
        )
    commitment, why = program_commitment(ctx.bundle)
    if commitment < months:
        notes.append(
            f"The program's minimum commitment is {commitment} months ({why}), shorter than "
            f"{months}: matches that end as planned count as not retained."
        )
    return replace(result, details={"cohorts": cohorts.to_dicts()}, note=" ".join(notes) or None)


def _planned_end(ctx: MetricContext) -> tuple[pl.Expr, str]:
    months, why = program_commitment(ctx.bundle)
    planned = pl.coalesce(pl.col("planned_end_date"), _anniversary(months))
    return planned, f"{months} months after the start ({why})"


@metric("premature-closure-rate")
def premature_closure_rate(ctx: MetricContext, params: Params) -> MetricResult:
    """Share of matches that closed before their planned end, over the matches whose fate is
    known: ended by the period end, or open past their planned end."""
    planned, fallback = _planned_end(ctx)
    matches = ctx.frame("matches").with_columns(planned=planned)
    scope = matches.filter(ctx.ended() | (pl.col("planned") <= ctx.period_end))
    early = _closed_before(ctx, pl.col("planned"))
    result = _rate(
        "premature-closure-rate",
        params,
        scope,
        early,
        "match_id",
        "no match has ended or passed its planned end",
        counted_fail=True,
    )
    no_plan = int(scope["planned_end_date"].null_count())
    if not no_plan:
        return result
    return replace(
        result,
        note=f"{no_plan} matches without a planned_end_date are judged against {fallback}.",
    )


@metric("early-closure-rate")
def early_closure_rate(ctx: MetricContext, params: Params) -> MetricResult:
    """Share of matches that closed within ``months`` months of their start, over the matches
    whose first ``months`` months ended by the period end."""
    months = int(params["months"])
    matches = ctx.frame("matches").with_columns(mark=_anniversary(months))
    scope = matches.filter(pl.col("mark") <= ctx.period_end)
    early = _closed_before(ctx, pl.col("mark"))
    result = _rate(
        "early-closure-rate",
        params,
        scope,
        early,
        "match_id",
        f"no match had {months} months behind it by the period end",
        counted_fail=True,
    )
    if scope.height == 0:
        return result
    closed, closed_early = matches.select(
        ctx.ended().sum().alias("closed"), early.sum().alias("early")
    ).row(0)
    return replace(result, details={"closed": int(closed), "closed_early": int(closed_early)})


@metric("median-match-length")
def median_match_length(ctx: MetricContext, params: Params) -> MetricResult:
    """Median length in months (30.44 days) of closed matches (start to end), or of active
    ones (start to the period end, so far)."""
    which = params["matches"]
    matches = ctx.frame("matches").filter(pl.col("start_date") <= ctx.period_end)
    if which == "closed":
        scope = matches.filter(ctx.ended())
        last = pl.col("end_date")
    else:
        scope = matches.filter(~ctx.ended())
        last = pl.lit(ctx.period_end)
    if scope.height == 0:
        return MetricResult("median-match-length", params, note=f"no {which} matches")
    months = scope.select((last - pl.col("start_date")).dt.total_days() / MONTH_DAYS).to_series()
    values = _entities(scope["match_id"], months)
    median = float(values.select(pl.col("value").median()).item())
    return MetricResult(
        "median-match-length",
        params,
        value=round(median, 2),
        denominator=scope.height,
        values=values,
        details={"count": scope.height, "median": round(median, 2)},
    )


@metric("closure-initiators")
def closure_initiators(ctx: MetricContext, params: Params) -> MetricResult:
    """Ended matches by who ended them (:data:`CLOSURE_INITIATORS`): counts and shares."""
    ended = ctx.frame("matches").filter(ctx.ended())
    if ended.height == 0:
        return MetricResult("closure-initiators", params, note="no ended matches")
    who = pl.col("closure_reason").replace_strict(
        CLOSURE_INITIATORS, default="unknown", return_dtype=pl.String
    )
    counts = dict(ended.group_by(who.alias("who")).agg(pl.len()).iter_rows())
    total = ended.height
    details = {
        name: {"count": int(counts.get(name, 0)), "share": counts.get(name, 0) / total}
        for name in INITIATORS
    }
    return MetricResult("closure-initiators", params, denominator=total, details=details)


@metric("rematches")
def rematches(ctx: MetricContext, params: Params) -> MetricResult:
    """Mentees with more than one match (their ids in ``failing``), over all mentees."""
    matches = ctx.frame("matches")
    per = matches.group_by("mentee_id").agg(pl.len().alias("n"))
    several = per.filter(pl.col("n") > 1)
    mentors = matches.group_by("mentor_id").agg(pl.len().alias("n")).filter(pl.col("n") > 1)
    if per.height == 0:
        return MetricResult("rematches", params, denominator=0, note="no matches")
    return MetricResult(
        "rematches",
        params,
        value=float(several.height),
        numerator=several.height,
        denominator=per.height,
        failing=_sorted_ids(several["mentee_id"]),
        details={
            "mentees": per.height,
            "mentees_rematched": several.height,
            "extra_matches": int((several["n"] - 1).sum()),
            "closed_as_rematched": int(
                matches.select((pl.col("closure_reason") == "rematched").sum()).item() or 0
            ),
            "mentors_with_several_matches": mentors.height,
        },
    )


@metric("meeting-dosage")
def meeting_dosage(ctx: MetricContext, params: Params) -> MetricResult:
    """Per match: hours of mentor-mentee meetings per whole month of the match (the months
    judged by :meth:`MetricContext.match_months`); the program value is hours over all
    those match-months."""
    minimum = float(params["min_hours"])
    matches = ctx.match_months()
    table = ctx.bundle.table("meetings")
    assert table is not None
    meetings = _with_calendar(
        table.frame.select("date", "minutes").with_columns(
            row=table.referenced_rows["match_id"].cast(pl.Int64)
        ),
        "date",
        "day",
    )
    meetings = meetings.with_columns(
        start_ym=matches["start_ym"].gather(meetings["row"]),
        start_dom=matches["start_dom"].gather(meetings["row"]),
        judged=matches["judged"].gather(meetings["row"]),
    )
    month = _months("start", "day")
    monthly = (
        meetings.with_columns(month=month)
        .filter((pl.col("month") >= 0) & (pl.col("month") < pl.col("judged")))
        .group_by("row", "month")
        .agg(hours=pl.col("minutes").sum() / 60)
    )
    per = monthly.group_by("row").agg(
        hours=pl.col("hours").sum(), at_target=(pl.col("hours") >= minimum).sum()
    )
    scope = (
        matches.filter(pl.col("judged") > 0)
        .with_columns(pl.col("row").cast(pl.Int64))
        .join(per, on="row", how="left", maintain_order="left")
        .with_columns(pl.col("hours").fill_null(0.0), pl.col("at_target").fill_null(0))
    )
    if scope.height == 0:
        return MetricResult(
            "meeting-dosage", params, note="no match has a whole month inside the period"
        )
    months = int(scope["judged"].sum())
    hours = float(scope["hours"].sum())
    at_target = int(scope["at_target"].sum())
    values = _entities(scope["match_id"], scope["hours"] / scope["judged"])
    return MetricResult(
        "meeting-dosage",
        params,
        value=hours / months,
        denominator=months,
        values=values,
        failing=_sorted_ids(values.filter(pl.col("value") < minimum)["id"]),
        details={
            "match_months": months,
            "hours": round(hours, 2),
            "months_at_target": at_target,
            "share_months_at_target": at_target / months,
            "min_hours": minimum,
        },
    )


@metric("match-survival")
def match_survival(ctx: MetricContext, params: Params) -> MetricResult:
    """Kaplan-Meier survival of matches (still open) per start cohort, at whole calendar
    months: S(m) estimates the share of matches still open on their m-month anniversary, the
    day :func:`add_months` gives (so S(12) of a fully observed cohort is its 12-month
    retention).

    A match that ended by the period end closed at month k + 1, where k is the number of its
    anniversaries on or before its end date (:func:`month_index`): it was open on the k-th
    and not on the next. A match still open when the records stop is censored at the number
    of anniversaries on or before the period end: it is known open on each of them. At each
    month t, S falls by the factor 1 - closures(t) / open(t), where open(t) counts the
    matches whose time is at least t (a match censored at t counts as open at t). The table
    reads S at m = 0, 1, ... months while a match is still at risk.
    """
    matches = ctx.frame("matches").filter(pl.col("start_date") <= ctx.period_end)
    if matches.height == 0:
        return MetricResult("match-survival", params, note="no match started in the period")
    closed = ctx.ended()
    last = pl.when(closed).then(pl.col("end_date")).otherwise(pl.lit(ctx.period_end))
    frame = matches.with_columns(last=last, event=closed.cast(pl.Int64))
    frame = _with_calendar(_with_calendar(frame, "start_date", "start"), "last", "last")
    times = frame.select(
        cohort=_cohort(params),
        time=_months("start", "last") + pl.col("event"),
        event="event",
    )
    every = pl.concat([times, times.with_columns(cohort=pl.lit("all"))])
    steps = (
        every.group_by("cohort", "time")
        .agg(events=pl.col("event").sum(), n=pl.len())
        .sort("cohort", "time")
        .with_columns(
            total=pl.col("n").sum().over("cohort"),
            before=(pl.col("n").cum_sum() - pl.col("n")).over("cohort"),
        )
        .with_columns(at_risk=pl.col("total") - pl.col("before"))
        .with_columns(
            survival=(1 - pl.col("events") / pl.col("at_risk")).cum_prod().over("cohort"),
            closed=pl.col("events").cum_sum().over("cohort"),
            seen=pl.col("n").cum_sum().over("cohort"),
        )
    )
    longest = steps.group_by("cohort").agg(pl.col("time").max().alias("longest"))
    marks = (
        longest.with_columns(month=pl.int_ranges(0, pl.col("longest") + 1))
        .explode("month")
        .with_columns(t=pl.col("month").cast(pl.Int64))
        .sort("cohort", "t")
    )
    right = steps.select("cohort", "time", "survival", "closed", "seen", "total").with_columns(
        pl.col("time").cast(pl.Int64)
    )
    # S and closures up to the mark (times <= t); matches seen before it (times < t)
    table = (
        marks.join_asof(
            right,
            left_on="t",
            right_on="time",
            by="cohort",
            strategy="backward",
            check_sortedness=False,  # both sides are sorted by cohort and time above
        )
        .join_asof(
            right.select("cohort", "time", before="seen"),
            left_on="t",
            right_on="time",
            by="cohort",
            strategy="backward",
            allow_exact_matches=False,
            check_sortedness=False,
        )
        .join(steps.group_by("cohort").agg(pl.col("total").first().alias("n")), on="cohort")
        .select(
            "cohort",
            "month",
            at_risk=pl.col("n") - pl.col("before").fill_null(0),
            closed=pl.col("closed").fill_null(0),
            survival=pl.col("survival").fill_null(1.0),
        )
        .filter(pl.col("at_risk") > 0)
        .sort("cohort", "month")
    )
    summary = every.group_by("cohort").agg(
        matches=pl.len(), closed=pl.col("event").sum(), censored=(1 - pl.col("event")).sum()
    )
    cohorts = []
    for row in summary.sort(pl.col("cohort") == "all", "cohort").iter_rows(named=True):
        rows = table.filter(pl.col("cohort") == row["cohort"])
        cohorts.append(
            {
                **row,
                "table": [
                    {
                        "month": int(m),
                        "at_risk": int(r),
                        "closed": int(c),
                        "survival": round(float(s), 4),
                    }
                    for m, r, c, s in rows.select(
                        "month", "at_risk", "closed", "survival"
                    ).iter_rows()
                ],
            }
        )
    return MetricResult(
        "match-survival",
        params,
        denominator=matches.height,
        details={"months": "calendar", "cohorts": cohorts},
    )
