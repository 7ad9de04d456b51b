"""The command line: thin over the library, helpful, never a traceback."""

from __future__ import annotations

import json
import re
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


# -- formats: one set of names, one rule -----------------------------------------------------


def test_choose_format_rule() -> None:
    """--format, else the -o suffix, else text; unknown or unsupported formats are refused."""
    from mentorstd._formats import choose_format

    supported = ["text", "json", "markdown"]
    assert choose_format(None, None, supported, command="x") == "text"
    assert choose_format(None, Path("out"), supported, command="x") == "text"
    assert choose_format(None, Path("-"), supported, command="x") == "text"
    assert choose_format(None, Path("r.JSON"), supported, command="x") == "json"
    assert choose_format(None, Path("r.md"), supported, command="x") == "markdown"
    assert choose_format("json", Path("r.md"), supported, command="x") == "json"
    with pytest.raises(mentorstd.UsageError, match="x writes text, json or markdown, not html"):
        choose_format(None, Path("r.html"), supported, command="x")
    with pytest.raises(mentorstd.UsageError, match=r"cannot tell the format from '\.pdf'"):
        choose_format(None, Path("r.pdf"), supported, command="x")


def test_output_suffix_decides_the_format(cli: Callable[..., Any], tmp_path: Path) -> None:
    bundle = str(EXAMPLES / "oakfield")
    txt = tmp_path / "report.txt"
    assert cli("validate", bundle, "-F", "uk_school", "-o", str(txt)).exit_code == 0
    text = txt.read_text(encoding="utf-8")
    assert text.startswith("Oakfield Academy Mentoring Scheme against")
    assert "\x1b[" not in text  # plain text in a file, no colour codes
    md = tmp_path / "plan.md"
    assert cli("plan", bundle, "-F", "uk_school", "-o", str(md)).exit_code == 0
    assert md.read_text(encoding="utf-8").startswith("# Improvement plan: ")
    yml = tmp_path / "ima.yaml"
    assert cli("show", "ima", "-o", str(yml)).exit_code == 0
    assert [r["id"] for r in yaml.safe_load(yml.read_text(encoding="utf-8"))][:2] == ["I", "I-1"]
    cw = tmp_path / "cw.csv"
    assert cli("crosswalk", "eepm", "ima", "-o", str(cw)).exit_code == 0
    assert cw.read_text(encoding="utf-8").startswith("source,source_title,target")


def test_dash_is_standard_output(cli: Callable[..., Any]) -> None:
    result = cli("validate", str(EXAMPLES / "oakfield"), "-F", "ima", "-f", "json", "-o", "-")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["framework"] == "ima"
    assert "wrote" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "ima", "-f", "markdown"], "--format markdown: show writes text, json or yaml"),
        (["frameworks", "-o", "f.html"], "-o f.html: frameworks writes text, json or yaml"),
        (["crosswalk", "eepm", "ima", "--coverage", "-f", "csv"], "crosswalk --coverage writes"),
        (["metrics", "-f", "pdf"], "Invalid value"),
    ],
)
def test_unsupported_formats_are_usage_errors(
    cli: Callable[..., Any], args: list[str], message: str
) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_every_format_option_uses_the_same_names(cli: Callable[..., Any]) -> None:
    from mentorstd._formats import FORMATS
    from mentorstd.cli import Format

    assert [f.value for f in Format] == list(FORMATS)


# -- help ------------------------------------------------------------------------------------


def _commands() -> list[str]:
    from typer.main import get_command

    from mentorstd.cli import app

    group: Any = get_command(app)
    return sorted(group.commands)


@pytest.mark.parametrize("command", [None, *_commands()])
def test_help_reads_cleanly(cli: Callable[..., Any], command: str | None) -> None:
    """No Python types as metavars, upper-case placeholders in the usage line, no docstring
    line breaks in the middle of a sentence."""
    result = cli(*([command] if command else []), "--help")
    assert result.exit_code == 0
    text = result.stdout
    for leak in ("<bool>", "<list", "<str>", "<int", "<path>", "<float>", "<text|", "<choice"):
        assert leak not in text, (command, leak)
    usage = next(line for line in text.splitlines() if "Usage:" in line)
    for token in re.findall(r"[{\[]([^\]}]+)[}\]]", usage):
        assert token == token.upper(), (command, usage)


def test_standards_option_after_the_subcommand(cli: Callable[..., Any], tmp_path: Path) -> None:
    folder = _one_framework(tmp_path)
    before = cli("-S", str(folder), "show", "local:A.1", "-f", "json")
    after = cli("show", "local:A.1", "-f", "json", "-S", str(folder))
    assert before.exit_code == after.exit_code == 0
    assert before.stdout == after.stdout
    assert json.loads(after.stdout)["title"] == "Keep a budget"


