"""OSCAL out: every framework is a catalog and every crosswalk a mapping collection that
compliance-trestle's OSCAL 1.2 models accept, with the structure and relations we state."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

import mentorstd
from mentorstd.interop.oscal import to_oscal_catalog, to_oscal_mapping
from mentorstd.report.crosswalk import build_table

from .conftest import STANDARDS

trestle_catalog = pytest.importorskip("trestle.oscal.catalog")
trestle_mapping = pytest.importorskip("trestle.oscal.mapping")

FRAMEWORKS = sorted(p.name for p in STANDARDS.iterdir() if (p / "framework.yaml").is_file())
PAIRS = sorted(p.stem.split("--") for p in (STANDARDS / "crosswalks").glob("*.yaml"))
GROUPS = {"standard", "section", "area", "component", "group"}


def _yaml_requirements(fid: str) -> list[dict[str, Any]]:
    """The requirements straight from the framework's YAML files, in order."""
    folder = STANDARDS / fid
    meta = yaml.safe_load((folder / "framework.yaml").read_text("utf-8"))
    out: list[dict[str, Any]] = []
    for part in meta["parts"]:
        out.extend(yaml.safe_load((folder / part).read_text("utf-8"))["requirements"])
    return out


def _walk(node: dict[str, Any], kind: str, out: dict[str, tuple[str, dict[str, Any]]]) -> None:
    out[node["id"]] = (kind, node)
    for child in node.get("groups", []):
        _walk(child, "group", out)
    for child in node.get("controls", []):
        _walk(child, "control", out)


@pytest.mark.parametrize("fid", FRAMEWORKS)
def test_every_framework_is_a_valid_oscal_catalog(fid: str, catalog: mentorstd.Catalog) -> None:
    doc = json.loads(json.dumps(to_oscal_catalog(catalog.framework(fid))))
    model = trestle_catalog.Model.model_validate(doc)
    assert model.catalog.metadata.oscal_version.root.root == "1.2.1"
    entries: dict[str, tuple[str, dict[str, Any]]] = {}
    for top in doc["catalog"].get("groups", []):
        _walk(top, "group", entries)
    for top in doc["catalog"].get("controls", []):
        _walk(top, "control", entries)
    reqs = _yaml_requirements(fid)
    assert len(entries) == len(reqs)
    for req in reqs:
        kind, node = entries[f"{fid}-{req['id']}"]
        # standards and sections are groups, items are controls
        assert kind == ("group" if req["kind"] in GROUPS else "control")
        assert node["title"] == req["title"]
        assert {"name": "label", "value": str(req["id"])} in node["props"]
        statement = node["parts"][0]
        assert statement["name"] == "statement"
        assert " ".join(statement["prose"].split()) == " ".join(req["statement"].split())
        items = [p["prose"] for p in statement.get("parts", [])]
        assert len(items) == len(req.get("criteria", []))


def test_catalog_nests_items_under_their_standard(catalog: mentorstd.Catalog) -> None:
    doc = to_oscal_catalog(catalog.framework("ima"))
    groups = doc["catalog"]["groups"]
    # six standards I..VI, 22 indicators (IMA states both counts)
    assert [g["id"] for g in groups] == [f"ima-{n}" for n in ("I", "II", "III", "IV", "V", "VI")]
    assert sum(len(g["controls"]) for g in groups) == 22
    third = next(g for g in groups if g["id"] == "ima-III")
    assert [c["id"] for c in third["controls"]][:2] == ["ima-III-1", "ima-III-2"]
    # the source is cited in back-matter and every entry links to it
    resource = doc["catalog"]["back-matter"]["resources"][0]
    assert "International Mentoring Association" in resource["citation"]["text"]
    assert third["controls"][0]["links"] == [{"href": f"#{resource['uuid']}", "rel": "reference"}]


