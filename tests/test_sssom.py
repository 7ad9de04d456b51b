"""SSSOM out and in: the exported mapping sets validate with sssom-py, SKOS predicates point the
right way, and a mapping set comes back as the crosswalk it came from."""

from __future__ import annotations

import csv
import io
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml

import mentorstd
from mentorstd.interop.sssom import to_sssom
from mentorstd.report.crosswalk import build_table

from .conftest import STANDARDS

sssom_parsers = pytest.importorskip("sssom.parsers")
sssom_validators = pytest.importorskip("sssom.validators")

PAIRS = sorted(p.stem.split("--") for p in (STANDARDS / "crosswalks").glob("*.yaml"))


def _rows(text: str) -> tuple[dict[str, Any], list[dict[str, str]]]:
    head = "".join(line[2:] + "\n" for line in text.splitlines() if line.startswith("# "))
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return yaml.safe_load(head), list(csv.DictReader(io.StringIO(body), delimiter="\t"))


def _shipped(a: str, b: str) -> dict[str, Any]:
    return yaml.safe_load((STANDARDS / "crosswalks" / f"{a}--{b}.yaml").read_text("utf-8"))


def _validate(path: Path) -> Any:
    # the reference library's own deprecation warnings (pandas, linkml) are not ours to fix
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        msdf = sssom_parsers.parse_sssom_table(path)
        # raises on any JSON-schema, prefix-map or CURIE problem
        sssom_validators.validate(msdf, fail_on_error=True)
    return msdf


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_every_shipped_crosswalk_exports_a_valid_sssom_set(
    a: str, b: str, catalog: mentorstd.Catalog, tmp_path: Path
) -> None:
    path = tmp_path / f"{a}--{b}.sssom.tsv"
    path.write_text(to_sssom(build_table(catalog, a, b)), encoding="utf-8")
    msdf = _validate(path)
    # one row per stored mapping of the file (stored links only, no inference asked for)
    assert len(msdf.df) == len(_shipped(a, b)["mappings"])
    assert msdf.metadata["license"] == "https://opensource.org/licenses/MIT"
    assert msdf.metadata["mapping_set_id"] == f"urn:mentorstd:crosswalk:{a}--{b}"


def _tiny_framework(root: Path, fid: str, item: str) -> None:
    folder = root / fid
    folder.mkdir(parents=True)
    (folder / "framework.yaml").write_text(
        "# yaml-language-server: $schema=../../schemas/framework.schema.json\n"
        + yaml.safe_dump(
            {
                "id": fid,
                "title": f"Framework {fid}",
                "publisher": "tests",
                "year": 2024,
                "source": "made up for a test",
                "usage": "test data",
                "parts": ["s.yaml"],
            }
        ),
        encoding="utf-8",
    )
    req = {"source": {"section": "1"}, "provenance": "provisional", "id_basis": "assigned"}
    (folder / "s.yaml").write_text(
        "# yaml-language-server: $schema=../../schemas/standard.schema.json\n"
        + yaml.safe_dump(
            {
                "requirements": [
                    {"id": "S", "kind": "standard", "title": "S", "statement": "S.", **req},
                    {
                        "id": item,
                        "kind": "item",
                        "parent": "S",
                        "title": "Mentor training",
                        "statement": "Mentors are trained before they meet a mentee.",
                        **req,
                    },
                ]
            }
        ),
        encoding="utf-8",
    )


def _chain_root(tmp_path: Path) -> Path:
    """alpha:A1 equal eepm:B.3.1 and beta:B1 subset eepm:B.3.1, so alpha:A1 superset beta:B1
    is inferred through eepm."""
    root = tmp_path / "extra"
    _tiny_framework(root, "alpha", "A1")
    _tiny_framework(root, "beta", "B1")
    (root / "crosswalks").mkdir()
    for fid, local, relation in (("alpha", "A1", "equal"), ("beta", "B1", "subset")):
        (root / "crosswalks" / f"{fid}--eepm.yaml").write_text(
            yaml.safe_dump(
                {
                    "source": fid,
                    "target": "eepm",
                    "author": "tests",
                    "date": "2026-01-01",
                    "mappings": [
                        {
                            "source": local,
                            "target": "B.3.1",
                            "relation": relation,
                            "confidence": "high",
                            "rationale": "Both ask for pre-match mentor training",
                        }
                    ],
                }
            ),
            encoding="utf-8",
        )
    return root


