"""Metrics on a small hand-built bundle; every expected number is derived by hand below."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import mentorstd
from mentorstd.metrics import MetricContext, month_index

from .conftest import EXAMPLES, BundleFactory

# Period 2025-01-01 .. 2025-12-31.
MATCHES = [
    # M1 ended on its planned end, completed; 11 months from start to planned end
    {
        "match_id": "M1",
        "mentor_id": "A1",
        "mentee_id": "Y1",
        "start_date": "2025-01-10",
        "planned_end_date": "2025-12-10",
        "end_date": "2025-12-10",
        "closure_reason": "completed",
    },
    # M2 ended early (mentor withdrew); 12 planned months
    {
        "match_id": "M2",
        "mentor_id": "A2",
        "mentee_id": "Y2",
        "start_date": "2025-02-01",
        "planned_end_date": "2026-02-01",
        "end_date": "2025-06-15",
        "closure_reason": "mentor-withdrew",
    },
    # M3 is past its planned end but still open: counted, not completed; 6 planned months
    {
        "match_id": "M3",
        "mentor_id": "A3",
        "mentee_id": "Y3",
        "start_date": "2025-03-01",
        "planned_end_date": "2025-09-01",
    },
    # M4 is active before its planned end: not counted for completion; A1's second match
    {
        "match_id": "M4",
        "mentor_id": "A1",
        "mentee_id": "Y4",
        "start_date": "2025-06-01",
        "planned_end_date": "2026-06-01",
    },
]
TRAINING = [
    {"person_id": "A1", "role": "mentor", "date": "2025-01-05", "hours": 1.5, "phase": "pre-match"},
    {"person_id": "A1", "role": "mentor", "date": "2025-01-09", "hours": 1, "phase": "pre-match"},
    {"person_id": "A1", "role": "mentor", "date": "2025-03-01", "hours": 3, "phase": "ongoing"},
    {"person_id": "A2", "role": "mentor", "date": "2025-01-20", "hours": 2, "phase": "pre-match"},
    {"person_id": "A3", "role": "mentor", "date": "2025-02-20", "hours": 1, "phase": "pre-match"},
    # after A3's match start (2025-03-01): does not count
    {"person_id": "A3", "role": "mentor", "date": "2025-03-05", "hours": 2, "phase": "pre-match"},
]
SCREENING = [
    {
        "mentor_id": "A1",
        "application_date": "2024-12-01",
        "interview_date": "2025-01-02",
        "background_check_date": "2025-01-03",
        "references_checked": 2,
    },
    # background check after the match start (2025-02-01)
    {
        "mentor_id": "A2",
        "application_date": "2025-01-01",
        "interview_date": "2025-01-15",
        "background_check_date": "2025-02-10",
        "references_checked": 3,
    },
    # never interviewed, one reference
    {
        "mentor_id": "A3",
        "application_date": "2025-01-01",
        "background_check_date": "2025-02-01",
        "references_checked": 1,
    },
]


def _contacts() -> list[dict[str, Any]]:
    rows = [
        {"match_id": "M1", "date": "2025-01-12", "with": "mentor"},
        {"match_id": "M1", "date": "2025-01-25", "with": "mentor"},
    ]
    # one contact on the 15th of Feb..Nov: every later month of M1 (Feb 10 - Dec 9) has one
    rows += [{"match_id": "M1", "date": f"2025-{m:02d}-15", "with": "mentor"} for m in range(2, 12)]
    # M2: a single contact in month 1 (needs 2), then one each in Mar, Apr, May: 3 of 4 months
    rows += [
        {"match_id": "M2", "date": d, "with": "mentor"}
        for d in ("2025-02-03", "2025-03-05", "2025-04-05", "2025-05-05")
    ]
    # M3: no mentor contact at all, only a mentee contact (ignored for with=mentor)
    rows += [{"match_id": "M3", "date": "2025-03-02", "with": "mentee"}]
    # M4: two in June, then one on the 10th of Jul..Dec: all 7 months met
    rows += [{"match_id": "M4", "date": d, "with": "mentor"} for d in ("2025-06-02", "2025-06-20")]
    rows += [{"match_id": "M4", "date": f"2025-{m:02d}-10", "with": "mentor"} for m in range(7, 13)]
    return rows


SURVEYS = [
    {
        "respondent_id": "Y1",
        "role": "mentee",
        "date": "2025-12-01",
        "satisfaction": 5,
        "reports_success": "yes",
    },
    {
        "respondent_id": "Y2",
        "role": "mentee",
        "date": "2025-06-01",
        "satisfaction": 4,
        "reports_success": "yes",
    },
    {
        "respondent_id": "Y3",
        "role": "mentee",
        "date": "2025-09-01",
        "satisfaction": 3,
        "reports_success": "no",
    },
    {"respondent_id": "Y4", "role": "mentee", "date": "2025-12-01", "satisfaction": 2},
    {"respondent_id": "A1", "role": "mentor", "date": "2025-12-01", "satisfaction": 4},
    {"respondent_id": "A2", "role": "mentor", "date": "2025-06-01", "satisfaction": 4},
    {"respondent_id": "A3", "role": "mentor", "date": "2025-09-01", "satisfaction": 5},
]
OUTCOMES = [
    {"mentee_id": "Y1", "measure": "attendance", "improved": "yes"},
    {"mentee_id": "Y1", "measure": "attitude", "improved": "yes"},
    {"mentee_id": "Y2", "measure": "attendance", "improved": "no"},
    {"mentee_id": "Y3", "measure": "attainment", "improved": "yes"},
    {"mentee_id": "Y4", "measure": "attendance"},
]


@pytest.fixture
def ctx(make_bundle: BundleFactory, catalog: mentorstd.Catalog) -> MetricContext:
    path = make_bundle(
        tables={
            "matches": MATCHES,
            "training": TRAINING,
            "screening": SCREENING,
            "contacts": _contacts(),
            "surveys": SURVEYS,
            "outcomes": OUTCOMES,
        }
    )
    return MetricContext(mentorstd.load_bundle(path, catalog=catalog))


def test_pair_completion_rate(ctx: MetricContext) -> None:
    r = ctx.result("pair-completion-rate", {})
    assert (r.numerator, r.denominator) == (1, 3)
    assert r.value == pytest.approx(1 / 3)
    assert r.failing == ("M2", "M3")


def test_planned_end_reached_rate(ctx: MetricContext) -> None:
    r = ctx.result("planned-end-reached-rate", {})
    assert (r.numerator, r.denominator, r.failing) == (1, 2, ("M2",))


def test_planned_commitment_months(ctx: MetricContext) -> None:
    r = ctx.result("planned-commitment-months", {})
    assert r.entities == {"M1": 11, "M2": 12, "M3": 6, "M4": 12}


def test_pre_match_training_hours_count_only_training_on_or_before_the_first_match(
    ctx: MetricContext,
) -> None:
    r = ctx.result("pre-match-training-hours", {"role": "mentor"})
    assert r.entities == {"A1": 2.5, "A2": 2.0, "A3": 1.0}


def test_screening_before_match(ctx: MetricContext) -> None:
    assert ctx.result("interview-before-match", {}).entities == {"A1": 1, "A2": 1, "A3": 0}
    assert ctx.result("background-check-before-match", {}).entities == {"A1": 1, "A2": 0, "A3": 1}
    assert ctx.result("references-checked", {}).entities == {"A1": 2, "A2": 3, "A3": 1}


def test_staff_contact_cadence_per_match(ctx: MetricContext) -> None:
    r = ctx.result(
        "staff-contact-cadence", {"with": "mentor", "first_month_min": 2, "later_month_min": 1}
    )
    # judged months: M1 11 (to Dec 9), M2 4 (Feb-May), M3 10 (Mar-Dec), M4 7 (Jun-Dec)
    assert r.entities == {"M1": 1.0, "M2": 0.75, "M3": 0.0, "M4": 1.0}
    assert r.details == {"months_judged": 32, "months_short": 11}


@pytest.mark.parametrize("person", ["mentor", "mentee", "parent"])
def test_staff_contact_cadence_lists_matches_in_their_order(
    person: str, catalog: mentorstd.Catalog
) -> None:
    """The per-match values keep the matches' order, run after run (a join of polars'
    streaming engine keeps no order unless asked)."""
    bundle = mentorstd.load_bundle(EXAMPLES / "northbridge", catalog=catalog)
    order = {m: i for i, m in enumerate(bundle.table("matches")["match_id"].to_list())}
    params = {"with": person, "profile": "eepm4"}
    runs = [MetricContext(bundle).result("staff-contact-cadence", params) for _ in range(3)]
    ids = runs[0].values["id"].to_list()
    assert len(ids) > 10
    assert ids == sorted(ids, key=order.__getitem__)
    assert all(r.values.equals(runs[0].values) for r in runs)


def test_survey_rates(ctx: MetricContext) -> None:
    mentee = ctx.result("satisfaction-rate", {"role": "mentee"})
    assert (mentee.numerator, mentee.denominator, mentee.failing) == (2, 4, ("Y3", "Y4"))
    mentor = ctx.result("satisfaction-rate", {"role": "mentor"})
    assert (mentor.value, mentor.failing) == (1.0, ())
    success = ctx.result("success-rate", {"role": "mentee"})
    assert (success.numerator, success.denominator, success.failing) == (2, 3, ("Y3",))
    strict = ctx.result("satisfaction-rate", {"role": "mentor", "min_score": 5})
    assert (strict.numerator, strict.denominator) == (1, 3)
    assert ctx.result("satisfaction-rate", {"role": "parent"}).computable is False


def test_outcome_rates(ctx: MetricContext) -> None:
    one = ctx.result("outcome-improvement-rate", {"measure": "attendance"})
    assert (one.numerator, one.denominator, one.failing) == (1, 2, ("Y2",))
    two = ctx.result("outcome-improvement-rate", {"measure": ["attendance", "attitude"]})
    assert (two.numerator, two.denominator) == (2, 3)


def test_informational_metrics(ctx: MetricContext) -> None:
    length = ctx.result("match-length", {})
    # M1: 334 days, M2: 134 days; months of 30.44 days
    assert length.details["count"] == 2
    assert length.details["max"] == round(334 / 30.44, 2)
    assert length.details["min"] == round(134 / 30.44, 2)
    reasons = ctx.result("closure-reasons", {})
    assert reasons.details == {"completed": 1, "mentor-withdrew": 1}


def test_a_missing_table_makes_a_metric_not_computable(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    path = make_bundle(tables={"matches": MATCHES})
    r = MetricContext(mentorstd.load_bundle(path, catalog=catalog)).result(
        "pre-match-training-hours", {"role": "mentor"}
    )
    assert r.missing == ("training",) and not r.computable


def test_month_index_clamps_at_month_ends() -> None:
    from datetime import date

    jan31 = date(2025, 1, 31)
    assert month_index(jan31, date(2025, 2, 27)) == 0
    assert month_index(jan31, date(2025, 2, 28)) == 1
    assert month_index(jan31, date(2025, 3, 30)) == 1
    assert month_index(jan31, date(2025, 3, 31)) == 2
    assert month_index(jan31, date(2025, 1, 30)) == -1


def test_row_order_never_changes_results(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog, tmp_path: Path
) -> None:
    tables = {
        "matches": MATCHES,
        "training": TRAINING,
        "screening": SCREENING,
        "contacts": _contacts(),
        "surveys": SURVEYS,
        "outcomes": OUTCOMES,
    }
    a = mentorstd.load_bundle(make_bundle(tables=tables), catalog=catalog)
    b = mentorstd.load_bundle(
        make_bundle(tables={k: v[::-1] for k, v in tables.items()}), catalog=catalog
    )
    for fid in catalog.frameworks:
        ra = mentorstd.assess(a, fid, catalog)
        rb = mentorstd.assess(b, fid, catalog)
        assert ra.flatten() == rb.flatten()
        assert [r.findings for r in ra.results] == [r.findings for r in rb.results]


# -- metrics worked out side by side (MetricContext.prefetch) ---------------------------------


def _wanted(catalog: mentorstd.Catalog, ctx: MetricContext) -> list[tuple[str, dict[str, Any]]]:
    """What :func:`mentorstd.assess` prefetches for eepm."""
    from mentorstd.assessment import _metrics_asked

    return _metrics_asked(catalog.framework("eepm"), ctx)


def test_prefetch_works_out_each_result_once_contacts_on_a_thread_of_their_own(
    catalog: mentorstd.Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from mentorstd import metrics

    bundle = mentorstd.load_bundle(EXAMPLES / "riverside", catalog=catalog)
    calls: list[tuple[str, str]] = []
    real = metrics.compute

    def counted(ctx: MetricContext, name: str, params: dict[str, Any]) -> Any:
        calls.append((name, threading.current_thread().name))
        return real(ctx, name, params)

    monkeypatch.setattr(metrics, "compute", counted)
    ctx = MetricContext(bundle)
    wanted = _wanted(catalog, ctx)
    ctx.prefetch(wanted)
    computed = len(calls)
    results = [ctx.result(name, params) for name, params in wanted]
    assert len(calls) == computed  # every result was ready: none worked out again
    aside = {name for name, thread in calls if thread.startswith("mentorstd-metrics")}
    assert aside == {"staff-contact-cadence", "contact-schedule-completion", "duplicate-contacts"}
    assert all(thread == "MainThread" for name, thread in calls if name not in aside)
    # each worked out once: as many calls as distinct (name, params)
    assert computed == len({(n, repr(sorted(p.items()))) for n, p in wanted})
    monkeypatch.setattr(metrics, "compute", real)
    alone = MetricContext(bundle)
    for (name, params), found in zip(wanted, results, strict=True):
        expected = alone.result(name, params)
        assert found.to_dict() == expected.to_dict(), name
        assert found.failing == expected.failing
        if expected.values is not None:
            assert found.values is not None and found.values.equals(expected.values)


def test_a_metric_failing_in_prefetch_fails_where_it_is_asked_for(
    catalog: mentorstd.Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mentorstd import metrics

    def broken(ctx: MetricContext, params: dict[str, Any]) -> Any:
        raise RuntimeError("broken metric")

    monkeypatch.setitem(metrics.METRICS, "duplicate-contacts", broken)
    ctx = MetricContext(mentorstd.load_bundle(EXAMPLES / "riverside", catalog=catalog))
    wanted = _wanted(catalog, ctx)
    assert ("duplicate-contacts", {}) in wanted
    ctx.prefetch(wanted)  # the others are worked out; this one is not kept
    assert ctx.result("staff-contact-cadence", {"with": "mentor"}).computable
    with pytest.raises(RuntimeError, match="broken metric"):
        ctx.result("duplicate-contacts", {})


def test_reports_are_the_same_with_metrics_worked_out_side_by_side_or_in_turn(
    catalog: mentorstd.Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import date

    runs = [
        {"cadence": cadence, "use_crosswalk": crosswalk}
        for cadence in (None, "bbbs")
        for crosswalk in (True, False)
    ]
    for name in ("riverside", "northbridge"):
        bundle = mentorstd.load_bundle(EXAMPLES / name, catalog=catalog)

        def reports(bundle: mentorstd.Bundle) -> list[str]:
            return [
                mentorstd.assess(bundle, f, catalog, as_of=date(2026, 1, 31), **run).to_json()
                for f in ("eepm", "ima")
                for run in runs
            ]

        side_by_side = reports(bundle)
        with monkeypatch.context() as patch:  # each metric worked out where it is asked for
            patch.setattr(MetricContext, "prefetch", lambda self, wanted: None)
            in_turn = reports(bundle)
        assert side_by_side == in_turn, name


def test_an_interrupted_prefetch_neither_waits_for_the_contact_metrics_nor_lets_them_go_on(
    catalog: mentorstd.Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from mentorstd import metrics

    started, release, finished = threading.Event(), threading.Event(), threading.Event()
    asked: list[str] = []
    real = dict(metrics.METRICS)

    def slow(ctx: MetricContext, params: dict[str, Any]) -> Any:  # the first contact metric
        asked.append("slow")
        started.set()
        release.wait(30)
        finished.set()
        return real["staff-contact-cadence"](ctx, params)

    def interrupted(ctx: MetricContext, params: dict[str, Any]) -> Any:
        started.wait(30)  # the contact thread is busy
        raise KeyboardInterrupt

    def later(ctx: MetricContext, params: dict[str, Any]) -> Any:
        asked.append("later")
        return real["duplicate-contacts"](ctx, params)

    monkeypatch.setitem(metrics.METRICS, "staff-contact-cadence", slow)
    monkeypatch.setitem(metrics.METRICS, "duplicate-contacts", later)
    monkeypatch.setitem(metrics.METRICS, "interview-before-match", interrupted)
    ctx = MetricContext(mentorstd.load_bundle(EXAMPLES / "riverside", catalog=catalog))
    try:
        with pytest.raises(KeyboardInterrupt):
            ctx.prefetch(_wanted(catalog, ctx))
        assert not finished.is_set()  # not waited for
    finally:
        release.set()
    assert finished.wait(30)
    for thread in threading.enumerate():
        if thread.name.startswith("mentorstd-metrics"):
            thread.join(30)
    assert asked == ["slow"]  # the contact thread stopped after the metric it was on


def test_memo_builds_a_value_once_when_threads_ask_at_once() -> None:
    import threading
    import time

    from mentorstd.metrics import _Memo

    memo = _Memo()
    builds: list[int] = []

    def build() -> list[int]:
        builds.append(1)
        time.sleep(0.05)  # the other threads ask meanwhile
        return builds

    got: list[list[int]] = []
    threads = [threading.Thread(target=lambda: got.append(memo.get("k", build))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert builds == [1] and len(got) == 4 and all(g is builds for g in got)


def test_an_assessment_works_out_each_metric_once(
    catalog: mentorstd.Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mentorstd import metrics

    bundle = mentorstd.load_bundle(EXAMPLES / "riverside", catalog=catalog)
    real = metrics.compute
    for fid in ("uk_school", "eepm", "npss"):
        calls: list[tuple[str, str]] = []

        def counted(
            ctx: MetricContext, name: str, params: dict[str, Any], calls: list[Any] = calls
        ) -> Any:
            found = real(ctx, name, params)
            calls.append((name, repr(sorted(found.params.items()))))
            return found

        monkeypatch.setattr(metrics, "compute", counted)
        mentorstd.assess(bundle, fid, catalog)
        # asked with or without the defaults (the metrics section asks with them): once
        assert len(calls) == len(set(calls)), fid
