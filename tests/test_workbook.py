"""Framework round trip: export a framework as a workbook, edit it, import it back by id (add,
change, delete), and lint the result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

import mentorstd
from mentorstd.interop.workbook import to_workbook
from mentorstd.models import RequirementSpec
from mentorstd.report.xlsx import write_workbook

from .conftest import STANDARDS

FRAMEWORKS = sorted(p.name for p in STANDARDS.iterdir() if (p / "framework.yaml").is_file())


def _read_folder(folder: Path) -> list[RequirementSpec]:
    meta = yaml.safe_load((folder / "framework.yaml").read_text("utf-8"))
    out: list[RequirementSpec] = []
    for part in meta["parts"]:
        for item in yaml.safe_load((folder / part).read_text("utf-8"))["requirements"]:
            out.append(RequirementSpec.model_validate(item))
    return out


def _specs(catalog: mentorstd.Catalog, fid: str) -> list[RequirementSpec]:
    return [
        RequirementSpec.model_validate({k: getattr(r, k) for k in RequirementSpec.model_fields})
        for r in catalog.framework(fid).requirements
    ]


def _sheets(path: Path) -> dict[str, pl.DataFrame]:
    return {
        name: pl.read_excel(path, sheet_name=name, infer_schema_length=0).fill_null("")
        for name in ("Requirements", "Framework")
    }


def _save(path: Path, sheets: dict[str, pl.DataFrame]) -> None:
    path.write_bytes(write_workbook(list(sheets.items())))


@pytest.mark.parametrize("fid", FRAMEWORKS)
def test_an_unedited_workbook_comes_back_as_the_same_framework(
    fid: str, cli: Any, tmp_path: Path, catalog: mentorstd.Catalog
) -> None:
    book = tmp_path / f"{fid}.xlsx"
    assert cli("export", fid, "-o", str(book)).exit_code == 0
    out = tmp_path / fid
    result = cli("import", str(book), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert f"{fid}: added 0; changed 0; deleted 0; 0 not listed, kept" in result.stdout
    assert "lint: ok" in result.stdout
    assert _read_folder(out) == _specs(catalog, fid)
    shipped = yaml.safe_load((STANDARDS / fid / "framework.yaml").read_text("utf-8"))
    written = yaml.safe_load((out / "framework.yaml").read_text("utf-8"))
    assert written["parts"] == shipped["parts"]  # the same files, in the same order
    for rel in shipped.get("extras", {}).values():
        assert (out / rel).read_bytes() == (STANDARDS / fid / rel).read_bytes()


def test_add_change_and_keep_by_id(cli: Any, tmp_path: Path, catalog: mentorstd.Catalog) -> None:
    book = tmp_path / "ima.xlsx"
    assert cli("export", "ima", "--format", "xlsx", "-o", str(book)).exit_code == 0
    sheets = _sheets(book)
    reqs = sheets["Requirements"]
    # keep only two rows: a changed title for I-1, and a new indicator after it
    changed = reqs.filter(pl.col("id") == "I-1").with_columns(
        pl.lit("Research-led design").alias("title")
    )
    new = changed.with_columns(
        pl.lit("I-9").alias("id"),
        pl.lit("Yearly program review").alias("title"),
        pl.lit("The program is reviewed once a year against its goals.").alias("statement"),
        pl.lit("").alias("checks"),
        pl.lit("program\nleadership").alias("applies_to"),
    )
    sheets["Requirements"] = pl.concat([changed, new])
    _save(book, sheets)
    out = tmp_path / "ima"
    result = cli("import", str(book), "-o", str(out))
    # IMA states 22 indicators; a 23rd is a lint problem until the Framework sheet says so
    assert result.exit_code == 2
    assert "expected_counts.indicator: 23 indicators encoded but the source states 22" in (
        result.stderr
    )
    sheets["Framework"] = sheets["Framework"].with_columns(
        pl.when(pl.col("key") == "expected_counts")
        .then(pl.lit('{"standard": 6, "indicator": 23}'))
        .otherwise(pl.col("value"))
        .alias("value")
    )
    _save(book, sheets)
    result = cli("import", str(book), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    shipped = _specs(catalog, "ima")
    assert (
        "ima: added 1 (I-9); changed 1 (I-1); deleted 0; "
        f"{len(shipped) - 1} not listed, kept" in result.stdout
    )
    back = _read_folder(out)
    ids = [r.id for r in back]
    assert ids[ids.index("I-1") + 1] == "I-9"  # placed after the row above it in the sheet
    assert len(back) == len(shipped) + 1
    by_id = {r.id: r for r in back}
    assert by_id["I-1"].title == "Research-led design"
    assert by_id["I-9"].applies_to == ["program", "leadership"]
    assert by_id["I-9"].parent == "I"
    untouched = [r for r in shipped if r.id != "I-1"]
    assert all(by_id[r.id] == r for r in untouched)


def test_deleting_a_requirement_the_crosswalk_uses_fails_lint(cli: Any, tmp_path: Path) -> None:
    book = tmp_path / "ima.xlsx"
    assert cli("export", "ima", "-o", str(book)).exit_code == 0
    sheets = _sheets(book)
    sheets["Requirements"] = (
        sheets["Requirements"]
        .filter(pl.col("id") == "III-1")
        .with_columns(pl.lit("delete").alias("action"))
    )
    _save(book, sheets)
    out = tmp_path / "ima"
    result = cli("import", str(book), "-o", str(out))
    assert "deleted 1 (III-1)" in result.stdout
    assert result.exit_code == 2
    # the shipped crosswalks map ima:III-1, and lint says so, in the crosswalk's file
    assert "standards/crosswalks/" in result.stderr
    assert "unknown requirement 'ima:III-1'" in result.stderr


def _user_framework(root: Path) -> None:
    folder = root / "alpha"
    folder.mkdir(parents=True)
    (folder / "framework.yaml").write_text(
        "# yaml-language-server: $schema=../../schemas/framework.schema.json\n"
        + yaml.safe_dump(
            {
                "id": "alpha",
                "title": "Alpha",
                "publisher": "tests",
                "year": 2024,
                "source": "made up for a test",
                "usage": "test data",
                "parts": ["s.yaml"],
            }
        ),
        encoding="utf-8",
    )
    common = {
        "source": {"section": "1"},
        "provenance": "provisional",
        "id_basis": "assigned",
        "parent": "S",
    }
    (folder / "s.yaml").write_text(
        "# yaml-language-server: $schema=../../schemas/standard.schema.json\n"
        + yaml.safe_dump(
            {
                "requirements": [
                    {
                        "id": "S",
                        "kind": "standard",
                        "title": "S",
                        "statement": "S.",
                        "source": {"section": "1"},
                        "provenance": "provisional",
                        "id_basis": "assigned",
                    },
                    {"id": "A1", "kind": "item", "title": "One", "statement": "One.", **common},
                    {"id": "A2", "kind": "item", "title": "Two", "statement": "Two.", **common},
                ]
            }
        ),
        encoding="utf-8",
    )


def test_a_row_marked_delete_is_deleted(cli: Any, tmp_path: Path) -> None:
    root = tmp_path / "extra"
    _user_framework(root)
    book = tmp_path / "alpha.xlsx"
    assert cli("-S", str(root), "export", "alpha", "-o", str(book)).exit_code == 0
    sheets = _sheets(book)
    sheets["Requirements"] = sheets["Requirements"].with_columns(
        pl.when(pl.col("id") == "A2")
        .then(pl.lit("delete"))
        .otherwise(pl.col("action"))
        .alias("action")
    )
    _save(book, sheets)
    out = tmp_path / "alpha"
    result = cli("-S", str(root), "import", str(book), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert "alpha: added 0; changed 0; deleted 1 (A2); 0 not listed, kept" in result.stdout
    assert [r.id for r in _read_folder(out)] == ["S", "A1"]


def test_dry_run_writes_nothing(cli: Any, tmp_path: Path) -> None:
    book = tmp_path / "npss.xlsx"
    assert cli("export", "npss", "-o", str(book)).exit_code == 0
    out = tmp_path / "npss"
    result = cli("import", str(book), "-o", str(out), "--dry-run")
    assert result.exit_code == 0
    assert "npss: added 0" in result.stdout
    assert not out.exists()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda f: f.with_columns(pl.lit("remove").alias("action")),
            "ima.xlsx:Requirements:2: action: action 'remove'",
        ),
        (
            lambda f: f.with_columns(pl.lit("sometimes").alias("provenance")),
            "ima.xlsx:Requirements:2: provenance:",
        ),
        (
            lambda f: pl.concat([f.head(1), f.head(1)]),
            "ima.xlsx:Requirements:3: id: id 'I' is listed twice (also row 2)",
        ),
        (
            lambda f: f.head(1).with_columns(
                pl.lit("Z-9").alias("id"), pl.lit("delete").alias("action")
            ),
            "ima.xlsx:Requirements:2: id: cannot delete 'Z-9'",
        ),
    ],
)
def test_bad_rows_are_refused_with_their_row(
    cli: Any, tmp_path: Path, edit: Any, message: str
) -> None:
    book = tmp_path / "ima.xlsx"
    assert cli("export", "ima", "-o", str(book)).exit_code == 0
    sheets = _sheets(book)
    sheets["Requirements"] = edit(sheets["Requirements"])
    _save(book, sheets)
    result = cli("import", str(book), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_file_that_is_not_a_workbook_is_refused(cli: Any, tmp_path: Path) -> None:
    book = tmp_path / "x.xlsx"
    book.write_text("not a workbook", encoding="utf-8")
    result = cli("import", str(book), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "x.xlsx: cannot be read as an xlsx workbook: File is not a zip file" in result.stderr


def test_a_workbook_with_a_cell_far_from_its_table_is_refused_before_it_is_read(
    tmp_path: Path, catalog: mentorstd.Catalog
) -> None:
    import subprocess
    import sys
    import zipfile

    book = tmp_path / "eepm.xlsx"
    book.write_bytes(to_workbook(catalog.framework("eepm")))
    with zipfile.ZipFile(book) as old:
        members = {info.filename: old.read(info) for info in old.infolist()}
    sheet = next(n for n in members if n.startswith("xl/worksheets/") and n.endswith(".xml"))
    far = b'<row r="200001"><c r="XFD200001" t="inlineStr"><is><t> </t></is></c></row>'
    members[sheet] = members[sheet].replace(b"</sheetData>", far + b"</sheetData>")
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as new:
        for name, data in members.items():
            new.writestr(name, data)
    done = subprocess.run(  # a child process: were the guard to miss it, calamine aborts
        [sys.executable, "-m", "mentorstd", "import", str(book), "-o", str(tmp_path / "out")],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "the sheet's filled cells reach from A1 to XFD200001" in done.stderr


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"id,title\r\nI-1,Recruitment\r\n", "is text (CSV?), not an xlsx workbook"),
        (
            (Path(__file__).parent / "data" / "old.xls").read_bytes(),
            "is an old Excel .xls workbook (97-2003): save it as .xlsx",
        ),
    ],
)
def test_import_of_a_file_that_is_no_workbook_says_what_it_is(
    cli: Any, tmp_path: Path, content: bytes, said: str
) -> None:
    """A framework is imported from a workbook only: no advice to rename it .csv or save it
    as CSV, which is for a bundle's tables."""
    book = tmp_path / "ima.xlsx"
    book.write_bytes(content)
    result = cli("import", str(book), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"mentorstd: error: {book}: {said}"]
