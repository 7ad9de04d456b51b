"""The built wheel carries the data and works from an unrelated folder in a fresh venv."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        check=True,
    )
    (path,) = out.glob("mentorstd-*.whl")
    return path


def test_wheel_contains_standards_schemas_examples_and_templates(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for rel in (
        "mentorstd/_data/standards/evidence-kinds.yaml",
        "mentorstd/_data/standards/ima/framework.yaml",
        "mentorstd/_data/standards/eepm/nqms.yaml",
        "mentorstd/_data/standards/crosswalks/eepm--ima.yaml",
        "mentorstd/_data/schemas/report.schema.json",
        "mentorstd/_data/examples/riverside/bundle.yaml",
        "mentorstd/_data/examples/riverside/data/contacts.csv",
        "mentorstd/templates/report.html.j2",
        "mentorstd/py.typed",
    ):
        assert rel in names, rel
    shipped = {
        p.relative_to(ROOT / "standards").as_posix() for p in (ROOT / "standards").rglob("*.yaml")
    }
    packaged = {
        n.removeprefix("mentorstd/_data/standards/")
        for n in names
        if n.startswith("mentorstd/_data/standards/")
    }
    assert shipped == packaged


def test_installed_wheel_runs_from_an_unrelated_folder(wheel: Path, tmp_path: Path) -> None:
    env = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env)
    python = env / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], check=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    mentorstd = str(env / "bin" / "mentorstd")
    result = subprocess.run(
        [mentorstd, "frameworks", "--format", "json"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
    )
    assert '"id": "uk_school"' in result.stdout
    where = subprocess.run(
        [str(python), "-c", "import mentorstd._resources as r; print(r.data_root())"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert where.endswith("site-packages/mentorstd/_data")
    lint = subprocess.run(
        [mentorstd, "lint"], cwd=elsewhere, capture_output=True, text=True, check=False
    )
    assert lint.returncode == 0 and lint.stdout.startswith("ok: 4 frameworks")
    demo = subprocess.run(
        [mentorstd, "demo", "--out", "out"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=False,
    )
    assert demo.returncode == 0, demo.stderr
    assert (elsewhere / "out" / "riverside" / "eepm.html").is_file()
