"""Writing outputs safely: atomically, and never over an input."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .errors import UsageError

__all__ = ["write_atomic"]


def write_atomic(
    path: str | os.PathLike[str], data: str | bytes, protect: Iterable[str | os.PathLike[str]] = ()
) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    A reader never sees a half-written file, and an interrupted run leaves the old file (or
    nothing). ``protect`` lists files and folders that must not be written into (the input
    bundle): writing there raises :class:`UsageError`.
    """
    target = Path(path)
    resolved = target.resolve()
    for item in protect:
        guard = Path(item).resolve()
        if resolved == guard or resolved.is_relative_to(guard):
            raise UsageError(f"{target}: refusing to write inside the input {Path(item)}")
    resolved.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=resolved.parent, prefix=f".{resolved.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).chmod(0o644)
        Path(tmp).replace(resolved)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
