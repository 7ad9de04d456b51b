"""`mentorstd lint`: clean on the shipped data, precise on broken copies."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import mentorstd

LINE = re.compile(r"^mentorstd: error: (?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<rest>.*)$")


def test_shipped_data_is_clean_and_summarised(cli: Callable[..., Any]) -> None:
    result = cli("lint")
    assert result.exit_code == 0, result.output
    out = result.stdout
    # eepm: 6 standards + 36 benchmarks + 5 enhancements + PPM and its 6 areas = 54; ids:
    # 6 standard numbers + B.1.1-B.1.7 + E.1.1, E.1.2, E.1.4 printed in a source = 16, PPM's 7
    # assigned, the other 31 inferred; provisional: B.2.7 and the three draft enhancements
    assert out.startswith(
        "ok: 4 frameworks: eepm 54 (50 derived/4 provisional; ids 16 source/7 assigned/"
        "31 inferred); ima 28 (28 verified; ids 28 source); npss 22 (22 derived; ids 22 "
        "assigned); uk_school 43 (43 verified; ids 9 source/34 assigned)"
    )
    assert "crosswalk mappings in 6 files" in out
    assert "note: eepm: 36 of the 48 benchmarks" in out


def _replace(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not found in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _lint(cli: Callable[..., Any], root: Path) -> tuple[int, list[str]]:
    result = cli("lint", "--no-builtin", str(root))
    return result.exit_code, [line for line in result.stderr.splitlines() if line]


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(needle)


CASES = [
    # (file, old, new, expected field path, message fragment)
    (
        "ima/iii.yaml",
        "  - id: III-2\n",
        "  - id: III-2\n    colour: red\n",
        "requirements[2].colour",
        "unknown field",
    ),
    (
        "ima/iii.yaml",
        "  - id: III-2\n    kind: indicator",
        "  - id: III-2\n    kind: rule",
        "requirements[2].kind",
        "'rule'",
    ),
    (
        "ima/iii.yaml",
        "  - id: III-3\n",
        "  - id: III-2\n",
        "requirements[3].id",
        "duplicate id 'III-2'",
    ),
    (
        "ima/iii.yaml",
        "    parent: III\n",
        "    parent: IIII\n",
        "requirements[1].parent",
        "parent 'IIII' does not exist",
    ),
    (
        "uk_school/9-results.yaml",
        "threshold: 0.9",
        "threshold: ninety",
        "requirements[1].checks[0].threshold",
        "valid number",
    ),
    (
        "uk_school/9-results.yaml",
        "metric: pair-completion-rate",
        "metric: pair-completion",
        "requirements[1].checks[0].metric",
        "unknown metric 'pair-completion'",
    ),
]


@pytest.mark.parametrize(("rel", "old", "new", "field", "fragment"), CASES)
def test_each_broken_copy_gives_one_located_line_and_exit_2(
    cli: Callable[..., Any],
    standards_copy: Path,
    rel: str,
    old: str,
    new: str,
    field: str,
    fragment: str,
) -> None:
    path = standards_copy / rel
    _replace(path, old, new)
    code, lines = _lint(cli, standards_copy)
    assert code == 2
    assert len(lines) == 1, lines
    match = LINE.match(lines[0])
    assert match, lines[0]
    assert match["file"] == f"{standards_copy}/{rel}"
    assert match["rest"].startswith(f"{field}: ")
    assert fragment in match["rest"]


def test_unknown_evidence_kind_is_located(cli: Callable[..., Any], standards_copy: Path) -> None:
    path = standards_copy / "ima" / "iv.yaml"
    text = path.read_text(encoding="utf-8")
    first = re.search(r"evidence: \[([a-z-]+)", text)
    assert first is not None
    _replace(path, f"evidence: [{first[1]}", "evidence: [carrier-pigeon")
    code, lines = _lint(cli, standards_copy)
    assert code == 2
    (line,) = lines
    assert f":{_line_of(path, 'carrier-pigeon')}:" in line
    assert "unknown evidence kind 'carrier-pigeon'" in line


def test_malformed_yaml_names_file_line_and_column(
    cli: Callable[..., Any], standards_copy: Path
) -> None:
    path = standards_copy / "ima" / "ii.yaml"
    _replace(path, "  - id: II-2\n", "  - id: [II-2\n")
    code, lines = _lint(cli, standards_copy)
    assert code == 2
    assert len(lines) == 1
    assert lines[0].startswith(f"mentorstd: error: {path}:")
    assert "malformed YAML" in lines[0]


def test_duplicate_yaml_keys_are_rejected(cli: Callable[..., Any], standards_copy: Path) -> None:
    path = standards_copy / "ima" / "ii.yaml"
    _replace(path, "  - id: II-2\n", "  - id: II-2\n    id: II-9\n")
    code, lines = _lint(cli, standards_copy)
    assert code == 2
    (line,) = lines
    assert f"{path}:{_line_of(path, 'id: II-9')}:5: duplicate key 'id'" in line


def test_missing_schema_comment_is_reported(cli: Callable[..., Any], standards_copy: Path) -> None:
    path = standards_copy / "npss" / "training.yaml"
    text = path.read_text(encoding="utf-8").split("\n", 1)[1]
    path.write_text(text, encoding="utf-8")
    code, lines = _lint(cli, standards_copy)
    assert code == 2
    (line,) = lines
    assert line.startswith(f"mentorstd: error: {path}:1:1: first line should be")


def test_load_catalog_refuses_broken_data_with_every_problem(standards_copy: Path) -> None:
    _replace(standards_copy / "ima" / "iii.yaml", "    parent: III\n", "    parent: X\n", 2)
    with pytest.raises(mentorstd.StandardsError) as info:
        mentorstd.load_catalog([standards_copy], builtin=False, entry_points=False)
    assert len(info.value.problems) == 2
    assert all("parent 'X' does not exist" in str(p) for p in info.value.problems)


def test_a_user_framework_folder_loads_beside_the_shipped_ones(tmp_path: Path) -> None:
    folder = tmp_path / "local"
    folder.mkdir()
    (folder / "framework.yaml").write_text(
        "# yaml-language-server: $schema=../schemas/framework.schema.json\n"
        "id: local\ntitle: Local Standards\npublisher: Us\nyear: 2026\nsource: ours\n"
        "usage: ours\nparts: [a.yaml]\n",
        encoding="utf-8",
    )
    (folder / "a.yaml").write_text(
        "# yaml-language-server: $schema=../schemas/standard.schema.json\n"
        "requirements:\n"
        "  - {id: A, kind: standard, title: A, statement: Do A., source: {section: A},"
        " id_basis: source, provenance: verified}\n"
        "  - {id: A.1, kind: item, parent: A, title: A1, statement: Do A1., evidence: [budget],"
        " source: {section: A}, id_basis: source, provenance: verified}\n",
        encoding="utf-8",
    )
    cat = mentorstd.load_catalog([folder])
    assert cat.requirement("local:A.1").evidence == ["budget"]
    report = mentorstd.lint([folder])
    assert report.ok, report.problems


# -- standards folders: overriding, the shared vocabulary, nothing assessable -----------------


def test_lint_of_a_copy_of_the_shipped_standards_is_ok_with_one_note(
    standards_copy: Path,
) -> None:
    """The natural way to start editing: copy the folder and lint it."""
    report = mentorstd.lint([standards_copy])
    assert report.ok, report.problems[:3]
    overrides = [n for n in report.notes if "overrides" in n]
    assert len(overrides) == 1
    assert "the shipped frameworks eepm, ima, npss, uk_school" in overrides[0]
    assert "the shipped crosswalks eepm--ima" in overrides[0]


def test_a_user_framework_with_a_shipped_id_replaces_it(
    standards_copy: Path, cli: Callable[..., Any]
) -> None:
    ima = standards_copy / "ima"
    _replace(ima / "framework.yaml", "title: Mentoring Program Standards", "title: Our IMA")
    for other in ("eepm", "npss", "uk_school", "crosswalks"):
        import shutil

        shutil.rmtree(standards_copy / other)
    cat = mentorstd.load_catalog([ima])
    assert cat.framework("ima").title == "Our IMA"
    assert list(cat.frameworks) == ["eepm", "ima", "npss", "uk_school"]
    assert cat.notes == (
        f"{ima}/ overrides the shipped frameworks ima (its definitions are used instead)",
    )
    result = cli("show", "ima", "-f", "json", "-S", str(ima))
    assert result.exit_code == 0
    assert result.stderr.count("overrides the shipped frameworks ima") == 1


def test_no_builtin_keeps_the_evidence_vocabulary(standards_copy: Path) -> None:
    """A single framework folder, without the shipped frameworks, still knows the shipped
    evidence kinds."""
    (standards_copy / "evidence-kinds.yaml").unlink()
    report = mentorstd.lint([standards_copy / "ima"], builtin=False)
    assert report.ok, report.problems[:3]
    assert report.catalog is not None and list(report.catalog.frameworks) == ["ima"]
    assert report.catalog.evidence_kinds  # from the shipped vocabulary


def test_lint_warns_about_a_framework_with_nothing_to_assess(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    folder = tmp_path / "groups"
    folder.mkdir()
    (folder / "framework.yaml").write_text(
        "# yaml-language-server: $schema=../schemas/framework.schema.json\n"
        "id: groups\ntitle: Only groups\npublisher: Us\nyear: 2024\nsource: notes\n"
        "usage: ours\nparts: [a.yaml]\n",
        encoding="utf-8",
    )
    (folder / "a.yaml").write_text(
        "# yaml-language-server: $schema=../schemas/standard.schema.json\n"
        "requirements:\n"
        "  - {id: '1', kind: standard, title: One, statement: The first., "
        "source: {section: '1'}, provenance: provisional, id_basis: assigned}\n",
        encoding="utf-8",
    )
    report = mentorstd.lint([folder], builtin=False)
    assert report.ok
    assert len(report.warnings) == 1 and "nothing can be assessed" in report.warnings[0]
    result = cli("lint", "--no-builtin", str(folder))
    assert result.exit_code == 0
    assert "warning: " in result.stdout and "'groups' holds only standard entries" in result.stdout
    assert mentorstd.lint().warnings == []


def test_a_user_crosswalk_replaces_the_shipped_one_in_either_direction(tmp_path: Path) -> None:
    """A folder holding ima--eepm.yaml replaces the shipped eepm--ima.yaml; files of one
    folder are never replaced by each other."""
    folder = tmp_path / "mine"
    (folder / "crosswalks").mkdir(parents=True)
    (folder / "crosswalks" / "ima--eepm.yaml").write_text(
        "# yaml-language-server: $schema=../../schemas/crosswalk.schema.json\n"
        "source: ima\ntarget: eepm\nauthor: us\ndate: '2026-01-01'\n"
        "mappings:\n"
        "  - {source: III-2, target: B.4.1, relation: intersects, confidence: low, "
        "rationale: Both are about matching.}\n",
        encoding="utf-8",
    )
    cat = mentorstd.load_catalog([folder])
    links = cat.crosswalk.table("ima", "eepm")
    assert [(link.source, link.target) for link in links] == [("ima:III-2", "eepm:B.4.1")]
    assert "the shipped crosswalks eepm--ima" in cat.notes[0]
    assert cat.crosswalk.table("ima", "npss")  # other pairs untouched
