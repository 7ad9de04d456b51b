"""The crosswalk: relation algebra, inference, consistency lint, queries and tables."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given

import mentorstd
from mentorstd.crosswalk import (
    COMPOSITION,
    RELATIONS,
    Crosswalk,
    compose,
    compose_path,
    consistency_problems,
    inverse,
    weakest,
)

from .strategies import confidences, relation_paths, relations

# -- the algebra ------------------------------------------------------------------------------


@given(relations)
def test_inverse_is_an_involution(r: str) -> None:
    assert inverse(inverse(r)) == r  # type: ignore[arg-type]


@given(relations)
def test_equal_is_the_identity_on_both_sides(r: str) -> None:
    assert compose("equal", r) == r  # type: ignore[arg-type]
    assert compose(r, "equal") == r  # type: ignore[arg-type]


@given(relations, relations)
def test_composition_commutes_with_inversion(a: str, b: str) -> None:
    # Reading a path backwards: (a then b)^-1 == b^-1 then a^-1.
    forward = compose(a, b)  # type: ignore[arg-type]
    backward = compose(inverse(b), inverse(a))  # type: ignore[arg-type]
    assert backward == (inverse(forward) if forward else None)


@given(relation_paths)
def test_no_path_with_both_subset_and_superset_yields_anything(path: list[str]) -> None:
    result = compose_path(path)  # type: ignore[arg-type]
    if "subset" in path and "superset" in path:
        assert result is None
    if "intersects" in path and any(r != "equal" for r in path if r != "intersects"):
        assert result is None
    if result == "equal":
        assert set(path) == {"equal"}


@given(relation_paths)
def test_a_defined_composition_is_the_one_non_equal_relation_on_the_path(
    path: list[str],
) -> None:
    result = compose_path(path)  # type: ignore[arg-type]
    others = {r for r in path if r != "equal"}
    if result is not None:
        assert others <= {result}


@given(st_conf := confidences, confidences)
def test_weakest_is_no_higher_than_any_step(a: str, b: str) -> None:
    order = {"low": 0, "medium": 1, "high": 2}
    w = weakest([a, b])  # type: ignore[list-item]
    assert order[w] == min(order[a], order[b])


def test_the_composition_table_is_exactly_the_documented_one() -> None:
    defined = {pair: r for pair, r in COMPOSITION.items() if "equal" not in pair}
    assert defined == {("subset", "subset"): "subset", ("superset", "superset"): "superset"}
    assert len(COMPOSITION) == 2 * len(RELATIONS) - 1 + 2


# -- the shipped mappings --------------------------------------------------------------------

SURE_LINKS = [
    # a careful reader of the seeds is sure of these (source, target, relation)
    ("eepm:4", "npss:placement-initiation", "superset"),
    ("eepm:6", "npss:placement-closure", "superset"),
    ("eepm:2", "npss:placement-eepm-standards", "subset"),
    ("eepm:B.2.4", "npss:recruitment-safety", "intersects"),
    ("eepm:B.3.1", "npss:training-onboarding", "intersects"),
    ("eepm:B.5.3", "npss:caregiver-engagement", "intersects"),
    ("eepm:B.3.1", "ima:IV-1", "intersects"),
    ("eepm:B.2.1", "ima:III-1", "intersects"),
    ("eepm:B.5.1", "uk_school:5.3", "intersects"),
    ("eepm:PPM.6", "uk_school:5.4", "intersects"),
    ("ima:IV-2", "npss:training-ongoing", "intersects"),
    ("ima:II-1", "npss:leadership", "intersects"),
    ("ima:VI-1", "uk_school:1.2", "intersects"),
    ("npss:caregiver-engagement", "uk_school:5.5", "intersects"),
    ("npss:data-systems", "uk_school:4.4", "intersects"),
]


@pytest.mark.parametrize(("source", "target", "relation"), SURE_LINKS)
def test_links_a_careful_reader_is_sure_of(
    catalog: mentorstd.Catalog, source: str, target: str, relation: str
) -> None:
    cw = catalog.crosswalk
    stored = [link for link in cw.related(source, inferred=False) if link.target == target]
    assert len(stored) == 1
    assert stored[0].relation == relation
    back = [link for link in cw.related(target, inferred=False) if link.target == source]
    assert back[0].relation == inverse(relation)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("gid", "other"),
    [
        ("ima:V-5", "npss"),
        ("npss:recruitment-safety", "ima"),
        ("npss:recruitment-safety", "uk_school"),
        ("eepm:B.2.4", "uk_school"),
        ("eepm:B.2.4", "ima"),
        ("uk_school:9.4", "ima"),
    ],
)
def test_stated_gaps_have_no_stored_link(catalog: mentorstd.Catalog, gid: str, other: str) -> None:
    cw = catalog.crosswalk
    assert cw.related(gid, target=other, inferred=False) == []
    assert (gid, other) in cw.no_counterpart


@pytest.mark.parametrize("fid", ["ima", "uk_school", "npss"])
def test_every_requirement_is_mapped_or_stated_as_having_no_counterpart(
    catalog: mentorstd.Catalog,
    fid: str,
) -> None:
    for other in catalog.frameworks:
        if other == fid:
            continue
        coverage = catalog.crosswalk.coverage(fid, other)
        assert coverage.unmapped == (), (fid, other, coverage.unmapped)
        assert len(coverage.covered) + len(coverage.no_counterpart) == coverage.total


def test_shipped_mappings_are_conservative_so_inference_adds_only_sound_links(
    catalog: mentorstd.Catalog,
) -> None:
    # Nearly every shipped mapping is 'intersects', which composes with nothing; whatever is
    # inferred must still obey the algebra.
    cw = catalog.crosswalk
    for gid in (r.global_id for r in catalog.iter_requirements()):
        for link in cw.related(gid):
            if link.inferred:
                assert compose_path(link.relations) == link.relation


def test_a_local_framework_mapped_to_eepm_reaches_the_others_by_inference(
    tmp_path: Path,
) -> None:
    """The realistic case for inference: a program maps its own local standards to EEPM
    once, and links into NPSS follow through EEPM's subset/superset mappings."""
    root = tmp_path / "extra"
    (root / "local").mkdir(parents=True)
    (root / "crosswalks").mkdir()
    (root / "local" / "framework.yaml").write_text(
        "# yaml-language-server: $schema=../../schemas/framework.schema.json\n"
        "id: local\ntitle: Local\npublisher: Us\nyear: 2026\nsource: ours\nusage: ours\n"
        "parts: [a.yaml]\n",
        encoding="utf-8",
    )
    (root / "local" / "a.yaml").write_text(
        "# yaml-language-server: $schema=../../schemas/standard.schema.json\n"
        "requirements:\n"
        "  - {id: L1, kind: item, title: Matching, statement: We match and start pairs well.,"
        " source: {section: '1'}, id_basis: source, provenance: verified}\n",
        encoding="utf-8",
    )
    _dump(
        root / "crosswalks" / "local--eepm.yaml",
        {
            "source": "local",
            "target": "eepm",
            "author": "t",
            "date": "2026-01-01",
            "mappings": [{**_m("L1", "4", "equal"), "confidence": "medium"}],
        },
    )
    cat = mentorstd.load_catalog([root])
    links = {link.target: link for link in cat.crosswalk.related("local:L1", target="npss")}
    stored = cat.crosswalk.related("eepm:4", target="npss", inferred=False)
    assert stored
    # 'equal' is the identity, so every stored relation of eepm:4 carries over unchanged
    assert {t: link.relation for t, link in links.items()} == {
        link.target: link.relation for link in stored
    }
    for link in stored:
        inferred = links[link.target]
        assert inferred.inferred
        assert inferred.path == ("local:L1", "eepm:4", link.target)
        assert inferred.relations == ("equal", link.relation)
        order = {"low": 0, "medium": 1, "high": 2}
        assert order[inferred.confidence] == min(order[link.confidence], order["medium"])


