"""A helper process that summarises a large contacts file while the loader reads the rest.

``load_bundle`` starts ``python -m mentorstd._worker`` before it reads any table and sends it
the paths of the matches and contacts files; the helper reads the match ids and start dates
it needs itself and counts the contacts on the second core while the loader reads and checks
every other table. The request travels as a pickle over the helper's stdin, the answer as a
pickle in a private temporary folder: both ends are this package, and nothing else is ever
unpickled. See :mod:`mentorstd._contacts` for what the helper computes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["ContactsWorker", "main"]

#: Contacts files at least this large (about a million contacts) are summarised in a helper
#: process; below it, starting Python and numpy again costs what the helper would save.
PARALLEL_MIN_BYTES = 32 * 1024 * 1024
#: Seconds to wait for the helper before doing its work in this process instead.
HELPER_TIMEOUT = 600


class ContactsWorker:
    """A started helper process, waiting for one request.

    The answer (tens of megabytes of counts) is written to a file in a private temporary
    folder rather than a pipe, so the helper never waits for the loader to read it.
    """

    def __init__(self) -> None:
        from . import __version__

        package_root = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (package_root, env.get("PYTHONPATH", "")) if p
        )
        self.version = __version__
        self.folder = Path(tempfile.mkdtemp(prefix="mentorstd-helper-"))
        self.answer = self.folder / "answer.pickle"
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "mentorstd._worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
            )
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise

    def send(self, **request: Any) -> None:
        """Send the arguments of :func:`mentorstd._contacts.summarise_files`."""
        assert self.process.stdin is not None
        with contextlib.suppress(OSError):  # if the helper is gone, result() says so
            pickle.dump((self.version, str(self.answer), request), self.process.stdin, protocol=5)
            self.process.stdin.close()

    def result(self) -> tuple[bool, Any]:
        """(True, what ``summarise_files`` returned), or (False, None) when the helper
        failed."""
        try:
            code = self.process.wait(timeout=HELPER_TIMEOUT)
            if code != 0:
                logging.getLogger("mentorstd").debug("contacts helper exited with %s", code)
                return False, None
            with self.answer.open("rb") as handle:
                return True, pickle.load(handle)  # noqa: S301 - our own helper's answer
        except (OSError, EOFError, pickle.UnpicklingError, subprocess.TimeoutExpired):
            return False, None
        finally:
            self.close()

    def close(self) -> None:
        """Stop the helper if it still runs, and remove its folder."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.process.stdin is not None and not self.process.stdin.closed:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def start(size: int) -> ContactsWorker | None:
    """A helper for a contacts file of ``size`` bytes, or ``None`` when one would not pay
    off: a small file, one CPU, ``MENTORSTD_JOBS=1``, or no interpreter to start."""
    if size < PARALLEL_MIN_BYTES or os.environ.get("MENTORSTD_JOBS") == "1":
        return None
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if (cpus or 1) < 2 or not sys.executable or getattr(sys, "frozen", False):
        return None  # a frozen application's executable is not a Python to run -m with
    try:
        return ContactsWorker()
    except OSError:
        return None


def main() -> int:
    """The helper: read one request on stdin, write the answer to the file it names."""
    from . import __version__
    from ._contacts import summarise_files

    version, answer, request = pickle.load(sys.stdin.buffer)  # noqa: S301 - from load_bundle
    if version != __version__:
        return 1
    result = summarise_files(**request)
    partial = Path(answer + ".partial")
    with partial.open("wb") as handle:
        pickle.dump(result, handle, protocol=5)
    partial.replace(answer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
