"""JSON Schemas: committed files equal what the models generate, and real data validates."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

import mentorstd
from mentorstd import schemas

from .conftest import EXAMPLES, ROOT, STANDARDS

SCHEMAS = ROOT / "schemas"


@pytest.mark.parametrize("name", schemas.names())
def test_committed_schema_matches_the_models(name: str) -> None:
    committed = (SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8")
    assert committed == schemas.render(name), (
        f"schemas/{name}.schema.json is stale: run python scripts/gen_schemas.py"
    )


def test_every_schema_has_an_id_and_a_version() -> None:
    for name in schemas.names():
        data = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
        assert data["$id"].endswith(f"/v{schemas.SCHEMA_VERSION}/{name}.schema.json")
        assert data["version"] == schemas.SCHEMA_VERSION
        jsonschema.Draft202012Validator.check_schema(data)


def _validator(name: str) -> jsonschema.Draft202012Validator:
    data = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(data)


def _schema_for(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    return first.rsplit("/", 1)[1].removesuffix(".schema.json")


@pytest.mark.parametrize(
    "path", sorted(STANDARDS.rglob("*.yaml")), ids=lambda p: str(p.relative_to(STANDARDS))
)
def test_every_standards_file_names_and_passes_its_schema(path: Path) -> None:
    name = _schema_for(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    errors = list(_validator(name).iter_errors(json.loads(json.dumps(data, default=str))))
    assert not errors, [e.message for e in errors]


@pytest.mark.parametrize("bundle", sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir()))
def test_example_manifests_and_reports_validate(bundle: str, catalog: mentorstd.Catalog) -> None:
    manifest = yaml.safe_load((EXAMPLES / bundle / "bundle.yaml").read_text(encoding="utf-8"))
    assert not list(_validator("bundle").iter_errors(json.loads(json.dumps(manifest, default=str))))
    loaded = mentorstd.load_bundle(EXAMPLES / bundle, catalog=catalog)
    for fid in catalog.frameworks:
        report = json.loads(mentorstd.assess(loaded, fid, catalog).to_json())
        errors = list(_validator("report").iter_errors(report))
        assert not errors, [e.message for e in errors][:3]


def test_schema_command_prints_the_committed_file(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("schema", "report")
    assert result.exit_code == 0
    assert result.stdout == (SCHEMAS / "report.schema.json").read_text(encoding="utf-8")
    listing = cli("schema")
    assert listing.stdout.split() == schemas.names()
    bad = cli("schema", "nope")
    assert bad.exit_code == 2
    assert "unknown schema 'nope'" in bad.stderr
