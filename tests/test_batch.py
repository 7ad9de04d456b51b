"""mentorstd batch: default workers, every folder accounted for, exit codes, summary, heat map."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import mentorstd
from mentorstd.batch import heat_map, run_batch, scan

from .conftest import EXAMPLES, BundleFactory


def _program(name: str) -> dict[str, Any]:
    return {
        "program": {
            "name": name,
            "model": "school",
            "period": {"start": "2025-01-01", "end": "2025-12-31"},
        }
    }


@pytest.fixture
def programs(make_bundle: BundleFactory, tmp_path: Path) -> Path:
    """Two small bundles, a broken one, and four folders that hold no bundle."""
    make_bundle(
        name="programs/north",
        manifest=_program("North Mentoring"),
        practices=[
            {"requirement": "uk_school:1.1", "status": "not-implemented"},
            {"requirement": "uk_school:1.2", "status": "implemented", "evidence": ["plan"]},
        ],
        documents=[{"id": "plan", "kind": "policy-manual", "path": "documents/plan.txt"}],
    )
    make_bundle(
        name="programs/region/south",
        manifest=_program("South Mentoring"),
        practices=[
            {"requirement": "uk_school:1.1", "status": "not-implemented"},
            {"requirement": "uk_school:1.2", "status": "planned"},
        ],
    )
    root = tmp_path / "programs"
    (root / "region" / "notes").mkdir()
    (root / "region" / "notes" / "minutes.txt").write_text("minutes\n", encoding="utf-8")
    (root / "empty").mkdir()
    (root / "misnamed").mkdir()
    (root / "misnamed" / "bundle.yml").write_text("bundle_version: 1\n", encoding="utf-8")
    (root / ".git").mkdir()
    return root


def test_scan_names_every_folder_without_a_bundle_and_why(programs: Path) -> None:
    bundles, skipped = scan(programs)
    assert bundles == [programs / "north", programs / "region" / "south"]
    reasons = {path.relative_to(programs).as_posix(): why for path, why in skipped}
    assert reasons == {
        ".git": "hidden folder, not searched",
        "empty": "empty folder",
        "misnamed": "holds bundle.yml; a bundle's manifest must be named bundle.yaml",
        "region/notes": "no bundle.yaml in it or below",
    }


def test_batch_runs_without_jobs_and_lists_skipped_folders(
    cli: Callable[..., Any], programs: Path, tmp_path: Path
) -> None:
    """The default of --jobs is the number of CPUs: no -j needed."""
    out = tmp_path / "out"
    result = cli("batch", str(programs), "-F", "uk_school", "-o", str(out), "--as-of", "2026-01-31")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    skipped = [line for line in lines if line.startswith("skipped ")]
    assert len(skipped) == 4
    assert any(line.endswith("empty: empty folder") for line in skipped)
    assert lines[-1].startswith("2 assessed, 0 with errors, 4 skipped")
    rows = list(csv.DictReader(io.StringIO((out / "summary.csv").read_text(encoding="utf-8"))))
    assert [r["result"] for r in rows] == [
        "skipped",
        "skipped",
        "skipped",
        "assessed",
        "skipped",
        "assessed",
    ]
    by_bundle = {r["bundle"]: r for r in rows}
    assert by_bundle["north"]["program"] == "North Mentoring"
    assert by_bundle["region__south"]["program"] == "South Mentoring"
    assert {r["framework"] for r in rows} == {"uk_school"}
    assert by_bundle["north"]["assessed_on"] == "2026-01-31"
    assert by_bundle["misnamed"]["error"].startswith("holds bundle.yml")
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "4 folders skipped" in index and "empty folder" in index


def test_batch_exit_codes(
    cli: Callable[..., Any], programs: Path, tmp_path: Path, make_bundle: BundleFactory
) -> None:
    """0 all assessed; 1 --fail-on reached (naming the bundles); 2 when a bundle failed."""
    args = ["batch", str(programs), "-F", "uk_school", "-j", "1"]
    reached = cli(*args, "-o", str(tmp_path / "a"), "--fail-on", "not-met")
    assert reached.exit_code == 1
    assert "2 bundles have requirements not-met: north, region__south" in reached.stderr
    broken = programs / "broken"
    broken.mkdir()
    (broken / "bundle.yaml").write_text("bundle_version: 1\nprogram: [\n", encoding="utf-8")
    failed = cli(*args, "-o", str(tmp_path / "b"), "--fail-on", "not-met")
    assert failed.exit_code == 2
    assert re.search(r"^error   .*broken: bundle\.yaml:", failed.stdout, re.MULTILINE)
    assert (tmp_path / "b" / "north.json").is_file()  # the others are still written


def test_heat_map_counts_each_requirement_across_programs(
    programs: Path, tmp_path: Path, catalog: mentorstd.Catalog
) -> None:
    result = run_batch(programs, "uk_school", tmp_path / "out", jobs=1, catalog=catalog)
    heat = heat_map(result.rows, "uk_school", catalog)
    assert [p["bundle"] for p in heat["programs"]] == ["north", "region__south"]
    rows = {item["id"]: item for item in heat["requirements"]}
    items = [r for r in catalog.framework("uk_school").requirements if not r.is_group]
    assert list(rows) == [r.global_id for r in items]
    # both attest 1.1 not-implemented: not-met twice; 1.2 is implemented with evidence in
    # one (met) and planned in the other (not-met)
    assert rows["uk_school:1.1"]["cells"] == ["not-met", "not-met"]
    assert rows["uk_school:1.1"]["counts"]["not-met"] == 2
    assert rows["uk_school:1.2"]["cells"] == ["met", "not-met"]
    assert heat["most_unmet"][0]["id"] == "uk_school:1.1"
    for item in heat["requirements"]:
        assert sum(item["counts"].values()) == 2
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert 'id="heat"' in index
    assert index.count('class="cell s-') == 2 * len(items)
    assert "Most often not met" in index


def test_batch_help_states_the_exit_codes(cli: Callable[..., Any]) -> None:
    text = " ".join(re.sub("[│╭╮╰╯─]", " ", cli("batch", "--help").stdout).split())
    assert "Default: the number of CPUs" in text
    assert "2 some bundles could not be assessed" in text


def test_an_output_folder_inside_dir_is_skipped_not_searched(programs: Path) -> None:
    out = programs / "reports"
    run_batch(programs, "uk_school", out, jobs=1)
    assert (out / "north.json").is_file()
    _, skipped = scan(programs, out)
    assert (out, "the output folder of this batch") in skipped


def test_batch_cadence_picks_the_schedule_for_every_bundle(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = ("-F", "eepm", "--as-of", "2026-11-23", "--cadence", "bbbs")
    result = cli("batch", str(EXAMPLES), "-o", str(out), "-j", "1", *args)
    assert result.exit_code == 0, result.stdout + result.stderr
    rows = {
        r["bundle"]: r for r in csv.DictReader(io.StringIO(out.joinpath("summary.csv").read_text()))
    }
    single = tmp_path / "riverside.json"
    assert cli("validate", str(EXAMPLES / "riverside"), *args, "-o", str(single)).exit_code == 0
    report = json.loads(single.read_text())
    assert report["indicators"]["cadence"] == "bbbs"
    completed = {i["id"]: i["value"] for i in report["indicators"]["indicators"]}
    want = round(completed["contacts-completed"], 4)
    assert float(rows["riverside"]["indicator-contacts-completed"]) == want
    assert json.loads((out / "riverside.json").read_text())["indicators"]["cadence"] == "bbbs"


@pytest.mark.parametrize(("count", "jobs"), [(0, 2), (1, 2), (10, 2), (1000, 2), (997, 3)])
def test_chunks_keep_every_task_once_in_order_and_shrink_towards_the_end(
    count: int, jobs: int
) -> None:
    from mentorstd.batch import _chunks

    tasks = [(i,) for i in range(count)]
    chunks = _chunks(tasks, jobs)
    assert [task for chunk in chunks for task in chunk] == tasks
    sizes = [len(chunk) for chunk in chunks]
    assert all(1 <= size <= 32 for size in sizes)
    assert sizes == sorted(sizes, reverse=True)  # large first, small last
    if count >= 1000:
        assert sizes[0] == 32 and sizes[-1] == 1  # few round trips, a short tail


def test_pool_workers_get_their_share_of_polars_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    # polars sizes its threads once, at its import, which in a worker comes before the
    # initializer: the share must already be in the environment the worker starts with
    import polars as pl

    from mentorstd import batch

    share = pl.thread_pool_size() + 1  # a size polars would never choose by itself here
    monkeypatch.setattr(os, "cpu_count", lambda: 2 * share)
    monkeypatch.delenv("POLARS_MAX_THREADS", raising=False)
    monkeypatch.delenv("PYTHONSAFEPATH", raising=False)
    with batch._worker_environment(2):
        pool = batch._pool(2, [])
        sizes = [pool.submit(pl.thread_pool_size) for _ in range(2)]
    try:
        assert [size.result(timeout=120) for size in sizes] == [share, share]
    finally:
        pool.shutdown()
    # this process's environment is as it was
    assert "POLARS_MAX_THREADS" not in os.environ
    assert "PYTHONSAFEPATH" not in os.environ


def test_a_batch_starts_every_worker_in_the_workers_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil
    from concurrent.futures import process

    for name in ("oakfield", "riverside"):
        shutil.copytree(EXAMPLES / name, tmp_path / "programs" / name)
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    monkeypatch.setenv("POLARS_MAX_THREADS", "5")  # the user's own, for this process
    seen: list[tuple[str | None, str | None]] = []
    spawn = process.ProcessPoolExecutor._spawn_process

    def spy(pool: process.ProcessPoolExecutor) -> None:
        seen.append((os.environ.get("POLARS_MAX_THREADS"), os.environ.get("PYTHONSAFEPATH")))
        spawn(pool)

    monkeypatch.setattr(process.ProcessPoolExecutor, "_spawn_process", spy)
    result = run_batch(tmp_path / "programs", "eepm", tmp_path / "out", jobs=2, formats=["json"])
    assert [row["result"] for row in result.rows] == ["assessed", "assessed"]
    assert seen == [("3", "1"), ("3", "1")]  # each of the two workers: 6 CPUs / 2
    assert os.environ["POLARS_MAX_THREADS"] == "5"
