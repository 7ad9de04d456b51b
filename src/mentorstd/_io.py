"""Writing outputs safely: one function, used for every file mentorstd writes.

:func:`write_atomic` writes through a temporary file in the target's folder and a rename, so a
reader never sees a half-written file and an interrupted run leaves the old file or nothing
(the temporary file is removed, also on Ctrl-C). It only ever replaces a regular file or creates
a new one: a directory, a FIFO, a device or a socket (also behind a symbolic link) is refused,
so ``-o /dev/null`` run as root cannot replace the device. ``-`` means standard output. A new
file gets the mode the umask allows (``0o666 & ~umask``, as ``open()`` would), and a replaced
file keeps its mode. Every refusal and every operating-system error is a
:class:`~mentorstd.errors.UsageError` naming the path, never a traceback.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .errors import UsageError

__all__ = ["STDOUT", "check_target", "write_atomic"]

#: The output name meaning standard output.
STDOUT = "-"

_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a device",
    stat.S_IFBLK: "a device",
    stat.S_IFSOCK: "a socket",
}


def _umask() -> int:
    # os.umask can only be read by setting it; put it straight back
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def check_target(path: str | os.PathLike[str], *, parents: bool = True) -> tuple[Path, int | None]:
    """Where ``path`` will be written, and the mode of the regular file it replaces (if any).

    Raises :class:`UsageError` for an empty name, a NUL byte, a target that exists and is not a
    regular file (a directory, FIFO, device or socket, also behind a symbolic link), and, with
    ``parents=False``, a missing parent folder.
    """
    text = os.fspath(path)
    if not text:
        raise UsageError("the output file name is empty")
    shown = repr(text) if "\0" in text or not text.isprintable() else text
    if "\0" in text:
        raise UsageError(f"{shown}: a file name cannot hold a NUL byte")
    target = Path(text)
    try:
        info = target.stat()  # follows symbolic links: what would be written is the target
    except FileNotFoundError:
        info = None
    except OSError as err:
        raise UsageError(f"{shown}: cannot write: {err.strerror or err}") from None
    if info is not None:
        if not stat.S_ISREG(info.st_mode):
            kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
            raise UsageError(
                f"{shown}: is {kind}; mentorstd only replaces a regular file or writes a new one"
                + (" (give -o - for standard output)" if kind != "a directory" else "")
            )
        # its permission bits only: never set-user-id, set-group-id or sticky
        mode: int | None = stat.S_IMODE(info.st_mode) & 0o777
    else:
        mode = None
    resolved = target.resolve()
    parent = resolved.parent
    if not parent.is_dir() and parent.exists():
        raise UsageError(f"{shown}: {target.parent} is not a folder")
    if not parent.is_dir() and not parents:
        raise UsageError(f"{shown}: folder {target.parent} does not exist")
    return resolved, mode


def write_atomic(
    path: str | os.PathLike[str],
    data: str | bytes,
    protect: Iterable[str | os.PathLike[str]] = (),
    *,
    parents: bool = True,
) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    Parameters
    ----------
    path : path
        The file to write; ``-`` writes to standard output.
    data : str or bytes
        The content (text is written as UTF-8).
    protect : iterable of path
        Files and folders that must not be written into (the input bundle).
    parents : bool
        Create missing parent folders (output folders of ``batch`` and ``demo``); a file named
        by ``-o`` needs an existing folder (``parents=False``).

    Raises
    ------
    UsageError
        When the target cannot or must not be written, naming it.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if os.fspath(path) == STDOUT:
        sys.stdout.flush()
        sys.stdout.buffer.write(raw)
        sys.stdout.buffer.flush()
        return Path(STDOUT)
    target = Path(path)
    resolved, mode = check_target(path, parents=parents)
    for item in protect:
        guard = Path(item).resolve()
        if resolved == guard or resolved.is_relative_to(guard):
            raise UsageError(f"{target}: refusing to write inside the input {Path(item)}")
    tmp: str | None = None
    try:
        resolved.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=resolved.parent, prefix=f".{resolved.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fchmod(handle.fileno(), mode if mode is not None else 0o666 & ~_umask())
            os.fsync(handle.fileno())
        Path(tmp).replace(resolved)
        tmp = None
    except OSError as err:
        raise UsageError(f"{target}: cannot write: {err.strerror or err}") from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return target
