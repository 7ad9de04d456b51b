"""The example bundle in export dress (its own headers, US dates, capitalised values, BOM and
CRLF, a semicolon file, an xlsx sheet, a profile and a self-assessment sheet) assesses
exactly as its canonical twin, riverside, under every framework."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

import mentorstd

from .conftest import EXAMPLES, ROOT

DAY = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def twins(catalog: mentorstd.Catalog) -> tuple[mentorstd.Bundle, mentorstd.Bundle]:
    dressed = mentorstd.load_bundle(EXAMPLES / "riverside-export", catalog=catalog)
    plain = mentorstd.load_bundle(EXAMPLES / "riverside", catalog=catalog)
    return dressed, plain


def test_the_dressed_files_really_are_in_export_dress() -> None:
    folder = EXAMPLES / "riverside-export"
    matches = (folder / "data" / "matches.csv").read_bytes()
    assert matches.startswith(b"\xef\xbb\xbfMatch ID,Volunteer ID,") and b"\r\n" in matches
    assert b"/2025," in matches  # US dates
    assert (folder / "data" / "outcomes.csv").read_bytes().count(b";") > 100
    assert (folder / "data" / "contacts.xlsx").read_bytes().startswith(b"PK")
    sheet = (folder / "self-assessment.csv").read_text(encoding="utf-8-sig")
    assert sheet.startswith("Requirement ID,Our Status,") and "Not Implemented" in sheet


def test_tables_and_attestations_equal_the_canonical_twin(
    twins: tuple[mentorstd.Bundle, mentorstd.Bundle],
) -> None:
    dressed, plain = twins
    assert dressed.warnings == []
    assert dressed.practices == plain.practices
    assert dressed.tables.keys() == plain.tables.keys()
    for name, table in plain.tables.items():
        assert dressed.tables[name].frame.equals(table.frame), name


@pytest.mark.parametrize("framework", ["eepm", "ima", "uk_school", "npss"])
def test_reports_equal_the_canonical_twin(
    twins: tuple[mentorstd.Bundle, mentorstd.Bundle], catalog: mentorstd.Catalog, framework: str
) -> None:
    dressed, plain = twins
    got = json.loads(mentorstd.assess(dressed, framework, catalog, as_of=DAY).to_json())
    want = json.loads(mentorstd.assess(plain, framework, catalog, as_of=DAY).to_json())
    # the only differences allowed: the bundle's name and the contacts file named as evidence
    text = json.dumps(got).replace("data/contacts.xlsx[Match Support]", "data/contacts.csv")
    got = json.loads(text.replace('"riverside-export"', '"riverside"'))
    # the inputs record the files' own hashes: the documents are the same files, the tables
    # hold the same rows in other bytes
    got_inputs, want_inputs = got.pop("evidence"), want.pop("evidence")
    assert got_inputs["documents"] == want_inputs["documents"]
    rows = [[t["rows"] for t in inputs["tables"]] for inputs in (got_inputs, want_inputs)]
    assert rows[0] == rows[1]
    assert got == want


def test_the_worked_profile_in_the_docs_reads_the_export(
    tmp_path: Path, twins: tuple[mentorstd.Bundle, mentorstd.Bundle]
) -> None:
    docs = (ROOT / "docs" / "bundles.md").read_text(encoding="utf-8")
    block = docs.split("# profiles/matchbase.yaml\n", 1)[1].split("```", 1)[0]
    folder = tmp_path / "riverside-export"
    shutil.copytree(EXAMPLES / "riverside-export", folder)
    (folder / "profiles" / "matchbase.yaml").write_text(block, encoding="utf-8")
    bundle = mentorstd.load_bundle(folder)
    _, plain = twins
    assert bundle.practices == plain.practices
    for name, table in plain.tables.items():
        assert bundle.tables[name].frame.equals(table.frame), name
