"""Write a fresh evidence bundle to fill in: ``mentorstd init``.

The scaffold is a commented ``bundle.yaml``, every data table with its header row only, and a
self-assessment sheet listing every assessable requirement of the chosen frameworks with its
title and a blank status. It validates as it is (everything not assessed), so a program can
fill it in a piece at a time and validate after each. With ``xlsx=True`` the tables and the
sheet are the sheets of one workbook, with drop-down lists for every enumeration.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import UsageError
from .models import ASSESSABLE_KINDS
from .tables import TABLES, Column, columns_of

if TYPE_CHECKING:
    from .catalog import Catalog

__all__ = ["SHEET_NAME", "WORKBOOK_NAME", "write_scaffold"]

#: The self-assessment sheet of a CSV scaffold.
SHEET_NAME = "self-assessment.csv"
#: The workbook of an xlsx scaffold.
WORKBOOK_NAME = "bundle.xlsx"
#: Rows of a workbook sheet that get drop-down lists.
DROPDOWN_ROWS = 5000

_MANIFEST = """\
# An evidence bundle for mentorstd: fill it in, then run
#   mentorstd validate {folder} --framework {first}
# Everything you have not filled in yet is reported as not assessed. See docs/bundles.md.
bundle_version: 1
program:
  name: Our mentoring program       # the program's name
  model: community                  # community | school | workplace | group | e-mentoring | other
  period:                           # the reporting period the records cover
    start: {start}
    end: {end}
  # commitment_months: 12           # the minimum match length you ask for, if not the default

# Documents offered as evidence; `mentorstd evidence-kinds` lists the kinds (or their aliases).
documents: []
#  - id: screening-policy
#    kind: screening-policy
#    path: documents/screening-policy.pdf
#    date: {start}

# Your statements about requirements live in the self-assessment sheet (status: implemented,
# partial, planned, not-implemented or not-applicable; evidence: document ids separated by ';').
# A `practices:` list here means the same; attest each requirement in one place only.

# The data tables: fill in the rows under each header (ISO dates YYYY-MM-DD). Tables exported
# from your own database can keep their headers, date format and values: give a table spec
# (path, sheet, delimiter, encoding, date_format, columns, values) or a shared profile.
data:
{data}  # profile: profile.yaml
"""


def _tables_yaml(xlsx: bool) -> str:
    lines = []
    for name in (*TABLES, "practices"):
        if xlsx:
            lines.append(f"  {name}: {{path: {WORKBOOK_NAME}, sheet: {name}}}\n")
        else:
            path = SHEET_NAME if name == "practices" else f"data/{name}.csv"
            lines.append(f"  {name}: {path}\n")
    return "".join(lines)


def _practice_rows(catalog: Catalog, frameworks: Sequence[str]) -> list[list[str]]:
    rows = []
    for fid in frameworks:
        for req in catalog.framework(fid).requirements:
            if req.kind in ASSESSABLE_KINDS:
                rows.append([req.global_id, req.title, "", "", ""])
    return rows


def _csv_text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _write_workbook(
    path: Path, sheets: dict[str, tuple[tuple[Column, ...], list[list[str]]]]
) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    bold = book.add_format({"bold": True})
    for name, (columns, rows) in sheets.items():
        sheet = book.add_worksheet(name)
        for col, column in enumerate(columns):
            sheet.write_string(0, col, column.name, bold)
            sheet.set_column(col, col, max(14, len(column.name) + 2))
            if column.choices:
                sheet.data_validation(
                    1,
                    col,
                    max(DROPDOWN_ROWS, len(rows)),
                    col,
                    {"validate": "list", "source": list(column.choices)},
                )
        for r, row in enumerate(rows, start=1):
            for col, value in enumerate(row):
                if value:
                    sheet.write_string(r, col, value)
        sheet.freeze_panes(1, 0)
    book.close()


def write_scaffold(
    folder: Path,
    catalog: Catalog,
    frameworks: Sequence[str] = (),
    *,
    xlsx: bool = False,
    today: dt.date | None = None,
) -> list[Path]:
    """Write a new bundle into ``folder`` (which must not exist or be empty).

    Parameters
    ----------
    folder : Path
        Where to write; created if missing.
    catalog : Catalog
        Supplies the requirements of the self-assessment sheet.
    frameworks : sequence of str
        Framework ids whose requirements the sheet lists (default: every framework).
    xlsx : bool
        Write the tables and the sheet as one workbook with drop-down lists.
    today : date, optional
        Sets the reporting period (the current calendar year; default: today).

    Returns
    -------
    list of Path
        The files written.

    Examples
    --------
    >>> write_scaffold(Path("new-program"), load_catalog(), ["eepm"])  # doctest: +SKIP
    """
    chosen = list(frameworks) or list(catalog.frameworks)
    for fid in chosen:
        catalog.framework(fid)  # raises UnknownIdError with the known ids
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise UsageError(f"{folder}: exists and is not an empty folder; init writes a new bundle")
    year = (today or dt.date.today()).year
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "documents").mkdir()
    written: list[Path] = []
    manifest = folder / "bundle.yaml"
    manifest.write_text(
        _MANIFEST.format(
            folder=folder,
            first=chosen[0],
            start=f"{year}-01-01",
            end=f"{year}-12-31",
            data=_tables_yaml(xlsx),
        ),
        encoding="utf-8",
    )
    written.append(manifest)
    practice_rows = _practice_rows(catalog, chosen)
    sheets: dict[str, tuple[tuple[Column, ...], list[list[str]]]] = {
        name: (columns_of(name), []) for name in TABLES
    }
    sheets["practices"] = (columns_of("practices"), practice_rows)
    if xlsx:
        book = folder / WORKBOOK_NAME
        _write_workbook(book, sheets)
        written.append(book)
        return written
    (folder / "data").mkdir()
    for name, (columns, rows) in sheets.items():
        path = folder / (SHEET_NAME if name == "practices" else f"data/{name}.csv")
        path.write_text(_csv_text([c.name for c in columns], rows), encoding="utf-8")
        written.append(path)
    return written