def test_is_related_follows_stored_links_both_ways(catalog: mentorstd.Catalog) -> None:
    cw = catalog.crosswalk
    assert cw.is_related("eepm:4", "npss:placement-initiation")
    assert cw.is_related("npss:placement-initiation", "eepm:4")
    assert not cw.is_related("eepm:B.2.4", "uk_school:9.1")


def test_structure_edges_are_kept_apart_from_mapping_edges(catalog: mentorstd.Catalog) -> None:
    cw = catalog.crosswalk
    assert cw.structure.has_edge("ima:III", "ima:III-2")
    assert not cw.graph.has_edge("ima:III", "ima:III-2")


def test_the_networkx_graph_holds_the_same_edges_in_the_same_order(
    catalog: mentorstd.Catalog,
) -> None:
    cw = catalog.crosswalk
    assert list(cw.graph.nodes(data=True)) == list(cw.nodes.items())
    for node, targets in cw.edges.items():
        assert list(cw.graph.out_edges(node, data=True)) == [
            (node, target, data) for target, data in targets.items()
        ]
    assert cw.graph.number_of_edges() == sum(len(t) for t in cw.edges.values())
    assert sorted(cw.structure.edges) == sorted(cw.hierarchy)


def _python(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, check=False)


def test_assessing_a_bundle_does_not_import_networkx(tmp_path: Path) -> None:
    bundle = str(Path(__file__).resolve().parents[1] / "examples" / "bundles" / "riverside")
    code = (
        "import sys, mentorstd; "
        f"report = mentorstd.assess(mentorstd.load_bundle({bundle!r}), 'ima'); "
        "assert any(r.basis == 'crosswalk' for r in report.results), 'no projection'; "
        "print('networkx' in sys.modules)"
    )
    result = _python("-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
    # the CLI too (it ends without a teardown, so ask Python to list its imports as they come)
    command = ["-X", "importtime", "-m", "mentorstd", "validate", bundle, "-F", "ima"]
    out = ["--format", "json", "-o", str(tmp_path / "r.json")]
    result = _python(*command, *out)
    assert result.returncode in (0, 1), result.stderr
    assert " mentorstd.crosswalk\n" in result.stderr  # the listing is there
    assert "networkx" not in result.stderr


def test_table_and_coverage(catalog: mentorstd.Catalog) -> None:
    cw = catalog.crosswalk
    rows = cw.table("eepm", "ima")
    assert rows and all(r.source_framework == "eepm" and r.target_framework == "ima" for r in rows)
    assert not any(r.inferred for r in rows)
    with_inferred = cw.table("eepm", "ima", inferred=True)
    assert len(with_inferred) >= len(rows)
    cov = cw.coverage("uk_school", "eepm")
    assert 0 < cov.share <= 1
    assert cov.share == len(cov.covered) / cov.total
    with pytest.raises(mentorstd.UnknownIdError):
        cw.related("eepm:nope")


# -- consistency lint on planted problems -----------------------------------------------------


def _planted(
    standards_copy: Path,
    mappings: list[dict[str, Any]],
    no_counterpart: dict[str, Any] | None = None,
) -> list[str]:
    path = standards_copy / "crosswalks" / "ima--npss.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["mappings"].extend(mappings)
    for side, items in (no_counterpart or {}).items():
        data["no_counterpart"][side].extend(items)
    _dump(path, data)
    report = mentorstd.lint([standards_copy], builtin=False, entry_points=False)
    return [str(p) for p in report.problems]


def _dump(path: Path, data: dict[str, Any]) -> None:
    path.write_text(
        "# yaml-language-server: $schema=../../schemas/crosswalk.schema.json\n"
        + yaml.safe_dump(data, sort_keys=False),
        encoding="utf-8",
    )


def _m(source: str, target: str, relation: str) -> dict[str, str]:
    return {
        "source": source,
        "target": target,
        "relation": relation,
        "confidence": "high",
        "rationale": "planted",
    }


def test_lint_catches_unknown_ids(standards_copy: Path) -> None:
    problems = _planted(standards_copy, [_m("IX-1", "leadership", "equal")])
    assert len(problems) == 1
    assert "unknown requirement 'ima:IX-1'" in problems[0]
    assert "crosswalks/ima--npss.yaml:" in problems[0]


def test_lint_catches_a_pair_mapped_twice_with_conflicting_relations(
    standards_copy: Path,
) -> None:
    problems = _planted(standards_copy, [_m("II-1", "leadership", "equal")])
    assert len(problems) == 1
    assert "ima:II-1 -> npss:leadership is 'equal' here but 'intersects'" in problems[0]


def test_lint_catches_subset_both_ways(standards_copy: Path) -> None:
    npss = standards_copy / "crosswalks" / "npss--uk_school.yaml"
    data = yaml.safe_load(npss.read_text(encoding="utf-8"))
    data["mappings"].append(_m("recruitment-process", "1.1", "subset"))
    _dump(npss, data)
    # and the reverse direction in a second file: uk 3.2 subset npss equity
    reverse = standards_copy / "crosswalks" / "uk_school--npss.yaml"
    _dump(
        reverse,
        {
            "source": "uk_school",
            "target": "npss",
            "author": "t",
            "date": "2026-01-01",
            "mappings": [_m("1.1", "recruitment-process", "subset")],
        },
    )
    report = mentorstd.lint([standards_copy], builtin=False, entry_points=False)
    text = "\n".join(str(p) for p in report.problems)
    assert "each mapped as a subset of the other" in text
    assert "that is 'equal'" in text


def test_lint_catches_strict_subset_cycles(standards_copy: Path) -> None:
    problems = _planted(standards_copy, [_m("I-1", "recruitment-fit", "subset")])
    assert not [p for p in problems if "cycle" in p]  # (it does contradict a stated gap)
    extra = standards_copy / "crosswalks" / "eepm--ima.yaml"
    data = yaml.safe_load(extra.read_text(encoding="utf-8"))
    # eepm:B.1.1 < ima:I-1 < npss:recruitment-fit < eepm:B.1.1 (the last as eepm superset)
    data["mappings"].append(_m("B.1.1", "I-1", "subset"))
    _dump(extra, data)
    other = standards_copy / "crosswalks" / "eepm--npss.yaml"
    data = yaml.safe_load(other.read_text(encoding="utf-8"))
    data["mappings"].append(_m("B.1.1", "recruitment-fit", "superset"))
    _dump(other, data)
    report = mentorstd.lint([standards_copy], builtin=False, entry_points=False)
    cycles = [str(p) for p in report.problems if "strict-subset cycle" in str(p)]
    assert len(cycles) == 1
    assert "eepm:B.1.1 < ima:I-1 < npss:recruitment-fit < eepm:B.1.1" in cycles[0]


def test_lint_catches_no_counterpart_contradicted_by_a_mapping(standards_copy: Path) -> None:
    problems = _planted(standards_copy, [], {"source": [{"id": "II-1", "reason": "planted"}]})
    assert len(problems) == 1
    assert "ima:II-1 is listed as having no counterpart in 'npss' but is mapped" in problems[0]


def test_lint_catches_self_maps(standards_copy: Path) -> None:
    path = standards_copy / "crosswalks" / "ima--ima.yaml"
    _dump(
        path,
        {
            "source": "ima",
            "target": "ima",
            "author": "t",
            "date": "2026-01-01",
            "mappings": [_m("I-1", "I-1", "equal")],
        },
    )
    report = mentorstd.lint([standards_copy], builtin=False, entry_points=False)
    text = "\n".join(str(p) for p in report.problems)
    assert "a framework is mapped to itself" in text
    assert "'ima:I-1' is mapped to itself" in text


def _hand_built(frameworks: str) -> tuple[dict[str, dict[str, str]], dict[str, Any]]:
    """Nodes ``x:1`` of frameworks ``x`` and no edges yet, for a hand-built crosswalk."""
    nodes = {f"{fw}:1": {"framework": fw, "kind": "item"} for fw in frameworks}
    return nodes, {node: {} for node in nodes}


def test_inference_on_a_small_hand_built_graph() -> None:
    nodes, edges = _hand_built("abcd")

    def edge(x: str, y: str, rel: str, conf: str) -> None:
        data = {"confidence": conf, "rationale": "r", "author": None, "date": None}
        edges[x][y] = {"relation": rel, **data}
        edges[y][x] = {"relation": inverse(rel), **data}  # type: ignore[arg-type]

    edge("a:1", "b:1", "subset", "high")
    edge("b:1", "c:1", "subset", "medium")
    edge("c:1", "d:1", "superset", "high")
    cw = Crosswalk(nodes, edges)
    links = {link.target: link for link in cw.related("a:1")}
    assert links["c:1"].relation == "subset" and links["c:1"].inferred
    assert links["c:1"].confidence == "medium"
    assert links["c:1"].path == ("a:1", "b:1", "c:1")
    assert "d:1" not in links, "subset then superset yields nothing"
    back = {link.target: link for link in cw.related("c:1")}
    assert back["a:1"].relation == "superset"


# -- CLI tables ----------------------------------------------------------------------------


def test_crosswalk_csv_json_mermaid_html(
    cli: Callable[..., Any], catalog: mentorstd.Catalog
) -> None:
    stored = catalog.crosswalk.table("eepm", "uk_school")
    csv_out = cli("crosswalk", "eepm", "uk_school", "--format", "csv")
    assert csv_out.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(csv_out.stdout)))
    assert len(rows) == len(stored)
    assert {(r["source"], r["target"], r["relation"]) for r in rows} == {
        (link.source, link.target, link.relation) for link in stored
    }
    data = json.loads(cli("crosswalk", "eepm", "uk_school", "-f", "json").stdout)
    assert len(data["links"]) == len(stored)
    assert data["coverage"][0]["a"] == "eepm"
    mermaid = cli("crosswalk", "ima", "npss", "-f", "mermaid").stdout
    assert mermaid.startswith("flowchart LR\n")
    assert "ima_II_1 -- intersects --> npss_leadership" in mermaid
    html = cli("crosswalk", "ima", "npss", "-f", "html", "--inferred").stdout
    assert html.startswith("<!doctype html>") and "<script src" not in html
    assert "Standards matrix" in html and "npss:leadership" in html


