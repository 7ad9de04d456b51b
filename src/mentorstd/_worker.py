"""A helper process that summarises a large contacts file while the loader reads the rest.

``load_bundle`` starts ``python -m mentorstd._worker`` before it reads the matches table, so
that the helper's start-up (Python and numpy) overlaps that work; it then sends the request
and reads the other tables while the helper counts contacts on the second core. Request and
answer travel as pickles over the helper's own pipes: both ends are this package, and nothing
else is ever unpickled. See :mod:`mentorstd._contacts` for what the helper computes.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["ContactsWorker", "main"]

#: Contacts files at least this large are summarised in a helper process.
PARALLEL_MIN_BYTES = 8 * 1024 * 1024


class ContactsWorker:
    """A started helper process, waiting for one request."""

    def __init__(self) -> None:
        from . import __version__

        package_root = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (package_root, env.get("PYTHONPATH", "")) if p
        )
        self.version = __version__
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mentorstd._worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )

    def send(self, **request: Any) -> None:
        """Send the arguments of :func:`mentorstd._contacts.summarise`."""
        assert self.process.stdin is not None
        pickle.dump((self.version, request), self.process.stdin, protocol=5)
        self.process.stdin.close()

    def result(self) -> tuple[bool, Any]:
        """(True, what ``summarise`` returned), or (False, None) when the helper failed."""
        assert self.process.stdout is not None
        try:
            data = self.process.stdout.read()
            code = self.process.wait()
            if code != 0 or not data:
                return False, None
            return True, pickle.loads(data)  # noqa: S301 - our own helper's answer
        except (OSError, EOFError, pickle.UnpicklingError):
            return False, None
        finally:
            self.close()

    def close(self) -> None:
        """Stop the helper if it still runs."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None and not stream.closed:
                stream.close()


def start(size: int) -> ContactsWorker | None:
    """A helper for a contacts file of ``size`` bytes, or ``None`` when one would not pay
    off: a small file, one CPU, ``MENTORSTD_JOBS=1``, or no interpreter to start."""
    if size < PARALLEL_MIN_BYTES or os.environ.get("MENTORSTD_JOBS") == "1":
        return None
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if (cpus or 1) < 2 or not sys.executable:
        return None
    try:
        return ContactsWorker()
    except OSError:
        return None


def main() -> int:
    """The helper: read one request on stdin, answer on stdout."""
    from . import __version__
    from ._contacts import summarise  # imports numpy while the parent reads matches

    version, request = pickle.load(sys.stdin.buffer)  # noqa: S301 - sent by load_bundle
    if version != __version__:
        return 1
    pickle.dump(summarise(**request), sys.stdout.buffer, protocol=5)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