def test_same_data_gives_the_same_uuids(catalog: mentorstd.Catalog) -> None:
    first = to_oscal_catalog(catalog.framework("npss"))["catalog"]
    second = to_oscal_catalog(catalog.framework("npss"))["catalog"]
    assert first["uuid"] == second["uuid"]
    assert first["uuid"] != to_oscal_catalog(catalog.framework("ima"))["catalog"]["uuid"]


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_every_crosswalk_is_a_valid_oscal_mapping(
    a: str, b: str, catalog: mentorstd.Catalog
) -> None:
    doc = json.loads(json.dumps(to_oscal_mapping(build_table(catalog, a, b))))
    model = trestle_mapping.Model.model_validate(doc)
    prov = model.mapping_collection.provenance
    assert prov.method == "human"
    assert prov.matching_rationale == "semantic"
    shipped = yaml.safe_load((STANDARDS / "crosswalks" / f"{a}--{b}.yaml").read_text("utf-8"))
    kinds_a = {str(r["id"]): r["kind"] for r in _yaml_requirements(a)}
    kinds_b = {str(r["id"]): r["kind"] for r in _yaml_requirements(b)}
    between_controls = [
        m
        for m in shipped["mappings"]
        if kinds_a[str(m["source"])] not in GROUPS and kinds_b[str(m["target"])] not in GROUPS
    ]
    mapping = doc["mapping-collection"]["mappings"][0]
    maps = [m for m in mapping["maps"] if not any(p["name"] == "joint" for p in m["props"])]
    assert len(maps) == len(between_controls)
    left_out = len(shipped["mappings"]) - len(between_controls)
    if left_out:
        assert mapping["remarks"].startswith(f"{left_out} link(s) between whole standards")
    relationship = {
        "equal": "equivalent-to",
        "subset": "subset-of",
        "superset": "superset-of",
        "intersects": "intersects-with",
    }
    got = {(m["sources"][0]["id-ref"], m["targets"][0]["id-ref"]): m for m in maps}
    for m in between_controls:
        entry = got[(f"{a}-{m['source']}", f"{b}-{m['target']}")]
        assert entry["relationship"] == relationship[m["relation"]]
        assert entry["confidence-score"] == {"category": m["confidence"]}


def test_mapping_ids_point_at_controls_of_the_exported_catalogs(
    catalog: mentorstd.Catalog,
) -> None:
    controls: set[str] = set()
    for fid in ("eepm", "uk_school"):
        entries: dict[str, tuple[str, dict[str, Any]]] = {}
        for top in to_oscal_catalog(catalog.framework(fid))["catalog"]["groups"]:
            _walk(top, "group", entries)
        controls |= {k for k, (kind, _) in entries.items() if kind == "control"}
    doc = to_oscal_mapping(build_table(catalog, "eepm", "uk_school"))
    for m in doc["mapping-collection"]["mappings"][0]["maps"]:
        assert m["sources"][0]["id-ref"] in controls
        assert m["targets"][0]["id-ref"] in controls


def test_cli_writes_both_documents(cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "ima.json"
    assert cli("export", "ima", "-o", str(out)).exit_code == 0
    trestle_catalog.Model.model_validate(json.loads(out.read_text("utf-8")))
    result = cli("crosswalk", "ima", "npss", "--format", "oscal-mapping")
    assert result.exit_code == 0
    trestle_mapping.Model.model_validate(json.loads(result.stdout))
    bad = cli("export", "nope")
    assert bad.exit_code == 2
    assert "nope" in bad.stderr


def test_ids_are_prefixed_because_oscal_tokens_cannot_start_with_a_digit(
    catalog: mentorstd.Catalog,
) -> None:
    doc = json.loads(json.dumps(to_oscal_catalog(catalog.framework("uk_school"))))
    first = doc["catalog"]["groups"][0]
    assert first["id"] == "uk_school-1"
    first["id"] = "1"  # the source's own id, as it stands
    with pytest.raises(ValueError, match="id"):
        trestle_catalog.Model.model_validate(doc)


def test_the_interop_docstring_examples_run() -> None:
    import doctest

    from mentorstd.interop import datapackage, oscal, sssom

    for module in (oscal, sssom, datapackage):
        failed, attempted = doctest.testmod(module)
        assert attempted and not failed, module.__name__


def test_a_joint_mapping_is_one_map_with_every_required_item_as_a_source(
    catalog: mentorstd.Catalog,
) -> None:
    """eepm--npss states that EEPM's six standards together equal npss:placement-eepm-standards;
    what must hold is every benchmark under them (enhancements are optional)."""
    shipped = yaml.safe_load((STANDARDS / "crosswalks" / "eepm--npss.yaml").read_text("utf-8"))
    (joint,) = shipped["joint_mappings"]
    stated = [str(x) for x in joint["sources"]]
    benchmarks = [
        f"eepm-{r['id']}"
        for r in _yaml_requirements("eepm")
        if r["kind"] == "benchmark" and str(r.get("parent")) in stated
    ]
    doc = json.loads(json.dumps(to_oscal_mapping(build_table(catalog, "eepm", "npss"))))
    trestle_mapping.Model.model_validate(doc)
    joints = [
        m
        for m in doc["mapping-collection"]["mappings"][0]["maps"]
        if {"name": "joint", "ns": "urn:mentorstd", "value": "true"} in m["props"]
    ]
    assert len(joints) == 1
    (found,) = joints
    assert sorted(x["id-ref"] for x in found["sources"]) == sorted(benchmarks)
    assert found["targets"] == [{"type": "control", "id-ref": f"npss-{joint['target']}"}]
    assert (
        found["relationship"]
        == {"equal": "equivalent-to", "superset": "superset-of"}[joint["relation"]]
    )
    members = [p["value"] for p in found["props"] if p["name"] == "stated-member"]
    assert members == [f"eepm:{x}" for x in stated]
