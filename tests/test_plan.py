"""Improvement plans, the NQMS cycle, report comparison and batch review."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import mentorstd
from mentorstd.batch import run_batch
from mentorstd.diff import diff_reports
from mentorstd.plan import build_plan
from mentorstd.report.text import csv_text, neutralise

from .conftest import EXAMPLES, BundleFactory, tree_digest
from .test_metrics import MATCHES, SCREENING, TRAINING

# -- ranking ---------------------------------------------------------------------------------

GAPS = {
    "ima:I-7": "planned",  # safety
    "ima:III-1": "partial",  # safety
    "ima:VI-1": "planned",
    "ima:II-1": "partial",
    "ima:III-3": "not-implemented",
    "ima:IV-2": "partial",
}
# ima:V-2 gets no attestation and no document: not-assessed.
# Leverage = 1 (itself) + 1 per equal/superset link + 0.5 per subset/intersects link, counting
# only links of at least medium confidence (the default), by hand in standards/crosswalks/:
#   I-7:   eepm:PPM.3 (medium); eepm:B.4.4 is low                          -> 1.5
#   III-1: 4 high + npss:recruitment-process (medium); 3 low left out      -> 3.5
#   VI-1:  superset eepm:PPM.6 (medium) + 3 high + 3 medium intersects; uk_school:6.2 is
#          topical (transfers no evidence) and 5 more are low                -> 5.0
#   II-1:  2 high + 3 medium intersects; 2 low left out                    -> 3.5
#   III-3: eepm:B.6.4, npss:placement-monitoring, uk_school:5.3 (medium) + eepm:5, inferred
#          through npss:placement-monitoring (equal to eepm:5; medium); 5 low left out -> 3.0
#   IV-2:  npss:training-ongoing (high) + eepm:5 (medium) + npss:placement-monitoring,
#          inferred through eepm:5 (medium); 2 low left out                  -> 2.5
#   V-2:   only uk_school:5.2, which is low                                -> 1.0
# Safety first, then leverage, then gap size.
EXPECTED_ORDER = [
    "ima:III-1",
    "ima:I-7",
    "ima:VI-1",
    "ima:II-1",
    "ima:III-3",
    "ima:IV-2",
    "ima:V-2",
]
EXPECTED_LEVERAGE = {
    "ima:III-1": 3.5,
    "ima:I-7": 1.5,
    "ima:VI-1": 5.0,
    "ima:II-1": 3.5,
    "ima:III-3": 3.0,
    "ima:IV-2": 2.5,
    "ima:V-2": 1.0,
}


def _gaps_bundle(make_bundle: BundleFactory, catalog: mentorstd.Catalog) -> Path:
    """Every IMA indicator attested implemented with evidence, but for the gaps above."""
    practices = []
    for req in catalog.framework("ima").requirements:
        if req.is_group or req.global_id == "ima:V-2":
            continue
        status = GAPS.get(req.global_id, "implemented")
        practice: dict[str, Any] = {"requirement": req.global_id, "status": status}
        if status == "implemented":
            practice["evidence"] = ["goals"]
        practices.append(practice)
    return make_bundle(
        documents=[{"id": "goals", "kind": "mission-and-goals", "path": "documents/goals.md"}],
        practices=practices,
    )


def test_ranking_on_a_hand_built_bundle(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    path = _gaps_bundle(make_bundle, catalog)
    report = mentorstd.assess(mentorstd.load_bundle(path, catalog=catalog), "ima", catalog)
    plan = build_plan(report, catalog)
    assert [g.requirement for g in plan.goals] == EXPECTED_ORDER
    assert {g.requirement: g.leverage for g in plan.goals} == EXPECTED_LEVERAGE
    vi1 = plan.goals[2]
    assert vi1.satisfies == ["eepm:PPM.6"]
    assert vi1.actions == ["Put the practice in place: the program attests it is planned."]
    assert (vi1.status, vi1.basis) == ("not-met", "attested")
    assert [s for s, _, _ in plan.groups()] == [
        "ima:III",
        "ima:I",
        "ima:VI",
        "ima:II",
        "ima:IV",
        "ima:V",
    ]
    pasted = plan.to_plan_goals()
    assert pasted[0] == {
        "id": "ima-III-1",
        "requirement": "ima:III-1",
        "title": catalog.requirement("ima:III-1").title,
        "status": "open",
    }


def test_metric_goals_say_how_far_from_the_threshold(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    path = make_bundle(tables={"matches": MATCHES, "training": TRAINING, "screening": SCREENING})
    report = mentorstd.assess(mentorstd.load_bundle(path, catalog=catalog), "eepm", catalog)
    goals = {g.requirement: g for g in build_plan(report, catalog).goals}
    b31 = goals["eepm:B.3.1"]
    assert b31.actions == [
        "Train 1 of 3 mentors before their first match: they had less than 2 hours of "
        "pre-match training by then."
    ]
    assert b31.failing == ["A3"] and b31.gap == pytest.approx(1 / 3)
    uk = mentorstd.assess(mentorstd.load_bundle(path, catalog=catalog), "uk_school", catalog)
    g91 = {g.requirement: g for g in build_plan(uk, catalog).goals}["uk_school:9.1"]
    # 1 of 3 completed; 90% of 3 needs 3 (2.7 rounded up): 2 more
    assert g91.actions == [
        "Raise the pair completion rate from 33.3% to >= 90.0%: 2 more of 3 would reach it."
    ]


def test_plan_yaml_pastes_into_a_manifest(
    cli: Callable[..., Any], make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    path = make_bundle(tables={"matches": MATCHES, "training": TRAINING})
    out = cli("plan", str(path), "-F", "eepm", "--format", "yaml")
    assert out.exit_code == 0
    goals = yaml.safe_load(out.stdout)["plan_goals"]
    manifest = yaml.safe_load((path / "bundle.yaml").read_text(encoding="utf-8"))
    manifest["nqms"] = {"plan_goals": goals}
    (path / "bundle.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    assert (
        len(mentorstd.load_bundle(path, catalog=catalog).manifest.nqms.plan_goals) == len(goals) > 0
    )


# -- NQMS cycle ------------------------------------------------------------------------------


def _nqms(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog, nqms: dict[str, Any], as_of: str
) -> dict[str, Any]:
    path = make_bundle(nqms=nqms)
    report = mentorstd.assess(
        mentorstd.load_bundle(path, catalog=catalog),
        "eepm",
        catalog,
        as_of=dt.date.fromisoformat(as_of),
    )
    assert report.nqms is not None
    return report.nqms


def _goals(done: int, total: int = 5) -> list[dict[str, Any]]:
    return [
        {
            "id": f"G{i}",
            "status": "done" if i <= done else "open",
            **({"done_on": "2026-01-10"} if i <= done else {}),
        }
        for i in range(1, total + 1)
    ]


CYCLE = {"self_assessment_completed": "2025-10-06", "review_meeting": "2025-11-12"}


def test_step_1_needs_self_assessment_review_and_plan(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    full = _nqms(make_bundle, catalog, {**CYCLE, "plan_goals": _goals(0)}, "2026-02-01")
    assert full["badge"] == "step-1-initiated"
    no_review = _nqms(
        make_bundle,
        catalog,
        {"self_assessment_completed": "2025-10-06", "plan_goals": _goals(0)},
        "2026-02-01",
    )
    assert no_review["badge"] is None
    assert any("review-meeting" in r for r in no_review["reasons"])
    no_plan = _nqms(make_bundle, catalog, dict(CYCLE), "2026-02-01")
    assert no_plan["badge"] is None
    assert _nqms(make_bundle, catalog, {}, "2026-02-01")["badge"] is None


@pytest.mark.parametrize(
    ("done", "badge"),
    [(2, "step-1-initiated"), (3, "step-2-progressing"), (5, "step-2-progressing")],
)
def test_step_2_needs_three_done_goals(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog, done: int, badge: str
) -> None:
    status = _nqms(make_bundle, catalog, {**CYCLE, "plan_goals": _goals(done)}, "2026-02-01")
    assert status["badge"] == badge
    assert status["goals"] == {"total": 5, "done": done}


def test_goals_done_after_the_assessment_date_do_not_count(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    status = _nqms(make_bundle, catalog, {**CYCLE, "plan_goals": _goals(3)}, "2026-01-09")
    assert status["goals"]["done"] == 0 and status["badge"] == "step-1-initiated"


@pytest.mark.parametrize(
    ("as_of", "badge", "expired"),
    [
        ("2028-11-11", "step-1-initiated", False),  # the day before expiry
        ("2028-11-12", None, True),  # three years after the review meeting
        ("2028-11-13", None, True),
    ],
)
def test_badges_expire_three_years_after_the_review(
    make_bundle: BundleFactory,
    catalog: mentorstd.Catalog,
    as_of: str,
    badge: str | None,
    expired: bool,
) -> None:
    status = _nqms(make_bundle, catalog, {**CYCLE, "plan_goals": _goals(1)}, as_of)
    assert status["expires_on"] == "2028-11-12"
    assert status["next_self_assessment_due"] == "2028-11-12"
    assert (status["badge"], status["expired"]) == (badge, expired)


def test_the_rules_come_from_the_data(make_bundle: BundleFactory, standards_copy: Path) -> None:
    nqms = standards_copy / "eepm" / "nqms.yaml"
    nqms.write_text(
        nqms.read_text(encoding="utf-8").replace("goals_done_min: 3", "goals_done_min: 2"),
        encoding="utf-8",
    )
    cat = mentorstd.load_catalog([standards_copy], builtin=False, entry_points=False)
    status = _nqms(make_bundle, cat, {**CYCLE, "plan_goals": _goals(2)}, "2026-02-01")
    assert status["badge"] == "step-2-progressing"


# -- diff ------------------------------------------------------------------------------------


def test_diff_between_two_cycles(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog, cli: Callable[..., Any], tmp_path: Path
) -> None:
    fixed = [
        *TRAINING,
        {
            "person_id": "A3",
            "role": "mentor",
            "date": "2025-02-21",
            "hours": 1,
            "phase": "pre-match",
        },
    ]
    old_path = make_bundle(
        tables={"matches": MATCHES, "training": TRAINING},
        nqms={**CYCLE, "plan_goals": _goals(0, 2)},
        practices=[{"requirement": "eepm:B.6.3", "status": "implemented"}],
    )
    new_path = make_bundle(
        tables={"matches": MATCHES, "training": fixed},
        nqms={**CYCLE, "plan_goals": _goals(1, 2)},
        practices=[{"requirement": "eepm:B.6.3", "status": "planned"}],
    )
    files = []
    for n, path in enumerate((old_path, new_path)):
        out = tmp_path / f"r{n}.json"
        assert (
            cli(
                "validate", str(path), "-F", "eepm", "-o", str(out), "--as-of", "2026-02-01"
            ).exit_code
            == 0
        )
        files.append(out)
    data = json.loads(cli("diff", str(files[0]), str(files[1]), "-f", "json").stdout)
    improved = {r["requirement"]: (r["old"], r["new"]) for r in data["improved"]}
    regressed = {r["requirement"]: (r["old"], r["new"]) for r in data["regressed"]}
    assert improved == {"eepm:B.3.1": ("partially-met", "met")}
    assert regressed == {"eepm:B.6.3": ("partially-met", "not-met")}
    b31 = next(m for m in data["metrics"] if m["metric"].startswith("eepm:B.3.1 "))
    assert (b31["old"], b31["new"]) == (pytest.approx(2 / 3), 1.0)
    assert [g["id"] for g in data["goals_completed"]] == ["G1"]
    text = cli("diff", str(files[0]), str(files[1])).stdout
    assert "eepm:B.3.1: partially-met → met" in text


def test_diff_refuses_other_frameworks_and_non_reports(
    cli: Callable[..., Any], tmp_path: Path, catalog: mentorstd.Catalog
) -> None:
    bundle = mentorstd.load_bundle(EXAMPLES / "northbridge", catalog=catalog)
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(mentorstd.assess(bundle, "ima", catalog).to_json(), encoding="utf-8")
    b.write_text(mentorstd.assess(bundle, "npss", catalog).to_json(), encoding="utf-8")
    result = cli("diff", str(a), str(b))
    assert result.exit_code == 2 and "different frameworks" in result.stderr
    c = tmp_path / "c.json"
    c.write_text('{"hello": 1}', encoding="utf-8")
    result = cli("diff", str(a), str(c))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"mentorstd: error: {c}: ")
    assert "not a mentorstd JSON report" in result.stderr
    with pytest.raises(mentorstd.UsageError):
        diff_reports(
            mentorstd.assess(bundle, "ima", catalog), mentorstd.assess(bundle, "eepm", catalog)
        )


# -- batch -----------------------------------------------------------------------------------


@pytest.fixture
def many(tmp_path: Path) -> Path:
    root = tmp_path / "programs"
    for name in ("riverside", "oakfield"):
        shutil.copytree(EXAMPLES / name, root / "region-a" / name)
    shutil.copytree(EXAMPLES / "northbridge", root / "=HYPERLINK(evil)")
    broken = root / "region-b" / "broken"
    broken.mkdir(parents=True)
    (broken / "bundle.yaml").write_text("bundle_version: 1\nprogram: {name: x\n", encoding="utf-8")
    return root


@pytest.mark.parametrize("jobs", [1, 2])
def test_batch_with_a_broken_bundle_among_good_ones(
    many: Path, tmp_path: Path, catalog: mentorstd.Catalog, jobs: int
) -> None:
    before = tree_digest(many)
    out = tmp_path / f"out{jobs}"
    result = run_batch(many, "uk_school", out, jobs=jobs, as_of=dt.date(2026, 11, 23))
    assert tree_digest(many) == before
    names = [r["bundle"] for r in result.rows]
    assert names == [
        "=HYPERLINK(evil)",
        "region-a__oakfield",
        "region-a__riverside",
        "region-b__broken",
    ]
    broken = result.rows[-1]
    assert broken["result"] == "error"
    assert broken["error"].startswith("bundle.yaml:3:1: malformed YAML")
    oak = result.rows[1]
    expected = mentorstd.assess(
        mentorstd.load_bundle(EXAMPLES / "oakfield", catalog=catalog), "uk_school", catalog
    )
    assert {s: oak[s] for s in expected.summary} == expected.summary
    assert oak["unmet"].split() == [
        r.requirement for r in expected.results if r.status == "not-met"
    ]
    assert (out / "region-a__oakfield.json").is_file()
    assert (out / "region-a__oakfield.html").is_file()
    rows = list(csv.DictReader(io.StringIO((out / "summary.csv").read_text(encoding="utf-8"))))
    assert len(rows) == 4
    assert rows[0]["bundle"] == "'=HYPERLINK(evil)"
    assert rows[3]["result"] == "error"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="./region-a__oakfield.html"' in index


def test_batch_cli_reports_counts_and_never_stops(
    cli: Callable[..., Any], many: Path, tmp_path: Path
) -> None:
    result = cli("batch", str(many), "-F", "ima", "--out", str(tmp_path / "o"), "-j", "1")
    assert result.exit_code == 2  # a bundle could not be assessed; the others were
    lines = result.stdout.splitlines()
    assert lines[0].startswith("error   ") and "broken" in lines[0]
    assert lines[-1].startswith("3 assessed, 1 with errors, 0 skipped")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1+1", "'+1+1"),
        ("-cmd", "'-cmd"),
        ("@x", "'@x"),
        ("-0.5", "-0.5"),
        ("plain", "plain"),
        ("\tx", "'\tx"),
    ],
)
def test_formula_neutralisation(value: str, expected: str) -> None:
    assert neutralise(value) == expected
    assert next(csv.reader(io.StringIO(csv_text(["h"], [[value]])).readlines()[1:]))[0] == (
        expected
    )
