"""The console-script entry point, with a fast path for ``mentorstd frameworks``.

Listing frameworks is what people type first, and it should answer at once. When the
catalog cache holds a summary for the current standards (same content fingerprint, no extra
folders, no plug-in frameworks), it is printed straight from the cache without importing
pydantic, typer or rich. Every other case goes through the full CLI, which writes that
summary whenever it loads the catalog.
"""

from __future__ import annotations

import os
import sys

_FAST = {
    ("frameworks",): "text",
    ("frameworks", "--format", "text"): "text",
    ("frameworks", "--format", "json"): "json",
    ("frameworks", "-f", "text"): "text",
    ("frameworks", "-f", "json"): "json",
}


def _fast_frameworks(fmt: str) -> bool:
    if os.environ.get("MENTORSTD_PATH"):
        return False
    from . import _cache
    from ._plugins import has_entry_points

    standards = os.path.join(os.path.dirname(__file__), "_data", "standards")
    if not os.path.isdir(standards):  # a source checkout: the folder beside src/
        standards = os.path.join(os.path.dirname(__file__), "..", "..", "standards")
    if has_entry_points() or not os.path.isdir(standards):
        return False
    text = _cache.read_rendered(_cache.fingerprint([standards]), fmt)
    if text is None:
        return False
    sys.stdout.write(text)
    return True


def main() -> None:
    """Run the CLI (``mentorstd``)."""
    # started with stdout or stderr closed, Python gives None there: what would be said
    # there goes nowhere, and the run goes on as usual
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (open for the process's life)
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115
    fmt = _FAST.get(tuple(sys.argv[1:]))
    if fmt is not None:
        try:
            if _fast_frameworks(fmt):
                return
        except (OSError, ValueError, KeyError, TypeError):
            pass  # anything odd: the full CLI answers instead
    from ._plugins import pydantic_plugins_possible, undecodable_entry_points

    if undecodable_entry_points() or not pydantic_plugins_possible():
        # pydantic looks for its own plug-ins with importlib.metadata when the first model is
        # built: that raises on an undecodable file (and this process needs no plug-in), and
        # when none is installed it is 35 ms of imports and reading every package's metadata
        # to find none
        os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from .cli import main as cli_main

    try:
        cli_main()
    except SystemExit as done:
        _leave(done.code)
    _leave(0)


def _leave(code: object) -> None:
    """End the process with ``code`` (as ``sys.exit`` takes it) once stdout and stderr are
    flushed, skipping the interpreter's teardown.

    Every output is complete by now (files are written atomically and closed), and no exit
    handler of this program is pending. The teardown would free every frame, module and
    buffer one by one: after a 100,000-match bundle that is about a quarter of a second, which
    the operating system does at once when the process ends.
    """
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message"): the message goes to stderr, the status is 1
        sys.stderr.write(f"{code}\n")
        status = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed or broken stream: nothing more can be said
            status = status or 120  # what Python itself returns when the final flush fails
    os._exit(status)
