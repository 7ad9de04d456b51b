"""Benchmarks: each case is timed as a ratio against a floor measured in the same run.

    python benchmarks/run.py              # every case at full size (a few minutes)
    python benchmarks/run.py --smoke      # every case at tiny size (seconds; used by a test)
    python benchmarks/run.py --only assess-100000,cli-frameworks   # case name prefixes

Peers, measured in the same run on the same files, each in fresh processes (five runs,
interleaved with ours; the median counts, and the spread is printed):

* assessment (``mentorstd validate BUNDLE -F eepm``, JSON report): reading every table with a
  bare ``polars.read_csv``, and a plain polars script that computes the same metrics
  (``peer_polars.py``). Besides the generated bundle (contacts in match order), a
  ``-shuffled`` copy has its contact rows in random order and a ``-quoted`` copy has every
  field quoted, CRLF line ends and a BOM, as spreadsheet exports do. Each command's CPU
  time (user and system, on all CPUs, median of its runs) is printed too: it tells the work
  done from the waiting, which the wall time of a shared machine mixes;
* CLI start: a bare ``python -c pass``.

Targets (on a 2-core machine), for the 100k-match bundle: at most 3x the polars read, at
most 0.5x the plain polars script, peak memory at most 1 GB. ``mentorstd frameworks`` at
most 3x bare Python start; catalog plus crosswalk inference <= 100 ms in-process; a batch of
1,000 small bundles at least 1.8x faster on 2 workers than on 1 (printed beside two
ceilings measured in the same run: the machine's, two CPU-bound Python loops side by side
against one; and the workload's, two separate single-worker batches of half the bundles
each, side by side, against the one-worker batch of all). Timing targets are reported here,
never asserted in tests.
"""

from __future__ import annotations

import argparse
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


_MEASURE_CHILD = """
import resource, subprocess, sys, time
start = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
seconds = time.perf_counter() - start
used = resource.getrusage(resource.RUSAGE_CHILDREN)
print(seconds, used.ru_maxrss / 1024, used.ru_utime + used.ru_stime)
"""

_POLARS_READ = """
import sys
import polars as pl
for path in sys.argv[1:]:
    pl.read_csv(path)
"""


def _run(command: list[str]) -> tuple[float, float, float]:
    """Wall seconds, peak memory (MB) and CPU seconds (user and system, on every CPU) of
    ``command`` in a fresh process."""
    out = subprocess.run(
        [PY, "-c", _MEASURE_CHILD, *command], check=True, capture_output=True, text=True
    ).stdout.split()
    return float(out[0]), float(out[1]), float(out[2])


def _spreads(commands: dict[str, list[str]], repeat: int = 5) -> dict[str, dict[str, float]]:
    """Median, fastest and slowest wall time and peak memory of each command, the runs
    interleaved (a, b, c, a, b, c ...) so that a change in the machine's speed during the run
    weighs on each alike."""
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            runs[name].append(_run(command))
    return {name: _summary(found) for name, found in runs.items()}


def _summary(runs: list[tuple[float, float, float]]) -> dict[str, float]:
    seconds = sorted(r[0] for r in runs)
    return {
        "median": statistics.median(seconds),
        "min": seconds[0],
        "max": seconds[-1],
        "peak_mb": max(r[1] for r in runs),
        "cpu": statistics.median(r[2] for r in runs),
    }


_SHUFFLE_CHILD = r"""
import random, shutil, sys
from pathlib import Path
folder, out, how = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
shutil.copytree(folder, out)
for path in sorted((out / "data").glob("*.csv")):
    header, *rows = path.read_text(encoding="utf-8").splitlines()
    if how == "shuffled" and path.name == "contacts.csv":
        random.Random(len(rows)).shuffle(rows)
    if how == "quoted":  # every field quoted, CRLF line ends and a BOM, as Excel writes
        quote = lambda line: ",".join('"' + cell + '"' for cell in line.split(","))
        text = "\r\n".join(quote(line) for line in [header, *rows]) + "\r\n"
        path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    else:
        path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
"""


def _variant(folder: Path, out: Path, how: str) -> Path:
    """A copy of the bundle with its contact rows in random order (``shuffled``: as in a file
    sorted by date rather than by match) or every table quoted with CRLF ends and a BOM
    (``quoted``). Made in a child process, so this one stays small."""
    if not (out / "bundle.yaml").is_file():
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run([PY, "-c", _SHUFFLE_CHILD, str(folder), str(out), how], check=True)
    return out


