"""A small on-disk cache of the loaded catalog, as JSON, keyed by everything it comes from.

Two things are cached, both as data that cannot run code when read: the validated catalog as
JSON (read back through the same pydantic models, so a damaged file is refused like any other
bad input; about 0.05 s instead of 0.15-0.25 s to load and validate the YAML), and the rendered
``mentorstd frameworks`` listing as text, which :mod:`mentorstd._entry` prints without
importing pydantic, typer or rich. (Until 0.1 the catalog was a pickle: anyone able to write
the folder could run code as the user.)

The folder is ``$MENTORSTD_CACHE_DIR``, else ``$XDG_CACHE_HOME/mentorstd``, else
``~/.cache/mentorstd``; it is created private (0700). A folder or file that is not owned by the
user, or that others can write, is ignored: nothing is read from it or written to it. The key
is a SHA-256 over the mentorstd and Python versions, the code that loads and renders the
catalog, and the path and bytes of every file under each standards root (any suffix, following
symbolically linked folders), the roots of plug-ins and ``MENTORSTD_PATH`` included.
``MENTORSTD_NO_CACHE=1`` turns the cache off; an unreadable or unwritable cache is ignored.
``mentorstd lint`` never uses it.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys

from ._version import __version__

TYPE_CHECKING = False  # see mentorstd/__init__.py: keep the fast path free of typing
if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

__all__ = [
    "cache_dir",
    "fingerprint",
    "is_private",
    "read_catalog",
    "read_rendered",
    "write_catalog",
    "write_rendered",
]

_FORMAT = 2
#: The modules whose code shapes the cached text (loading, validating, rendering).
_CODE = ("models.py", "catalog.py", "_yaml.py", "_validate.py", "_summary.py", "_cache.py")


def cache_dir() -> str | None:
    """Where the cache lives, or ``None`` when caching is off."""
    if os.environ.get("MENTORSTD_NO_CACHE"):
        return None
    explicit = os.environ.get("MENTORSTD_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "mentorstd")


def is_private(info: os.stat_result) -> bool:
    """Owned by this user and writable by no one else (always true where there are no uids)."""
    getuid = getattr(os, "getuid", None)
    if getuid is None:  # pragma: no cover - Windows
        return True
    return info.st_uid == getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _files(root: str) -> list[tuple[str, str]]:
    """(relative path, path) of every file under ``root``, following linked folders once."""
    if os.path.isfile(root):
        return [(os.path.basename(root), root)]
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for folder, dirs, names in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:  # a link loop
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in names:
            path = os.path.join(folder, name)
            out.append((os.path.relpath(path, root), path))
    return sorted(out)


def fingerprint(roots: Iterable[str | Path]) -> str:
    """SHA-256 over versions, the loading code, and every file under ``roots``."""
    digest = hashlib.sha256(f"{_FORMAT}|{__version__}|{sys.version}".encode())
    here = os.path.dirname(__file__)
    for name in _CODE:
        with open(os.path.join(here, name), "rb") as handle:
            digest.update(handle.read())
    for given in roots:
        root = os.path.realpath(given)
        digest.update(f"\0root\0{root}".encode())
        for rel, path in _files(root):
            digest.update(f"\0{rel}\0".encode())
            try:
                with open(path, "rb") as handle:
                    digest.update(handle.read())
            except OSError:
                digest.update(b"\0unreadable")
    return digest.hexdigest()


def _private_dir(create: bool) -> str | None:
    folder = cache_dir()
    if folder is None:
        return None
    try:
        if create and not os.path.isdir(folder):
            os.makedirs(folder, mode=0o700, exist_ok=True)
        info = os.stat(folder)
    except OSError:
        return None
    return folder if stat.S_ISDIR(info.st_mode) and is_private(info) else None


def _read(name: str, key: str) -> bytes | None:
    """The bytes after the first line of cache file ``name`` if that line is ``key``."""
    folder = _private_dir(create=False)
    if folder is None:
        return None
    try:
        fd = os.open(os.path.join(folder, name), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or not is_private(info):
            return None
        with os.fdopen(fd, "rb") as handle:
            fd = -1
            if handle.readline().rstrip(b"\n") != key.encode():
                return None
            return handle.read()
    except OSError:
        return None
    finally:
        if fd >= 0:
            os.close(fd)


def _write(name: str, key: str, data: bytes) -> None:
    import tempfile

    folder = _private_dir(create=True)
    if folder is None:
        return
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(key.encode() + b"\n" + data)
            os.replace(tmp, os.path.join(folder, name))
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        return


def read_rendered(key: str, fmt: str) -> str | None:
    """The cached ``mentorstd frameworks`` output in ``fmt`` (text or json) for ``key``."""
    raw = _read(f"summary-{key[:32]}.{fmt}", key)
    try:
        return None if raw is None else raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def write_rendered(key: str, outputs: dict[str, str]) -> None:
    """Store the ``frameworks`` output per format, first line the key (atomically)."""
    for fmt, text in outputs.items():
        _write(f"summary-{key[:32]}.{fmt}", key, text.encode("utf-8"))


def read_catalog(key: str) -> bytes | None:
    """The catalog's JSON for ``key`` (validated again by the caller), or ``None``."""
    return _read(f"catalog-{key[:32]}.json", key)


def write_catalog(key: str, data: bytes) -> None:
    """Store the catalog's JSON under ``key`` (atomically; errors are ignored)."""
    _write(f"catalog-{key[:32]}.json", key, data)