def test_min_confidence_filters(cli: Callable[..., Any], catalog: mentorstd.Catalog) -> None:
    high = json.loads(
        cli("crosswalk", "eepm", "npss", "-f", "json", "--min-confidence", "high").stdout
    )["links"]
    expected = [
        link for link in catalog.crosswalk.table("eepm", "npss") if link.confidence == "high"
    ]
    assert len(high) == len(expected) > 0


def test_coverage_option(cli: Callable[..., Any], catalog: mentorstd.Catalog) -> None:
    out = cli("crosswalk", "npss", "uk_school", "--coverage").stdout.splitlines()
    cov = catalog.crosswalk.coverage("npss", "uk_school")
    assert out[0].startswith(f"npss -> uk_school: {len(cov.covered)} of {cov.total} linked")


def test_unknown_framework_is_a_usage_error(cli: Callable[..., Any]) -> None:
    result = cli("crosswalk", "eepm", "nope")
    assert result.exit_code == 2
    assert "unknown framework 'nope'" in result.stderr


def test_consistency_of_shipped_data() -> None:
    report = mentorstd.lint()
    assert report.catalog is not None
    assert consistency_problems(report.catalog) == []


def test_superset_then_intersects_claims_nothing(catalog: mentorstd.Catalog) -> None:
    # the second half of the worked example in docs/crosswalk.md
    cw = catalog.crosswalk
    assert cw.graph.edges["npss:placement-eepm-standards", "eepm:2"]["relation"] == "superset"
    assert cw.graph.edges["eepm:2", "ima:III"]["relation"] == "intersects"
    assert not any(link.target == "ima:III" for link in cw.related("npss:placement-eepm-standards"))


