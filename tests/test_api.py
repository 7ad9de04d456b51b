"""The Python API as a user meets it: short reprs, reports that behave like collections,
KeyErrors that point at the right id, renderers on the report, plan and diff at top level."""

from __future__ import annotations

import datetime as dt
import pickle

import pytest

import mentorstd
from mentorstd.report import render_report

from .conftest import EXAMPLES

DAY = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def bundle(catalog: mentorstd.Catalog) -> mentorstd.Bundle:
    return mentorstd.load_bundle(EXAMPLES / "oakfield", catalog=catalog)


@pytest.fixture(scope="module")
def report(bundle: mentorstd.Bundle, catalog: mentorstd.Catalog) -> mentorstd.Report:
    return mentorstd.assess(bundle, "uk_school", catalog, as_of=DAY)


def test_reprs_are_short_and_say_what_it_is(
    catalog: mentorstd.Catalog, bundle: mentorstd.Bundle, report: mentorstd.Report
) -> None:
    n_results = len(report.results)
    assert repr(report).startswith(f"<Report uk_school of 'oakfield' on 2026-11-23: {n_results}")
    assert repr(bundle).startswith("<Bundle 'oakfield' (Oakfield Academy Mentoring Scheme,")
    assert f"matches {len(bundle.tables['matches'])}" in repr(bundle)
    assert repr(catalog).startswith("<Catalog 4 frameworks (eepm, ima, npss, uk_school)")
    assert repr(catalog.framework("ima")).startswith("<Framework ima: ")
    assert repr(catalog.requirement("uk_school:9.1")).startswith("<Requirement uk_school:9.1 ")
    assert repr(report["uk_school:9.1"]).startswith("<Result uk_school:9.1 ")
    for obj in (catalog, bundle, report, report.results[0], catalog.framework("eepm")):
        assert len(repr(obj)) < 400


def test_a_report_is_a_collection_of_results(report: mentorstd.Report) -> None:
    assert len(report) == len(report.results)
    assert list(report) == report.results
    assert all(isinstance(r, mentorstd.Result) for r in report)
    assert "uk_school:9.1" in report and "uk_school:99.1" not in report
    assert report.get("uk_school:99.1") is None
    # pydantic behaviour is kept where it matters
    assert mentorstd.Report.model_validate_json(report.to_json()) == report
    assert pickle.loads(pickle.dumps(report)) == report
    assert set(report.model_dump()) == set(type(report).model_fields)


def test_keyerrors_point_at_the_global_id(
    report: mentorstd.Report, catalog: mentorstd.Catalog
) -> None:
    with pytest.raises(KeyError, match=r"did you mean 'uk_school:9\.1'\?"):
        report["9.1"]
    req = catalog.requirement("uk_school:9.1")
    assert req.id == "9.1"  # local, as numbered in the source
    assert report[req] is report["uk_school:9.1"]  # a Requirement works as a key
    assert report[req.global_id].status == report["uk_school:9.1"].status
    fw = catalog.framework("uk_school")
    assert fw.requirement("uk_school:9.1") is fw.requirement("9.1")
    assert "uk_school:9.1" in fw and "9.1" in fw and "eepm:9.1" not in fw
    with pytest.raises(KeyError, match=r"did you mean '9\.1'"):
        fw.requirement("9.10")


def test_catalog_containment_and_suggestions(catalog: mentorstd.Catalog) -> None:
    assert len(catalog) == 4
    assert [fw.id for fw in catalog] == list(catalog.frameworks)
    assert "ima" in catalog and "ima:III-2" in catalog and "ima:X" not in catalog
    with pytest.raises(mentorstd.UnknownIdError, match="did you mean 'ima'"):
        catalog.framework("IMA")
    with pytest.raises(mentorstd.UnknownIdError, match=r"did you mean 'eepm:B\.3\.1'"):
        catalog.requirement("B.3.1")


def test_related_refuses_an_unknown_target(catalog: mentorstd.Catalog) -> None:
    with pytest.raises(mentorstd.UnknownIdError, match="unknown framework 'foo'"):
        catalog.crosswalk.related("eepm:B.3.1", target="foo")


def test_report_renderers(report: mentorstd.Report) -> None:
    assert report.to_markdown() == render_report(report, "markdown")
    assert report.to_html() == render_report(report, "html")
    assert report.to_html().startswith("<!doctype html>")


def test_plan_and_diff_are_public(report: mentorstd.Report, catalog: mentorstd.Catalog) -> None:
    for name in ("build_plan", "Plan", "Goal", "diff_reports", "ReportDiff", "load_report"):
        assert name in mentorstd.__all__
    plan = mentorstd.build_plan(report, catalog)
    assert isinstance(plan, mentorstd.Plan)
    gaps = [r.requirement for r in report if r.status not in {"met", "not-applicable"}]
    assert sorted(g.requirement for g in plan.goals) == sorted(gaps)
    diff = mentorstd.diff_reports(report, report)
    assert isinstance(diff, mentorstd.ReportDiff)
    assert not diff.improved and not diff.regressed and len(diff.unchanged) == len(report)
    from mentorstd.diff import diff_text

    assert diff.to_text() == diff_text(diff)
    assert diff.to_markdown() == diff_text(diff, markdown=True)
    assert mentorstd.load_report is not None


def test_html_metrics_table_has_values_with_units(
    bundle: mentorstd.Bundle, catalog: mentorstd.Catalog
) -> None:
    """Per-entity metrics show their median and range, units are stated, closure reasons
    count ended matches (never '0/N'), and long hashes can wrap."""
    import re

    report = mentorstd.assess(bundle, "eepm", catalog, as_of=DAY)
    page = report.to_html()
    table = page[page.index("<h2>Metrics</h2>") : page.index("<h2>Evidence</h2>")]
    rows = re.findall(r"<tr><td><code>([^<]+)</code></td>.*?</tr>", table, re.DOTALL)
    assert rows == [m.metric for m in report.metrics]
    cells = re.findall(r'<td class="num">(.*?)</td>', table, re.DOTALL)
    assert len(cells) == len(rows) and all(cell.strip() for cell in cells)
    hours = next(m for m in report.metrics if m.metric == "pre-match-training-hours").result
    summary = hours["entity_summary"]
    assert f"median {summary['median']:g} hours" in table
    assert f"range {summary['min']:g}\N{EN DASH}{summary['max']:g} hours" in table
    closure = next(m for m in report.metrics if m.metric == "closure-reasons").result
    assert f"{closure['denominator']} ended matches</td>" in table
    assert f"<td>completed {closure['details']['completed']}, " in table
    assert not re.search(r">0/\d", table)
    assert "word-break: break-all" in page


def test_no_empty_nqms_step_table(bundle: mentorstd.Bundle, catalog: mentorstd.Catalog) -> None:
    report = mentorstd.assess(bundle, "eepm", catalog, as_of=DAY)
    assert report.nqms is not None and report.nqms["steps"] == []  # oakfield has no nqms
    page = report.to_html()
    assert "<h2>NQMS cycle</h2>" in page
    assert "<th>Step</th>" not in page
