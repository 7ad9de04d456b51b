"""A Frictionless Data Package descriptor for a bundle's tables.

The descriptor (``datapackage.json``) states, in the Frictionless Table Schema vocabulary,
what :data:`mentorstd.tables.TABLES` states for mentorstd: each table's fields and their types,
required values, enumerations, ranges, id patterns, primary keys and foreign keys. Other tools
(``frictionless validate datapackage.json``, CKAN, Open Data Editor) can then check a bundle's
CSV files without mentorstd.

Without a bundle the descriptor describes the canonical layout (``data/<table>.csv`` with every
column). For a bundle it lists the tables its manifest names, at their paths, and leaves out the
optional columns its files do not have. It describes canonical CSV files only: mentorstd's own
reader is more forgiving (case-insensitive enumerations, synonyms, other delimiters), so a file
that mentorstd accepts may still need those normalised before another tool accepts it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._version import __version__
from ..tables import DATE_MAX, DATE_MIN, ID_PATTERN, TABLES, Column

if TYPE_CHECKING:
    from ..bundle import Bundle

__all__ = ["PRIMARY_KEYS", "to_datapackage"]

#: Columns whose values identify a row (their ``unique`` columns).
PRIMARY_KEYS: dict[str, list[str]] = {
    name: [c.name for c in columns if c.unique] for name, columns in TABLES.items()
}
_TYPES = {
    "id": "string",
    "text": "string",
    "enum": "string",
    "date": "date",
    "number": "number",
    "int": "integer",
}


def _field(column: Column) -> dict[str, Any]:
    constraints: dict[str, Any] = {}
    if column.required:
        constraints["required"] = True
    if column.type == "id":
        # Table Schema patterns are implicitly anchored at both ends
        constraints["pattern"] = ID_PATTERN.removeprefix("^").removesuffix("$")
    if column.choices:
        constraints["enum"] = list(column.choices)
    if column.minimum is not None:
        constraints["minimum"] = (
            int(column.minimum) if column.type == "int" else float(column.minimum)
        )
    if column.maximum is not None:
        constraints["maximum"] = (
            int(column.maximum) if column.type == "int" else float(column.maximum)
        )
    if column.type == "date":
        constraints["minimum"] = DATE_MIN.isoformat()
        constraints["maximum"] = DATE_MAX.isoformat()
    field: dict[str, Any] = {"name": column.name, "type": _TYPES[column.type]}
    if column.type == "date":
        field["format"] = "default"  # ISO 8601, YYYY-MM-DD
    if constraints:
        field["constraints"] = constraints
    return field


def _resource(name: str, path: str, present: set[str] | None, names: set[str]) -> dict[str, Any]:
    columns = [
        c for c in TABLES[name] if present is None or not c.optional_column or c.name in present
    ]
    schema: dict[str, Any] = {
        "fields": [_field(c) for c in columns],
        "missingValues": [""],
    }
    if PRIMARY_KEYS[name]:
        schema["primaryKey"] = PRIMARY_KEYS[name]
    foreign = []
    for c in columns:
        if c.references is None:
            continue
        table, _, column = c.references.partition(".")
        if table in names:
            foreign.append(
                {"fields": [c.name], "reference": {"resource": table, "fields": [column]}}
            )
    if foreign:
        schema["foreignKeys"] = foreign
    return {
        "name": name,
        "path": path,
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": schema,
    }


def to_datapackage(bundle: Bundle | None = None) -> tuple[dict[str, Any], list[str]]:
    """The descriptor (plain data for ``json.dumps``) and notes on tables left out.

    >>> doc, notes = to_datapackage()
    >>> [r["name"] for r in doc["resources"]][:2], doc["resources"][0]["schema"]["primaryKey"]
    (['matches', 'contacts'], ['match_id'])
    """
    notes: list[str] = []
    chosen: list[tuple[str, str, set[str] | None]] = []
    if bundle is None:
        chosen = [(name, f"data/{name}.csv", None) for name in TABLES]
        title = "A mentorstd evidence bundle's tables"
        pkg_name = "mentorstd-bundle"
    else:
        for name in TABLES:
            table = bundle.table(name)
            if table is None:
                continue
            try:
                rel = table.path.resolve().relative_to(bundle.path.resolve()).as_posix()
            except ValueError:  # pragma: no cover - load_bundle keeps paths inside
                continue
            if table.path.suffix.lower() != ".csv":
                notes.append(f"{name}: {rel} is not a CSV file; left out of the descriptor")
                continue
            chosen.append((name, rel, set(table.positions)))
        title = f"{bundle.manifest.program.name}: evidence bundle tables"
        pkg_name = _slug(bundle.name)
    names = {name for name, _, _ in chosen}
    descriptor = {
        "profile": "tabular-data-package",
        "name": pkg_name,
        "title": title,
        "description": "Operational records of a mentoring program, in the layout mentorstd "
        "reads (see mentorstd's docs/bundles.md). People are pseudonymous ids.",
        "created_with": f"mentorstd {__version__}",
        "resources": [_resource(n, p, present, names) for n, p, present in chosen],
    }
    return descriptor, notes


def _slug(text: str) -> str:
    out = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in text.lower())
    return out.strip("-._") or "bundle"