def test_readme_states_the_real_coverage(catalog: mentorstd.Catalog) -> None:
    from .conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    fws = list(catalog.frameworks)
    for a in fws:
        cells = [" " if a == b else f" {catalog.crosswalk.coverage(a, b).share:.0%} " for b in fws]
        assert f"| {a} |" + "|".join(cells) + "|" in readme, a


# -- fidelity: topical links, joint mappings, contradictions through containment -------------


def test_topical_links_are_marked_and_inferred_links_transfer_only_if_every_step_does(
    catalog: mentorstd.Catalog,
) -> None:
    cw = catalog.crosswalk
    kpi = {link.target: link for link in cw.related("eepm:PPM.6", target="uk_school")}
    # a practice and the 90% KPIs share a subject only (both directions of the stored link)
    assert not kpi["uk_school:9.1"].transfers_evidence
    assert kpi["uk_school:5.4"].transfers_evidence
    (back,) = cw.related("uk_school:9.1", target="eepm", inferred=False)
    assert back.target == "eepm:PPM.6" and not back.transfers_evidence
    assert kpi["uk_school:9.1"].to_dict()["transfers_evidence"] is False
    for gid, fw in (("eepm:5", "ima"), ("npss:placement-closure", "uk_school")):
        topical = [link for link in cw.related(gid, target=fw) if not link.transfers_evidence]
        assert topical, gid
    for req in catalog.iter_requirements():
        for link in cw.related(req.global_id):
            if link.inferred:
                steps = [
                    cw.graph.edges[a, b].get("transfers_evidence", True)
                    for a, b in zip(link.path, link.path[1:], strict=False)
                ]
                assert link.transfers_evidence == all(steps)


