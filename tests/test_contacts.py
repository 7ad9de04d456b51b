"""The contacts fast path: counts read straight from the file, in this process or a helper.

The reference everywhere is the full reader (``read_table``) and the counts computed from its
columns (``count_columns``): the fast path must give identical counts, identical reports, and
hand every file it cannot vouch for to the full reader, which then reports the same problems.
"""

from __future__ import annotations

import json
import shutil
import sys
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mentorstd
from mentorstd import _contacts, _worker
from mentorstd._calendar import add_months, month_index
from mentorstd.bundle import MAX_TABLE_BYTES, TABLES, read_table

from .conftest import EXAMPLES, ROOT

COLUMNS = frozenset(c.name for c in TABLES["contacts"])


def _generate(n_matches: int, out: Path) -> Path:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from generate import generate
    finally:
        sys.path.pop(0)
    return Path(generate(n_matches, out))


@pytest.fixture(scope="module")
def midsize(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated bundle of 2,000 matches (about 50,000 contacts)."""
    return _generate(2000, tmp_path_factory.mktemp("midsize") / "bundle")


def _summary(folder: Path, contacts: Path | None = None) -> _contacts.ContactSummary | None:
    matches = read_table(folder / "data" / "matches.csv", "matches")
    return _contacts.summarise(
        contacts or folder / "data" / "contacts.csv",
        matches["match_id"],
        matches["start_date"],
        COLUMNS,
        MAX_TABLE_BYTES,
    )


def _reference(folder: Path, contacts: Path | None = None) -> _contacts.ContactCounts:
    matches = read_table(folder / "data" / "matches.csv", "matches")
    table = read_table(contacts or folder / "data" / "contacts.csv", "contacts")
    return _contacts.count_columns(table, matches)


def _same_counts(a: _contacts.ContactCounts, b: _contacts.ContactCounts) -> bool:
    return sorted(a) == sorted(b) and all(
        np.array_equal(a[w][0], b[w][0]) and np.array_equal(a[w][1], b[w][1]) for w in a
    )


def _reports(bundle: mentorstd.Bundle, catalog: mentorstd.Catalog) -> dict[str, Any]:
    out = {}
    for fid in catalog.frameworks:
        report = json.loads(mentorstd.assess(bundle, fid, catalog).to_json())
        out[fid] = {k: v for k, v in report.items() if k not in ("generator", "assessed_on")}
    return out


@pytest.mark.parametrize("name", ["riverside", "oakfield", "northbridge", "midsize"])
def test_summary_counts_equal_counts_from_parsed_columns(name: str, midsize: Path) -> None:
    folder = midsize if name == "midsize" else EXAMPLES / name
    summary = _summary(folder)
    assert summary is not None
    assert _same_counts(summary.counts, _reference(folder))
    table = read_table(folder / "data" / "contacts.csv", "contacts")
    assert summary.n_rows == table.n_rows and summary.sha256 == table.sha256
    assert summary.distinct["mode"] == set(table["mode"]) - {None}


def test_fast_and_full_readers_give_identical_reports(
    midsize: Path, catalog: mentorstd.Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = mentorstd.load_bundle(midsize, catalog=catalog)
    assert fast.table("contacts").summary is not None  # type: ignore[union-attr]
    monkeypatch.setattr(_contacts, "summarise", lambda *a, **k: None)
    full = mentorstd.load_bundle(midsize, catalog=catalog)
    assert full.table("contacts").summary is None  # type: ignore[union-attr]
    assert _reports(fast, catalog) == _reports(full, catalog)


def test_contact_columns_are_read_when_asked_for(midsize: Path, tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(midsize, folder)
    bundle = mentorstd.load_bundle(folder)
    contacts = bundle.table("contacts")
    assert contacts is not None and contacts.columns == {}
    full = read_table(folder / "data" / "contacts.csv", "contacts")
    assert contacts["date"] == full["date"] and contacts["match_id"] == full["match_id"]
    # a file changed after loading is refused, never silently mixed in
    again = mentorstd.load_bundle(folder)
    path = folder / "data" / "contacts.csv"
    path.write_text(path.read_text(encoding="utf-8") + "M0000001,2025-01-02,mentor,phone\n")
    with pytest.raises(mentorstd.BundleError, match="changed since the bundle was loaded"):
        again.table("contacts")["with"]  # type: ignore[index]


# Each variant changes the first data row (or the header) of the example's contacts file.
VARIANTS = {
    "quoted field": lambda h, r: (h, _set_field(h, r, "with", f'"{_get(h, r, "with")}"')),
    "CRLF line ends": lambda h, r: (h, r + "\r"),
    "unknown match id": lambda h, r: (h, "NOPE" + r[r.index(",") :]),
    "impossible date": lambda h, r: (h, _set_field(h, r, "date", "2025-02-30")),
    "date out of range": lambda h, r: (h, _set_field(h, r, "date", "1899-12-31")),
    "not a date": lambda h, r: (h, _set_field(h, r, "date", "2025/01/02")),
    "unknown person": lambda h, r: (h, _set_field(h, r, "with", "teacher")),
    "blank match id": lambda h, r: (h, _set_field(h, r, "match_id", "")),
    "ragged row": lambda h, r: (h, r + ",extra"),
    "blank line": lambda h, r: (h, r + "\n"),
    "header with spaces": lambda h, r: (h.replace(",date", ", date"), r),
    "unknown column": lambda h, r: (h + ",notes", r + ",x"),
    "long free text": lambda h, r: (h, _set_field(h, r, "mode", "x" * 65)),
}


def _get(header: str, row: str, column: str) -> str:
    return row.split(",")[header.split(",").index(column)]


def _set_field(header: str, row: str, column: str, value: str) -> str:
    fields = row.split(",")
    fields[header.split(",").index(column)] = value
    return ",".join(fields)


def _variant(folder: Path, tmp_path: Path, change: Any) -> Path:
    target = tmp_path / "bundle"
    shutil.copytree(folder, target)
    path = target / "data" / "contacts.csv"
    header, first, rest = path.read_text(encoding="utf-8").split("\n", 2)
    header, first = change(header, first)
    path.write_text(f"{header}\n{first}\n{rest}", encoding="utf-8", newline="")
    return target


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_the_fast_path_leaves_what_it_cannot_vouch_for_to_the_full_reader(
    variant: str, tmp_path: Path, catalog: mentorstd.Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _variant(EXAMPLES / "riverside", tmp_path, VARIANTS[variant])
    assert _summary(folder) is None

    def outcome() -> Any:
        try:
            return _reports(mentorstd.load_bundle(folder, catalog=catalog), catalog)
        except mentorstd.BundleError as err:
            return str(err)

    first = outcome()
    monkeypatch.setattr(_contacts, "summarise", lambda *a, **k: None)
    assert outcome() == first


def test_accepted_variants_count_the_same(tmp_path: Path) -> None:
    # a byte-order mark, non-ASCII free text and a missing final newline are all plain CSV
    folder = _variant(
        EXAMPLES / "oakfield",
        tmp_path,
        lambda h, r: ("\ufeff" + h, _set_field(h, r, "mode", "vidéo")),
    )
    path = folder / "data" / "contacts.csv"
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    summary = _summary(folder)
    assert summary is not None
    assert _same_counts(summary.counts, _reference(folder))
    assert "vidéo" in summary.distinct["mode"]


def test_the_helper_process_gives_the_same_bundle(
    midsize: Path, catalog: mentorstd.Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = mentorstd.load_bundle(midsize, catalog=catalog)
    started: list[_worker.ContactsWorker] = []
    real_start = _worker.start

    def start(size: int) -> _worker.ContactsWorker | None:
        monkeypatch.setattr(_worker, "PARALLEL_MIN_BYTES", 0)
        started.append(real_start(size))  # type: ignore[arg-type]
        return started[-1]

    monkeypatch.setattr(_worker, "start", start)
    helped = mentorstd.load_bundle(midsize, catalog=catalog)
    assert started and started[0] is not None
    assert started[0].process.returncode == 0  # it answered and exited
    a, b = here.table("contacts"), helped.table("contacts")
    assert a is not None and b is not None
    assert _same_counts(a.summary, b.summary) and a.n_rows == b.n_rows
    assert _reports(here, catalog) == _reports(helped, catalog)


def test_a_failing_helper_changes_nothing(
    midsize: Path, catalog: mentorstd.Catalog, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    class Broken(_worker.ContactsWorker):
        def __init__(self) -> None:
            import subprocess

            self.version = "x"
            self.folder = tmp_path / "helper"
            self.folder.mkdir()
            self.answer = self.folder / "answer.pickle"
            self.process = subprocess.Popen(
                [sys.executable, "-c", "import sys; sys.stdin.read(); sys.exit(3)"],
                stdin=subprocess.PIPE,
            )

    monkeypatch.setattr(_worker, "start", lambda size: Broken())
    bundle = mentorstd.load_bundle(midsize, catalog=catalog)
    contacts = bundle.table("contacts")
    assert contacts is not None and contacts.summary is not None
    assert _same_counts(contacts.summary, _reference(midsize))
    assert not (tmp_path / "helper").exists()  # its folder is cleaned up


def test_with_a_helper_problems_still_come_in_table_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _variant(EXAMPLES / "riverside", tmp_path, VARIANTS["impossible date"])
    training = folder / "data" / "training.csv"
    header, first, rest = training.read_text(encoding="utf-8").split("\n", 2)
    training.write_text(f"{header}\n{_set_field(header, first, 'hours', 'lots')}\n{rest}")
    monkeypatch.setattr(_worker, "PARALLEL_MIN_BYTES", 0)
    # the helper passed the contacts file on: it goes to the full reader, not counted again
    monkeypatch.setattr(_contacts, "summarise", lambda *a, **k: pytest.fail("counted twice"))
    with pytest.raises(mentorstd.BundleError) as raised:
        mentorstd.load_bundle(folder)
    assert "contacts.csv" in str(raised.value) and "2025-02-30" in str(raised.value)
    assert "training" not in str(raised.value)


def test_no_helper_when_turned_off_or_small(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _worker.start(1000) is None
    monkeypatch.setenv("MENTORSTD_JOBS", "1")
    assert _worker.start(10**9) is None


@settings(max_examples=300, deadline=None)
@given(
    start=st.dates(date(1990, 1, 1), date(2060, 12, 31)),
    day=st.dates(date(1990, 1, 1), date(2060, 12, 31)),
)
def test_month_index_is_the_last_month_boundary_reached(start: date, day: date) -> None:
    s, d = start.toordinal(), day.toordinal()
    k = month_index(s, d)
    assert add_months(s, k) <= d < add_months(s, k + 1)
