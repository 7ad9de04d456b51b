"""Shared fixtures: the shipped catalog, a bundle factory and a CLI runner."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import mentorstd
from mentorstd.cli import app
from mentorstd.tables import TABLES

# Keep the catalog cache of test runs out of the user's home folder.
os.environ.setdefault("MENTORSTD_CACHE_DIR", tempfile.mkdtemp(prefix="mentorstd-test-cache-"))

ROOT = Path(__file__).resolve().parents[1]
STANDARDS = ROOT / "standards"
EXAMPLES = ROOT / "examples" / "bundles"


@pytest.fixture(scope="session")
def catalog() -> mentorstd.Catalog:
    return mentorstd.load_catalog()


@pytest.fixture
def cli() -> Callable[..., Any]:
    """Run the CLI in-process; returns the click Result (exit_code, stdout, stderr)."""
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(app, list(args), catch_exceptions=False)

    return run


def write_table(
    path: Path, name: str, rows: list[dict[str, Any]], header: list[str] | None = None
) -> None:
    cols = header or [
        c.name for c in TABLES[name] if not c.optional_column or any(c.name in r for r in rows)
    ]
    lines = [",".join(cols)]
    for row in rows:
        lines.append(",".join("" if row.get(c) is None else str(row[c]) for c in cols))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


BundleFactory = Callable[..., Path]


@pytest.fixture
def make_bundle(tmp_path: Path) -> BundleFactory:
    """Write a bundle folder from Python data and return its path.

    ``tables`` maps a table name to a list of row dicts; ``documents`` are manifest entries
    whose files are created; anything in ``manifest`` overrides the manifest's keys.
    """
    counter = iter(range(1000))

    def make(
        *,
        tables: dict[str, list[dict[str, Any]]] | None = None,
        documents: list[dict[str, Any]] | None = None,
        practices: list[dict[str, Any]] | None = None,
        nqms: dict[str, Any] | None = None,
        period: tuple[str, str] = ("2025-01-01", "2025-12-31"),
        manifest: dict[str, Any] | None = None,
        name: str | None = None,
    ) -> Path:
        folder = tmp_path / (name or f"bundle{next(counter)}")
        (folder / "data").mkdir(parents=True)
        (folder / "documents").mkdir()
        data = {}
        for table, rows in (tables or {}).items():
            write_table(folder / "data" / f"{table}.csv", table, rows)
            data[table] = f"data/{table}.csv"
        for doc in documents or []:
            target = folder / doc["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f"{doc['id']}\n", encoding="utf-8")
        body: dict[str, Any] = {
            "bundle_version": 1,
            "program": {
                "name": "Test Program",
                "model": "community",
                "period": {"start": period[0], "end": period[1]},
            },
            "documents": documents or [],
            "practices": practices or [],
            "data": data,
        }
        if nqms is not None:
            body["nqms"] = nqms
        body.update(manifest or {})
        (folder / "bundle.yaml").write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
        return folder

    return make


def tree_digest(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` (to prove inputs are never modified)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def standards_copy(tmp_path: Path) -> Iterator[Path]:
    """A writable copy of the shipped standards, to break on purpose."""
    target = tmp_path / "standards"
    shutil.copytree(STANDARDS, target)
    yield target
