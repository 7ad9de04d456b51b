"""Bundle loading: every bad-input class gives exit 2 and one located line; inputs untouched."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import mentorstd

from .conftest import EXAMPLES, BundleFactory, tree_digest, write_table
from .test_metrics import MATCHES, SCREENING, TRAINING

ERROR = re.compile(r"^mentorstd: error: (?P<where>[^ ]+:) (?P<rest>.*)$")


def _validate(cli: Callable[..., Any], path: Path, *extra: str) -> tuple[int, list[str]]:
    before = tree_digest(path)
    result = cli("validate", str(path), "--framework", "eepm", "--format", "json", *extra)
    assert tree_digest(path) == before, "the input bundle must never be modified"
    assert "Traceback" not in result.output
    return result.exit_code, [line for line in result.stderr.splitlines() if line]


def _one_error(cli: Callable[..., Any], path: Path) -> tuple[str, str]:
    code, lines = _validate(cli, path)
    assert code == 2, lines
    assert len(lines) >= 1
    match = ERROR.match(lines[0])
    assert match, lines[0]
    return match["where"], match["rest"]


@pytest.fixture
def good(make_bundle: BundleFactory) -> Path:
    return make_bundle(
        tables={"matches": MATCHES, "training": TRAINING, "screening": SCREENING},
        documents=[
            {
                "id": "policy",
                "kind": "screening-policy",
                "path": "documents/policy.md",
                "date": "2025-01-01",
            }
        ],
        practices=[{"requirement": "eepm:B.2.1", "status": "implemented", "evidence": ["policy"]}],
    )


def test_a_good_bundle_assesses(cli: Callable[..., Any], good: Path) -> None:
    code, lines = _validate(cli, good)
    assert code == 0 and lines == []


def test_missing_column(cli: Callable[..., Any], good: Path) -> None:
    rows = [{k: v for k, v in r.items() if k != "end_date"} for r in MATCHES]
    header = [
        "match_id",
        "mentor_id",
        "mentee_id",
        "start_date",
        "planned_end_date",
        "closure_reason",
    ]
    write_table(good / "data" / "matches.csv", "matches", rows, header)
    where, rest = _one_error(cli, good)
    assert where == "data/matches.csv:1:"
    assert rest == "end_date: missing column 'end_date'"


def test_bad_date_names_file_line_column_and_field(cli: Callable[..., Any], good: Path) -> None:
    rows = [dict(r) for r in TRAINING]
    rows[3]["date"] = "2025-13-45"
    write_table(good / "data" / "training.csv", "training", rows)
    where, rest = _one_error(cli, good)
    assert where == "data/training.csv:5:3:"  # header is line 1, the fourth row line 5
    assert rest == "date: '2025-13-45' is not a date (YYYY-MM-DD)"


def test_unknown_requirement_id(cli: Callable[..., Any], make_bundle: BundleFactory) -> None:
    path = make_bundle(practices=[{"requirement": "eepm:B.9.9", "status": "implemented"}])
    where, rest = _one_error(cli, path)
    assert where.startswith("bundle.yaml:")
    assert rest == (
        "practices[0].requirement: unknown requirement 'eepm:B.9.9' "
        "(ids are framework:id, e.g. 'eepm:B.2.5')"
    )


def test_missing_document(cli: Callable[..., Any], good: Path) -> None:
    (good / "documents" / "policy.md").unlink()
    where, rest = _one_error(cli, good)
    assert where.startswith("bundle.yaml:")
    assert rest == "documents[0].path: 'documents/policy.md' does not exist in the bundle"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../outside.md", "leaves the bundle"),
        ("/etc/passwd", "is an absolute path"),
        ("documents/../../outside.md", "leaves the bundle"),
    ],
)
def test_paths_outside_the_bundle(
    cli: Callable[..., Any], make_bundle: BundleFactory, path: str, message: str
) -> None:
    bundle = make_bundle()
    text = (bundle / "bundle.yaml").read_text(encoding="utf-8")
    (bundle / "bundle.yaml").write_text(
        text.replace("documents: []", f"documents:\n- {{id: x, kind: budget, path: '{path}'}}"),
        encoding="utf-8",
    )
    where, rest = _one_error(cli, bundle)
    assert where.startswith("bundle.yaml:")
    assert rest.startswith("documents[0].path: ") and message in rest


def test_symlink_leading_out_of_the_bundle(
    cli: Callable[..., Any], make_bundle: BundleFactory, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("not yours", encoding="utf-8")
    bundle = make_bundle(documents=[{"id": "x", "kind": "budget", "path": "documents/x.md"}])
    (bundle / "documents" / "x.md").unlink()
    (bundle / "documents" / "x.md").symlink_to(secret)
    _, rest = _one_error(cli, bundle)
    assert rest == "documents[0].path: 'documents/x.md' leads outside the bundle (symlink)"


def test_malformed_yaml(cli: Callable[..., Any], make_bundle: BundleFactory) -> None:
    bundle = make_bundle()
    (bundle / "bundle.yaml").write_text("bundle_version: 1\nprogram: {name: x\n", encoding="utf-8")
    where, rest = _one_error(cli, bundle)
    assert re.match(r"bundle\.yaml:\d+:\d+:", where)
    assert rest.startswith("malformed YAML")


def test_unknown_manifest_field_and_wrong_type(
    cli: Callable[..., Any], make_bundle: BundleFactory
) -> None:
    bundle = make_bundle(manifest={"colour": "red"})
    assert _one_error(cli, bundle)[1] == (
        "colour: unknown field 'colour' (known: bundle_version, program, documents, practices, "
        "data, nqms)"
    )
    bundle = make_bundle(manifest={"bundle_version": 2})
    assert _one_error(cli, bundle)[1].startswith("bundle_version: 2: Input should be 1")


def test_unknown_framework(cli: Callable[..., Any], good: Path) -> None:
    result = cli("validate", str(good), "--framework", "nope")
    assert result.exit_code == 2
    assert "unknown framework 'nope'" in result.stderr


def test_an_unknown_framework_is_said_before_the_bundles_problems(
    cli: Callable[..., Any], good: Path, tmp_path: Path
) -> None:
    """The catalog loads while the tables are read, yet its problems come first, as a typo
    in -F is the first thing to fix."""
    _matches_csv(good, HEADER + "M1,A1,Y1,10/31/2024,,,\n")
    for bundle in (good, tmp_path / "no-such-bundle"):
        result = cli("validate", str(bundle), "--framework", "nope")
        assert result.exit_code == 2
        assert result.stderr.startswith("mentorstd: error: unknown framework 'nope'")


def test_a_catalog_function_that_fails_stops_the_load(good: Path) -> None:
    def broken() -> mentorstd.Catalog:
        raise mentorstd.StandardsError("standards/x.yaml:1: broken")

    with pytest.raises(mentorstd.StandardsError, match="broken"):
        mentorstd.load_bundle(good, catalog=broken)


def test_a_bom_file_with_a_record_over_two_lines_keeps_its_line_numbers(
    cli: Callable[..., Any], good: Path
) -> None:
    rows = 'M1,A1,Y1,2025-01-10,,,"a reason\nover two lines"\r\nM2,A2,Y2,10/31/2024,,,\r\n'
    _matches_csv(good, b"\xef\xbb\xbf" + (HEADER.replace("\n", "\r\n") + rows).encode())
    code, lines = _validate(cli, good)
    assert code == 2
    assert any("error: data/matches.csv:4:4: start_date: " in line for line in lines), lines


def test_fail_on_levels(cli: Callable[..., Any], good: Path) -> None:
    # eepm:B.3.1 is partially-met (A3 has 1 hour); B.2.4 partially-met; nothing not-met
    report = mentorstd.assess(mentorstd.load_bundle(good), "eepm")
    assert report.summary["partially-met"] > 0
    code, _ = _validate(cli, good, "--fail-on", "partially-met")
    assert code == 1
    code, _ = _validate(cli, good, "--fail-on", "not-met")
    assert code == (1 if report.summary["not-met"] else 0)


def test_output_is_written_atomically_and_never_into_the_bundle(
    cli: Callable[..., Any], good: Path, tmp_path: Path
) -> None:
    out = tmp_path / "reports" / "r.html"
    out.parent.mkdir()  # -o never creates folders (tests/test_output.py)
    result = cli("validate", str(good), "-F", "eepm", "-o", str(out))
    assert result.exit_code == 0
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert not list(out.parent.glob(".*.tmp"))
    inside = good / "report.json"
    result = cli("validate", str(good), "-F", "eepm", "-o", str(inside))
    assert result.exit_code == 2
    assert "refusing to write inside the input" in result.stderr
    assert not inside.exists()


# -- table hostility ------------------------------------------------------------------------


def _matches_csv(good: Path, text: str | bytes) -> None:
    target = good / "data" / "matches.csv"
    if isinstance(text, bytes):
        target.write_bytes(text)
    else:
        target.write_text(text, encoding="utf-8")


HEADER = "match_id,mentor_id,mentee_id,start_date,planned_end_date,end_date,closure_reason\n"


@pytest.mark.parametrize(
    ("body", "where", "message"),
    [
        (
            HEADER + "M1,A1,Y1,2025-01-10\n",
            "data/matches.csv:2:",
            "row has 4 fields, the header has 7",
        ),
        (
            HEADER.replace("match_id", "Match No") + "M1,A1,Y1,2025-01-10,,,\n",
            "data/matches.csv:1:",
            "match_id: missing column 'match_id' (did you mean 'Match No'?",
        ),
        (
            HEADER.replace("\n", ",mentor_id\n") + "M1,A1,Y1,2025-01-10,,,,A1\n",
            "data/matches.csv:1:8:",
            "mentor_id: column 'mentor_id' appears twice",
        ),
        (
            HEADER + "M1,A1,Y1,2025-01-10,,,\nM1,A2,Y2,2025-01-11,,,\n",
            "data/matches.csv:3:1:",
            "match_id: 'M1' appears more than once",
        ),
        (
            HEADER + "M1,A1,Y1,1850-01-10,,,\n",
            "data/matches.csv:2:4:",
            "start_date: '1850-01-10' is out of range (1900-01-01 to 2100-12-31)",
        ),
        (
            HEADER + "M1,A1,Y1,2025-01-10,,2024-12-01,completed\n",
            "data/matches.csv:2:6:",
            "end_date: end_date is before start_date",
        ),
        (
            HEADER + "M1,A1,Y1,2025-01-10,,,done\n",
            "data/matches.csv:2:7:",
            "closure_reason: 'done' is not one of completed, mentor-withdrew",
        ),
        (HEADER + "M1,A1,Y1,,,,\n", "data/matches.csv:2:4:", "start_date: a value is required"),
        (HEADER + "M1,A1,Y1,2025-01-10,,,\x00\n", "data/matches.csv:2:", "contains a NUL byte"),
        (
            HEADER + 'M1,A1,Y1,2025-01-10,,,"' + "x" * 20000 + '"\n',
            "data/matches.csv:2:7:",
            "closure_reason: a field is longer than 10000 characters",
        ),
        ("", "data/matches.csv:1:", "empty file: expected a header row"),
    ],
)
def test_hostile_tables(
    cli: Callable[..., Any], good: Path, body: str, where: str, message: str
) -> None:
    _matches_csv(good, body)
    got_where, rest = _one_error(cli, good)
    assert got_where == where
    assert rest.startswith(message)


def test_non_utf8_bytes_are_located(cli: Callable[..., Any], good: Path) -> None:
    _matches_csv(
        good, (HEADER + "M1,A1,Y1,2025-01-10,,,\nM\xe9,A1,Y1,2025-01-10,,,\n").encode("latin-1")
    )
    where, rest = _one_error(cli, good)
    assert where == "data/matches.csv:3:"
    assert rest.startswith("not valid UTF-8 (byte 0xe9)")


def test_bom_and_crlf_are_accepted(
    cli: Callable[..., Any], good: Path, catalog: mentorstd.Catalog
) -> None:
    plain = mentorstd.assess(mentorstd.load_bundle(good, catalog=catalog), "eepm", catalog)
    text = (good / "data" / "matches.csv").read_text(encoding="utf-8")
    _matches_csv(good, b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    again = mentorstd.assess(mentorstd.load_bundle(good, catalog=catalog), "eepm", catalog)
    assert again.flatten() == plain.flatten()


@pytest.mark.parametrize(
    ("table", "row", "message"),
    [
        (
            "training",
            {
                "person_id": "A1",
                "role": "mentor",
                "date": "2025-01-01",
                "hours": -2,
                "phase": "pre-match",
            },
            "hours: '-2' is below the minimum 0",
        ),
        (
            "surveys",
            {"respondent_id": "Y1", "role": "mentee", "satisfaction": 7},
            "satisfaction: '7' is above the maximum 5",
        ),
        (
            "surveys",
            {"respondent_id": "Y1", "role": "mentee", "satisfaction": 4.5},
            "satisfaction: '4.5' is not a whole number",
        ),
        (
            "contacts",
            {"match_id": "M9", "date": "2025-01-01", "with": "mentor"},
            "match_id: 'M9' is not a match_id in data/matches.csv",
        ),
    ],
)
def test_out_of_range_values(
    cli: Callable[..., Any], good: Path, table: str, row: dict[str, Any], message: str
) -> None:
    write_table(good / "data" / f"{table}.csv", table, [row])
    text = (good / "bundle.yaml").read_text(encoding="utf-8")
    if f"{table}: data/" not in text:
        (good / "bundle.yaml").write_text(
            text.replace("data:\n", f"data:\n  {table}: data/{table}.csv\n"), encoding="utf-8"
        )
    where, rest = _one_error(cli, good)
    assert where.startswith(f"data/{table}.csv:2:")
    assert rest.startswith(message)


def test_library_errors_are_data_errors(make_bundle: BundleFactory) -> None:
    path = make_bundle(practices=[{"requirement": "ima:IX-1", "status": "implemented"}])
    with pytest.raises(mentorstd.BundleError) as info:
        mentorstd.load_bundle(path)
    assert isinstance(info.value, ValueError)
    assert info.value.problems[0].field == "practices[0].requirement"


def test_a_table_references_only_tables_read_before_it() -> None:
    """Tables are read side by side, each waiting for the tables it references: the wait is
    safe because every referenced table comes earlier in TABLES, so it started first."""
    from mentorstd.tables import TABLES

    order = list(TABLES)
    for name, columns in TABLES.items():
        for column in columns:
            if column.references is not None:
                target = column.references.partition(".")[0]
                assert order.index(target) < order.index(name), (name, column.name)


@pytest.mark.parametrize("bundle", ["riverside", "northbridge"])
@pytest.mark.parametrize("why", ["one thread", "over the memory budget"])
def test_reading_tables_side_by_side_or_one_by_one_gives_the_same_bundle(
    bundle: str, why: str, catalog: mentorstd.Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mentorstd.bundle as bundle_module

    folder = EXAMPLES / bundle
    side_by_side = mentorstd.load_bundle(folder, catalog=catalog)
    if why == "one thread":
        monkeypatch.setattr(bundle_module.pl, "thread_pool_size", lambda: 1)
    else:
        monkeypatch.setattr(bundle_module, "SIDE_BY_SIDE_BYTES", 0)
    one_by_one = mentorstd.load_bundle(folder, catalog=catalog)
    assert list(side_by_side.tables) == list(one_by_one.tables)
    for name, table in side_by_side.tables.items():
        other = one_by_one.tables[name]
        assert table.frame.equals(other.frame), name
        assert table.sha256 == other.sha256
        assert table.notes == other.notes
        for column, rows in table.referenced_rows.items():
            assert rows.equals(other.referenced_rows[column]), (name, column)
    assert side_by_side.warnings == one_by_one.warnings
