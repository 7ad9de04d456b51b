"""Hostile and careless inputs: located errors, bounded time and memory, nothing leaks out."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import mentorstd
from mentorstd import bundle as bundle_module
from mentorstd import tables as tables_module
from mentorstd.tables import TABLES

from .conftest import EXAMPLES, BundleFactory, tree_digest, write_table
from .test_metrics import MATCHES, TRAINING


def _run(path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """The real CLI in a child process: a crash there cannot take the test run down."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mentorstd",
            "validate",
            str(path),
            "-F",
            "eepm",
            "-f",
            "json",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _manifest(bundle: Path, text: str | bytes) -> None:
    target = bundle / "bundle.yaml"
    if isinstance(text, bytes):
        target.write_bytes(text)
    else:
        target.write_text(text, encoding="utf-8")


GOOD = (
    "bundle_version: 1\nprogram: {name: T, model: community, "
    "period: {start: 2025-01-01, end: 2025-12-31}}\n"
)


def test_alias_bomb_is_refused_at_once(make_bundle: BundleFactory) -> None:
    bundle = make_bundle()
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    _manifest(bundle, GOOD + "\n".join(lines) + "\n")
    start = time.perf_counter()
    result = _run(bundle)
    assert time.perf_counter() - start < 20
    assert result.returncode == 2
    assert "aliases (*name) are not allowed in this file" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "text",
    [
        GOOD + "practices: " + "[" * 200_000 + "]" * 200_000 + "\n",
        GOOD + "practices: " + "{a: " * 5_000 + "1" + "}" * 5_000 + "\n",
    ],
)
def test_deep_nesting_is_refused_without_a_crash(make_bundle: BundleFactory, text: str) -> None:
    bundle = make_bundle()
    _manifest(bundle, text)
    result = _run(bundle)
    assert result.returncode == 2, result.stderr
    assert "nesting deeper than 64 levels" in result.stderr


def test_oversized_files_are_refused(
    make_bundle: BundleFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = make_bundle(tables={"matches": MATCHES})
    monkeypatch.setattr(tables_module, "MAX_TABLE_BYTES", 100)
    with pytest.raises(mentorstd.BundleError, match=r"larger than the 100-byte limit"):
        mentorstd.load_bundle(bundle)
    monkeypatch.setattr(bundle_module, "MAX_MANIFEST_BYTES", 10)
    with pytest.raises(mentorstd.BundleError, match=r"bundle\.yaml: file is \d+ bytes"):
        mentorstd.load_bundle(bundle)


def test_manifest_encoding_problems(make_bundle: BundleFactory) -> None:
    bundle = make_bundle()
    _manifest(bundle, GOOD.encode("utf-8") + b"practices: []\n# caf\xe9\n")
    result = _run(bundle)
    assert result.returncode == 2
    assert result.stderr.startswith("mentorstd: error: bundle.yaml:4: not valid UTF-8")
    _manifest(bundle, b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode("utf-8"))
    assert _run(bundle).returncode == 0


def test_duplicate_manifest_keys(make_bundle: BundleFactory) -> None:
    bundle = make_bundle()
    _manifest(bundle, GOOD + "bundle_version: 1\n")
    result = _run(bundle)
    assert result.returncode == 2
    assert "bundle.yaml:3:1: duplicate key 'bundle_version' (first at line 1)" in result.stderr


# -- privacy ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "rows", "where", "what"),
    [
        (
            "matches",
            [{**MATCHES[0], "mentee_id": "Maria_Gonzalez"}],
            "data/matches.csv:2:3:",
            "a person's name",
        ),
        (
            "matches",
            [{**MATCHES[0], "mentor_id": "5551234567"}],
            "data/matches.csv:2:2:",
            "a phone number",
        ),
        (
            "training",
            [{**TRAINING[0], "topic": "call jo@example.org"}],
            "data/training.csv:2:6:",
            "an e-mail address",
        ),
        (
            "training",
            [{**TRAINING[0], "topic": "meet at 12 Oak Street"}],
            "data/training.csv:2:6:",
            "a street address",
        ),
    ],
)
def test_personal_data_stops_the_run(
    cli: Callable[..., Any],
    make_bundle: BundleFactory,
    table: str,
    rows: list[dict[str, Any]],
    where: str,
    what: str,
) -> None:
    tables: dict[str, list[dict[str, Any]]] = {"matches": MATCHES}
    tables[table] = rows
    bundle = make_bundle(tables=tables)
    result = cli("validate", str(bundle), "-F", "eepm", "-f", "json")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"mentorstd: error: {where} ")
    assert f"looks like {what}" in result.stderr
    assert "--allow-personal-data" in result.stderr
    allowed = cli("validate", str(bundle), "-F", "eepm", "-f", "json", "--allow-personal-data")
    assert allowed.exit_code == 0


def test_a_personal_column_name_stops_the_run(
    cli: Callable[..., Any], make_bundle: BundleFactory
) -> None:
    bundle = make_bundle(tables={"matches": MATCHES})
    header = [*(c.name for c in TABLES["matches"]), "mentee_first_name"]
    write_table(
        bundle / "data" / "matches.csv",
        "matches",
        [{**m, "mentee_first_name": "x"} for m in MATCHES],
        header,
    )
    result = cli("validate", str(bundle), "-F", "eepm", "-f", "json")
    assert result.exit_code == 2
    assert (
        "data/matches.csv:1:8: mentee_first_name: column 'mentee_first_name' looks like "
        "personal data"
    ) in result.stderr
    allowed = cli("validate", str(bundle), "-F", "eepm", "-f", "json", "--allow-personal-data")
    assert allowed.exit_code == 0
    assert "mentee_first_name" not in allowed.stdout


def test_reports_never_print_free_text_from_the_tables(
    make_bundle: BundleFactory, catalog: mentorstd.Catalog
) -> None:
    from mentorstd.report import render_report

    secret = "Tuesday-session-with-a-guest-speaker"
    tables = {"matches": MATCHES, "training": [{**t, "topic": secret} for t in TRAINING]}
    loaded = mentorstd.load_bundle(make_bundle(tables=tables), catalog=catalog)
    for fid in catalog.frameworks:
        report = mentorstd.assess(loaded, fid, catalog)
        for fmt in ("json", "markdown", "html"):
            assert secret not in render_report(report, fmt)  # type: ignore[arg-type]


def test_mentorstd_makes_no_network_connection(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setenv("MENTORSTD_NO_CACHE", "1")
    from mentorstd.demo import run_demo
    from mentorstd.plan import build_plan

    cat = mentorstd.load_catalog()
    before = tree_digest(EXAMPLES)
    result = run_demo(cat, tmp_path / "demo")
    assert len(result.reports) == 16  # 4 example bundles x 4 frameworks
    loaded = mentorstd.load_bundle(EXAMPLES / "riverside", catalog=cat)
    assert build_plan(mentorstd.assess(loaded, "eepm", cat), cat).goals
    assert mentorstd.lint().ok
    assert tree_digest(EXAMPLES) == before
