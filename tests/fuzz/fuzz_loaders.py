"""atheris fuzz target for the manifest and table loaders.

    python tests/fuzz/fuzz_loaders.py -runs=100000              # a long local run
    python tests/fuzz/fuzz_loaders.py -max_total_time=20 -runs=3000   # what CI does

Each input is split into a manifest and a matches table and written to a scratch bundle;
loading and assessing it must either succeed or raise MentorstdError. Any other exception
(or a crash) is a bug.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    import mentorstd
    from mentorstd import _yaml  # noqa: F401  (instrumented)
    from mentorstd import bundle as _bundle  # noqa: F401  (instrumented)

CATALOG = mentorstd.load_catalog()
SCRATCH = Path(tempfile.mkdtemp(prefix="mentorstd-fuzz-"))
(SCRATCH / "data").mkdir()
(SCRATCH / "documents").mkdir()
(SCRATCH / "documents" / "policy.md").write_text("policy\n", encoding="utf-8")
MANIFEST_HEAD = (
    b"bundle_version: 1\nprogram: {name: F, model: community, "
    b"period: {start: 2025-01-01, end: 2025-12-31}}\n"
)


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    use_head = fdp.ConsumeBool()
    manifest = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 2048))
    table = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 4096))
    (SCRATCH / "bundle.yaml").write_bytes(
        (MANIFEST_HEAD + b"data: {matches: data/matches.csv}\n" if use_head else b"") + manifest
    )
    (SCRATCH / "data" / "matches.csv").write_bytes(table)
    try:
        loaded = mentorstd.load_bundle(SCRATCH, catalog=CATALOG)
        mentorstd.assess(loaded, "uk_school", CATALOG)
    except mentorstd.MentorstdError:
        pass


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
