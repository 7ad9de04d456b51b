"""Program indicators: each metric on small hand-made tables (expected numbers derived by hand
in the comments), then the indicators of the shipped examples against values computed here
from their CSV files with the csv module."""

from __future__ import annotations

import csv
import datetime as dt
import json
import statistics
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

import mentorstd
from mentorstd._validate import schema_problems
from mentorstd._yaml import load_yaml
from mentorstd.indicators import SUMMARY_INDICATORS, compute_indicators, load_indicators
from mentorstd.metrics import CLOSURE_INITIATORS, METRICS, MetricContext

from .conftest import EXAMPLES, ROOT, BundleFactory

DAY = dt.date(2026, 11, 23)

# Period 2024-01-01 .. 2025-12-31, a community program: minimum commitment 12 months.
MATCHES = [
    # A: completed just after its planned end; 371 days (2024 is a leap year)
    {
        "match_id": "A",
        "mentor_id": "T1",
        "mentee_id": "Y1",
        "start_date": "2024-01-15",
        "planned_end_date": "2025-01-15",
        "end_date": "2025-01-20",
        "closure_reason": "completed",
    },
    # B: the mentor withdrew after 38 days (within 3 months, before the planned end)
    {
        "match_id": "B",
        "mentor_id": "T2",
        "mentee_id": "Y2",
        "start_date": "2024-02-01",
        "planned_end_date": "2025-02-01",
        "end_date": "2024-03-10",
        "closure_reason": "mentor-withdrew",
    },
    # C: open; 640 days to the period end
    {
        "match_id": "C",
        "mentor_id": "T3",
        "mentee_id": "Y3",
        "start_date": "2024-03-31",
        "planned_end_date": "2025-03-31",
    },
    # D: Y1's second match, no planned end (start + 12 months = 2025-06-01); the family
    # withdrew after 273 days
    {
        "match_id": "D",
        "mentor_id": "T4",
        "mentee_id": "Y1",
        "start_date": "2024-06-01",
        "end_date": "2025-03-01",
        "closure_reason": "family-withdrew",
    },
    # E: rematched after 45 days (within 3 months)
    {
        "match_id": "E",
        "mentor_id": "T5",
        "mentee_id": "Y5",
        "start_date": "2025-03-01",
        "planned_end_date": "2026-03-01",
        "end_date": "2025-04-15",
        "closure_reason": "rematched",
    },
    # F: open, started 77 days before the period end
    {
        "match_id": "F",
        "mentor_id": "T6",
        "mentee_id": "Y6",
        "start_date": "2025-10-15",
        "planned_end_date": "2026-10-15",
    },
    # G: a 6-month match completed on its planned end (184 days)
    {
        "match_id": "G",
        "mentor_id": "T7",
        "mentee_id": "Y7",
        "start_date": "2024-05-10",
        "planned_end_date": "2024-11-10",
        "end_date": "2024-11-10",
        "closure_reason": "completed",
    },
    # H: ends after the period end, so open when the records stop (548 days)
    {
        "match_id": "H",
        "mentor_id": "T8",
        "mentee_id": "Y8",
        "start_date": "2024-07-01",
        "planned_end_date": "2025-07-01",
        "end_date": "2026-02-01",
        "closure_reason": "completed",
    },
]
PERIOD = ("2024-01-01", "2025-12-31")


@pytest.fixture
def ctx(make_bundle: BundleFactory, catalog: mentorstd.Catalog) -> MetricContext:
    path = make_bundle(tables={"matches": MATCHES}, period=PERIOD)
    return MetricContext(mentorstd.load_bundle(path, catalog=catalog))


