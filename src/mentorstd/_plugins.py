"""Discovery of frameworks that other installed packages provide (entry points).

Any installed package can be broken (an ``entry_points.txt`` that is not UTF-8 or not valid,
an entry point whose module fails to import or names no folder). One broken package must not
break every command: it is skipped, and :func:`plugin_warnings` says which and why (the CLI
prints them as notes, with the catalog's).
"""

from __future__ import annotations

import os
import sys
from functools import cache

TYPE_CHECKING = False  # see mentorstd/__init__.py
if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

__all__ = [
    "ENTRY_POINT_GROUP",
    "entry_point_roots",
    "has_entry_points",
    "plugin_warnings",
    "pydantic_plugins_possible",
    "undecodable_entry_points",
]

ENTRY_POINT_GROUP = "mentorstd.frameworks"


def has_entry_points() -> bool:
    """Cheap scan: does any installed distribution declare our entry-point group?

    Reading every ``entry_points.txt`` directly is several times faster than building
    :mod:`importlib.metadata` distributions, and almost always finds nothing. The files are
    compared as bytes: a badly encoded one cannot stop the scan.
    """
    return _scan()[0]


def pydantic_plugins_possible() -> bool:
    """Cheap scan: may an installed distribution declare a pydantic plug-in (the ``pydantic``
    entry-point group)? False only when every ``sys.path`` entry was listed and no
    ``entry_points.txt`` has that section: pydantic's own search would then find nothing."""
    return _scan()[2]


def undecodable_entry_points() -> list[str]:
    """Installed ``*.dist-info`` / ``*.egg-info`` folders whose ``entry_points.txt`` is not
    UTF-8 (:mod:`importlib.metadata`, and so any library's plug-in discovery, fails on them)."""
    return list(_scan()[1])


@cache
def _scan() -> tuple[bool, tuple[str, ...], bool]:
    marker = f"[{ENTRY_POINT_GROUP}]".encode()
    found = pydantic = False
    broken: list[str] = []
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except (OSError, ValueError):
            # a zip on the path may hold distributions this scan does not open
            pydantic = pydantic or os.path.isfile(entry)
            continue
        for name in names:
            if name.endswith((".dist-info", ".egg-info")):
                try:
                    with open(os.path.join(entry or ".", name, "entry_points.txt"), "rb") as handle:
                        raw = handle.read()
                except OSError:
                    continue
                found = found or marker in raw
                if not pydantic and b"[pydantic]" in raw:
                    # importlib.metadata takes a section from a stripped line
                    pydantic = any(line.strip() == b"[pydantic]" for line in raw.splitlines())
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError:
                    broken.append(name)
    return found, tuple(broken), pydantic


@cache
def _discover() -> tuple[tuple[Path, ...], tuple[str, ...]]:
    from importlib import metadata
    from pathlib import Path

    roots: list[Path] = []
    warnings: list[str] = []
    for dist in metadata.distributions():
        try:
            name = dist.metadata["Name"] or "?"
        except Exception:  # any broken metadata file: the package is skipped
            name = "?"
        try:
            points = dist.entry_points.select(group=ENTRY_POINT_GROUP)
        except Exception as err:  # a package we do not control; skipped, named
            warnings.append(_skipped(name, err))
            continue
        for ep in points:
            try:
                target = ep.load()
                path = Path(target()) if callable(target) else Path(getattr(target, "__file__", ""))
                root = path if path.is_dir() else path.parent
                if not root.is_dir() or not str(path):
                    raise NotADirectoryError(f"{path} is not a folder")
            except Exception as err:  # a plugin's own bug: skipped, named
                warnings.append(_skipped(f"{name} ({ep.name} = {ep.value})", err))
                continue
            roots.append(root)
    return tuple(roots), tuple(warnings)


def _skipped(what: str, err: BaseException) -> str:
    reason = " ".join(str(err).split())[:200] or type(err).__name__
    return f"plug-in {what} skipped: {type(err).__name__}: {reason}"


def entry_point_roots() -> Iterator[Path]:
    """Standards roots registered under the ``mentorstd.frameworks`` entry-point group.

    The entry point names a callable returning a path, or a module whose folder is the root.
    Broken distributions and entry points are skipped (see :func:`plugin_warnings`).
    """
    if not has_entry_points():
        return
    yield from _discover()[0]


def plugin_warnings() -> list[str]:
    """Why plug-ins were skipped, one line each (empty when none was, or none is installed)."""
    if not has_entry_points():
        return []
    return list(_discover()[1])
