"""Statuses: every combination rule, projection through the crosswalk, the report's shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import mentorstd
from mentorstd.assessment import STATUS_RULES, combine

from .conftest import EXAMPLES, BundleFactory
from .test_metrics import MATCHES, TRAINING


def _report(
    make_bundle: BundleFactory,
    catalog: mentorstd.Catalog,
    framework: str = "eepm",
    use_crosswalk: bool = True,
    **kwargs: Any,
) -> mentorstd.Report:
    bundle = mentorstd.load_bundle(make_bundle(**kwargs), catalog=catalog)
    return mentorstd.assess(bundle, framework, catalog, use_crosswalk=use_crosswalk)


def _doc(doc_id: str, kind: str, date: str | None = "2025-06-01") -> dict[str, Any]:
    doc = {"id": doc_id, "kind": kind, "path": f"documents/{doc_id}.md"}
    if date:
        doc["date"] = date
    return doc


# -- measured checks -------------------------------------------------------------------------


def test_a_rate_against_a_threshold_is_met_or_not_met(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    report = _report(make_bundle, catalog, "uk_school", tables={"matches": MATCHES})
    result = report["uk_school:9.1"]
    assert result.status == "not-met"
    (finding,) = [f for f in result.findings if f.check == "pair-completion-rate"]
    assert (finding.value, finding.threshold, finding.failing) == (
        pytest.approx(1 / 3),
        0.9,
        ["M2", "M3"],
    )
    done = [
        {
            **m,
            "end_date": m["planned_end_date"] if m["planned_end_date"] < "2025-12-31" else None,
            "closure_reason": "completed" if m["planned_end_date"] < "2025-12-31" else None,
        }
        for m in MATCHES
    ]
    assert (
        _report(make_bundle, catalog, "uk_school", tables={"matches": done})["uk_school:9.1"].status
        == "met"
    )


def test_a_per_person_rule_is_partially_met_when_some_pass(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    report = _report(make_bundle, catalog, tables={"matches": MATCHES, "training": TRAINING})
    b31 = report["eepm:B.3.1"]
    assert b31.status == "partially-met"
    (finding,) = [f for f in b31.findings if f.check == "pre-match-training-hours"]
    # the training table is also evidence of the 'training-records' kind
    assert [f.code for f in b31.findings] == ["metric-some-fail", "documented-only"]
    assert (finding.passed, finding.total, finding.failing) == (2, 3, ["A3"])
    assert finding.scope == "each mentor"
    e32 = report["eepm:E.3.2"]  # nobody has 6 hours
    assert e32.status == "not-met" and e32.findings[0].failing == ["A1", "A2", "A3"]
    everyone = [
        *TRAINING,
        {
            "person_id": "A3",
            "role": "mentor",
            "date": "2025-02-21",
            "hours": 1,
            "phase": "pre-match",
        },
    ]
    again = _report(make_bundle, catalog, tables={"matches": MATCHES, "training": everyone})
    assert again["eepm:B.3.1"].status == "met"


def test_measurements_decide_over_attestations(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    report = _report(
        make_bundle,
        catalog,
        tables={"matches": MATCHES, "training": TRAINING},
        documents=[_doc("curriculum", "training-curriculum")],
        practices=[
            {"requirement": "eepm:B.3.1", "status": "implemented", "evidence": ["curriculum"]}
        ],
    )
    result = report["eepm:B.3.1"]
    assert result.status == "partially-met"
    assert [f.check for f in result.findings] == ["pre-match-training-hours", "attestation"]


# -- attestations and documents --------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "evidence", "expected", "code"),
    [
        ("implemented", True, "met", "attested"),
        ("implemented", False, "partially-met", "attested-without-evidence"),
        ("partial", True, "partially-met", "attested-partial"),
        ("planned", False, "not-met", "attested-planned"),
        ("not-implemented", False, "not-met", "attested-not-implemented"),
        ("not-applicable", False, "not-applicable", "attested-not-applicable"),
    ],
)
def test_attestation_rules(
    make_bundle: BundleFactory,
    catalog: mentorstd.Catalog,
    status: str,
    evidence: bool,
    expected: str,
    code: str,
) -> None:
    practice: dict[str, Any] = {"requirement": "ima:III-3", "status": status}
    documents = []
    if evidence:
        documents = [_doc("mismatch", "relationship-issue-policy")]
        practice["evidence"] = ["mismatch"]
    report = _report(make_bundle, catalog, "ima", documents=documents, practices=[practice])
    result = report["ima:III-3"]
    assert result.status == expected
    assert result.findings[0].code == code


def test_documents_without_an_attestation_count(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    report = _report(
        make_bundle, catalog, "ima", documents=[_doc("mismatch", "relationship-issue-policy")]
    )
    result = report["ima:III-3"]
    assert result.status == "met"
    assert result.findings[0].code == "documents-present"
    assert result.findings[0].evidence == ["mismatch"]


def test_the_programs_own_attestation_outranks_documents_of_the_same_kind(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    report = _report(
        make_bundle,
        catalog,
        "ima",
        documents=[_doc("mismatch", "relationship-issue-policy")],
        practices=[{"requirement": "ima:III-3", "status": "not-implemented"}],
    )
    assert report["ima:III-3"].status == "not-met"


def test_nothing_in_the_bundle_is_not_assessed(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    report = _report(make_bundle, catalog, "ima", use_crosswalk=False)
    assert set(report.summary) == {
        "met",
        "partially-met",
        "not-met",
        "not-assessed",
        "not-applicable",
    }
    assert report.summary["not-assessed"] == 22
    finding = report["ima:V-2"].findings[0]
    assert finding.code == "no-evidence"


def test_combine_directly() -> None:
    from mentorstd.checks import Finding

    def f(check: str, status: str) -> Finding:
        return Finding(code="x", check=check, status=status, message="m")  # type: ignore[arg-type]

    assert combine([]) == "not-assessed"
    # the program's own statement decides over documents
    assert combine([f("document", "met"), f("attestation", "not-met")]) == "not-met"
    assert combine([f("success-rate", "met"), f("attestation", "not-met")]) == "met"
    assert combine([f("success-rate", "met"), f("pair-completion-rate", "not-met")]) == (
        "partially-met"
    )
    assert combine([f("attestation", "not-applicable"), f("success-rate", "met")]) == (
        "not-applicable"
    )


# -- through the crosswalk -----------------------------------------------------------------


def test_met_travels_along_superset(make_bundle: BundleFactory, catalog: mentorstd.Catalog) -> None:
    kwargs = {
        "documents": [_doc("plan", "strategic-plan")],
        "practices": [{"requirement": "eepm:PPM.4", "status": "implemented", "evidence": ["plan"]}],
    }
    direct = _report(make_bundle, catalog, "uk_school", use_crosswalk=False, **kwargs)
    assert direct["uk_school:4.2"].status == "not-assessed"
    report = _report(make_bundle, catalog, "uk_school", **kwargs)
    result = report["uk_school:4.2"]
    assert result.status == "met"
    assert result.via is not None
    via = json.loads(result.via.model_dump_json(by_alias=True))
    assert via == {
        "from": "eepm:PPM.4",
        "path": ["eepm:PPM.4", "uk_school:4.2"],
        "relations": ["superset"],
        "confidence": "high",
        "inferred": False,
        "source_status": "met",
        "source_basis": "attested",
    }
    assert result.basis == "crosswalk"
    assert result.findings[0].code == "via-crosswalk"


def test_met_along_intersects_is_only_partial(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    report = _report(
        make_bundle,
        catalog,
        "uk_school",
        documents=[_doc("tools", "assessment-tools")],
        practices=[{"requirement": "eepm:B.5.2", "status": "implemented", "evidence": ["tools"]}],
    )
    result = report["uk_school:5.3"]
    assert result.status == "partially-met"
    assert result.via is not None and result.via.relations == ["intersects"]


def test_not_met_travels_along_subset(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    screening = [r.global_id for r in catalog.framework("eepm").children("2")]
    report = _report(
        make_bundle,
        catalog,
        "npss",
        practices=[{"requirement": gid, "status": "not-implemented"} for gid in screening],
    )
    result = report["npss:placement-eepm-standards"]
    assert result.status == "not-met"
    assert result.via is not None
    assert result.via.from_ == "eepm:2" and result.via.relations == ["subset"]


def test_not_met_does_not_travel_along_superset(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    # eepm:4 is a superset of npss:placement-initiation: failing the larger says nothing
    matching = [r.global_id for r in catalog.framework("eepm").children("4")]
    report = _report(
        make_bundle,
        catalog,
        "npss",
        practices=[{"requirement": gid, "status": "not-implemented"} for gid in matching],
    )
    result = report["npss:placement-initiation"]
    assert result.via is None or result.via.from_ != "eepm:4"


# -- the report ----------------------------------------------------------------------------


def test_report_shape_follows_the_design(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    report = _report(make_bundle, catalog, "uk_school", tables={"matches": MATCHES})
    data = json.loads(report.to_json())
    assert data["framework"] == "uk_school" and data["bundle"].startswith("bundle")
    assert set(data["summary"]) == {
        "met",
        "partially-met",
        "not-met",
        "not-assessed",
        "not-applicable",
    }
    assert sum(data["summary"].values()) == len(data["results"]) == 34
    first = data["results"][0]
    assert {"requirement", "status", "via", "findings"} <= set(first)
    kpi = next(r for r in data["results"] if r["requirement"] == "uk_school:9.1")
    finding = next(f for f in kpi["findings"] if f["check"] == "pair-completion-rate")
    assert {"check", "message", "value", "threshold", "failing"} <= set(finding)
    assert data["status_rules"] == list(STATUS_RULES)
    assert [s["requirement"] for s in data["standards"]] == [f"uk_school:{n}" for n in range(1, 10)]
    assert data["evidence"]["tables"][0]["sha256"]


def test_markdown_and_html_escape_bundle_text(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    from mentorstd.report import render_report

    nasty = "<script>alert(1)</script> | **bold**"
    report = _report(
        make_bundle,
        catalog,
        "ima",
        documents=[{**_doc("mismatch", "relationship-issue-policy"), "title": nasty}],
        practices=[{"requirement": "ima:III-3", "status": "not-applicable", "note": nasty}],
    )
    html = render_report(report, "html")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    markdown = render_report(report, "markdown")
    assert "<script>" not in markdown and "\\| \\*\\*bold\\*\\*" in markdown


def test_cadence_findings_name_the_party_contacted(catalog: mentorstd.Catalog) -> None:
    bundle = mentorstd.load_bundle(EXAMPLES / "oakfield", catalog=catalog)
    report = mentorstd.assess(bundle, "eepm", catalog)
    cadence = [f for r in report.results for f in r.findings if f.check == "staff-contact-cadence"]
    parties = {f.params["with"] for f in cadence}
    assert parties == {"mentor", "mentee", "parent"}
    for finding in cadence:
        assert f"staff contact cadence with the {finding.params['with']}" in finding.message


# -- what reading the bundle noted -----------------------------------------------------------


def test_every_report_says_what_reading_the_bundle_left_unchecked(
    make_bundle: BundleFactory, cli: Any, tmp_path: Path
) -> None:
    """Contacts without a matches table: their match ids are checked against nothing. Every
    output says so, not only stderr (a funder reads the report, not the terminal)."""
    folder = make_bundle(
        tables={
            "contacts": [
                {"match_id": "M9", "date": "2025-03-01", "with": "mentor", "mode": "phone"}
            ]
        },
        documents=[{"id": "odd", "kind": "no-such-kind", "path": "documents/odd.md"}],
    )
    note = "data/contacts.csv: match_id: not checked: the bundle has no matches table"
    bundle = mentorstd.load_bundle(folder)
    report = mentorstd.assess(bundle, "eepm")
    assert note in report.evidence.notes
    assert any("unknown evidence kind 'no-such-kind'" in n for n in report.evidence.notes)
    assert report.evidence.notes == bundle.warnings
    assert json.loads(report.to_json())["evidence"]["notes"] == bundle.warnings
    assert note.replace("_", "\\_") in report.to_markdown()
    assert f"<li>{note}</li>" in report.to_html()
    out = tmp_path / "r.xlsx"
    assert cli("validate", str(folder), "-F", "eepm", "-o", str(out)).exit_code == 0
    about = pl.read_excel(out, sheet_name="About", infer_schema_length=0)
    assert note in about.filter(pl.col("key") == "bundle note")["value"].to_list()
    # the terminal summary ends with them; stderr says them as the bundle is read
    shown = cli("validate", str(folder), "-F", "eepm")
    assert shown.stdout.count(note) == 1 and f"mentorstd: note: {note}" in shown.stderr
    # a batch's reports hold them too
    batch = cli("batch", str(folder.parent), "-F", "eepm", "-o", str(tmp_path / "b"), "-j", "1")
    assert batch.exit_code == 0, batch.stderr
    kept = json.loads((tmp_path / "b" / f"{folder.name}.json").read_text(encoding="utf-8"))
    assert note in kept["evidence"]["notes"]


def test_a_report_counts_ignored_columns_without_naming_them(
    make_bundle: BundleFactory, cli: Any
) -> None:
    """A report prints no text from the tables: the names of ignored columns (a header may be
    anything, and with personal data allowed none was checked) stay on the terminal."""
    folder = make_bundle(tables={"matches": MATCHES})
    path = folder / "data" / "matches.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ",Jane Doe notes", *(line + ",x" for line in lines[1:])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("validate", str(folder), "-F", "eepm", "-f", "json", "--allow-personal-data")
    assert result.exit_code == 0, result.stderr
    assert "Jane Doe" not in result.stdout
    assert json.loads(result.stdout)["evidence"]["notes"] == [
        "data/matches.csv: ignored 1 column that nothing maps to (a report does not name them)"
    ]
    assert "ignored 1 column that nothing maps to: 'Jane Doe notes'" in result.stderr


def test_a_bundle_read_without_notes_has_an_empty_list() -> None:
    report = mentorstd.assess(mentorstd.load_bundle(EXAMPLES / "riverside"), "uk_school")
    assert report.evidence.notes == []
    assert "Noted while reading" not in report.to_markdown()