def test_inferred_links_validate_and_say_their_path(tmp_path: Path) -> None:
    catalog = mentorstd.load_catalog([_chain_root(tmp_path)])
    table = build_table(catalog, "alpha", "beta", inferred=True)
    inferred = [link for link in table.links if link.inferred]
    assert [(x.source, x.target, x.relation) for x in inferred] == [
        ("alpha:A1", "beta:B1", "superset")
    ]
    path = tmp_path / "alpha--beta.sssom.tsv"
    path.write_text(to_sssom(table), encoding="utf-8")
    _validate(path)
    _, rows = _rows(path.read_text("utf-8"))
    assert len(rows) == 1
    row = rows[0]
    assert row["mapping_justification"] == "semapv:MappingChaining"
    assert row["predicate_id"] == "skos:narrowMatch"  # alpha:A1 is broader than beta:B1
    assert row["comment"] == "path alpha:A1 > eepm:B.3.1 > beta:B1 (equal, superset)"
    assert float(row["confidence"]) == 0.9


def test_importing_a_chained_set_keeps_only_stored_links(cli: Any, tmp_path: Path) -> None:
    """Chaining rows are derived: a crosswalk file keeps stored links, so none is imported."""
    catalog = mentorstd.load_catalog([_chain_root(tmp_path)])
    path = tmp_path / "alpha--beta.sssom.tsv"
    path.write_text(to_sssom(build_table(catalog, "alpha", "beta", inferred=True)), "utf-8")
    result = cli("-S", str(tmp_path / "extra"), "crosswalk", "import", str(path))
    assert result.exit_code == 2
    assert "no mappings to import" in result.stderr


def test_predicates_follow_the_set_relation_direction(catalog: mentorstd.Catalog) -> None:
    """subset: the object is broader (broadMatch); superset: narrower (narrowMatch)."""
    expected = {
        "equal": "skos:exactMatch",
        "subset": "skos:broadMatch",
        "superset": "skos:narrowMatch",
        "intersects": "skos:relatedMatch",
    }
    seen: set[str] = set()
    for a, b in PAIRS:
        _, rows = _rows(to_sssom(build_table(catalog, a, b)))
        by_pair = {(r["subject_id"], r["object_id"]): r for r in rows}
        for m in _shipped(a, b)["mappings"]:
            row = by_pair[(f"{a}:{m['source']}", f"{b}:{m['target']}")]
            assert row["predicate_id"] == expected[m["relation"]]
            assert row["mapping_justification"] == "semapv:ManualMappingCuration"
            score = {"high": 0.9, "medium": 0.6, "low": 0.3}[m["confidence"]]
            assert float(row["confidence"]) == score
            seen.add(m["relation"])
    assert {"subset", "intersects"} <= seen


def test_a_reversed_crosswalk_flips_broad_and_narrow(catalog: mentorstd.Catalog) -> None:
    # eepm--npss.yaml states eepm:1 subset npss:placement-eepm-standards
    _, forward = _rows(to_sssom(build_table(catalog, "eepm", "npss")))
    _, backward = _rows(to_sssom(build_table(catalog, "npss", "eepm")))
    fwd = {(r["subject_id"], r["object_id"]): r["predicate_id"] for r in forward}
    bwd = {(r["subject_id"], r["object_id"]): r["predicate_id"] for r in backward}
    assert fwd[("eepm:1", "npss:placement-eepm-standards")] == "skos:broadMatch"
    assert bwd[("npss:placement-eepm-standards", "eepm:1")] == "skos:narrowMatch"


