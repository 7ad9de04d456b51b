"""The ``mentorstd frameworks`` listing: built from a catalog, rendered without heavy imports.

The rows are also kept in the cache next to the catalog, so that :mod:`mentorstd._entry` can
answer ``mentorstd frameworks`` without importing pydantic, typer or rich.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .catalog import Catalog


__all__ = ["framework_rows", "render"]

_COLUMNS = ("id", "title", "year", "requirements", "by kind", "by provenance")


def framework_rows(catalog: Catalog) -> list[dict[str, Any]]:
    """One row per framework: id, title, edition, publisher, year, counts."""
    rows = []
    for fw in catalog.frameworks.values():
        kinds: dict[str, int] = {}
        prov: dict[str, int] = {}
        for r in fw.requirements:
            kinds[r.kind] = kinds.get(r.kind, 0) + 1
            prov[r.provenance] = prov.get(r.provenance, 0) + 1
        rows.append(
            {
                "id": fw.id,
                "title": fw.title,
                "edition": fw.meta.edition,
                "publisher": fw.meta.publisher,
                "year": fw.meta.year,
                "requirements": len(fw.requirements),
                "kinds": kinds,
                "provenance": prov,
            }
        )
    return rows


def render(rows: list[dict[str, Any]], fmt: str) -> str:
    """``text`` (an aligned table) or ``json``."""
    if fmt == "json":
        return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    cells = [list(_COLUMNS)] + [
        [
            row["id"],
            row["title"],
            str(row["year"]),
            str(row["requirements"]),
            ", ".join(f"{v} {k}" for k, v in row["kinds"].items()),
            ", ".join(f"{v} {k}" for k, v in row["provenance"].items()),
        ]
        for row in rows
    ]
    widths = [max(len(line[i]) for line in cells) for i in range(len(_COLUMNS))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"