def case_assess(size: int, work: Path, *, variant: str = "") -> dict[str, object]:
    """``mentorstd validate`` (eepm, JSON report) against two peers on the same files, each in
    fresh processes, five runs each: reading every table with ``polars.read_csv`` and
    nothing else, and a plain polars script computing the same metrics
    (``benchmarks/peer_polars.py``)."""
    folder = work / f"bundle-{size}"
    if not (folder / "bundle.yaml").is_file():
        generate(size, folder)
    if variant:
        folder = _variant(folder, work / f"bundle-{size}-{variant}", variant)
    tables = [str(p) for p in sorted((folder / "data").glob("*.csv"))]
    report = work / "report.json"
    validate = [PY, "-m", "mentorstd", "validate", str(folder), "-F", "eepm"]
    spreads = _spreads(
        {
            "ours": [*validate, "--format", "json", "-o", str(report)],
            "read": [PY, "-c", _POLARS_READ, *tables],
            "peer": [PY, str(HERE / "peer_polars.py"), str(folder)],
        }
    )
    ours, read, peer = spreads["ours"], spreads["read"], spreads["peer"]
    name = f"assess-{size // 1000}k" if size >= 1000 else f"assess-{size}"
    big = size >= 100_000
    return {
        "case": name + (f"-{variant}" if variant else ""),
        "seconds": round(ours["median"], 3),
        "floor": round(read["median"], 3),
        "ratio": round(ours["median"] / read["median"], 2),
        "peer": round(peer["median"], 3),
        "peer_ratio": round(ours["median"] / peer["median"], 2),
        "peak_mb": round(ours["peak_mb"]),
        "cpu_seconds": round(ours["cpu"], 2),
        "cpu_ratio": round(ours["cpu"] / read["cpu"], 2),
        "target": "<= 3x read, <= 0.5x peer, <= 1024 MB" if big else None,
        "detail": f"runs {ours['min']:.2f}-{ours['max']:.2f}s; polars read "
        f"{read['min']:.2f}-{read['max']:.2f}s; plain polars script {peer['median']:.2f}s "
        f"({peer['min']:.2f}-{peer['max']:.2f}), {ours['median'] / peer['median']:.2f}x of it; "
        f"peak {ours['peak_mb']:.0f} MB (script {peer['peak_mb']:.0f} MB); CPU-seconds "
        f"{ours['cpu']:.2f}, read {read['cpu']:.2f}, script {peer['cpu']:.2f}",
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


_SPIN = "import sys\nx = 0\nfor i in range(int(sys.argv[1])):\n    x += i\n"


def _ceiling(loops: int) -> float:
    """The machine's own speed-up from one CPU-bound process to two at once: a Python loop
    run alone, then two copies side by side (2 x alone / together). On a machine whose two
    CPUs are shared with others, this is well under 2."""
    command = [PY, "-c", _SPIN, str(loops)]
    start = time.perf_counter()
    subprocess.run(command, check=True)
    alone = time.perf_counter() - start
    start = time.perf_counter()
    pair = [subprocess.Popen(command) for _ in range(2)]
    for process in pair:
        process.wait()
    return 2 * alone / (time.perf_counter() - start)


def _halves_side_by_side(halves: list[Path], work: Path) -> float:
    """Wall seconds of one ``mentorstd batch -j 1`` per half, all started at once, each with
    one polars thread (as a pool worker has): the workload's own two-process ceiling, with
    no pool between them."""
    exe = shutil.which("mentorstd")
    command = [exe] if exe else [PY, "-m", "mentorstd"]
    env = {**os.environ, "POLARS_MAX_THREADS": "1"}
    start = time.perf_counter()
    runs = []
    for i, half in enumerate(halves):
        out = work / f"batch-out-half-{i}"
        shutil.rmtree(out, ignore_errors=True)
        args = ["batch", str(half), "-F", "eepm", "-j", "1", "-o", str(out), "--format", "json"]
        runs.append(subprocess.Popen([*command, *args], env=env, stdout=subprocess.DEVNULL))
    for run in runs:
        run.wait()
    return time.perf_counter() - start


def case_batch(count: int, work: Path, loops: int = 20_000_000) -> list[dict[str, object]]:
    from mentorstd.batch import run_batch

    root = work / f"batch-{count}"
    halves = [work / f"batch-{count}-half-{i}" for i in (0, 1)]
    template = work / "batch-template"
    if not template.is_dir():
        generate(60, template)
    for i in range(count):
        for folder in (root, halves[i % 2]):
            if not (folder / f"program-{i:04d}").is_dir():
                shutil.copytree(template, folder / f"program-{i:04d}")
    results = {}
    ceilings = [_ceiling(loops)]  # before, between and after the two batches
    for jobs in (1, 2):
        out = work / f"batch-out-{jobs}"
        shutil.rmtree(out, ignore_errors=True)
        start = time.perf_counter()
        run_batch(root, "eepm", out, jobs=jobs, formats=("json",))
        results[jobs] = time.perf_counter() - start
        ceilings.append(_ceiling(loops))
    halves_seconds = _halves_side_by_side(halves, work)
    speedup = results[1] / results[2]
    ceiling = statistics.median(ceilings)
    own = results[1] / halves_seconds
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
            "target": ">= 1.8x speed-up",
            "detail": f"speed-up {speedup:.2f}x on {os.cpu_count()} CPUs; the machine's own "
            f"ceiling in this run {ceiling:.2f}x (two CPU-bound loops side by side: "
            f"{', '.join(f'{c:.2f}x' for c in ceilings)}); the workload's own: two separate "
            f"'batch -j 1' runs on halves side by side {halves_seconds:.1f}s, {own:.2f}x",
        },
    ]


def _compile_bytecode() -> None:
    """Compile mentorstd's modules to bytecode, as pip does when it installs a wheel.

    The peers' modules (polars, the standard library) come compiled. An editable install run
    with ``PYTHONDONTWRITEBYTECODE`` set would compile every mentorstd module again in every
    run, and the benchmark would time the compiler."""
    code = "import mentorstd, pathlib; print(pathlib.Path(mentorstd.__file__).parent)"
    package = subprocess.run([PY, "-c", code], check=True, capture_output=True, text=True)
    # best effort: a package folder that cannot be written keeps whatever bytecode it has
    subprocess.run([PY, "-m", "compileall", "-q", package.stdout.strip()], check=False)


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
        (
            f"assess-{sizes[-1]}-shuffled",
            lambda: case_assess(sizes[-1], work, variant="shuffled"),
        ),
        (f"assess-{sizes[-1]}-quoted", lambda: case_assess(sizes[-1], work, variant="quoted")),
        ("cli-frameworks", case_cli),
        ("catalog", case_catalog),
        ("batch", lambda: case_batch(batch_count, work, 200_000 if args.smoke else 20_000_000)),
    ]
    if not args.smoke:  # the smoke run (a test) leaves the package folder as it is
        _compile_bytecode()
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
