"""Property tests: generated bundles always assess; damaged ones fail only with a located
MentorstdError, never another exception."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mentorstd

from .strategies import MUTATIONS, bundles, write_bundle

CATALOG = mentorstd.load_catalog()
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(bundles())
def test_valid_bundles_always_assess(data: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        loaded = mentorstd.load_bundle(write_bundle(data, Path(tmp) / "b"), catalog=CATALOG)
        for fid in CATALOG.frameworks:
            report = mentorstd.assess(loaded, fid, CATALOG)
            assert sum(report.summary.values()) == len(report.results)
            for result in report.results:
                assert result.findings, result.requirement


def _mutate(folder: Path, kind: str, rng: random.Random, junk: str) -> None:
    tables = sorted((folder / "data").glob("*.csv"))
    table = rng.choice(tables)
    lines = table.read_text(encoding="utf-8").splitlines()
    if kind == "cell" and len(lines) > 1:
        row = rng.randrange(1, len(lines))
        cells = lines[row].split(",")
        cells[rng.randrange(len(cells))] = junk.replace("\n", " ")
        lines[row] = ",".join(cells)
    elif kind == "drop-column":
        col = rng.randrange(len(lines[0].split(",")))
        lines = [",".join(c for i, c in enumerate(line.split(",")) if i != col) for line in lines]
    elif kind == "ragged":
        lines.append(lines[-1] + ",extra")
    elif kind == "table-bytes":
        raw = bytearray(table.read_bytes())
        raw[rng.randrange(len(raw))] = rng.randrange(256)
        table.write_bytes(bytes(raw))
        return
    elif kind == "manifest-bytes":
        manifest = folder / "bundle.yaml"
        raw = bytearray(manifest.read_bytes())
        raw[rng.randrange(len(raw))] = rng.randrange(256)
        manifest.write_bytes(bytes(raw))
        return
    elif kind in {"requirement", "date", "path"}:
        manifest = folder / "bundle.yaml"
        text = manifest.read_text(encoding="utf-8")
        old = {
            "requirement": "screening-policy",
            "date": "2025-12-31",
            "path": "documents/policy.md",
        }[kind]
        manifest.write_text(text.replace(old, junk.replace("\n", " ") or "x", 1), encoding="utf-8")
        return
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")


@SETTINGS
@given(bundles(), st.sampled_from(MUTATIONS), st.randoms(use_true_random=False), st.text())
def test_damaged_bundles_fail_only_with_located_errors(
    data: dict[str, Any], kind: str, rng: random.Random, junk: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_bundle(data, Path(tmp) / "b")
        _mutate(folder, kind, rng, junk)
        try:
            loaded = mentorstd.load_bundle(folder, catalog=CATALOG)
            for fid in CATALOG.frameworks:
                mentorstd.assess(loaded, fid, CATALOG)
        except mentorstd.MentorstdError as err:
            assert str(err)
            assert all(p.message for p in err.problems)


@settings(max_examples=40, deadline=None)
@given(bundles())
def test_model_dump_and_load_round_trip(data: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        loaded = mentorstd.load_bundle(write_bundle(data, Path(tmp) / "b"), catalog=CATALOG)
        report = mentorstd.assess(loaded, "uk_school", CATALOG)
        again = mentorstd.Report.model_validate_json(report.to_json())
        assert again == report
