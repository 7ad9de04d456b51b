"""A small on-disk cache of the loaded catalog, keyed by the content of every source file.

Parsing and validating ~40 YAML files costs far more than unpickling the result, so
:func:`~mentorstd.catalog.load_catalog` keeps the validated models in the user's cache folder
(``$MENTORSTD_CACHE_DIR``, else ``$XDG_CACHE_HOME/mentorstd``, else ``~/.cache/mentorstd``).
The key is a SHA-256 over the mentorstd and Python versions and the path and bytes of every
file read, so any edit invalidates it. ``MENTORSTD_NO_CACHE=1`` turns it off; an unreadable or
unwritable cache is silently ignored. ``mentorstd lint`` never uses it.
"""

from __future__ import annotations

import hashlib
import os
import sys

from ._version import __version__

TYPE_CHECKING = False  # see mentorstd/__init__.py: keep the fast path free of typing
if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path
    from typing import Any

__all__ = ["cache_dir", "fingerprint", "read", "read_rendered", "write", "write_rendered"]

_FORMAT = 1


def cache_dir() -> str | None:
    """Where the cache lives, or ``None`` when caching is off."""
    if os.environ.get("MENTORSTD_NO_CACHE"):
        return None
    explicit = os.environ.get("MENTORSTD_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "mentorstd")


def fingerprint(roots: Iterable[str | Path]) -> str:
    """SHA-256 over versions and every ``*.yaml`` file under ``roots`` (path and content)."""
    digest = hashlib.sha256(f"{_FORMAT}|{__version__}|{sys.version}".encode())
    # the models' source too: a development checkout changes them without a version bump
    with open(os.path.join(os.path.dirname(__file__), "models.py"), "rb") as handle:
        digest.update(handle.read())
    for given in roots:
        root = os.path.realpath(given)
        digest.update(f"\0root\0{root}".encode())
        if os.path.isfile(root):
            files = [(os.path.basename(root), root)]
        else:
            files = sorted(
                (os.path.relpath(os.path.join(folder, name), root), os.path.join(folder, name))
                for folder, _dirs, names in os.walk(root)
                for name in names
                if name.endswith(".yaml")
            )
        for rel, path in files:
            digest.update(f"\0{rel}\0".encode())
            with open(path, "rb") as handle:
                digest.update(handle.read())
    return digest.hexdigest()


def _path(name: str) -> str | None:
    folder = cache_dir()
    return None if folder is None else os.path.join(folder, name)


def read(key: str) -> Any:
    """The cached object for ``key``, or ``None``."""
    import pickle

    path = _path(f"catalog-{key[:32]}.pickle")
    if path is None:
        return None
    try:
        with open(path, "rb") as handle:
            stored_key, value = pickle.load(handle)  # noqa: S301  (our own cache folder)
    except (
        OSError,
        pickle.PickleError,
        EOFError,
        ValueError,
        TypeError,
        AttributeError,
        ImportError,
    ):
        return None
    return value if stored_key == key else None


def _write_atomic(name: str, dump: Any, binary: bool) -> None:
    import tempfile

    folder = cache_dir()
    if folder is None:
        return
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
        with os.fdopen(fd, "wb" if binary else "w") as handle:
            dump(handle)
        os.replace(tmp, os.path.join(folder, name))
    except OSError:
        return


def write(key: str, value: Any) -> None:
    """Store ``value`` under ``key`` (atomically; errors are ignored)."""
    import pickle

    _write_atomic(
        f"catalog-{key[:32]}.pickle",
        lambda h: pickle.dump((key, value), h, protocol=pickle.HIGHEST_PROTOCOL),
        binary=True,
    )


def read_rendered(key: str, fmt: str) -> str | None:
    """The cached ``mentorstd frameworks`` output in ``fmt`` (text or json) for ``key``."""
    path = _path(f"summary-{key[:32]}.{fmt}")
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            first = handle.readline()
            if first.rstrip("\n") != key:
                return None
            return handle.read()
    except OSError:
        return None


def write_rendered(key: str, outputs: dict[str, str]) -> None:
    """Store the ``frameworks`` output per format, first line the key (atomically)."""
    for fmt, text in outputs.items():
        _write_atomic(
            f"summary-{key[:32]}.{fmt}",
            lambda h, text=text: h.write(f"{key}\n{text}"),
            binary=False,
        )
