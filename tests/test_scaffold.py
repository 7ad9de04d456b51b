"""`mentorstd init`: a fresh bundle (CSV or one workbook) that validates as it is, with every
requirement not assessed, and a self-assessment sheet listing the chosen frameworks."""

from __future__ import annotations

import csv
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import mentorstd
from mentorstd.models import ASSESSABLE_KINDS
from mentorstd.tables import TABLES


def _summary(cli: Callable[..., Any], folder: Path, framework: str) -> dict[str, int]:
    result = cli("validate", str(folder), "--framework", framework, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    summary: dict[str, int] = json.loads(result.stdout)["summary"]
    return summary


def test_init_writes_a_bundle_that_validates_with_everything_not_assessed(
    tmp_path: Path, cli: Callable[..., Any], catalog: mentorstd.Catalog
) -> None:
    folder = tmp_path / "new"
    result = cli("init", str(folder), "--framework", "eepm", "--framework", "ima")
    assert result.exit_code == 0, result.stderr
    for name, columns in TABLES.items():
        text = (folder / "data" / f"{name}.csv").read_text(encoding="utf-8")
        assert text == ",".join(c.name for c in columns) + "\n"
    with (folder / "self-assessment.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    expected = [
        r
        for fid in ("eepm", "ima")
        for r in catalog.frameworks[fid].requirements
        if r.kind in ASSESSABLE_KINDS
    ]
    assert [r["requirement"] for r in rows] == [r.global_id for r in expected]
    assert [r["title"] for r in rows] == [r.title for r in expected]
    assert {r["status"] for r in rows} == {""}
    assert "# " in (folder / "bundle.yaml").read_text(encoding="utf-8")  # commented
    for fid in catalog.frameworks:
        summary = _summary(cli, folder, fid)
        assert summary["not-assessed"] == sum(summary.values()), (fid, summary)


def test_a_filled_sheet_row_is_an_attestation(tmp_path: Path, cli: Callable[..., Any]) -> None:
    folder = tmp_path / "new"
    assert cli("init", str(folder), "-F", "eepm").exit_code == 0
    sheet = folder / "self-assessment.csv"
    text = sheet.read_text(encoding="utf-8")
    first = text.splitlines()[1]
    sheet.write_text(text.replace(first, first.replace(",,,", ",Implemented,,", 1)), "utf-8")
    bundle = mentorstd.load_bundle(folder)
    (requirement,) = bundle.practices
    assert requirement == first.split(",")[0]
    assert bundle.practices[requirement].status == "implemented"


def test_init_xlsx_writes_one_workbook_with_drop_downs(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    folder = tmp_path / "new"
    result = cli("init", str(folder), "--xlsx", "-F", "uk_school")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["bundle.xlsx", "bundle.yaml", "documents"]
    with zipfile.ZipFile(folder / "bundle.xlsx") as book:
        sheets = sorted(n for n in book.namelist() if n.startswith("xl/worksheets/sheet"))
        assert len(sheets) == len(TABLES) + 1
        contacts = book.read("xl/worksheets/sheet2.xml").decode()
        # the 'with' column (C) of contacts offers its three choices
        assert 'type="list"' in contacts and '"mentor,mentee,parent"' in contacts
    summary = _summary(cli, folder, "uk_school")
    assert summary["not-assessed"] == sum(summary.values())


def test_init_refuses_a_folder_with_files(tmp_path: Path, cli: Callable[..., Any]) -> None:
    (tmp_path / "x.txt").write_text("keep me", encoding="utf-8")
    result = cli("init", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr.startswith("mentorstd: error: ")
    assert "not an empty folder" in result.stderr
    assert (tmp_path / "x.txt").read_text(encoding="utf-8") == "keep me"


@pytest.mark.parametrize("framework", ["nope"])
def test_init_refuses_an_unknown_framework(
    tmp_path: Path, cli: Callable[..., Any], framework: str
) -> None:
    result = cli("init", str(tmp_path / "new"), "-F", framework)
    assert result.exit_code == 2
    assert not (tmp_path / "new").exists()
