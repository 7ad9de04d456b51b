"""A Frictionless Data Package descriptor for a bundle's tables.

The descriptor (``datapackage.json``) states, in the Frictionless Table Schema vocabulary,
what :data:`mentorstd.tables.TABLES` states for mentorstd: each table's fields and their types,
required values, enumerations, ranges, id patterns, primary keys and foreign keys. Other tools
(``frictionless validate datapackage.json``, CKAN, Open Data Editor) can then check a bundle's
CSV files without mentorstd.

Without a bundle the descriptor describes the canonical layout (``data/<table>.csv`` with every
column). For a bundle it describes each CSV table as its file is: the file's own headers in its
order (columns mentorstd ignores as untyped fields), its delimiter and encoding, and dates in the
table spec's ``date_format``. An enumeration is stated only where mentorstd read the file's values
as they are: where it mapped them (case, synonyms, a spec's ``values``) the file holds words
another tool cannot know, so that column is described as text and a note says so. Workbook and
Parquet tables are left out with a note.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._version import __version__
from ..tables import DATE_MAX, DATE_MIN, ID_PATTERN, TABLES, Column

if TYPE_CHECKING:
    from ..bundle import Bundle
    from ..tables import Table

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


def _field(
    column: Column, name: str | None = None, date_format: str | None = None, enum: bool = True
) -> dict[str, Any]:
    """The Table Schema field of ``column``, named ``name`` (the file's header), with dates
    in ``date_format`` and, unless ``enum`` is false, its enumeration."""
    constraints: dict[str, Any] = {}
    if column.required:
        constraints["required"] = True
    if column.type == "id":
        # Table Schema patterns are implicitly anchored at both ends
        constraints["pattern"] = ID_PATTERN.removeprefix("^").removesuffix("$")
    if column.choices and enum:
        constraints["enum"] = list(column.choices)
    if column.minimum is not None:
        constraints["minimum"] = (
            int(column.minimum) if column.type == "int" else float(column.minimum)
        )
    if column.maximum is not None:
        constraints["maximum"] = (
            int(column.maximum) if column.type == "int" else float(column.maximum)
        )
    if column.type == "date" and "%Y" in (date_format or "%Y"):
        # the range written in the file's format (a two-digit year cannot state it)
        constraints["minimum"] = DATE_MIN.strftime(date_format or "%Y-%m-%d")
        constraints["maximum"] = DATE_MAX.strftime(date_format or "%Y-%m-%d")
    field: dict[str, Any] = {"name": name or column.name, "type": _TYPES[column.type]}
    if column.type == "date":
        field["format"] = date_format or "default"  # default: ISO 8601, YYYY-MM-DD
    if constraints:
        field["constraints"] = constraints
    return field


def _canonical(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"fields": [_field(c) for c in TABLES[name]], "missingValues": [""]}
    return _resource(name, f"data/{name}.csv", schema)


def _as_filed(name: str, table: Table, notes: list[str]) -> dict[str, Any]:
    """The resource of ``table`` as its file is: its headers, delimiter, encoding, dates."""
    ours = {pos - 1: column for column in TABLES[name] if (pos := table.positions.get(column.name))}
    fields: list[dict[str, Any]] = []
    for pos, header in enumerate(table.header):
        column = ours.get(pos)
        if column is None:  # a column mentorstd ignores
            fields.append({"name": header, "type": "any"})
            continue
        if column.name not in table.mapped:
            fields.append(_field(column, header, table.spec.date_format))
            continue
        # the file holds words mentorstd maps to its own: only what still holds is stated
        if column.choices:
            fields.append(_field(column, header, table.spec.date_format, enum=False))
            what = "its enumeration"
        else:
            fields.append(
                {"name": header, "type": "string"}
                | ({"constraints": {"required": True}} if column.required else {})
            )
            what = f"its type ({_TYPES[column.type]})"
        notes.append(
            f"{name}: {header!r} holds words mentorstd maps to its own ({column.name}); "
            f"the descriptor does not state {what}"
        )
    labels = table.header
    if "" in labels or len(set(labels)) != len(labels):
        notes.append(
            f"{name}: the file has a blank or repeated column header, which Frictionless tools "
            "report as an error; name every column once"
        )
    schema: dict[str, Any] = {"fields": fields, "missingValues": [""]}
    resource = _resource(name, "", schema)
    if table.spec.delimiter not in (None, ","):
        resource["dialect"] = {"delimiter": table.spec.delimiter}
    resource["encoding"] = table.spec.encoding
    return resource


def _resource(name: str, path: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "path": path,
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": schema,
    }


def _keys(resources: list[dict[str, Any]], headers: dict[str, dict[str, str]]) -> None:
    """Primary and foreign keys, in each file's own header names."""
    names = {r["name"] for r in resources}
    for resource in resources:
        name = resource["name"]
        own = headers.get(name, {})
        schema = resource["schema"]
        if PRIMARY_KEYS[name]:
            schema["primaryKey"] = [own.get(c, c) for c in PRIMARY_KEYS[name]]
        foreign = []
        for c in TABLES[name]:
            if c.references is None or (own and c.name not in own):
                continue
            table, _, column = c.references.partition(".")
            if table in names:
                target = headers.get(table, {}).get(column, column)
                foreign.append(
                    {
                        "fields": [own.get(c.name, c.name)],
                        "reference": {"resource": table, "fields": [target]},
                    }
                )
        if foreign:
            schema["foreignKeys"] = foreign


def to_datapackage(bundle: Bundle | None = None) -> tuple[dict[str, Any], list[str]]:
    """The descriptor (plain data for ``json.dumps``) and notes on tables left out.

    >>> doc, notes = to_datapackage()
    >>> [r["name"] for r in doc["resources"]][:2], doc["resources"][0]["schema"]["primaryKey"]
    (['matches', 'contacts'], ['match_id'])
    """
    notes: list[str] = []
    resources: list[dict[str, Any]] = []
    headers: dict[str, dict[str, str]] = {}  # per table: our column -> the file's header
    if bundle is None:
        resources = [_canonical(name) for name in TABLES]
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
            resource = _as_filed(name, table, notes)
            resource["path"] = rel
            resources.append(resource)
            headers[name] = {c: table.header[p - 1] for c, p in table.positions.items()}
        title = f"{bundle.manifest.program.name}: evidence bundle tables"
        pkg_name = _slug(bundle.name)
    _keys(resources, headers)
    descriptor = {
        "profile": "tabular-data-package",
        "name": pkg_name,
        "title": title,
        "description": "Operational records of a mentoring program, in the layout mentorstd "
        "reads (see mentorstd's docs/bundles.md). People are pseudonymous ids.",
        "created_with": f"mentorstd {__version__}",
        "resources": resources,
    }
    return descriptor, notes


def _slug(text: str) -> str:
    out = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in text.lower())
    return out.strip("-._") or "bundle"
