"""Discovery of frameworks that other installed packages provide (entry points)."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # see mentorstd/__init__.py
if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

__all__ = ["ENTRY_POINT_GROUP", "entry_point_roots", "has_entry_points"]

ENTRY_POINT_GROUP = "mentorstd.frameworks"


def has_entry_points() -> bool:
    """Cheap scan: does any installed distribution declare our entry-point group?

    Reading every ``entry_points.txt`` directly is several times faster than building
    :mod:`importlib.metadata` distributions, and almost always finds nothing.
    """
    marker = f"[{ENTRY_POINT_GROUP}]"
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith((".dist-info", ".egg-info")):
                try:
                    with open(
                        os.path.join(entry or ".", name, "entry_points.txt"), encoding="utf-8"
                    ) as handle:
                        text = handle.read()
                except OSError:
                    continue
                if marker in text:
                    return True
    return False


def entry_point_roots() -> Iterator[Path]:
    """Standards roots registered under the ``mentorstd.frameworks`` entry-point group.

    The entry point names a callable returning a path, or a module whose folder is the root.
    """
    if not has_entry_points():
        return
    from importlib import metadata
    from pathlib import Path

    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        target = ep.load()
        path = Path(target()) if callable(target) else Path(getattr(target, "__file__", ""))
        yield path if path.is_dir() else path.parent
