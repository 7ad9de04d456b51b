"""Benchmarks: each case is timed as a ratio against a floor measured in the same run.

    python benchmarks/run.py              # every case at full size (a few minutes)
    python benchmarks/run.py --smoke      # every case at tiny size (seconds; used by a test)
    python benchmarks/run.py --only assess-100000,cli-frameworks   # case name prefixes

Floors:

* assessment: reading the same CSV files with ``csv.reader`` and nothing else (median of
  three); the assessment itself runs three times in fresh processes and the median run counts.
  The shuffled case has the same rows with contacts in random order;
* CLI start: a bare ``python -c pass``.

Targets (on a 2-core machine): assessing a 100k-match bundle against eepm <= 2.5x its floor
with peak memory <= 1 GB (the process plus its contacts helper, reported apart);
``mentorstd frameworks`` <= 3x bare Python start; catalog plus
crosswalk inference <= 100 ms in-process; a batch of 1,000 small bundles at least 1.6x faster
on 2 workers than on 1. Timing targets are reported here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402  (the generator sits beside this script)

PY = sys.executable


def _median_time(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _csv_floor(folder: Path) -> float:
    def read() -> None:
        for path in sorted((folder / "data").glob("*.csv")):
            with path.open(newline="", encoding="utf-8") as handle:
                for _row in csv.reader(handle):
                    pass

    return _median_time(read, 3)


_ASSESS_CHILD = """
import json, resource, sys, time
import mentorstd
start = time.perf_counter()
cat = mentorstd.load_catalog()
bundle = mentorstd.load_bundle(sys.argv[1], catalog=cat)
loaded = time.perf_counter()
report = mentorstd.assess(bundle, "eepm", cat)
done = time.perf_counter()
print(json.dumps({"load": loaded - start, "assess": done - loaded, "total": done - start,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "helper_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                  "summary": report.summary}))
"""


_SHUFFLE_CHILD = """
import random, shutil, sys
from pathlib import Path
folder, out = Path(sys.argv[1]), Path(sys.argv[2])
shutil.copytree(folder, out)
path = out / "data" / "contacts.csv"
header, *rows = path.read_text(encoding="utf-8").splitlines()
random.Random(len(rows)).shuffle(rows)
path.write_text("\\n".join([header, *rows]) + "\\n", encoding="utf-8")
"""


def _shuffled(folder: Path, out: Path) -> Path:
    """A copy of the bundle with its contact rows in random order (as in a file sorted by date
    or by staff member rather than by match). Made in a child process: Linux carries a
    process's peak memory over into the processes it starts, so this one must stay small."""
    if not (out / "bundle.yaml").is_file():
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run([PY, "-c", _SHUFFLE_CHILD, str(folder), str(out)], check=True)
    return out


def case_assess(size: int, work: Path, *, shuffled: bool = False) -> dict[str, object]:
    folder = work / f"bundle-{size}"
    if not (folder / "bundle.yaml").is_file():
        generate(size, folder)
    if shuffled:
        folder = _shuffled(folder, work / f"bundle-{size}-shuffled")
    floor = _csv_floor(folder)
    runs = sorted(
        (
            json.loads(
                subprocess.run(
                    [PY, "-c", _ASSESS_CHILD, str(folder)],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
            )
            for _ in range(3)
        ),
        key=lambda r: r["total"],
    )
    middle = runs[1]  # the median run of three
    name = f"assess-{size // 1000}k" if size >= 1000 else f"assess-{size}"
    return {
        "case": name + ("-shuffled" if shuffled else ""),
        "seconds": round(middle["total"], 3),
        "floor": round(floor, 3),
        "ratio": round(middle["total"] / floor, 2),
        "target": 2.5 if size >= 100_000 else None,
        "detail": f"load {middle['load']:.2f}s, assess {middle['assess']:.2f}s, "
        f"peak {middle['peak_mb']:.0f} MB"
        + (
            f" + {middle['helper_mb']:.0f} MB in the contacts helper" if middle["helper_mb"] else ""
        ),
    }


def case_cli() -> dict[str, object]:
    exe = shutil.which("mentorstd")
    command = [exe] if exe else [PY, "-m", "mentorstd"]

    def bare() -> None:
        subprocess.run([PY, "-c", "pass"], check=True)

    def frameworks() -> None:
        subprocess.run([*command, "frameworks"], check=True, capture_output=True)

    frameworks()  # warm the file cache and any byte-code
    floor = _median_time(bare, 7)
    seconds = _median_time(frameworks, 7)
    return {
        "case": "cli-frameworks",
        "seconds": round(seconds, 3),
        "floor": round(floor, 3),
        "ratio": round(seconds / floor, 2),
        "target": 3.0,
        "detail": " ".join(command),
    }


_CATALOG_CHILD = """
import json, time
start = time.perf_counter()
import mentorstd, mentorstd.catalog, mentorstd.crosswalk, mentorstd.models
imported = time.perf_counter()
cat = mentorstd.load_catalog()
cw = cat.crosswalk
links = sum(len(cw.related(r.global_id)) for r in cat.iter_requirements())
done = time.perf_counter()
print(json.dumps({"seconds": done - imported, "imports": imported - start, "links": links}))
"""


def case_catalog() -> dict[str, object]:
    """Catalog load plus crosswalk graph and inference for every requirement, in-process:
    timed after the imports (which are reported separately)."""
    runs = [
        json.loads(
            subprocess.run(
                [PY, "-c", _CATALOG_CHILD], check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(5)
    ]
    seconds = statistics.median(r["seconds"] for r in runs)
    imports = statistics.median(r["imports"] for r in runs)
    return {
        "case": "catalog+crosswalk",
        "seconds": round(seconds, 3),
        "floor": None,
        "ratio": None,
        "target": "<= 0.100 s",
        "detail": f"load, graph, every requirement's links ({runs[0]['links']} links); "
        f"imports before it {imports:.3f}s; "
        + ("cache off" if os.environ.get("MENTORSTD_NO_CACHE") else "cached catalog"),
    }


def case_batch(count: int, work: Path) -> list[dict[str, object]]:
    from mentorstd.batch import run_batch

    root = work / f"batch-{count}"
    if not root.is_dir():
        template = work / "batch-template"
        if not template.is_dir():
            generate(60, template)
        for i in range(count):
            shutil.copytree(template, root / f"program-{i:04d}")
    results = {}
    for jobs in (1, 2):
        out = work / f"batch-out-{jobs}"
        shutil.rmtree(out, ignore_errors=True)
        start = time.perf_counter()
        run_batch(root, "eepm", out, jobs=jobs, formats=("json",))
        results[jobs] = time.perf_counter() - start
    speedup = results[1] / results[2]
    return [
        {
            "case": f"batch-{count}-1-worker",
            "seconds": round(results[1], 3),
            "floor": None,
            "ratio": None,
            "target": None,
            "detail": f"{count} bundles of 60 matches",
        },
        {
            "case": f"batch-{count}-2-workers",
            "seconds": round(results[2], 3),
            "floor": round(results[1], 3),
            "ratio": round(speedup, 2),
            "target": ">= 1.6x speed-up",
            "detail": f"speed-up {speedup:.2f}x on {os.cpu_count()} CPUs",
        },
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for the test suite")
    parser.add_argument("--only", default="", help="comma-separated case prefixes")
    parser.add_argument("--work", type=Path, help="folder for generated data (kept)")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="mentorstd-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    sizes = (50, 200) if args.smoke else (1_000, 10_000, 100_000)
    batch_count = 6 if args.smoke else 1_000
    cases: list[tuple[str, Callable[[], object]]] = [
        *((f"assess-{s}", lambda s=s: case_assess(s, work)) for s in sizes),
        (f"assess-{sizes[-1]}-shuffled", lambda: case_assess(sizes[-1], work, shuffled=True)),
        ("cli-frameworks", case_cli),
        ("catalog", case_catalog),
        ("batch", lambda: case_batch(batch_count, work)),
    ]
    wanted = [w for w in args.only.split(",") if w]
    results: list[dict[str, object]] = []
    for name, run in cases:
        if wanted and not any(name.startswith(w) for w in wanted):
            continue
        out = run()
        results.extend(out if isinstance(out, list) else [out])  # type: ignore[arg-type]
        if not args.json:
            row = results[-1] if not isinstance(out, list) else None
            for item in [row] if row else out:  # type: ignore[union-attr]
                print(_line(item))
    if args.json:
        print(json.dumps(results, indent=2))
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _line(r: dict[str, object]) -> str:
    ratio = f"{r['ratio']}x" if r["ratio"] is not None else "-"
    floor = f"{r['floor']}s" if r["floor"] is not None else "-"
    target = r["target"] if r["target"] is not None else "-"
    return (
        f"{r['case']:<24} {r['seconds']:>8}s  floor {floor:>8}  ratio {ratio:>7}  "
        f"target {target}  ({r['detail']})"
    )


if __name__ == "__main__":
    sys.exit(main())
