"""Every benchmark case runs at tiny size, so the suite never rots (timings are not asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow


def test_benchmark_smoke_run(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            "--smoke",
            "--json",
            "--work",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = json.loads(result.stdout)
    cases = [r["case"] for r in rows]
    assert cases == [
        "assess-50",
        "assess-200",
        "assess-200-shuffled",
        "assess-200-quoted",
        "cli-frameworks",
        "catalog+crosswalk",
        "batch-6-1-worker",
        "batch-6-2-workers",
    ]
    for row in rows:
        assert row["seconds"] > 0
    assert all(r["ratio"] > 0 for r in rows if r["floor"])
    assessed = [r for r in rows if r["case"].startswith("assess")]
    assert all(r["cpu_seconds"] > 0 and r["cpu_ratio"] > 0 for r in assessed)


def test_generator_is_deterministic(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from generate import generate
    finally:
        sys.path.pop(0)
    a = generate(40, tmp_path / "a")
    b = generate(40, tmp_path / "b")
    for name in ("matches", "contacts", "training", "screening", "surveys", "outcomes"):
        assert (a / "data" / f"{name}.csv").read_bytes() == (
            b / "data" / f"{name}.csv"
        ).read_bytes()
