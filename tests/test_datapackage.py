"""The Frictionless descriptor: the shipped example bundles (the export-dress one too, described
as its files are) validate with frictionless against it, a bundle may carry it, and it catches
what mentorstd's table rules catch."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml

import mentorstd
from mentorstd.interop.datapackage import to_datapackage
from mentorstd.tables import TABLES

from .conftest import EXAMPLES

frictionless = pytest.importorskip("frictionless")


BUNDLES = sorted(p.name for p in EXAMPLES.iterdir() if (p / "bundle.yaml").is_file())


def _validate(descriptor: Path) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the reference library's own deprecations
        return frictionless.Package(str(descriptor)).validate()


def _errors(report: Any) -> list[tuple[str, str]]:
    return [(task.name, err.type) for task in report.tasks for err in task.errors]


@pytest.mark.parametrize("name", BUNDLES)
def test_example_bundles_validate_with_frictionless(
    name: str, cli: Any, tmp_path: Path, catalog: mentorstd.Catalog
) -> None:
    bundle = tmp_path / name
    shutil.copytree(EXAMPLES / name, bundle)
    descriptor = bundle / "datapackage.json"
    # a bundle may carry its descriptor; written into a copy here, the examples stay as shipped
    result = cli("schema", "datapackage", "--bundle", str(bundle), "-o", str(descriptor))
    assert result.exit_code == 0, result.stderr
    report = _validate(descriptor)
    assert report.valid, _errors(report)[:5]
    data = json.loads(descriptor.read_text("utf-8"))
    tables = mentorstd.load_bundle(bundle, catalog=catalog).tables
    csv_tables = [t for t in TABLES if t in tables and tables[t].path.suffix == ".csv"]
    assert [r["name"] for r in data["resources"]] == csv_tables
    for resource in data["resources"]:  # each file described by its own headers
        assert [f["name"] for f in resource["schema"]["fields"]] == tables[resource["name"]].header
    # and mentorstd still reads the bundle that carries it
    assert cli("validate", str(bundle), "-F", "ima", "-f", "json").exit_code == 0


def test_the_canonical_descriptor_states_keys_types_and_enumerations() -> None:
    doc, notes = to_datapackage()
    assert notes == []
    res = {r["name"]: r for r in doc["resources"]}
    assert list(res) == list(TABLES)
    assert res["matches"]["path"] == "data/matches.csv"
    assert res["matches"]["schema"]["primaryKey"] == ["match_id"]
    assert res["screening"]["schema"]["primaryKey"] == ["mentor_id"]
    assert res["contacts"]["schema"]["foreignKeys"] == [
        {"fields": ["match_id"], "reference": {"resource": "matches", "fields": ["match_id"]}}
    ]
    fields = {f["name"]: f for f in res["matches"]["schema"]["fields"]}
    assert fields["start_date"]["type"] == "date"
    assert fields["closure_reason"]["constraints"]["enum"] == [
        "completed",
        "mentor-withdrew",
        "mentee-withdrew",
        "family-withdrew",
        "rematched",
        "program-ended",
        "other",
    ]
    survey = {f["name"]: f for f in res["surveys"]["schema"]["fields"]}
    assert survey["satisfaction"] == {
        "name": "satisfaction",
        "type": "integer",
        "constraints": {"minimum": 1, "maximum": 5},
    }
    hours = {f["name"]: f for f in res["training"]["schema"]["fields"]}["hours"]
    assert hours["type"] == "number" and hours["constraints"]["required"] is True


def test_frictionless_finds_the_errors_mentorstd_refuses(
    make_bundle: Any, tmp_path: Path, catalog: mentorstd.Catalog
) -> None:
    bundle = make_bundle(
        tables={
            "matches": [
                {"match_id": "M1", "mentor_id": "A", "mentee_id": "B", "start_date": "2025-01-05"},
                {"match_id": "M2", "mentor_id": "C", "mentee_id": "D", "start_date": "2025-02-01"},
            ],
            "contacts": [
                {"match_id": "M1", "date": "2025-01-20", "with": "mentor"},
                {"match_id": "M2", "date": "2025-02-20", "with": "mentee"},
            ],
        }
    )
    doc, _ = to_datapackage(mentorstd.load_bundle(bundle, catalog=catalog))
    descriptor = bundle / "datapackage.json"
    descriptor.write_text(json.dumps(doc), encoding="utf-8")
    assert _validate(descriptor).valid
    # now break it three ways: a duplicate key, an unknown enum value, a dangling reference
    (bundle / "data" / "matches.csv").write_text(
        "match_id,mentor_id,mentee_id,start_date,planned_end_date,end_date,closure_reason\n"
        "M1,A,B,2025-01-05,,,\n"
        "M1,C,D,2025-02-01,,2025-06-01,graduated\n",
        encoding="utf-8",
    )
    (bundle / "data" / "contacts.csv").write_text(
        "match_id,date,with\nM1,2025-01-20,mentor\nM9,2025-02-20,mentee\n", encoding="utf-8"
    )
    errors = _errors(_validate(descriptor))
    assert ("matches", "primary-key") in errors
    assert ("matches", "constraint-error") in errors
    assert ("contacts", "foreign-key") in errors
    with pytest.raises(mentorstd.errors.BundleError):
        mentorstd.load_bundle(bundle, catalog=catalog)


def test_optional_columns_a_file_lacks_are_left_out(
    make_bundle: Any, catalog: mentorstd.Catalog
) -> None:
    bundle = make_bundle(
        tables={
            "matches": [
                {"match_id": "M1", "mentor_id": "A", "mentee_id": "B", "start_date": "2025-01-05"}
            ],
            "surveys": [
                {"respondent_id": "B", "role": "mentee", "date": "2025-06-01", "satisfaction": 4}
            ],
        }
    )
    doc, _ = to_datapackage(mentorstd.load_bundle(bundle, catalog=catalog))
    surveys = next(r for r in doc["resources"] if r["name"] == "surveys")
    names = [f["name"] for f in surveys["schema"]["fields"]]
    assert "match_id" not in names  # no column, so no field and no foreign key
    assert "foreignKeys" not in surveys["schema"]
    descriptor = bundle / "datapackage.json"
    descriptor.write_text(json.dumps(doc), encoding="utf-8")
    assert _validate(descriptor).valid


def test_an_export_dress_bundle_is_described_as_its_files_are(
    tmp_path: Path, catalog: mentorstd.Catalog
) -> None:
    bundle = tmp_path / "export"
    shutil.copytree(EXAMPLES / "riverside-export", bundle)
    doc, notes = to_datapackage(mentorstd.load_bundle(bundle, catalog=catalog))
    res = {r["name"]: r for r in doc["resources"]}
    assert "contacts" not in res  # a workbook sheet
    assert any("data/contacts.xlsx is not a CSV file" in n for n in notes)
    assert res["outcomes"]["dialect"] == {"delimiter": ";"}
    matches = {f["name"]: f for f in res["matches"]["schema"]["fields"]}
    assert res["matches"]["schema"]["primaryKey"] == ["Match ID"]
    assert matches["Match Start Date"]["format"] == "%m/%d/%Y"
    assert matches["Match Start Date"]["constraints"]["minimum"] == "01/01/1900"
    # mapped words ('Mentor withdrew') are not in the enumeration: none is stated, and said
    assert "enum" not in matches["Closure Reason"].get("constraints", {})
    assert any("'Closure Reason' holds words mentorstd maps" in n for n in notes)
    assert res["surveys"]["schema"]["foreignKeys"] == [
        {"fields": ["Match ID"], "reference": {"resource": "matches", "fields": ["Match ID"]}}
    ]
    descriptor = bundle / "datapackage.json"
    descriptor.write_text(json.dumps(doc), encoding="utf-8")
    assert _validate(descriptor).valid
    # a date out of the declared format and a survey of an unknown match: both caught
    path = bundle / "data" / "surveys.csv"
    text = path.read_text("utf-8-sig")
    first = text.splitlines()[1]
    bad = first.replace("RI-0001", "RI-9999", 1).replace("06/30/2026", "2026-06-30", 1)
    path.write_text(text + bad + "\n", encoding="utf-8-sig")
    errors = _errors(_validate(descriptor))
    assert ("surveys", "foreign-key") in errors
    assert ("surveys", "type-error") in errors


def test_bundle_option_goes_with_datapackage_only(cli: Any) -> None:
    result = cli("schema", "report", "--bundle", str(EXAMPLES / "riverside"))
    assert result.exit_code == 2
    assert "--bundle goes with 'schema datapackage' only" in result.stderr


def test_mapped_numbers_and_two_digit_years_are_described_as_they_are(
    make_bundle: Any, catalog: mentorstd.Catalog
) -> None:
    bundle = make_bundle(
        tables={
            "matches": [
                {"match_id": "M1", "mentor_id": "A", "mentee_id": "B", "start_date": "01/05/25"}
            ],
            "surveys": [
                {"respondent_id": "B", "role": "mentee", "satisfaction": "Very satisfied"},
                {"respondent_id": "A", "role": "mentor", "satisfaction": "3"},
            ],
        }
    )
    manifest = yaml.safe_load((bundle / "bundle.yaml").read_text("utf-8"))
    manifest["data"]["matches"] = {"path": "data/matches.csv", "date_format": "%m/%d/%y"}
    manifest["data"]["surveys"] = {
        "path": "data/surveys.csv",
        "values": {"satisfaction": {"Very satisfied": "5"}},
    }
    (bundle / "bundle.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    doc, notes = to_datapackage(mentorstd.load_bundle(bundle, catalog=catalog))
    res = {r["name"]: r for r in doc["resources"]}
    start = {f["name"]: f for f in res["matches"]["schema"]["fields"]}["start_date"]
    assert start["format"] == "%m/%d/%y" and "minimum" not in start.get("constraints", {})
    satisfaction = {f["name"]: f for f in res["surveys"]["schema"]["fields"]}["satisfaction"]
    assert satisfaction == {"name": "satisfaction", "type": "string"}
    assert any("does not state its type (integer)" in n for n in notes)
    descriptor = bundle / "datapackage.json"
    descriptor.write_text(json.dumps(doc), encoding="utf-8")
    assert _validate(descriptor).valid
