"""The command line: thin over the library, helpful, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import mentorstd

from .conftest import EXAMPLES, tree_digest


def test_version(cli: Callable[..., Any]) -> None:
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout == f"mentorstd {mentorstd.__version__}\n"


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["frameworks"],
        ["show"],
        ["lint"],
        ["validate"],
        ["crosswalk"],
        ["schema"],
        ["demo"],
        ["metrics"],
    ],
)
def test_help_everywhere(cli: Callable[..., Any], command: list[str]) -> None:
    result = cli(*command, "--help")
    assert result.exit_code == 0
    assert "Usage: " in result.stdout
    assert len(result.stdout.splitlines()) > 5


def test_frameworks_lists_the_four_with_counts(
    cli: Callable[..., Any], catalog: mentorstd.Catalog
) -> None:
    data = json.loads(cli("frameworks", "--format", "json").stdout)
    assert [d["id"] for d in data] == ["eepm", "ima", "npss", "uk_school"]
    for row in data:
        assert row["requirements"] == len(catalog.framework(row["id"]).requirements)
    assert data[1]["kinds"] == {"standard": 6, "indicator": 22}
    text = cli("frameworks").stdout
    assert "uk_school" in text and "34 item" in text


@pytest.mark.parametrize("gid", ["ima:III-2", "uk_school:9.1", "eepm:B.3.1", "npss:equity"])
def test_show_json_equals_the_library_dump(
    cli: Callable[..., Any], catalog: mentorstd.Catalog, gid: str
) -> None:
    result = cli("show", gid, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == json.loads(catalog.requirement(gid).model_dump_json())


def test_show_framework_json_is_the_requirement_list(
    cli: Callable[..., Any], catalog: mentorstd.Catalog
) -> None:
    data = json.loads(cli("show", "ima", "--format", "json").stdout)
    assert [d["id"] for d in data] == [r.id for r in catalog.framework("ima").requirements]
    for row in data:
        assert {"id", "kind", "title", "statement", "parent"} <= set(row)
    as_yaml = yaml.safe_load(cli("show", "ima", "--format", "yaml").stdout)
    assert as_yaml == data


def test_show_text_prints_evidence_and_checks(cli: Callable[..., Any]) -> None:
    ima = cli("show", "ima:III-2").stdout
    assert "Evidence" in ima and "matching-policy" in ima and "Criteria" in ima
    uk = cli("show", "uk_school:9.1").stdout
    assert "metric pair-completion-rate: >= 90.0%" in uk
    assert "reads matches.start_date" in uk
    eepm = cli("show", "eepm:B.5.1").stdout
    assert "first_month_min=2, later_month_min=1" in eepm
    assert "Provenance  derived" in eepm


def test_show_unknown_is_a_located_usage_error(cli: Callable[..., Any]) -> None:
    result = cli("show", "ima:IX-9")
    assert result.exit_code == 2
    assert result.stderr == "mentorstd: error: unknown requirement 'ima:IX-9'\n"


def test_metrics_command_lists_every_metric(cli: Callable[..., Any]) -> None:
    from mentorstd._registry import METRIC_SPECS

    data = json.loads(cli("metrics", "--format", "json").stdout)
    assert [d["name"] for d in data] == list(METRIC_SPECS)


def test_validate_json_equals_the_library_report(
    cli: Callable[..., Any], catalog: mentorstd.Catalog
) -> None:
    bundle = EXAMPLES / "northbridge"
    result = cli("validate", str(bundle), "-F", "ima", "--format", "json", "--as-of", "2026-11-23")
    assert result.exit_code == 0
    import datetime as dt

    report = mentorstd.assess(
        mentorstd.load_bundle(bundle, catalog=catalog), "ima", catalog, as_of=dt.date(2026, 11, 23)
    )
    assert result.stdout == report.to_json()


def test_demo_writes_reports_and_crosswalks(
    cli: Callable[..., Any], tmp_path: Path, catalog: mentorstd.Catalog
) -> None:
    before = tree_digest(EXAMPLES)
    out = tmp_path / "demo"
    result = cli("demo", "--out", str(out), "--as-of", "2026-11-23")
    assert result.exit_code == 0, result.output
    assert tree_digest(EXAMPLES) == before
    bundles = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())
    assert bundles == ["northbridge", "oakfield", "riverside", "riverside-export"]
    for name in bundles:
        for fid in catalog.frameworks:
            for suffix in (".json", ".md", ".html"):
                assert (out / name / f"{fid}{suffix}").is_file()
            report = json.loads((out / name / f"{fid}.json").read_text(encoding="utf-8"))
            assert report["bundle"] == name and report["assessed_on"] == "2026-11-23"
    assert len(list((out / "crosswalks").glob("*.html"))) == 6
    assert (out / "index.html").is_file()
    assert str(out / "index.html") in result.stdout


def test_examples_are_realistic_sizes() -> None:
    for folder in EXAMPLES.iterdir():
        lines = (folder / "data" / "matches.csv").read_text(encoding="utf-8").splitlines()
        assert 50 <= len(lines) - 1 <= 300
        for table in ("matches", "contacts", "training", "screening", "surveys", "outcomes"):
            # the export-dress bundle has its contacts as an xlsx sheet
            assert [p.suffix for p in (folder / "data").glob(f"{table}.*")] in ([".csv"], [".xlsx"])
        assert list((folder / "documents").iterdir())


def test_example_generator_is_deterministic(tmp_path: Path) -> None:
    import runpy

    module = runpy.run_path(str(EXAMPLES.parent / "make_bundles.py"))
    module["main"](["make_bundles.py", str(tmp_path)])
    for folder in EXAMPLES.iterdir():
        assert tree_digest(tmp_path / folder.name) == tree_digest(folder), folder.name


def test_ci_runs_the_readme_test_command() -> None:
    from .conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```bash\n", 1)[1].split("```", 1)[0].splitlines()
    test_command = block[1].split("#", 1)[0].strip()
    assert test_command == ".venv/bin/python -m pytest -q"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert ci[-1] == test_command
    assert "mentorstd demo" in block[0]
