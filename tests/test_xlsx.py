"""Spreadsheets out: reports, plans and batch summaries as .xlsx, read back with polars."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import mentorstd
from mentorstd.report.xlsx import write_workbook

from .conftest import EXAMPLES


def _sheet(path: Path, sheet: str) -> pl.DataFrame:
    return pl.read_excel(path, sheet_name=sheet, infer_schema_length=0)


def _completion_bundle(make_bundle: Any, name: str = '=HYPERLINK("x")') -> Path:
    # two matches ended in the period: M1 completed, M2 ended early -> 1 of 2 completed
    return make_bundle(
        tables={
            "matches": [
                {
                    "match_id": "M1",
                    "mentor_id": "A1",
                    "mentee_id": "Y1",
                    "start_date": "2024-09-01",
                    "planned_end_date": "2025-06-30",
                    "end_date": "2025-06-30",
                    "closure_reason": "completed",
                },
                {
                    "match_id": "M2",
                    "mentor_id": "A2",
                    "mentee_id": "Y2",
                    "start_date": "2024-09-01",
                    "planned_end_date": "2025-06-30",
                    "end_date": "2025-02-01",
                    "closure_reason": "mentor-withdrew",
                },
            ]
        },
        manifest={
            "program": {
                "name": name,
                "model": "school",
                "started": "2024-01-01",
                "period": {"start": "2025-01-01", "end": "2025-12-31"},
            }
        },
    )


def test_report_xlsx_has_one_row_per_requirement_with_status_basis_and_failing_ids(
    make_bundle: Any, cli: Any, tmp_path: Path
) -> None:
    bundle = _completion_bundle(make_bundle)
    out = tmp_path / "report.xlsx"
    result = cli("validate", str(bundle), "-F", "uk_school", "-o", str(out))  # suffix: xlsx
    assert result.exit_code == 0, result.stderr
    rows = _sheet(out, "Results")
    report = json.loads(cli("validate", str(bundle), "-F", "uk_school", "-f", "json").stdout)
    assert rows["requirement"].to_list() == [r["requirement"] for r in report["results"]]
    assert rows["status"].to_list() == [r["status"] for r in report["results"]]
    assert rows["basis"].to_list() == [r["basis"] for r in report["results"]]
    # uk_school 9.1 asks 90% pair completion; 1 of 2 ended matches completed, M2 did not
    kpi = rows.filter(pl.col("requirement") == "uk_school:9.1").row(0, named=True)
    assert kpi["status"] == "not-met"
    assert kpi["basis"] == "measured"
    assert kpi["failing"] == "M2"
    assert kpi["failing_count"] == "1"
    assert "pair-completion-rate" in kpi["checks"]
    # a program name that looks like a formula stays text
    about = dict(_sheet(out, "About").iter_rows())
    assert about["program"] == '=HYPERLINK("x")'
    summary = _sheet(out, "Summary")
    total = summary.filter(pl.col("basis") == "all").row(0, named=True)
    assert int(total["not-met"]) == sum(r["status"] == "not-met" for r in report["results"])


def test_xlsx_to_the_terminal_is_refused(make_bundle: Any, cli: Any) -> None:
    bundle = _completion_bundle(make_bundle, name="Plain")
    result = cli("validate", str(bundle), "-F", "uk_school", "-f", "xlsx")
    assert result.exit_code == 2
    assert "give -o FILE.xlsx" in result.stderr


def test_plan_xlsx_lists_the_goals_in_rank_order(cli: Any, tmp_path: Path) -> None:
    bundle = EXAMPLES / "riverside"
    out = tmp_path / "plan.xlsx"
    assert cli("plan", str(bundle), "-F", "ima", "-o", str(out)).exit_code == 0
    goals = _sheet(out, "Goals")
    plan = json.loads(cli("plan", str(bundle), "-F", "ima", "-f", "json").stdout)
    assert goals["requirement"].to_list() == [g["requirement"] for g in plan["goals"]]
    assert goals["rank"].to_list() == [str(i) for i in range(1, len(plan["goals"]) + 1)]
    assert goals["actions"].to_list() == ["\n".join(g["actions"]) for g in plan["goals"]]


def test_batch_writes_summary_xlsx_matching_summary_csv(cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "batch"
    result = cli("batch", str(EXAMPLES), "-F", "npss", "-f", "xlsx", "-o", str(out), "-j", "1")
    assert result.exit_code == 0, result.stderr
    names = sorted(p.name for p in EXAMPLES.iterdir() if (p / "bundle.yaml").is_file())
    assert sorted(p.name for p in out.glob("*.xlsx")) == sorted(
        [*(f"{n}.xlsx" for n in names), "summary.xlsx"]
    )
    sheet = pl.read_excel(out / "summary.xlsx", sheet_name="Summary")
    assert sheet.schema["met"] == pl.Int64  # counts stay numbers
    with (out / "summary.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert sheet["bundle"].to_list() == [r["bundle"] for r in rows]
    assert sheet["met"].to_list() == [int(r["met"]) for r in rows]
    assert sheet["unmet"].fill_null("").to_list() == [r["unmet"] for r in rows]


def test_workbook_cells_starting_with_formula_characters_stay_text() -> None:
    frame = pl.DataFrame({"a": ["=1+1", "+SUM(A1)", "@x", "0012"]})
    data = write_workbook([("S", frame)])
    back = pl.read_excel(io.BytesIO(data), sheet_name="S", infer_schema_length=0)
    assert back["a"].to_list() == ["=1+1", "+SUM(A1)", "@x", "0012"]


def test_report_xlsx_matches_the_library(catalog: mentorstd.Catalog) -> None:
    from mentorstd.report.xlsx import report_rows, report_xlsx

    report = mentorstd.assess(
        mentorstd.load_bundle(EXAMPLES / "oakfield", catalog=catalog), "eepm", catalog
    )
    back = pl.read_excel(io.BytesIO(report_xlsx(report)), sheet_name="Results").fill_null("")
    expected = report_rows(report)
    assert back["findings"].to_list() == [r["findings"] for r in expected]
    assert back["via"].to_list() == [r["via"] for r in expected]


def test_report_xlsx_has_the_indicators(catalog: mentorstd.Catalog) -> None:
    from mentorstd.report.xlsx import report_xlsx

    report = mentorstd.assess(
        mentorstd.load_bundle(EXAMPLES / "riverside", catalog=catalog), "eepm", catalog
    )
    assert report.indicators is not None
    back = pl.read_excel(io.BytesIO(report_xlsx(report)), sheet_name="Indicators")
    items = report.indicators.indicators
    assert back["id"].to_list() == [i.id for i in items]
    for got, item in zip(back["value"].to_list(), items, strict=True):  # Excel keeps 15 digits
        assert got == (None if item.value is None else pytest.approx(item.value, rel=1e-12))
    assert back["denominator"].to_list() == [i.denominator for i in items]
    retention = back.row(0, named=True)
    assert retention["benchmarks"].startswith("goal >= 73.6%: meets (BBBS goal")
    assert retention["ids"].split() == items[0].ids
