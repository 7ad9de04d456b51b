"""Hostile and careless inputs: located errors, bounded time and memory, nothing leaks out."""

from __future__ import annotations

import os
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


# -- manifest: paths, numbers, dates, keys ---------------------------------------------------


def _doc_manifest(path: str) -> str:
    return GOOD + f'documents:\n  - {{id: d, kind: policy-manual, path: "{path}"}}\n'


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (_doc_manifest("documents/a\\0b.pdf"), "bundle.yaml:4:", "holds a control character"),
        (_doc_manifest("documents/a\\nb.pdf"), "bundle.yaml:4:", "holds a control character"),
        (
            GOOD.replace("bundle_version: 1", "bundle_version: " + "9" * 5000),
            "bundle.yaml:1:17:",
            "number with 5000 digits is too large",
        ),
        (
            GOOD.replace("2025-12-31", "9999-12-31"),
            "bundle.yaml:2:",
            "9999-12-31 is outside 1900-2100",
        ),
        (GOOD + "nqms: {review_meeting: 9999-01-01}\n", "bundle.yaml:3:", "outside 1900-2100"),
        (
            GOOD.replace("name: T,", "name: T, started: 20250101,"),
            "bundle.yaml:2:",
            "20250101 is not a date written YYYY-MM-DD",
        ),
    ],
)
def test_bad_manifest_values_are_located_errors_not_crashes(
    make_bundle: BundleFactory, text: str, where: str, message: str
) -> None:
    bundle = make_bundle()
    (bundle / "documents" / "a").mkdir()
    _manifest(bundle, text)
    result = _run(bundle)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"mentorstd: error: {where}"), result.stderr
    assert message in result.stderr
    assert len(result.stderr) < 400


@pytest.mark.parametrize(
    "spelling",
    [
        "bundle_version: true",
        "bundle_version: 1.0",
        'bundle_version: "1"',
        "bundle_version: 0x1",
        "bundle_version: +1",
        "bundle_version: 01",
        "bundle_version: 0_1",
    ],
)
def test_manifest_numbers_are_plain_ascii_digits(make_bundle: BundleFactory, spelling: str) -> None:
    bundle = make_bundle()
    _manifest(bundle, GOOD.replace("bundle_version: 1", spelling))
    with pytest.raises(mentorstd.BundleError, match=r"^bundle\.yaml:1:\d+: "):
        mentorstd.load_bundle(bundle)


@pytest.mark.parametrize("spelling", ["12", "٤", "+12", "0x0c", "1:30", "12.0", "true"])
def test_commitment_months_accepts_only_plain_digits(
    make_bundle: BundleFactory, spelling: str
) -> None:
    bundle = make_bundle()
    _manifest(bundle, GOOD.replace("name: T,", f"name: T, commitment_months: {spelling},"))
    if spelling == "12":
        loaded = mentorstd.load_bundle(bundle)
        assert loaded.manifest.program.commitment_months == 12
        return
    with pytest.raises(
        mentorstd.BundleError, match=r"^bundle\.yaml:2:\d+: (program|number .* plain digits)"
    ):
        mentorstd.load_bundle(bundle)


def test_an_unreadable_document_is_a_located_error(
    make_bundle: BundleFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = make_bundle(
        documents=[{"id": "d", "kind": "policy-manual", "path": "documents/d.txt"}]
    )
    real_open = Path.open

    def refuse(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self.name == "d.txt":
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(
        mentorstd.BundleError,
        match=r"^bundle\.yaml:\d+:\d+: documents\[0\]\.path: cannot read file: Permission denied",
    ):
        mentorstd.load_bundle(bundle)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file")
def test_a_chmod_000_document_exits_2(make_bundle: BundleFactory) -> None:
    bundle = make_bundle(
        documents=[{"id": "d", "kind": "policy-manual", "path": "documents/d.txt"}]
    )
    (bundle / "documents" / "d.txt").chmod(0)
    result = _run(bundle)
    assert result.returncode == 2, result.stderr
    assert "documents[0].path: cannot read file: Permission denied" in result.stderr


def test_a_manifest_symlink_leading_out_is_refused(
    make_bundle: BundleFactory, tmp_path: Path
) -> None:
    bundle = make_bundle()
    outside = tmp_path / "elsewhere.yaml"
    (bundle / "bundle.yaml").rename(outside)
    (bundle / "bundle.yaml").symlink_to(outside)
    result = _run(bundle)
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        "mentorstd: error: bundle.yaml: bundle.yaml leads outside the bundle (symlink)\n"
    )


@pytest.mark.parametrize(
    ("typo", "meant", "where"),
    [
        ("progam", "program", "bundle.yaml:3:1: progam"),
        ("Documents", "documents", "bundle.yaml:3:1: Documents"),
    ],
)
def test_a_mistyped_manifest_key_gets_a_suggestion(
    make_bundle: BundleFactory, typo: str, meant: str, where: str
) -> None:
    bundle = make_bundle()
    _manifest(bundle, GOOD + f"{typo}: []\n")
    result = _run(bundle)
    assert result.returncode == 2
    assert f"{where}: unknown field {typo!r} (did you mean {meant!r}?)" in result.stderr


def test_a_mistyped_nested_key_gets_a_suggestion(make_bundle: BundleFactory) -> None:
    bundle = make_bundle()
    _manifest(bundle, GOOD.replace("model: community", "modle: community"))
    with pytest.raises(mentorstd.BundleError) as caught:
        mentorstd.load_bundle(bundle)
    wanted = "program.modle: unknown field 'modle' (did you mean 'model'?)"
    assert any(line.endswith(wanted) for line in caught.value.lines())