def _one_framework(tmp_path: Path) -> Path:
    folder = tmp_path / "local"
    folder.mkdir()
    (folder / "framework.yaml").write_text(
        "id: local\ntitle: Local rules\npublisher: Us\nyear: 2024\nsource: our notes\n"
        "usage: ours\nparts: [a.yaml]\n",
        encoding="utf-8",
    )
    (folder / "a.yaml").write_text(
        "requirements:\n"
        "  - {id: A, kind: standard, title: Money, statement: Money matters., "
        "source: {section: A}, provenance: provisional, id_basis: assigned}\n"
        "  - {id: A.1, kind: item, parent: A, title: Keep a budget, statement: Keep one., "
        "evidence: [budget], source: {section: A.1}, provenance: provisional, "
        "id_basis: assigned}\n",
        encoding="utf-8",
    )
    return folder


# -- messages --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "hint"),
    [
        ("EEPM", "did you mean 'eepm'?"),
        ("B.3.1", "did you mean 'eepm:B.3.1'?"),
        ("eepm:b.3.1", "did you mean 'eepm:B.3.1'?"),
        ("Uk_School:9.1", "did you mean 'uk_school:9.1'?"),
        ("ima:iii-2", "did you mean 'ima:III-2'?"),
    ],
)
def test_show_suggests_near_misses(cli: Callable[..., Any], target: str, hint: str) -> None:
    result = cli("show", target)
    assert result.exit_code == 2
    assert hint in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_crosswalk_of_a_framework_with_itself_is_refused(cli: Callable[..., Any]) -> None:
    result = cli("crosswalk", "eepm", "eepm")
    assert result.exit_code == 2
    assert "two different frameworks" in result.stderr


def test_inferred_says_how_many_links_it_adds(
    cli: Callable[..., Any], catalog: mentorstd.Catalog
) -> None:
    result = cli("crosswalk", "eepm", "ima", "--inferred", "-f", "json")
    assert result.exit_code == 0
    added = sum(
        1 for link in catalog.crosswalk.table("eepm", "ima", inferred=True) if link.inferred
    )
    if added:
        links = "link" if added == 1 else "links"
        assert f"--inferred adds {added} inferred {links}\n" in result.stderr
    else:
        assert "--inferred adds no link from eepm to ima" in result.stderr


def test_fail_on_names_the_requirements(
    cli: Callable[..., Any], catalog: mentorstd.Catalog, tmp_path: Path
) -> None:
    bundle = EXAMPLES / "oakfield"
    out = tmp_path / "report.html"
    result = cli("validate", str(bundle), "-F", "uk_school", "-o", str(out), "--fail-on", "not-met")
    assert result.exit_code == 1
    report = mentorstd.assess(mentorstd.load_bundle(bundle, catalog=catalog), "uk_school", catalog)
    unmet = [r.requirement for r in report if r.status == "not-met"]
    assert unmet
    assert (
        f"--fail-on not-met: {len(unmet)} requirements are not-met: {', '.join(unmet)}"
        in result.stderr
    )


def test_validator_messages_have_no_pydantic_prefix(
    cli: Callable[..., Any], make_bundle: Any
) -> None:
    bundle = make_bundle(period=("2025-12-31", "2025-01-01"))
    result = cli("validate", str(bundle), "-F", "ima")
    assert result.exit_code == 2
    assert "period end is before its start" in result.stderr
    assert "Value error" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["frameworks"],
        ["metrics"],
        ["show", "eepm"],
        ["validate", str(EXAMPLES / "oakfield"), "-F", "eepm"],
        ["crosswalk", "eepm", "ima", "-f", "csv"],
    ],
)
def test_a_closed_pipe_exits_0(args: list[str]) -> None:
    """`mentorstd ... | head` must not turn into exit 1 when head stops reading."""
    import subprocess
    import sys

    with subprocess.Popen(
        [sys.executable, "-m", "mentorstd", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # the reader is gone before anything is written
        err = proc.stderr.read()
        code = proc.wait(timeout=60)
    assert code == 0, err
    assert b"Traceback" not in err and b"Exception ignored" not in err


def test_every_readme_command_works_as_written(
    cli: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command list of the README, run line by line in an empty folder."""
    import shlex

    from .conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The command line", 1)[1]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    ran = 0
    for line in block.splitlines():
        command = shlex.split(line.split("  #", 1)[0])
        assert command[0] == "mentorstd"
        result = cli(*command[1:])
        expected = 1 if "--fail-on" in command else 0
        assert result.exit_code == expected, (line, result.output)
        ran += 1
    assert ran >= 15
    assert (tmp_path / "report.html").is_file() and (tmp_path / "eepm-uk.html").is_file()
    assert (tmp_path / "mentorstd-batch" / "summary.csv").is_file()
