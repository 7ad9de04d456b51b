"""A short, bounded atheris run over the manifest and table loaders (skipped without atheris)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow


def test_fuzz_loaders_briefly(tmp_path: Path) -> None:
    pytest.importorskip("atheris")
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "tests" / "fuzz" / "corpus", corpus)  # the fuzzer adds files
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests" / "fuzz" / "fuzz_loaders.py"),
            "-runs=3000",
            "-max_total_time=60",
            "-max_len=6000",
            str(corpus),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        check=False,
    )
    tail = "\n".join(result.stderr.splitlines()[-15:])
    assert result.returncode == 0, tail
    assert "Done 3000 runs" in result.stderr or "Done" in result.stderr, tail