def _key(m: dict[str, Any]) -> tuple[Any, ...]:
    return (
        str(m["source"]),
        str(m["target"]),
        m["relation"],
        m["confidence"],
        " ".join(m["rationale"].split()),
        m.get("transfers_evidence", True),
    )


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_export_then_import_gives_back_the_shipped_mappings(
    a: str, b: str, cli: Any, tmp_path: Path
) -> None:
    tsv = tmp_path / f"{a}--{b}.sssom.tsv"
    out = tmp_path / f"{a}--{b}.yaml"
    assert cli("crosswalk", a, b, "-o", str(tsv)).exit_code == 0  # the suffix picks sssom
    assert tsv.read_text("utf-8").startswith("# curie_map:")
    result = cli("crosswalk", "import", str(tsv), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert "lint: ok" in result.stderr
    back = yaml.safe_load(out.read_text("utf-8"))
    shipped = _shipped(a, b)
    assert (back["source"], back["target"]) == (a, b)
    assert sorted(map(_key, back["mappings"])) == sorted(map(_key, shipped["mappings"]))


def test_a_file_rewritten_by_sssom_py_imports_too(
    catalog: mentorstd.Catalog, cli: Any, tmp_path: Path
) -> None:
    from sssom.writers import write_table

    ours = tmp_path / "ours.sssom.tsv"
    ours.write_text(to_sssom(build_table(catalog, "ima", "uk_school")), encoding="utf-8")
    theirs = tmp_path / "theirs.sssom.tsv"
    msdf = _validate(ours)
    with theirs.open("w", encoding="utf-8") as handle, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_table(msdf, handle)
    out = tmp_path / "ima--uk_school.yaml"
    result = cli("crosswalk", "import", str(theirs), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    back = yaml.safe_load(out.read_text("utf-8"))
    assert sorted(map(_key, back["mappings"])) == sorted(
        map(_key, _shipped("ima", "uk_school")["mappings"])
    )


HEADER = (
    "# curie_map:\n"
    "#   skos: http://www.w3.org/2004/02/skos/core#\n"
    "#   semapv: https://w3id.org/semapv/vocab/\n"
    "#   ima: 'urn:mentorstd:ima:'\n"
    "#   npss: 'urn:mentorstd:npss:'\n"
    "# mapping_set_id: https://example.org/my-set\n"
    "# license: https://creativecommons.org/licenses/by/4.0/\n"
    "subject_id\tpredicate_id\tobject_id\tmapping_justification\tconfidence\tcomment\n"
)


def _import(cli: Any, tmp_path: Path, rows: list[str]) -> Any:
    path = tmp_path / "in.sssom.tsv"
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return cli("crosswalk", "import", str(path))


def test_an_author_contributed_set_becomes_a_linted_crosswalk(cli: Any, tmp_path: Path) -> None:
    result = _import(
        cli,
        tmp_path,
        [
            # two links the shipped ima--npss file also states, so lint has nothing to add
            "ima:II\tskos:narrowMatch\tnpss:leadership\tsemapv:ManualMappingCuration\t0.6\t"
            "Program leadership covers more than the NPSS leadership component",
            "ima:I-5\tskos:closeMatch\tnpss:recruitment-fit\tsemapv:ManualMappingCuration\t0.85\t"
            "Both choose mentors who fit",
            "ima:IV-1\tskos:exactMatch\tnpss:training\tsemapv:MappingChaining\t0.2\tpath x",
        ],
    )
    assert result.exit_code == 0, result.stderr
    data = yaml.safe_load(result.stdout)
    assert data["source"] == "ima" and data["target"] == "npss"
    assert data["mappings"] == [
        {
            "source": "II",
            "target": "leadership",
            "relation": "superset",
            "confidence": "medium",
            "rationale": "Program leadership covers more than the NPSS leadership component",
        },
        {
            "source": "I-5",
            "target": "recruitment-fit",
            "relation": "intersects",
            "confidence": "high",
            "rationale": "Both choose mentors who fit",
        },
    ]
    assert "1 inferred (chaining) mapping(s) left out" in result.stderr


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "ima:III-1\tskos:sameAs\tnpss:recruitment\tsemapv:ManualMappingCuration\t0.9\tx",
            "in.sssom.tsv:9: predicate_id: predicate 'skos:sameAs' has no set relation",
        ),
        (
            "ima:III-9\tskos:exactMatch\tnpss:recruitment\tsemapv:ManualMappingCuration\t0.9\tx",
            "in.sssom.tsv:9: subject_id: unknown requirement 'ima:III-9'",
        ),
        (
            "ima:III-1\tskos:exactMatch\tnpss:recruitment\tsemapv:ManualMappingCuration\thigh\tx",
            "in.sssom.tsv:9: confidence: confidence 'high' is not a number from 0 to 1",
        ),
        (
            "ima:III-1\tskos:exactMatch\tnpss:recruitment\tsemapv:ManualMappingCuration\t0.9\t",
            "in.sssom.tsv:9: comment: comment is empty",
        ),
        (
            "obo:X_1\tskos:exactMatch\tnpss:recruitment\tsemapv:ManualMappingCuration\t0.9\tx",
            "in.sssom.tsv:9: subject_id: 'obo' names no loaded framework",
        ),
    ],
)
def test_bad_rows_are_refused_with_their_line(
    cli: Any, tmp_path: Path, row: str, message: str
) -> None:
    result = _import(cli, tmp_path, [row])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_subjects_from_two_frameworks_are_refused(cli: Any, tmp_path: Path) -> None:
    rows = [
        "ima:III-1\tskos:exactMatch\tnpss:recruitment\tsemapv:ManualMappingCuration\t0.9\tx",
        "npss:training\tskos:exactMatch\tima:IV-1\tsemapv:ManualMappingCuration\t0.9\tx",
    ]
    result = _import(cli, tmp_path, rows)
    assert result.exit_code == 2
    assert "subjects come from several frameworks (ima, npss)" in result.stderr


