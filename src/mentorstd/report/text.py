"""Escaping for the text formats: Markdown table cells and spreadsheet-safe CSV cells."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

__all__ = ["csv_text", "md_cell", "md_code", "md_text", "neutralise"]

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
#: First characters that make spreadsheets evaluate a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def md_text(value: object) -> str:
    """Text safe to place in Markdown: special characters escaped, on one line."""
    text = " ".join(str(value).split())
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_code(value: object) -> str:
    """An inline Markdown code span holding ``value`` verbatim, on one line.

    The fence is one backtick longer than the longest run of backticks inside, and padded
    with spaces, so no backtick in the value can close the span and let markup out.
    """
    text = " ".join(str(value).split())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_cell(value: object) -> str:
    """A Markdown table cell (``|`` and line breaks cannot break the table)."""
    return md_text(value) if value not in (None, "") else ""


def neutralise(value: object) -> str:
    """A CSV cell that spreadsheets will not run as a formula (prefixed with ``'``)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES) and not _is_number(text):
        return "'" + text
    return text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV with every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return buffer.getvalue()


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.strip() == text
