"""What a status rests on: basis on every result, documents capped at partially-met unless
sufficient, projection only through trusted links, and reports that open with what to fix first.

Expected statuses are derived by hand from the standards data and the fixtures: the evidence
kinds and ``sufficient`` flags in standards/**, the links and confidences in
standards/crosswalks/*.yaml, and the documents and attestations each test writes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

import mentorstd
from mentorstd.assessment import BASES, STATUS_RULES, decide
from mentorstd.checks import Finding
from mentorstd.errors import UsageError
from mentorstd.models import DocumentCheck
from mentorstd.plan import build_plan, plan_html, plan_text
from mentorstd.report import render_report

from .conftest import EXAMPLES, STANDARDS, BundleFactory


def _assess(
    make_bundle: BundleFactory,
    catalog: mentorstd.Catalog,
    framework: str,
    **kwargs: Any,
) -> mentorstd.Report:
    options = {k: kwargs.pop(k) for k in ("use_crosswalk", "min_confidence") if k in kwargs}
    bundle = mentorstd.load_bundle(make_bundle(**kwargs), catalog=catalog)
    return mentorstd.assess(bundle, framework, catalog, **options)


def _doc(doc_id: str, kind: str) -> dict[str, Any]:
    return {"id": doc_id, "kind": kind, "path": f"documents/{doc_id}.md", "date": "2025-06-01"}


def _is_sufficient(catalog: mentorstd.Catalog, gid: str) -> bool:
    req = catalog.requirement(gid)
    return any(isinstance(c, DocumentCheck) and c.sufficient for c in req.checks)


# -- documents alone ---------------------------------------------------------------------


def test_a_document_alone_gives_at_most_partially_met(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    # eepm:PPM.5 (communications) lists only communications-materials and is not about
    # having a document: a press clipping shows the practice may exist, no more
    report = _assess(
        make_bundle,
        catalog,
        "eepm",
        use_crosswalk=False,
        documents=[_doc("press", "communications-materials")],
    )
    result = report["eepm:PPM.5"]
    assert (result.status, result.basis) == ("partially-met", "documented")
    assert [f.code for f in result.findings] == ["documented-only"]
    assert "documented; not attested or measured" in result.findings[0].message


def test_a_sufficient_document_makes_its_requirement_met(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    # ima:I-7 is a written code of conduct: its data marks code-of-conduct sufficient
    assert _is_sufficient(catalog, "ima:I-7")
    report = _assess(
        make_bundle,
        catalog,
        "ima",
        use_crosswalk=False,
        documents=[_doc("conduct", "code-of-conduct"), _doc("agreement", "commitment-agreement")],
    )
    result = report["ima:I-7"]
    assert (result.status, result.basis) == ("met", "documented")
    # the other evidence kind still shows, as documented only
    assert sorted(f.code for f in result.findings) == ["documented-only", "documents-present"]
    # without the code itself, the commitment agreement alone is not enough
    only_agreement = _assess(
        make_bundle,
        catalog,
        "ima",
        use_crosswalk=False,
        documents=[_doc("agreement", "commitment-agreement")],
    )
    assert only_agreement["ima:I-7"].status == "partially-met"


def test_a_table_alone_is_documented_only(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    # uk_school:5.2 (regular feedback to mentors) lists contact-log, which a contacts table is
    contacts = [{"match_id": "M1", "date": "2025-03-01", "with": "mentor", "mode": "phone"}]
    matches = [
        {
            "match_id": "M1",
            "mentor_id": "A1",
            "mentee_id": "Y1",
            "start_date": "2025-02-01",
            "planned_end_date": "2026-02-01",
        }
    ]
    report = _assess(
        make_bundle,
        catalog,
        "uk_school",
        use_crosswalk=False,
        tables={"matches": matches, "contacts": contacts},
    )
    result = report["uk_school:5.2"]
    assert (result.status, result.basis) == ("partially-met", "documented")


OAKFIELD_PRESS = ["B.1.1", "B.1.2", "B.1.4", "B.1.6", "E.1.1", "E.1.2", "PPM.5"]


def test_oakfields_press_clipping_no_longer_meets_seven_requirements(
    catalog: mentorstd.Catalog,
) -> None:
    # oakfield's only recruitment-side document is 'press' (communications-materials); none
    # of these seven requirements is attested, measured or about having that document
    bundle = mentorstd.load_bundle(EXAMPLES / "oakfield", catalog=catalog)
    report = mentorstd.assess(bundle, "eepm", catalog)
    for local in OAKFIELD_PRESS:
        result = report[f"eepm:{local}"]
        assert result.status == "partially-met", local
        assert result.basis == "documented", local
        assert result.findings[0].code == "documented-only"
    # PPM.5: uk_school:8.3 (press coverage, attested) intersects it, which also gives only
    # partially-met, so the report says the direct documents decide
    assert report["eepm:PPM.5"].findings[-1].code == "crosswalk-agrees"


def test_no_shipped_example_is_met_on_documents_alone_unless_sufficient(
    catalog: mentorstd.Catalog,
) -> None:
    for folder in sorted(p for p in EXAMPLES.iterdir() if (p / "bundle.yaml").is_file()):
        bundle = mentorstd.load_bundle(folder, catalog=catalog)
        for fid in catalog.frameworks:
            report = mentorstd.assess(bundle, fid, catalog)
            for r in report.results:
                assert r.basis in BASES
                if r.status == "met" and r.basis == "documented":
                    assert _is_sufficient(catalog, r.requirement), (folder.name, r.requirement)
                    assert any(f.code == "documents-present" for f in r.findings)


def test_every_sufficient_check_names_an_evidence_kind_of_its_requirement(
    catalog: mentorstd.Catalog,
) -> None:
    sufficient = [
        r.global_id for r in catalog.iter_requirements() if _is_sufficient(catalog, r.global_id)
    ]
    # reviewed by hand: requirements whose substance is a written document (a policy, a
    # code, criteria, a published statement, a report, targets or a record)
    assert sufficient == [
        "eepm:E.1.2",
        "eepm:B.2.1",
        "eepm:B.2.8",
        "eepm:B.6.1",
        "eepm:B.6.2",
        "eepm:B.6.4",
        "eepm:B.6.5",
        "eepm:B.6.6",
        "eepm:PPM.1",
        "eepm:PPM.3",
        "ima:I-2",
        "ima:I-7",
        "ima:III-2",
        "ima:III-3",
        "ima:V-3",
        "uk_school:5.4",
        "uk_school:6.1",
        "uk_school:6.3",
    ]
    for gid in sufficient:
        req = catalog.requirement(gid)
        for check in req.checks:
            if isinstance(check, DocumentCheck):
                assert set(check.kinds) <= set(req.evidence), gid


# -- combining rules ---------------------------------------------------------------------


def _f(check: str, status: str, code: str = "x") -> Finding:
    return Finding(code=code, check=check, status=status, message="m")  # type: ignore[arg-type]


def test_decide_names_the_basis_of_each_rule() -> None:
    assert decide([]) == ("not-assessed", "none")
    assert decide([_f("attestation", "not-applicable"), _f("success-rate", "met")]) == (
        "not-applicable",
        "attested",
    )
    assert decide([_f("success-rate", "met"), _f("attestation", "not-met")]) == (
        "met",
        "measured",
    )
    assert decide([_f("attestation", "met"), _f("document", "partially-met")]) == (
        "met",
        "attested",
    )
    # a stale document under an explicit rule lowers an attested met
    stale = _f("document", "partially-met", "document-stale")
    assert decide([_f("attestation", "met"), stale]) == ("partially-met", "attested")
    # ...but never raises a not-met attestation
    assert decide([_f("attestation", "not-met"), stale]) == ("not-met", "attested")
    assert decide([_f("attestation", "not-met"), _f("document", "met")]) == (
        "not-met",
        "attested",
    )
    only_docs = [_f("document", "partially-met", "documented-only")]
    assert decide(only_docs) == ("partially-met", "documented")
    assert decide([*only_docs, _f("document", "met", "documents-present")]) == (
        "met",
        "documented",
    )


def test_status_rules_state_the_documents_rule() -> None:
    text = " ".join(STATUS_RULES)
    assert "Documents alone give at most partially-met" in text
    assert "measured" in text and "attested" in text and "crosswalk" in text


# -- projection --------------------------------------------------------------------------


def _attest(gid: str, doc: str) -> dict[str, Any]:
    return {"requirement": gid, "status": "implemented", "evidence": [doc]}


def test_low_confidence_links_project_only_when_asked(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    # ima:V-2's only link is uk_school:5.2 (intersects, low confidence)
    kwargs: dict[str, Any] = {
        "documents": [_doc("monitoring", "monitoring-policy")],
        "practices": [_attest("uk_school:5.2", "monitoring")],
    }
    default = _assess(make_bundle, catalog, "ima", **kwargs)
    assert (default["ima:V-2"].status, default["ima:V-2"].basis) == ("not-assessed", "none")
    assert default.min_confidence == "medium"
    low = _assess(make_bundle, catalog, "ima", min_confidence="low", **kwargs)
    result = low["ima:V-2"]
    # met along intersects gives partially-met
    assert (result.status, result.basis) == ("partially-met", "crosswalk")
    assert result.via is not None and result.via.confidence == "low"
    assert result.via.source_basis == "attested"
    with pytest.raises(UsageError, match="min_confidence"):
        _assess(make_bundle, catalog, "ima", min_confidence="sure", **kwargs)


def test_a_topical_only_link_never_transfers_evidence(
    make_bundle: BundleFactory, standards_copy: Path
) -> None:
    # eepm:PPM.4 superset uk_school:4.2 (high) carries met to 4.2 (see test_assess); marked
    # topical only, it shows in tables but carries nothing
    path = standards_copy / "crosswalks" / "eepm--uk_school.yaml"
    text = path.read_text(encoding="utf-8")
    stored = '{source: PPM.4, target: "4.2", '
    assert text.count(stored) == 1
    text = text.replace(stored, stored + "transfers_evidence: false, ")
    path.write_text(text, encoding="utf-8")
    catalog = mentorstd.load_catalog([standards_copy], builtin=False)
    links = catalog.crosswalk.related("uk_school:4.2", target="eepm", inferred=False)
    topical = [link for link in links if link.target == "eepm:PPM.4"]
    assert topical and not topical[0].transfers_evidence
    report = _assess(
        make_bundle,
        catalog,
        "uk_school",
        documents=[_doc("plan", "strategic-plan")],
        practices=[_attest("eepm:PPM.4", "plan")],
    )
    assert report["uk_school:4.2"].via is None or report["uk_school:4.2"].via.from_ != (
        "eepm:PPM.4"
    )
    # still listed in the crosswalk table, marked
    from mentorstd.report.crosswalk import build_table, render_crosswalk

    table = render_crosswalk(build_table(catalog, "eepm", "uk_school"), "markdown")
    assert "superset (topical)" in table


def test_a_stronger_projection_decides_over_documents_and_says_why(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    # uk_school:4.2 (secured funding) lists budget, not sufficient: a budget alone gives
    # partially-met; eepm:PPM.4 is a superset of it (high), so an attested PPM.4 makes it met
    budget = _doc("budget", "budget")
    documents_only = _assess(make_bundle, catalog, "uk_school", documents=[budget])
    assert documents_only["uk_school:4.2"].basis == "documented"
    report = _assess(
        make_bundle,
        catalog,
        "uk_school",
        documents=[budget, _doc("plan", "strategic-plan")],
        practices=[_attest("eepm:PPM.4", "plan")],
    )
    result = report["uk_school:4.2"]
    assert (result.status, result.basis) == ("met", "crosswalk")
    assert [f.code for f in result.findings] == ["crosswalk-over-documents", "documented-only"]
    message = result.findings[0].message
    assert "Direct evidence is documents only (partially-met)" in message
    assert "eepm:PPM.4 (met, attested) is a superset of this requirement" in message
    assert "so the crosswalk decides: met" in message


def test_a_projection_from_documents_does_not_override_documents(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    # PPM.4 resting only on a strategic plan document is no stronger than 4.2's budget
    report = _assess(
        make_bundle,
        catalog,
        "uk_school",
        documents=[_doc("budget", "budget"), _doc("plan", "strategic-plan")],
    )
    result = report["uk_school:4.2"]
    assert (result.status, result.basis, result.via) == ("partially-met", "documented", None)


def test_projected_findings_read_as_english(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    report = _assess(
        make_bundle,
        catalog,
        "uk_school",
        documents=[_doc("tools", "assessment-tools")],
        practices=[_attest("eepm:B.5.2", "tools")],
    )
    message = report["uk_school:5.3"].findings[0].message
    assert "eepm:B.5.2 (met, attested) intersects this requirement" in message
    assert "is intersects" not in message


# -- summaries ---------------------------------------------------------------------------


def test_summaries_count_statuses_per_basis(catalog: mentorstd.Catalog) -> None:
    bundle = mentorstd.load_bundle(EXAMPLES / "oakfield", catalog=catalog)
    report = mentorstd.assess(bundle, "eepm", catalog)
    data = json.loads(report.to_json())
    assert all("basis" in r for r in data["results"])
    by_basis = data["summary_by_basis"]
    assert list(by_basis) == list(BASES)
    for status, count in data["summary"].items():
        assert sum(by_basis[b][status] for b in BASES) == count
    for basis in BASES:
        expected = sum(1 for r in data["results"] if r["basis"] == basis)
        assert sum(by_basis[basis].values()) == expected
    for group in data["standards"]:
        assert sum(sum(v.values()) for v in group["by_basis"].values()) == sum(
            group["counts"].values()
        )


# -- what to fix first, in every format --------------------------------------------------


def _oakfield(catalog: mentorstd.Catalog) -> mentorstd.Report:
    bundle = mentorstd.load_bundle(EXAMPLES / "oakfield", catalog=catalog)
    return mentorstd.assess(bundle, "eepm", catalog)


def test_reports_open_with_what_to_fix_first(catalog: mentorstd.Catalog) -> None:
    report = _oakfield(catalog)
    plan = build_plan(report, catalog)
    assert [g.requirement for g in report.fix_first] == [g.requirement for g in plan.goals[:5]]
    # safety goals lead
    assert report.fix_first[0].safety
    markdown = render_report(report, "markdown")
    assert markdown.index("## What to fix first") < markdown.index("## Summary")
    first = report.fix_first[0]
    assert f"**{first.requirement}** {first.title}" in markdown
    assert first.action in markdown
    html = render_report(report, "html")
    assert html.index("What to fix first") < html.index("<h2>Summary</h2>")
    assert str(escape(first.action)) in html


def test_every_format_shows_the_basis(catalog: mentorstd.Catalog) -> None:
    report = _oakfield(catalog)
    markdown = render_report(report, "markdown")
    assert "### eepm:PPM.5 Communications and marketing: partially met (documented only)" in (
        markdown
    )
    assert "| status | all | measured | attested | documented only |" in markdown
    html = render_report(report, "html")
    # documented-only and crosswalk results carry a pattern class and a label
    assert 'class="badge s-partially-met k-documented"' in html
    assert 'class="badge s-partially-met k-crosswalk"' in html
    assert '<span class="basis k-documented">documented only</span>' in html
    assert "Documents alone give at most partially-met" in html
    assert "Documents alone give at most partially-met" in markdown


def test_plan_text_is_a_flat_ranked_list_of_verbs(catalog: mentorstd.Catalog) -> None:
    plan = build_plan(_oakfield(catalog), catalog)
    text = plan_text(plan)
    ranks = [int(m.group(1)) for m in re.finditer(r"^(\d+)\. ", text, flags=re.MULTILINE)]
    assert ranks == list(range(1, len(plan.goals) + 1))
    actions = [line.strip()[2:] for line in text.splitlines() if line.startswith("     - ")]
    verbs = {
        "Add",
        "Attest",
        "Complete",
        "Date",
        "Interview",
        "Make",
        "Name",
        "Plan",
        "Put",
        "Raise",
        "Train",
        "Update",
        "Bring",
        "Check",
        "Failing:",
        "Once",
    }
    assert actions and all(a.split()[0] in verbs for a in actions), actions
    assert "direct evidence (the status comes only through" not in text
    markdown = plan_text(plan, markdown=True)
    assert "\n## " not in markdown  # no grouping by standard


def test_plan_html_lists_every_goal(catalog: mentorstd.Catalog) -> None:
    plan = build_plan(_oakfield(catalog), catalog)
    html = plan_html(plan)
    assert html.startswith("<!doctype html>")
    for goal in plan.goals:
        assert f'<tr id="{goal.requirement}">' in html


def test_cli_validate_prints_counts_first_and_titles(
    cli: Callable[..., Any], catalog: mentorstd.Catalog
) -> None:
    report = _oakfield(catalog)
    out = cli("validate", str(EXAMPLES / "oakfield"), "-F", "eepm")
    assert out.exit_code == 0
    text = out.stdout
    counts = f"partially-met {report.summary['partially-met']}"
    assert text.index(counts) < text.index("rests on:") < text.index("What to fix first")
    table = text.index("eepm:B.1.1 ")  # the table's first row comes after all of these
    assert text.index("What to fix first") < table
    first = report.fix_first[0]
    assert f"{first.requirement} {first.title}" in text
    assert "Realistic" in text[table:]  # the title column of B.1.1
    low = cli("validate", str(EXAMPLES / "oakfield"), "-F", "ima", "--min-confidence", "low")
    assert low.exit_code == 0
    bad = cli("validate", str(EXAMPLES / "oakfield"), "-F", "ima", "--min-confidence", "x")
    assert bad.exit_code == 2


def test_cli_plan_html(cli: Callable[..., Any], tmp_path: Path) -> None:
    target = tmp_path / "plan.html"
    out = cli("plan", str(EXAMPLES / "oakfield"), "-F", "eepm", "-f", "html", "-o", str(target))
    assert out.exit_code == 0
    assert "Improvement plan: Oakfield Academy Mentoring Scheme" in target.read_text("utf-8")


def test_lint_lists_requirements_met_by_a_document(cli: Callable[..., Any]) -> None:
    out = cli("lint")
    assert out.exit_code == 0
    assert "ima: a document alone suffices (sufficient: true) for 5 requirements" in out.stdout
    assert "I-7" in out.stdout
    assert STANDARDS.is_dir()


# -- batch, demo and crosswalk tables ------------------------------------------------------


def test_batch_summary_counts_per_basis(tmp_path: Path, catalog: mentorstd.Catalog) -> None:
    import csv
    import shutil

    from mentorstd.batch import run_batch

    root = tmp_path / "programs"
    shutil.copytree(EXAMPLES / "oakfield", root / "oakfield")
    out = tmp_path / "out"
    result = run_batch(root, "eepm", out, jobs=1)
    row = result.rows[0]
    report = _oakfield(catalog)
    results = report.results
    for basis in BASES:
        assert row[f"basis-{basis}"] == sum(1 for r in results if r.basis == basis)
    for status in ("met", "partially-met", "not-met"):
        assert row[f"{status}-crosswalk"] == sum(
            1 for r in results if r.basis == "crosswalk" and r.status == status
        )
    summary = (out / "summary.csv").read_text(encoding="utf-8").splitlines()
    (written,) = csv.DictReader(summary)
    assert int(written["basis-documented"]) == row["basis-documented"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "through the crosswalk" in index and "k-crosswalk" in index


def test_demo_index_marks_documented_and_crosswalk_counts(
    tmp_path: Path, catalog: mentorstd.Catalog
) -> None:
    import shutil

    from mentorstd.demo import run_demo

    source = tmp_path / "bundles"
    shutil.copytree(EXAMPLES / "oakfield", source / "oakfield")
    result = run_demo(catalog, tmp_path / "demo", bundles=source)
    assert result.index is not None
    index = result.index.read_text(encoding="utf-8")
    report = _oakfield(catalog)
    documented = report.summary_by_basis["documented"]["partially-met"]
    assert f'title="{documented} on documents alone"' in index
    assert result.by_basis[("oakfield", "eepm")] == report.summary_by_basis


def test_a_documented_only_goal_points_to_the_document_that_suffices(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    # uk_school:5.4 lists evaluation-report (sufficient), evaluation-plan and outcome-data: an
    # evaluation plan alone leaves it partially-met, and the report itself would be enough
    report = _assess(
        make_bundle,
        catalog,
        "uk_school",
        use_crosswalk=False,
        documents=[_doc("eval-plan", "evaluation-plan")],
    )
    assert (report["uk_school:5.4"].status, report["uk_school:5.4"].basis) == (
        "partially-met",
        "documented",
    )
    goal = next(g for g in build_plan(report, catalog).goals if g.requirement == "uk_school:5.4")
    assert goal.actions == [
        "Add a document of kind evaluation-report, which is enough here, or attest the "
        "practice in the bundle's practices: documents alone show only that the practice may "
        "exist."
    ]
