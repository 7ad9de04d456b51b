"""Plug-in discovery: one broken installed package is skipped with a note, never fatal."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import mentorstd
import mentorstd.catalog  # pydantic finds its own plug-ins once, at the first model
from mentorstd import _plugins


def _dist(site: Path, name: str, entry_points: bytes) -> None:
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_bytes(entry_points)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    _plugins._discover.cache_clear()
    _plugins._scan.cache_clear()
    yield folder
    _plugins._discover.cache_clear()
    _plugins._scan.cache_clear()


def test_a_badly_encoded_entry_points_file_is_skipped_with_a_note(site: Path) -> None:
    _dist(site, "broken_enc", b"[mentorstd.frameworks]\nbad = caf\xe9:root\n")
    catalog = mentorstd.load_catalog()
    assert sorted(catalog.frameworks) == ["eepm", "ima", "npss", "uk_school"]
    assert any(
        n.startswith("plug-in broken_enc skipped: UnicodeDecodeError") for n in catalog.notes
    )


def test_an_entry_point_that_fails_to_load_is_skipped_with_a_note(site: Path) -> None:
    _dist(site, "broken_mod", b"[mentorstd.frameworks]\nx = no_such_module_here:root\n")
    catalog = mentorstd.load_catalog()
    assert sorted(catalog.frameworks) == ["eepm", "ima", "npss", "uk_school"]
    assert any(
        n.startswith(
            "plug-in broken_mod (x = no_such_module_here:root) skipped: ModuleNotFoundError"
        )
        for n in catalog.notes
    )


def test_every_command_still_runs_with_a_broken_plugin_installed(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _dist(site, "broken_enc", b"[mentorstd.frameworks]\nbad = caf\xe9:root\n")
    env = {**os.environ, "PYTHONPATH": str(site), "MENTORSTD_NO_CACHE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mentorstd", "frameworks"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "eepm" in result.stdout
    assert "mentorstd: note: plug-in broken_enc skipped: UnicodeDecodeError" in result.stderr


@pytest.fixture
def alone(site: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``site`` as the only place packages are installed."""
    monkeypatch.setattr(sys, "path", [str(site)])
    return site


def test_pydantic_plugins_are_looked_for_only_where_one_may_be_installed(alone: Path) -> None:
    # the CLI spares pydantic its own search of every package's metadata when the cheap scan
    # finds no `pydantic` section; a mention elsewhere in the file is not one
    _dist(alone, "tool", b"[console_scripts]\ngen-pydantic = tool:main\n")
    assert not _plugins.pydantic_plugins_possible()


@pytest.mark.parametrize(
    ("folder", "entry_points"),
    [
        ("observer-1.0.dist-info", b"[console_scripts]\nx = y:z\n\n  [pydantic]  \r\nobs = o:p\n"),
        ("Observer-1.0.DIST-INFO", b"[pydantic]\nobs = o:p\n"),  # importlib ignores the case
        ("observer.egg-info", b"\x0c[[pydantic]]\nobs = o:p\n"),  # a section to importlib too
        ("observer-1.0-py3.11.egg/EGG-INFO", b"[pydantic]\nobs = o:p\n"),  # an egg on the path
    ],
)
def test_every_place_importlib_finds_a_pydantic_plugin_is_scanned(
    alone: Path, monkeypatch: pytest.MonkeyPatch, folder: str, entry_points: bytes
) -> None:
    info = alone / folder
    info.mkdir(parents=True)
    (info / "entry_points.txt").write_bytes(entry_points)
    if folder.endswith("EGG-INFO"):
        monkeypatch.syspath_prepend(str(info.parent))
        (info / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: observer\nVersion: 1.0\n")
    else:
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: observer\nVersion: 1.0\n")
    # what pydantic would find, the scan must say may be there
    assert [ep.name for ep in importlib.metadata.entry_points(group="pydantic")] == ["obs"]
    assert _plugins.pydantic_plugins_possible()


def test_a_zip_or_an_import_hook_may_hold_a_pydantic_plugin(
    alone: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = alone / "bundled.zip"
    archive.write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip archive
    monkeypatch.syspath_prepend(str(archive))
    assert _plugins.pydantic_plugins_possible()
    monkeypatch.setattr(sys, "path", [str(alone)])

    class Finder:
        def find_spec(self, *args: object) -> None:
            return None

        def find_distributions(self, *args: object) -> list[object]:
            return []

    monkeypatch.setattr(sys, "meta_path", [Finder(), *sys.meta_path])
    _plugins._scan.cache_clear()
    assert _plugins.pydantic_plugins_possible()


def test_an_installed_pydantic_plugin_is_still_loaded_by_the_cli(tmp_path: Path) -> None:
    site = tmp_path / "site"
    loaded = tmp_path / "loaded"
    _dist(site, "observer", b"[pydantic]\nobserver = observer:plugin\n")
    (site / "observer.py").write_text(
        "import pathlib\n"
        f"pathlib.Path({str(loaded)!r}).write_text('yes')\n"
        "class Plugin:\n"
        "    def new_schema_validator(self, *args, **kwargs):\n"
        "        return None, None, None\n"
        "plugin = Plugin()\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(site), "MENTORSTD_NO_CACHE": "1"}
    env.pop("PYDANTIC_DISABLE_PLUGINS", None)
    bundle = Path(__file__).parents[1] / "examples" / "bundles" / "riverside"
    result = subprocess.run(
        [sys.executable, "-m", "mentorstd", "validate", str(bundle), "-F", "eepm"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    assert loaded.read_text() == "yes"
