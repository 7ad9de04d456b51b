"""The cache holds data that cannot run code (the catalog as JSON, read back through the
models, and the rendered `frameworks` listing), keyed by everything it comes from, in a private
folder; a folder or file others could write is never used."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import mentorstd
from mentorstd import _cache
from mentorstd._resources import standards_dir

from .conftest import EXAMPLES


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("MENTORSTD_CACHE_DIR", str(folder))
    monkeypatch.delenv("MENTORSTD_NO_CACHE", raising=False)
    return folder


def test_only_data_is_cached_in_a_private_folder(cache: Path) -> None:
    mentorstd.load_catalog()
    names = sorted(p.name for p in cache.iterdir())
    assert [n.split("-")[0] + "." + n.rsplit(".", 1)[1] for n in names] == [
        "catalog.json",
        "summary.json",
        "summary.text",
    ]
    assert not list(cache.glob("*.pickle"))
    assert cache.stat().st_mode & 0o777 == 0o700
    assert all(p.stat().st_mode & 0o077 == 0 for p in cache.iterdir())
    key = _cache.fingerprint([standards_dir()])
    assert "eepm" in (_cache.read_rendered(key, "text") or "")


def test_the_cached_catalog_equals_a_fresh_one(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mentorstd.load_catalog()
    cached = mentorstd.load_catalog()
    assert next(cache.glob("catalog-*.json")).stat().st_size > 0
    monkeypatch.setenv("MENTORSTD_NO_CACHE", "1")
    fresh = mentorstd.load_catalog()
    assert cached.frameworks == fresh.frameworks
    assert cached.evidence_kinds == fresh.evidence_kinds
    assert cached.roots == fresh.roots
    assert cached.crosswalk.table("eepm", "ima") == fresh.crosswalk.table("eepm", "ima")
    bundle = mentorstd.load_bundle(EXAMPLES / "riverside", catalog=fresh)
    assert mentorstd.assess(bundle, "eepm", cached).to_json() == (
        mentorstd.assess(bundle, "eepm", fresh).to_json()
    )


@pytest.mark.parametrize("damage", [b"not json", b'{"roots": [], "notes": []}\n[1, 2, 3]'])
def test_a_damaged_cached_catalog_is_ignored(cache: Path, damage: bytes) -> None:
    mentorstd.load_catalog()
    stored = next(cache.glob("catalog-*.json"))
    key = stored.read_bytes().split(b"\n", 1)[0]
    stored.write_bytes(key + b"\n" + damage)
    assert sorted(mentorstd.load_catalog().frameworks) == ["eepm", "ima", "npss", "uk_school"]


def test_the_key_covers_yml_files_and_linked_folders(tmp_path: Path) -> None:
    root = tmp_path / "standards"
    (root / "local").mkdir(parents=True)
    (root / "local" / "framework.yaml").write_text("id: local\n", encoding="utf-8")
    before = _cache.fingerprint([root])
    (root / "local" / "part.yml").write_text("x: 1\n", encoding="utf-8")
    with_yml = _cache.fingerprint([root])
    assert with_yml != before
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "framework.yaml").write_text("id: linked\n", encoding="utf-8")
    (root / "linked").symlink_to(elsewhere, target_is_directory=True)
    linked = _cache.fingerprint([root])
    assert linked != with_yml
    (elsewhere / "framework.yaml").write_text("id: changed\n", encoding="utf-8")
    assert _cache.fingerprint([root]) != linked
    (elsewhere / "loop").symlink_to(root, target_is_directory=True)  # a loop ends
    assert _cache.fingerprint([root])


def test_a_folder_others_can_write_is_ignored(cache: Path) -> None:
    cache.mkdir(mode=0o700)
    mentorstd.load_catalog()
    key = _cache.fingerprint([standards_dir()])
    assert _cache.read_rendered(key, "text") is not None
    cache.chmod(0o777)
    try:
        assert _cache.read_rendered(key, "text") is None
        for item in cache.iterdir():
            item.unlink()
        _cache.write_rendered(key, {"text": "planted\n"})
        assert list(cache.iterdir()) == []
    finally:
        cache.chmod(0o700)


def test_a_file_others_can_write_is_ignored(cache: Path) -> None:
    mentorstd.load_catalog()
    key = _cache.fingerprint([standards_dir()])
    for item in cache.iterdir():
        item.chmod(0o666)
    assert _cache.read_rendered(key, "text") is None


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a folder to another user")
def test_a_folder_owned_by_another_user_is_ignored(cache: Path) -> None:
    mentorstd.load_catalog()
    key = _cache.fingerprint([standards_dir()])
    os.chown(cache, 65534, 65534)
    assert _cache.read_rendered(key, "text") is None


def test_no_cache_turns_it_off(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MENTORSTD_NO_CACHE", "1")
    assert _cache.cache_dir() is None
    mentorstd.load_catalog()
    assert not cache.exists()


def test_a_changed_standards_file_changes_the_key(tmp_path: Path) -> None:
    copy = tmp_path / "standards"
    shutil.copytree(standards_dir(), copy)
    key = _cache.fingerprint([copy])
    target = next(copy.glob("ima/*.yaml"))
    target.write_text(target.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert _cache.fingerprint([copy]) != key