def test_inference_through_a_topical_step_does_not_transfer_evidence() -> None:
    nodes, edges = _hand_built("abc")
    data = {"confidence": "high", "rationale": "r", "author": None, "date": None}
    edges["a:1"]["b:1"] = {"relation": "equal", "transfers_evidence": True, **data}
    edges["b:1"]["a:1"] = {"relation": "equal", "transfers_evidence": True, **data}
    edges["b:1"]["c:1"] = {"relation": "intersects", "transfers_evidence": False, **data}
    edges["c:1"]["b:1"] = {"relation": "intersects", "transfers_evidence": False, **data}
    cw = Crosswalk(nodes, edges)
    (link,) = [link for link in cw.related("a:1") if link.target == "c:1"]
    assert link.inferred and link.relation == "intersects" and not link.transfers_evidence


def test_npss_placement_is_answered_by_the_six_eepm_standards_together(
    catalog: mentorstd.Catalog,
) -> None:
    (joint,) = catalog.crosswalk.joint_into("npss:placement-eepm-standards")
    assert joint.sources == tuple(f"eepm:{n}" for n in range(1, 7))
    assert joint.relation == "equal"
    fw = catalog.framework("eepm")
    benchmarks = [r.global_id for r in fw.requirements if r.kind == "benchmark"]
    assert sorted(joint.members) == sorted(benchmarks)  # enhancements are optional
    assert catalog.crosswalk.joint_table("eepm", "npss") == [joint]
    assert catalog.crosswalk.joint_table("npss", "eepm") == []
    # each standard alone is only a part of the item
    for n in range(1, 7):
        assert catalog.crosswalk.graph.edges[f"eepm:{n}", joint.target]["relation"] == "subset"