def test_an_import_that_fails_lint_exits_2_and_says_where(cli: Any, tmp_path: Path) -> None:
    """The same pair mapped twice is a lint problem, located in the written file."""
    row = "ima:III-1\tskos:exactMatch\tnpss:recruitment\tsemapv:ManualMappingCuration\t0.9\tx"
    path = tmp_path / "in.sssom.tsv"
    path.write_text(HEADER + row + "\n" + row + "\n", encoding="utf-8")
    out = tmp_path / "ima--npss.yaml"
    result = cli("crosswalk", "import", str(path), "-o", str(out))
    assert result.exit_code == 2
    assert out.is_file()  # written, so the author can fix it
    assert f"{out}:" in result.stderr
    assert "ima:III-1 -> npss:recruitment is mapped twice" in result.stderr


def test_author_and_date_come_from_the_rows_or_the_option(cli: Any, tmp_path: Path) -> None:
    header = HEADER.replace(
        "confidence\tcomment", "confidence\tcomment\tauthor_label\tmapping_date"
    )
    row = (
        "ima:III-1\tskos:exactMatch\tnpss:recruitment\tsemapv:ManualMappingCuration\t0.9\tx"
        "\tA. Author\t2025-03-04"
    )
    path = tmp_path / "in.sssom.tsv"
    path.write_text(header + row + "\n", encoding="utf-8")
    data = yaml.safe_load(cli("crosswalk", "import", str(path)).stdout)
    assert (data["author"], data["date"]) == ("A. Author", "2025-03-04")
    assert "author" not in data["mappings"][0]  # the file's author, not repeated per mapping
    named = yaml.safe_load(cli("crosswalk", "import", str(path), "--author", "B. Other").stdout)
    assert named["author"] == "B. Other"
    assert named["mappings"][0]["author"] == "A. Author"
    bad = row.replace("2025-03-04", "4 March 2025")
    path.write_text(header + bad + "\n", encoding="utf-8")
    result = cli("crosswalk", "import", str(path))
    assert result.exit_code == 2
    assert "in.sssom.tsv:9: date: String should match pattern" in result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"subject_id\tpredicate_id\n1\t2\t3\n", "x.sssom.tsv:1: not a TSV table: "),
        (b"\xff\xfe\x00garbage", "x.sssom.tsv: cannot read: "),
        (b"# curie_map: [1, 2]\nsubject_id\tpredicate_id\tobject_id\n", "curie_map: expected"),
        (b"subject_id\tobject_id\nima:I\tnpss:training\n", "missing column(s) predicate_id"),
    ],
)
def test_files_that_are_not_mapping_sets_are_refused_in_one_line(
    cli: Any, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "x.sssom.tsv"
    path.write_bytes(content)
    result = cli("crosswalk", "import", str(path))
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
