"""Checks that follow the source: the program's own minimum commitment (EEPM B.2.6, B.2.11),
interpretations marked as ours in findings, and the stricter denominators of UK 9.1-9.3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import mentorstd

from .conftest import BundleFactory

# A school year's match: from the first week of September to mid-June, 9 whole months.
SCHOOL_YEAR = {"start_date": "2025-09-08", "planned_end_date": "2026-06-19"}
# A September-July school match, 10 whole months (the example).
SEPT_JULY = {"start_date": "2025-09-01", "planned_end_date": "2026-07-15"}


def _matches(*plans: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {"match_id": f"M{i}", "mentor_id": f"T{i}", "mentee_id": f"S{i}", **plan}
        for i, plan in enumerate(plans, 1)
    ]


def _program(model: str, **extra: Any) -> dict[str, Any]:
    return {
        "program": {
            "name": "Test Program",
            "model": model,
            "period": {"start": "2025-09-01", "end": "2026-07-31"},
            **extra,
        }
    }


def _commitment(
    make_bundle: BundleFactory,
    catalog: mentorstd.Catalog,
    model: str,
    *plans: dict[str, str],
    **extra: Any,
) -> dict[str, mentorstd.Result]:
    folder = make_bundle(tables={"matches": _matches(*plans)}, manifest=_program(model, **extra))
    report = mentorstd.assess(mentorstd.load_bundle(folder), "eepm", catalog, use_crosswalk=False)
    return {gid: report[gid] for gid in ("eepm:B.2.6", "eepm:B.2.11")}


def test_a_school_program_whose_matches_last_the_school_year_is_not_flagged(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    results = _commitment(make_bundle, catalog, "school", SCHOOL_YEAR, SEPT_JULY)
    for result in results.values():
        assert result.status == "met"
        (finding,) = [f for f in result.findings if f.check == "planned-commitment-months"]
        assert finding.threshold == 9
        assert "9 months, the school-year default for a school program" in finding.message
        assert "; no program.commitment_months declared." in finding.message


def test_a_community_program_is_judged_against_one_year(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    year = {"start_date": "2025-09-01", "planned_end_date": "2026-09-01"}
    results = _commitment(make_bundle, catalog, "community", year, SCHOOL_YEAR)
    finding = next(
        f for f in results["eepm:B.2.6"].findings if f.check == "planned-commitment-months"
    )
    assert results["eepm:B.2.6"].status == "partially-met"
    assert (finding.threshold, finding.failing) == (12, ["M2"])
    assert "one-year default for a community program" in finding.message


def test_a_declared_commitment_wins_over_the_model_default(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    # the school declares 10 months: the 9-month school-year match now falls short
    results = _commitment(
        make_bundle, catalog, "school", SCHOOL_YEAR, SEPT_JULY, commitment_months=10
    )
    finding = next(
        f for f in results["eepm:B.2.6"].findings if f.check == "planned-commitment-months"
    )
    assert (finding.threshold, finding.failing) == (10, ["M1"])
    assert "declared by the program" in finding.message


def test_commitment_months_must_be_a_positive_whole_number(
    make_bundle: BundleFactory,
) -> None:
    folder = make_bundle(manifest=_program("school", commitment_months=0))
    with pytest.raises(mentorstd.BundleError, match="commitment_months"):
        mentorstd.load_bundle(folder)


def test_the_references_check_says_at_least_two_is_our_reading(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    folder = make_bundle(
        tables={
            "matches": _matches(SCHOOL_YEAR),
            "screening": [{"mentor_id": "T1", "references_checked": 2}],
        }
    )
    report = mentorstd.assess(mentorstd.load_bundle(folder), "eepm", catalog, use_crosswalk=False)
    (finding,) = [f for f in report["eepm:B.2.5"].findings if f.check == "references-checked"]
    assert finding.status == "met"
    assert "Our reading:" in finding.message and '"multiple"' in finding.message


def _uk(make_bundle: BundleFactory, catalog: mentorstd.Catalog, **tables: Any) -> Any:
    folder = make_bundle(tables=tables, period=("2025-01-01", "2025-12-31"))
    return mentorstd.load_bundle(folder)


def test_pair_completion_counts_open_pairs_only_in_the_stricter_reading(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    from mentorstd.metrics import MetricContext

    matches = [
        {
            "match_id": "A",
            "mentor_id": "T1",
            "mentee_id": "S1",
            "start_date": "2025-01-10",
            "planned_end_date": "2025-06-10",
            "end_date": "2025-06-12",
            "closure_reason": "completed",
        },
        {
            "match_id": "B",
            "mentor_id": "T2",
            "mentee_id": "S2",
            "start_date": "2025-02-10",
            "planned_end_date": "2025-07-10",
            "end_date": "2025-03-01",
            "closure_reason": "mentor-withdrew",
        },
        # open and within its plan at the period end
        {
            "match_id": "C",
            "mentor_id": "T3",
            "mentee_id": "S3",
            "start_date": "2025-09-01",
            "planned_end_date": "2026-06-30",
        },
    ]
    ctx = MetricContext(_uk(make_bundle, catalog, matches=matches))
    default = ctx.result("pair-completion-rate", {})
    strict = ctx.result("pair-completion-rate", {"denominator": "all"})
    assert (default.numerator, default.denominator, default.failing) == (1, 2, ("B",))
    assert (strict.numerator, strict.denominator, strict.failing) == (1, 3, ("B", "C"))


def test_reported_success_counts_non_respondents_only_in_the_stricter_reading(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    from mentorstd.metrics import MetricContext

    matches = _matches(SCHOOL_YEAR, SCHOOL_YEAR, SCHOOL_YEAR)  # mentees S1, S2, S3
    surveys = [
        {
            "respondent_id": "S1",
            "role": "mentee",
            "match_id": "M1",
            "date": "2025-06-01",
            "reports_success": "yes",
        },
        {
            "respondent_id": "S2",
            "role": "mentee",
            "match_id": "M2",
            "date": "2025-06-01",
            "reports_success": "no",
        },
    ]
    ctx = MetricContext(_uk(make_bundle, catalog, matches=matches, surveys=surveys))
    default = ctx.result("success-rate", {"role": "mentee"})
    strict = ctx.result("success-rate", {"role": "mentee", "denominator": "matched"})
    assert (default.numerator, default.denominator) == (1, 2)
    assert (strict.numerator, strict.denominator, strict.failing) == (1, 3, ("S2", "S3"))


# -- a set of requirements answering one: NPSS placement and EEPM's six standards ------------


def _eepm_attested(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog, *, skip: str | None = None
) -> Path:
    practices = [
        {"requirement": r.global_id, "status": "implemented", "evidence": ["handbook"]}
        for r in catalog.framework("eepm").requirements
        if r.kind == "benchmark" and r.global_id != skip
    ]
    # a document of a kind NPSS placement does not list, so it has no direct evidence
    documents = [{"id": "handbook", "kind": "handbook", "path": "documents/handbook.md"}]
    return make_bundle(practices=practices, documents=documents)


def test_a_bundle_meeting_every_eepm_benchmark_meets_npss_placement_through_the_crosswalk(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    bundle = mentorstd.load_bundle(_eepm_attested(make_bundle, catalog), catalog=catalog)
    eepm = mentorstd.assess(bundle, "eepm", catalog, use_crosswalk=False)
    benchmarks = [r for r in eepm.results if r.kind == "benchmark"]
    assert len(benchmarks) == 36 and {r.status for r in benchmarks} == {"met"}
    result = mentorstd.assess(bundle, "npss", catalog)["npss:placement-eepm-standards"]
    assert result.status == "met"
    assert result.via is not None
    assert result.via.path == [*(f"eepm:{n}" for n in range(1, 7)), result.requirement]
    (finding,) = result.findings
    assert "together are equal" in finding.message and "all 36" in finding.message


def test_one_unmet_benchmark_keeps_npss_placement_from_met_through_the_joint_mapping(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    folder = _eepm_attested(make_bundle, catalog, skip="eepm:B.6.7")
    bundle = mentorstd.load_bundle(folder, catalog=catalog)
    result = mentorstd.assess(bundle, "npss", catalog)["npss:placement-eepm-standards"]
    # each benchmark alone is only a part (subset) of the item: partial support at most
    assert result.status == "partially-met"