def test_the_npss_monitoring_item_equals_eepm_standard_5(catalog: mentorstd.Catalog) -> None:
    edge = catalog.crosswalk.graph.edges["eepm:5", "npss:placement-monitoring"]
    assert edge["relation"] == "equal"
    for b in ("B.5.1", "B.5.2", "B.5.3"):
        assert (
            catalog.crosswalk.graph.edges[f"eepm:{b}", "npss:placement-monitoring"]["relation"]
            == "subset"
        )


def test_lint_catches_a_gap_contradicted_by_a_mapped_part(standards_copy: Path) -> None:
    """Kind 1: a requirement declared to have no counterpart while one of its parts is
    mapped into that framework (ima:V-1 is below ima:V)."""
    problems = _planted(standards_copy, [_m("V-1", "training-ongoing", "intersects")], {})
    text = "\n".join(problems)
    assert "ima:V is listed as having no counterpart in 'npss' but its part ima:V-1" in text


def test_lint_catches_a_gap_contradicted_across_files(standards_copy: Path) -> None:
    """Kind 2: ima:I-3 has no counterpart in npss (ima--npss.yaml), yet if I-3 contains
    eepm:B.2.4 (planted in eepm--ima.yaml) and B.2.4 overlaps npss:recruitment-safety
    (eepm--npss.yaml), I-3 overlaps something in npss."""
    path = standards_copy / "crosswalks" / "eepm--ima.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["mappings"].append(_m("B.2.4", "I-3", "subset"))
    data["no_counterpart"]["source"] = [
        n for n in data["no_counterpart"]["source"] if n["id"] != "B.2.4"
    ]
    _dump(path, data)
    report = mentorstd.lint([standards_copy], builtin=False, entry_points=False)
    text = "\n".join(str(p) for p in report.problems)
    assert "ima--npss.yaml:" in text
    assert (
        "ima:I-3 is listed as having no counterpart in 'npss' but eepm:B.2.4 (within ima:I-3) "
        "is mapped to npss:recruitment-safety"
    ) in text


