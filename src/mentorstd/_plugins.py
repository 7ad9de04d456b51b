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
from importlib.machinery import PathFinder

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
    entry-point group)? False only when the scan read every place :mod:`importlib.metadata`
    looks in, and no ``entry_points.txt`` names that group: pydantic's own search would then
    find nothing. Anything the scan cannot look into (a zip on the path, an import hook that
    lists distributions of its own) counts as a possible plug-in."""
    return _scan()[2]


def undecodable_entry_points() -> list[str]:
    """Installed ``*.dist-info`` / ``*.egg-info`` folders whose ``entry_points.txt`` is not
    UTF-8 (:mod:`importlib.metadata`, and so any library's plug-in discovery, fails on them)."""
    return list(_scan()[1])


def _metadata_folders(entry: str) -> list[str] | None:
    """The metadata folders of one ``sys.path`` entry, as :mod:`importlib.metadata` finds them
    (``*.dist-info`` and ``*.egg-info`` in any case, an egg's ``EGG-INFO``); ``None`` when the
    entry cannot be listed."""
    folder = entry or "."
    try:
        names = os.listdir(folder)
    except (OSError, ValueError):
        return None
    egg = folder.lower().endswith(".egg")
    return [
        os.path.join(folder, name)
        for name in names
        if name.lower().endswith((".dist-info", ".egg-info"))
        or (egg and name.lower() == "egg-info")
    ]


@cache
def _scan() -> tuple[bool, tuple[str, ...], bool]:
    marker = f"[{ENTRY_POINT_GROUP}]".encode()
    found = False
    # import hooks besides the standard path finder may list distributions of their own
    pydantic = any(
        hasattr(finder, "find_distributions") and finder is not PathFinder
        for finder in sys.meta_path
    )
    broken: list[str] = []
    for entry in sys.path:
        folders = _metadata_folders(entry)
        if folders is None:
            # a zip on the path may hold distributions this scan does not open
            pydantic = pydantic or os.path.isfile(entry)
            continue
        for folder in folders:
            try:
                with open(os.path.join(folder, "entry_points.txt"), "rb") as handle:
                    raw = handle.read()
            except OSError:
                continue
            found = found or marker in raw
            # every section importlib.metadata reads as this group holds these bytes
            pydantic = pydantic or b"[pydantic]" in raw
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                broken.append(os.path.basename(folder))
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
