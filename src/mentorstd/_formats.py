"""Output formats: one set of names for every command, and one rule for choosing among them.

The rule: an explicit ``--format``, else the suffix of ``-o FILE``, else ``text``. Each command
states which formats it can write; asking for another one (by name or by suffix) is a usage
error that lists them. New formats are added here, once, for every command.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .errors import UsageError

__all__ = [
    "FORMATS",
    "NAME_SUFFIXES",
    "STDOUT",
    "SUFFIXES",
    "choose_format",
    "describe",
    "suffix_for",
]

#: Every format name a command may accept, in the order help texts list them.
FORMATS: tuple[str, ...] = (
    "text",
    "json",
    "yaml",
    "markdown",
    "html",
    "csv",
    "mermaid",
    "xlsx",
    "sssom",
    "oscal-catalog",
    "oscal-mapping",
)

#: File suffix -> format (lower case, with the dot).
SUFFIXES: dict[str, str] = {
    ".txt": "text",
    ".text": "text",
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".csv": "csv",
    ".mmd": "mermaid",
    ".mermaid": "mermaid",
    ".xlsx": "xlsx",
}
#: Formats named by a double suffix (checked before the last suffix).
NAME_SUFFIXES: dict[str, str] = {".sssom.tsv": "sssom"}

#: ``-o -`` writes to standard output.
STDOUT = "-"


def describe(formats: Sequence[str]) -> str:
    """``'text, json or yaml'``."""
    items = list(formats)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def suffix_for(fmt: str) -> str:
    """The usual file suffix of ``fmt`` (``.md`` for markdown)."""
    return next(suffix for suffix, name in SUFFIXES.items() if name == fmt)


def choose_format(
    fmt: str | None,
    output: Path | None,
    supported: Sequence[str],
    *,
    command: str,
) -> str:
    """The format to write: ``fmt`` if given, else from ``output``'s suffix, else ``text``.

    Parameters
    ----------
    fmt : str or None
        The ``--format`` value, if any.
    output : Path or None
        The ``-o`` value, if any (``-`` is standard output and says nothing about the format).
    supported : sequence of str
        The formats this command can write.
    command : str
        The command's name, for messages.

    Raises
    ------
    UsageError
        When the format (named or implied by the suffix) is not one ``command`` writes, or the
        suffix names no known format.

    Examples
    --------
    >>> choose_format(None, Path("report.md"), ["text", "markdown"], command="validate")
    'markdown'
    >>> choose_format(None, None, ["text", "json"], command="show")
    'text'
    """
    if fmt is not None:
        chosen = fmt
        how = f"--format {fmt}"
    elif output is not None and str(output) != STDOUT and output.suffix:
        suffix = output.suffix.lower()
        for double in NAME_SUFFIXES:
            if output.name.lower().endswith(double):
                suffix = double
                break
        if suffix not in SUFFIXES and suffix not in NAME_SUFFIXES:
            known = " ".join(sorted([*SUFFIXES, *NAME_SUFFIXES]))
            raise UsageError(
                f"-o {output}: cannot tell the format from {output.suffix!r} (known suffixes: "
                f"{known}); give --format {'|'.join(supported)}"
            )
        chosen = SUFFIXES.get(suffix) or NAME_SUFFIXES[suffix]
        how = f"-o {output}"
    else:
        return "text" if "text" in supported else supported[0]
    if chosen not in supported:
        raise UsageError(f"{how}: {command} writes {describe(supported)}, not {chosen}")
    return chosen