def test_a_topical_link_takes_no_part_in_overlap_chains(standards_copy: Path) -> None:
    path = standards_copy / "crosswalks" / "eepm--ima.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["mappings"].append(_m("B.2.4", "I-3", "intersects") | {"transfers_evidence": False})
    data["no_counterpart"]["source"] = [
        n for n in data["no_counterpart"]["source"] if n["id"] != "B.2.4"
    ]
    _dump(path, data)
    report = mentorstd.lint([standards_copy], builtin=False, entry_points=False)
    assert report.problems == []


def test_lint_rejects_a_topical_link_that_claims_containment(standards_copy: Path) -> None:
    problems = _planted(
        standards_copy, [_m("V-1", "equity", "subset") | {"transfers_evidence": False}]
    )
    assert any("a topical link can only be 'intersects'" in p for p in problems)


def test_lint_checks_joint_mappings(standards_copy: Path) -> None:
    path = standards_copy / "crosswalks" / "ima--npss.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    joint = {"relation": "superset", "confidence": "low", "rationale": "planted"}
    data["joint_mappings"] = [
        {"sources": ["IV", "IV-1"], "target": "training", **joint},
        {"sources": ["IX", "I-1"], "target": "nope", **joint},
    ]
    _dump(path, data)
    report = mentorstd.lint([standards_copy], builtin=False, entry_points=False)
    text = "\n".join(str(p) for p in report.problems)
    assert "ima:IV-1 lies within member ima:IV" in text
    assert "unknown requirement 'ima:IX'" in text
    assert "unknown requirement 'npss:nope'" in text


def test_relation_counts_after_the_fidelity_pass(catalog: mentorstd.Catalog) -> None:
    """Derived by hand from the issue-15 edits. Before: 273 mappings, 260 intersects, 7
    subset, 6 superset, 0 equal. Added 14 intersects (E.1.4 into npss and uk_school; eepm 2, 4
    and 6 into uk sections; ima I-7 and IV into npss; ima VI-1 and VI into uk 8.2 and 8; npss
    placement items into uk 5, 6.1 and 6; npss family-connections into uk 7). Strengthened:
    eepm 5 superset -> equal npss placement-monitoring; B.5.1-B.5.3 and six benchmarks into
    placement-eepm-standards intersects -> subset. Topical: 11 eepm--uk_school, 1 eepm--ima,
    4 ima--uk_school, 3 npss--uk_school."""
    from collections import Counter

    relations: Counter[str] = Counter()
    topical: Counter[str] = Counter()
    for cw, _ in catalog._crosswalk_files:
        relations.update(m.relation for m in cw.mappings)
        topical[f"{cw.source}--{cw.target}"] += sum(not m.transfers_evidence for m in cw.mappings)
    assert relations == {"intersects": 260 + 14 - 9, "subset": 7 + 9, "superset": 6 - 1, "equal": 1}
    assert +topical == {
        "eepm--uk_school": 11,
        "eepm--ima": 1,
        "ima--uk_school": 4,
        "npss--uk_school": 3,
    }
    assert sum(len(cw.joint_mappings) for cw, _ in catalog._crosswalk_files) == 1


def test_crosswalk_tables_mark_topical_links_and_list_joint_mappings(
    cli: Callable[..., Any], catalog: mentorstd.Catalog
) -> None:
    rows = list(
        csv.DictReader(io.StringIO(cli("crosswalk", "eepm", "uk_school", "-f", "csv").stdout))
    )
    by_pair = {(r["source"], r["target"]): r for r in rows}
    assert by_pair[("eepm:PPM.6", "uk_school:9.1")]["transfers_evidence"] == "no"
    assert by_pair[("eepm:PPM.6", "uk_school:5.4")]["transfers_evidence"] == "yes"
    md = cli("crosswalk", "eepm", "uk_school", "-f", "markdown").stdout
    assert "| intersects (topical) |" in md
    data = json.loads(cli("crosswalk", "eepm", "npss", "-f", "json").stdout)
    (joint,) = data["joint"]
    assert joint["target"] == "npss:placement-eepm-standards" and len(joint["members"]) == 36
    html = cli("crosswalk", "eepm", "npss", "-f", "html").stdout
    assert "Sets that together answer one requirement" in html
    mermaid = cli("crosswalk", "eepm", "uk_school", "-f", "mermaid").stdout
    assert "-- intersects (topical) -->" in mermaid