def test_retention_counts_only_matches_that_could_reach_12_months(ctx: MetricContext) -> None:
    # anniversaries on or before 2025-12-31: A B C D G H (E 2026-03-01, F 2026-10-15 are not)
    # retained: A (ended 2025-01-20 >= 2025-01-15), C (open), H (open at the period end);
    # lost: B, D (2025-03-01 < 2025-06-01), G (6 months)
    r = ctx.result("retention-rate", {})
    assert (r.numerator, r.denominator, r.value) == (3, 6, 0.5)
    assert r.failing == ("B", "D", "G")
    cohorts = {c["cohort"]: c for c in r.details["cohorts"]}
    assert (cohorts["2024"]["eligible"], cohorts["2024"]["retained"]) == (6, 3)
    assert (cohorts["2025"]["matches"], cohorts["2025"]["eligible"]) == (2, 0)
    assert cohorts["2025"]["rate"] is None
    assert r.note is not None and "2 matches started too late" in r.note


def test_retention_says_so_when_no_match_could_reach_12_months(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    path = make_bundle(tables={"matches": MATCHES[4:6]}, period=PERIOD)  # E and F only
    r = MetricContext(mentorstd.load_bundle(path, catalog=catalog)).result("retention-rate", {})
    assert r.value is None and r.denominator == 0
    assert r.note is not None and "no match could have reached 12 months" in r.note
    assert "2024-12-31" in r.note  # every match started after 2025-12-31 minus 12 months


def test_premature_closure_uses_the_planned_end_or_the_commitment(ctx: MetricContext) -> None:
    # known fate: ended A B D E G, open past the planned end C H (F is neither) = 7
    # before the planned end: B, D (2025-03-01 < start + 12 months), E = 3
    r = ctx.result("premature-closure-rate", {})
    assert (r.numerator, r.denominator) == (3, 7)
    assert r.failing == ("B", "D", "E")
    assert r.note is not None and "1 matches without a planned_end_date" in r.note


def test_early_closure_within_three_months(ctx: MetricContext) -> None:
    # first 3 months ended by 2025-12-31: every match but F (2026-01-15) = 7;
    # closed before start + 3 months: B (2024-03-10 < 2024-05-01), E (2025-04-15 < 2025-06-01)
    r = ctx.result("early-closure-rate", {})
    assert (r.numerator, r.denominator) == (2, 7)
    assert r.failing == ("B", "E")
    assert r.details == {"closed": 5, "closed_early": 2}


def test_median_length_of_closed_and_of_active_matches(ctx: MetricContext) -> None:
    # closed: 38 (B), 45 (E), 184 (G), 273 (D), 371 (A) days -> median 184 days
    closed = ctx.result("median-match-length", {"matches": "closed"})
    assert closed.value == round(184 / 30.44, 2)
    assert closed.denominator == 5
    # active at 2025-12-31: F 77, H 548, C 640 days -> median 548 days
    active = ctx.result("median-match-length", {"matches": "active"})
    assert active.value == round(548 / 30.44, 2)
    assert active.entities == pytest.approx({"C": 640 / 30.44, "F": 77 / 30.44, "H": 548 / 30.44})


def test_closure_initiators_map_every_reason(ctx: MetricContext) -> None:
    # every closure reason of the table engine has an initiator
    from mentorstd.tables import CLOSURE_REASONS

    assert set(CLOSURE_INITIATORS) == set(CLOSURE_REASONS)
    # ended: A, G completed (planned); B mentor; D family; E rematched (program)
    r = ctx.result("closure-initiators", {})
    counts = {k: v["count"] for k, v in r.details.items()}
    assert counts == {
        "mentor": 1,
        "mentee": 0,
        "family": 1,
        "program": 1,
        "planned": 2,
        "unknown": 0,
    }
    assert r.details["planned"]["share"] == 2 / 5


def test_rematches_count_mentees_with_more_than_one_match(ctx: MetricContext) -> None:
    # Y1 has A and D; 7 distinct mentees
    r = ctx.result("rematches", {})
    assert (r.numerator, r.denominator, r.failing) == (1, 7, ("Y1",))
    assert r.details["closed_as_rematched"] == 1


def test_survival_is_kaplan_meier_with_censoring_at_the_period_end(ctx: MetricContext) -> None:
    r = ctx.result("match-survival", {})
    cohorts = {c["cohort"]: c for c in r.details["cohorts"]}
    # times in calendar months (anniversaries on or before the end, + 1 for a closure);
    # 2024: B closed 2024-03-10 after 1 anniversary -> 2; G 2024-11-10, its 6th -> 7;
    # D 2025-03-01, its 9th -> 10; A 2025-01-20, after its 12th (01-15) -> 13;
    # H (open, 17 anniversaries to 2025-12-31) and C (21: 2024-03-31 + 21 = 2025-12-31) censored
    # S: 5/6 at 2, x 4/5 = 2/3 at 7, x 3/4 = 1/2 at 10, x 2/3 = 1/3 at 13
    y2024 = {p["month"]: p for p in cohorts["2024"]["table"]}
    assert (cohorts["2024"]["closed"], cohorts["2024"]["censored"]) == (4, 2)
    assert y2024[1]["survival"] == 1.0
    assert y2024[2]["survival"] == round(5 / 6, 4)
    assert y2024[6]["survival"] == round(5 / 6, 4)
    assert y2024[7]["survival"] == round(2 / 3, 4)
    assert y2024[10]["survival"] == 0.5
    # month 12 is the 12-month retention of this fully observed cohort (3 of 6, see above)
    assert y2024[12]["survival"] == 0.5
    assert y2024[13]["survival"] == round(1 / 3, 4)
    assert (y2024[13]["at_risk"], y2024[17]["at_risk"], y2024[18]["at_risk"]) == (3, 2, 1)
    assert max(y2024) == 21
    # all 8: 2e 2e(E) 2c(F) 7e 10e 13e 17c 21c -> 6/8, x 4/5, x 3/4, x 2/3
    everything = {p["month"]: p["survival"] for p in cohorts["all"]["table"]}
    assert everything[2] == 0.75
    assert everything[12] == round(3 / 4 * 4 / 5 * 3 / 4, 4)
    assert everything[13] == round(3 / 4 * 4 / 5 * 3 / 4 * 2 / 3, 4)
    # 2025: E closed 2025-04-15 after 1 anniversary (2), F censored at 2 (2025-12-15)
    assert [p["survival"] for p in cohorts["2025"]["table"]] == [1.0, 1.0, 0.5]


# -- contact cadence: one open match from 2024-01-10, 23 whole months to 2025-12-31 ----------

CADENCE_MATCH = [
    {"match_id": "X", "mentor_id": "T1", "mentee_id": "Y1", "start_date": "2024-01-10"}
]
CONTACTS = [
    # month 0: one call entered twice
    {"match_id": "X", "date": "2024-01-12", "with": "mentor"},
    {"match_id": "X", "date": "2024-01-12", "with": "mentor"},
    # months 1..11 (the 15th of each month from February to December 2024)
    *({"match_id": "X", "date": f"2024-{m:02d}-15", "with": "mentor"} for m in range(2, 13)),
    # year 2: month 13 (2025-02-15) and month 19 (2025-08-15)
    {"match_id": "X", "date": "2025-02-15", "with": "mentor"},
    {"match_id": "X", "date": "2025-08-15", "with": "mentor"},
]
MEETINGS = [
    {"match_id": "X", "date": "2024-01-05", "minutes": 600},  # before the start: not counted
    {"match_id": "X", "date": "2024-01-20", "minutes": 120},  # month 0: 4.5 hours
    {"match_id": "X", "date": "2024-01-25", "minutes": 150},
    {"match_id": "X", "date": "2024-02-20", "minutes": 60},  # month 1: 1 hour
]


@pytest.fixture
def cadence_ctx(make_bundle: BundleFactory, catalog: mentorstd.Catalog) -> MetricContext:
    path = make_bundle(
        tables={"matches": CADENCE_MATCH, "contacts": CONTACTS, "meetings": MEETINGS},
        period=PERIOD,
    )
    return MetricContext(mentorstd.load_bundle(path, catalog=catalog))


def test_a_double_entered_call_does_not_make_two_contacts(cadence_ctx: MetricContext) -> None:
    # eepm4: month 0 has one distinct contact (short of 2); months 1..11, 13 and 19 are met;
    # 13 of 23 months
    r = cadence_ctx.result("staff-contact-cadence", {"with": "mentor"})
    assert r.entities == {"X": 13 / 23}
    assert r.note is not None and "1 contact row" in r.note
    dup = cadence_ctx.result("duplicate-contacts", {})
    assert (dup.numerator, dup.denominator, dup.failing) == (1, len(CONTACTS), ("X",))


def test_eepm4_profile_is_the_default_rule(cadence_ctx: MetricContext) -> None:
    plain = cadence_ctx.result("staff-contact-cadence", {"with": "mentor"})
    named = cadence_ctx.result("staff-contact-cadence", {"with": "mentor", "profile": "eepm4"})
    assert plain.entities == named.entities
    assert plain.details["months_judged"] == named.details["months_judged"] == 23


def test_bbbs_profile_first_contact_monthly_then_quarterly(cadence_ctx: MetricContext) -> None:
    # first contact within 14 days (2024-01-12): met; months 1..11: met; whole quarters of
    # year 2: months 12-14 (13 met), 15-17 (none), 18-20 (19 met); 21-23 is not whole -> 14/15
    r = cadence_ctx.result("staff-contact-cadence", {"with": "mentor", "profile": "bbbs"})
    assert r.entities == {"X": 14 / 15}
    assert r.details["months_judged"] == 15
    assert r.note is not None and "'bbbs'" in r.note


def test_scheduled_contacts_completed(cadence_ctx: MetricContext) -> None:
    # eepm4, mentor: due 2 + 22 = 24, made min(1, 2) + 13 = 14; the mentee: due 24, made 0
    mentor = cadence_ctx.result("contact-schedule-completion", {"with": ["mentor"]})
    assert (mentor.numerator, mentor.denominator) == (14, 24)
    both = cadence_ctx.result("contact-schedule-completion", {})
    assert (both.numerator, both.denominator, both.failing) == (14, 48, ("X",))
    # bbbs, mentor: 15 periods due one contact each, 14 made
    bbbs = cadence_ctx.result(
        "contact-schedule-completion", {"with": ["mentor"], "profile": "bbbs"}
    )
    assert (bbbs.numerator, bbbs.denominator) == (14, 15)


def test_cadence_option_overrides_the_checks_profile(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    path = make_bundle(
        tables={"matches": CADENCE_MATCH, "contacts": CONTACTS, "meetings": MEETINGS},
        period=PERIOD,
    )
    ctx = MetricContext(mentorstd.load_bundle(path, catalog=catalog), cadence="bbbs")
    assert ctx.result("staff-contact-cadence", {"with": "mentor"}).entities == {"X": 14 / 15}
    with pytest.raises(mentorstd.UsageError, match="unknown contact cadence 'weekly'"):
        MetricContext(ctx.bundle, cadence="weekly")


def test_meeting_dosage_hours_per_match_month(cadence_ctx: MetricContext) -> None:
    # judged months 0..22; hours: month 0 4.5, month 1 1.0 (the meeting before the start
    # is not counted) -> 5.5 hours over 23 match-months; 1 month at 4 hours or more
    r = cadence_ctx.result("meeting-dosage", {})
    assert r.value == pytest.approx(5.5 / 23)
    assert r.details["months_at_target"] == 1
    assert r.failing == ("X",)


def test_dosage_needs_the_meetings_table(ctx: MetricContext) -> None:
    r = ctx.result("meeting-dosage", {})
    assert r.missing == ("meetings",) and not r.computable


# -- the indicators section -----------------------------------------------------------------


def test_indicators_file_is_valid_and_names_registered_metrics() -> None:
    path = ROOT / "standards" / "indicators.yaml"
    assert schema_problems(load_yaml(path), "indicators.schema.json") == []
    spec = load_indicators()
    ids = [i.id for i in spec.indicators]
    assert len(ids) == len(set(ids))
    assert {i.metric for i in spec.indicators} <= set(METRICS)
    assert set(SUMMARY_INDICATORS) <= set(ids)
    for item in spec.indicators:
        for bench in item.benchmarks:
            assert bench.source and bench.figure  # every benchmark is cited


def test_indicators_on_a_hand_made_bundle(ctx: MetricContext) -> None:
    section = compute_indicators(ctx)
    retention = section.get("retention-12m")
    assert (retention.value, retention.numerator, retention.denominator) == (0.5, 3, 6)
    # a community program is read against the community-based goal only (73.6%): short of
    assert [(b.value, b.comparison) for b in retention.benchmarks] == [(0.736, "short of")]
    assert [(s.key, s.value) for s in retention.breakdown] == [("2024", 0.5), ("2025", None)]
    initiators = section.get("closure-initiators")
    assert initiators.value == 1 / 5  # the mentor ended 1 of 5
    premature = section.get("premature-closure")
    assert [b.comparison for b in premature.benchmarks] == ["above", "above"]  # 3/7 > 38%, 30%
    assert section.get("contacts-completed").missing == ["contacts"]
    assert section.warnings == []  # no contacts table, no duplicates
    assert section.survival is not None and section.survival.cohorts[-1].cohort == "all"


def _read(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / "data" / f"{name}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _day(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _plus_months(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError(day)


def _expected(folder: Path) -> dict[str, Any]:
    """The indicators of an example bundle, computed from its CSV files without mentorstd."""
    import yaml

    manifest = yaml.safe_load((folder / "bundle.yaml").read_text(encoding="utf-8"))
    end = dt.date.fromisoformat(str(manifest["program"]["period"]["end"]))
    commitment = 9 if manifest["program"]["model"] == "school" else 12
    matches = _read(folder, "matches")
    for m in matches:
        m["start"], m["end"] = _day(m["start_date"]), _day(m["end_date"])
        m["planned"] = _day(m["planned_end_date"]) or _plus_months(m["start"], commitment)
        m["closed"] = m["end"] is not None and m["end"] <= end
    out: dict[str, Any] = {}
    eligible = [m for m in matches if _plus_months(m["start"], 12) <= end]
    kept = [m for m in eligible if not (m["closed"] and m["end"] < _plus_months(m["start"], 12))]
    out["retention-12m"] = (len(kept), len(eligible))
    known = [m for m in matches if m["closed"] or m["planned"] <= end]
    early = [m for m in known if m["closed"] and m["end"] < m["planned"]]
    out["premature-closure"] = (len(early), len(known))
    seen = [m for m in matches if _plus_months(m["start"], 3) <= end]
    quick = [m for m in seen if m["closed"] and m["end"] < _plus_months(m["start"], 3)]
    out["early-closure-3m"] = (len(quick), len(seen))
    closed = [(m["end"] - m["start"]).days / 30.44 for m in matches if m["closed"]]
    # a match starting after the period end (riverside has one) is not active in it
    active = [
        (end - m["start"]).days / 30.44 for m in matches if not m["closed"] and m["start"] <= end
    ]
    out["median-length-closed"] = round(statistics.median(closed), 2)
    out["median-length-active"] = round(statistics.median(active), 2)
    mentor_ended = sum(
        1 for m in matches if m["closed"] and m["closure_reason"] == "mentor-withdrew"
    )
    out["closure-initiators"] = mentor_ended / sum(1 for m in matches if m["closed"])
    per_mentee = Counter(m["mentee_id"] for m in matches)
    out["rematched-mentees"] = sum(1 for n in per_mentee.values() if n > 1)
    contacts = _read(folder, "contacts")
    distinct = {(c["match_id"], c["date"], c["with"]) for c in contacts}
    out["duplicate-contacts"] = len(contacts) - len(distinct)
    # eepm4 contacts completed with mentor and mentee: 2 due in month 0, 1 in each later
    # whole month; distinct days per month, capped at what is due
    by_month: defaultdict[tuple[str, str, int], int] = defaultdict(int)
    starts = {m["match_id"]: m for m in matches}
    for match_id, day, who in distinct:
        start = starts[match_id]["start"]
        k = (dt.date.fromisoformat(day).year - start.year) * 12 + (
            dt.date.fromisoformat(day).month - start.month
        )
        if _plus_months(start, k) > dt.date.fromisoformat(day):
            k -= 1
        by_month[match_id, who, k] += 1
    due = made = 0
    for m in matches:
        last = min(m["end"], end) if m["closed"] else end
        whole = 0
        while _plus_months(m["start"], whole + 1) <= last + dt.timedelta(days=1):
            whole += 1
        for who in ("mentor", "mentee"):
            for k in range(whole):
                need = 2 if k == 0 else 1
                due += need
                made += min(need, by_month.get((m["match_id"], who, k), 0))
    out["contacts-completed"] = (made, due)
    # meeting dosage: hours in each match's whole months, over all those match-months
    if (folder / "data" / "meetings.csv").is_file():
        whole_months = {}
        for m in matches:
            last = min(m["end"], end) if m["closed"] else end
            whole = 0
            while _plus_months(m["start"], whole + 1) <= last + dt.timedelta(days=1):
                whole += 1
            whole_months[m["match_id"]] = whole
        hours = 0.0
        for row in _read(folder, "meetings"):
            start = starts[row["match_id"]]["start"]
            day = dt.date.fromisoformat(row["date"])
            k = (day.year - start.year) * 12 + day.month - start.month
            if _plus_months(start, k) > day:
                k -= 1
            if 0 <= k < whole_months[row["match_id"]]:
                hours += float(row["minutes"]) / 60
        out["meeting-dosage"] = hours / sum(whole_months.values())
    return out


@pytest.fixture(scope="module")
def example_reports(catalog: mentorstd.Catalog) -> dict[str, mentorstd.Report]:
    reports = {}
    for name in ("riverside", "oakfield", "northbridge"):
        bundle = mentorstd.load_bundle(EXAMPLES / name, catalog=catalog)
        reports[name] = mentorstd.assess(bundle, "eepm", catalog, as_of=DAY)
    return reports


@pytest.mark.parametrize("name", ["riverside", "oakfield", "northbridge"])
def test_example_indicators_match_the_csv_files(
    name: str, example_reports: dict[str, mentorstd.Report]
) -> None:
    want = _expected(EXAMPLES / name)
    section = example_reports[name].indicators
    assert section is not None
    got = {i.id: i for i in section.indicators}
    for key in ("retention-12m", "premature-closure", "early-closure-3m", "contacts-completed"):
        assert (got[key].numerator, got[key].denominator) == want[key], key
    for key in ("median-length-closed", "median-length-active"):
        assert got[key].value == want[key], key
    assert got["closure-initiators"].value == pytest.approx(want["closure-initiators"])
    assert got["rematched-mentees"].value == want["rematched-mentees"]
    assert got["duplicate-contacts"].value == want["duplicate-contacts"]
    # the examples were generated with some same-day double entries: the report warns
    assert want["duplicate-contacts"] > 0
    assert section.warnings[0].count == want["duplicate-contacts"]
    if "meeting-dosage" in want:  # northbridge keeps a meetings table
        assert got["meeting-dosage"].value == pytest.approx(want["meeting-dosage"])
    else:
        assert got["meeting-dosage"].missing == ["meetings"]


def test_indicators_appear_in_every_format(
    example_reports: dict[str, mentorstd.Report],
) -> None:
    report = example_reports["riverside"]
    data = json.loads(report.to_json())
    assert [i["id"] for i in data["indicators"]["indicators"]] == [
        i.id for i in load_indicators().indicators
    ]
    markdown = report.to_markdown()
    assert "## Program indicators" in markdown and "### Match survival by start year" in markdown
    assert markdown.index("## Program indicators") < markdown.index("## Requirements")
    html = report.to_html()
    assert '<h2 id="indicators">Program indicators</h2>' in html
    assert html.count("<polyline ") == len(data["indicators"]["survival"]["cohorts"])
    assert "<script src" not in html  # the chart is inline SVG, no library


def test_validate_cadence_option(cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = cli(
        "validate",
        str(EXAMPLES / "oakfield"),
        "-F",
        "eepm",
        "--cadence",
        "bbbs",
        "--format",
        "json",
        "-o",
        str(out),
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["indicators"]["cadence"] == "bbbs"
    b51 = next(r for r in data["results"] if r["requirement"] == "eepm:B.5.1")
    assert "'bbbs'" in b51["findings"][0]["message"]
    bad = cli("validate", str(EXAMPLES / "oakfield"), "-F", "eepm", "--cadence", "weekly")
    assert bad.exit_code == 2


def test_batch_summary_has_the_indicator_columns(
    tmp_path: Path, catalog: mentorstd.Catalog
) -> None:
    from mentorstd.batch import run_batch

    root = tmp_path / "in"
    root.mkdir()
    import shutil

    shutil.copytree(EXAMPLES / "northbridge", root / "northbridge")
    result = run_batch(root, "eepm", tmp_path / "out", jobs=1, formats=("json",), catalog=catalog)
    assert result.summary_csv is not None
    with result.summary_csv.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    want = _expected(EXAMPLES / "northbridge")
    kept, eligible = want["retention-12m"]
    assert float(rows[0]["indicator-retention-12m"]) == round(kept / eligible, 4)
    assert int(float(rows[0]["indicator-duplicate-contacts"])) == want["duplicate-contacts"]
    assert float(rows[0]["indicator-meeting-dosage"]) == round(want["meeting-dosage"], 4)


def test_contact_row_order_never_changes_the_cadence(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    results = []
    for rows in (CONTACTS, list(reversed(CONTACTS))):
        path = make_bundle(
            tables={"matches": CADENCE_MATCH, "contacts": rows, "meetings": MEETINGS},
            period=PERIOD,
        )
        ctx = MetricContext(mentorstd.load_bundle(path, catalog=catalog))
        results.append(
            (
                ctx.result("staff-contact-cadence", {"with": "mentor", "profile": "bbbs"}).entities,
                ctx.result("contact-schedule-completion", {}).numerator,
                ctx.result("duplicate-contacts", {}).numerator,
            )
        )
    assert results[0] == results[1]


def test_eepm4_cadence_per_match_is_the_monthly_rule_on_distinct_contacts(
    catalog: mentorstd.Catalog,
) -> None:
    """EEPM B.5.1's check on riverside: for each match, the share of its whole months with 2
    distinct contact days with the mentor in month 0 and 1 in each later month, computed here
    from the CSV files."""
    import yaml

    folder = EXAMPLES / "riverside"
    manifest = yaml.safe_load((folder / "bundle.yaml").read_text(encoding="utf-8"))
    end = dt.date.fromisoformat(str(manifest["program"]["period"]["end"]))
    days: defaultdict[str, set[dt.date]] = defaultdict(set)
    for row in _read(folder, "contacts"):
        if row["with"] == "mentor":
            days[row["match_id"]].add(dt.date.fromisoformat(row["date"]))
    want = {}
    for m in _read(folder, "matches"):
        start = dt.date.fromisoformat(m["start_date"])
        stop = _day(m["end_date"])
        last = stop if stop is not None and stop <= end else end
        whole = 0
        while _plus_months(start, whole + 1) <= last + dt.timedelta(days=1):
            whole += 1
        if whole == 0:
            continue
        met = 0
        for k in range(whole):
            lo, hi = _plus_months(start, k), _plus_months(start, k + 1)
            n = sum(1 for d in days[m["match_id"]] if lo <= d < hi)
            met += n >= (2 if k == 0 else 1)
        want[m["match_id"]] = met / whole
    bundle = mentorstd.load_bundle(folder, catalog=catalog)
    got = MetricContext(bundle).result("staff-contact-cadence", {"with": "mentor"}).entities
    assert got == pytest.approx(want)


def test_contacts_without_a_matches_table_leave_every_indicator_missing(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    path = make_bundle(tables={"contacts": CONTACTS}, period=PERIOD)
    section = compute_indicators(MetricContext(mentorstd.load_bundle(path, catalog=catalog)))
    assert all(i.value is None and "matches" in i.missing for i in section.indicators)
    assert section.survival is None and section.warnings == []


@pytest.mark.parametrize("name", ["riverside", "oakfield", "northbridge"])
def test_survival_at_12_months_is_the_retention_of_a_fully_observed_cohort(
    name: str, catalog: mentorstd.Catalog
) -> None:
    # both count calendar anniversaries: where every match of a cohort could reach 12
    # months by the period end, the survival estimate at month 12 is its retention
    ctx = MetricContext(mentorstd.load_bundle(EXAMPLES / name, catalog=catalog))
    retention = {c["cohort"]: c for c in ctx.result("retention-rate", {}).details["cohorts"]}
    survival = ctx.result("match-survival", {}).details["cohorts"]
    checked = 0
    for cohort in survival:
        kept = retention.get(cohort["cohort"])
        if kept is None or kept["eligible"] != kept["matches"] or not kept["eligible"]:
            continue
        # the table stops when no match is left at risk: every match had closed by then
        at_12 = [p["survival"] for p in cohort["table"] if p["month"] <= 12][-1]
        assert at_12 == round(kept["retained"] / kept["eligible"], 4), cohort["cohort"]
        checked += 1
    assert checked


def test_the_plan_names_the_contact_schedule_the_run_used(catalog: mentorstd.Catalog) -> None:
    bundle = mentorstd.load_bundle(EXAMPLES / "riverside", catalog=catalog)
    for cadence, words in (
        (None, "in month 1, 1 in each month after"),
        ("bbbs", "a first contact within 14 days of the match start"),
    ):
        report = mentorstd.assess(bundle, "eepm", catalog, as_of=DAY, cadence=cadence)
        goals = mentorstd.build_plan(report, catalog).goals
        (goal,) = [g for g in goals if g.requirement == "eepm:B.5.1"]
        assert any(words in action for action in goal.actions), goal.actions


def test_an_empty_matches_table_gives_no_values(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    # a header and no rows: every indicator on matches has nothing to count, so no value
    path = make_bundle(tables={"matches": MATCHES[:0]}, period=PERIOD)
    (path / "data" / "matches.csv").write_text(
        "match_id,mentor_id,mentee_id,start_date,planned_end_date,end_date,closure_reason\n",
        encoding="utf-8",
    )
    section = compute_indicators(MetricContext(mentorstd.load_bundle(path, catalog=catalog)))
    values = {i.id: i.value for i in section.indicators}
    assert values["rematched-mentees"] is None
    assert values["retention-12m"] is None and values["premature-closure"] is None


def test_the_terminal_summary_lists_the_indicators(cli: Any, tmp_path: Path) -> None:
    bundle = str(EXAMPLES / "riverside")
    text = cli("validate", bundle, "-F", "eepm", "--as-of", "2026-11-23").stdout
    out = tmp_path / "r.json"
    assert (
        cli("validate", bundle, "-F", "eepm", "--as-of", "2026-11-23", "-o", str(out)).exit_code
        == 0
    )
    items = {i["id"]: i for i in json.loads(out.read_text())["indicators"]["indicators"]}
    retention = items["retention-12m"]
    want = (
        f"{retention['value'] * 100:.1f}% ({retention['numerator']} of {retention['denominator']})"
    )
    assert "Program indicators (not statuses; contact schedule eepm4)" in text
    assert f" 12-month match retention: {want}; goal >= 73.6%: meets" in text
    assert "warning: 43 contact rows repeat" in " ".join(text.split())
