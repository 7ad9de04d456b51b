"""The personal-data heuristic: what it catches, what it must not flag, and its cost."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import mentorstd
from mentorstd.privacy import GIVEN_NAMES, looks_personal, scan_tables

from .conftest import EXAMPLES, BundleFactory
from .test_metrics import MATCHES, TRAINING


@pytest.mark.parametrize(
    "value",
    [
        "Maria_Gonzalez",
        "MARIA_GONZALEZ",
        "maria.gonzalez1",
        "john.smith",
        "Ana Maria de Cruz",
        "Jose-Luis-Garcia-Lopez",
        "Maria",
        "FATIMA",
    ],
)
def test_name_like_ids_are_caught(value: str) -> None:
    assert looks_personal(value, is_id=True) == "a person's name"


@pytest.mark.parametrize(
    "value",
    [
        "M-017",
        "RV-M001",
        "NB-MT001",
        "OA-M001",
        "A1",
        "NB-MT",
        "M017",
        "2024-17",
        # codes in lower case or capitals that are shaped like words, not names
        "nb-mt001",
        "ab-cd12",
        "site-ab1",
        "mentor.ab",
        "NYC-BRONX",
    ],
)
def test_code_ids_are_not_names(value: str) -> None:
    assert looks_personal(value, is_id=True) is None


@pytest.mark.parametrize(
    "value",
    [
        "session with Maria Gonzalez",
        "call MARIA GONZALEZ back",
        "met Maria de la Cruz at school",
        "maria.gonzalez1 attended",
        "pairing for david_okafor",
    ],
)
def test_names_in_free_text_are_caught(value: str) -> None:
    assert looks_personal(value) == "a person's name"


@pytest.mark.parametrize(
    "value",
    [
        "mentor orientation and training",
        "Child Safeguarding Basics",
        "May Review with Grace",  # everyday words that are also names are left out
        "Mark Scheme and Art Club",
        "in-person",
        "dilemma Training",
        "what to expect from mentoring",
        "planning with Sarah and the team",  # a given name alone is not caught (a limit)
    ],
)
def test_ordinary_text_is_not_flagged(value: str) -> None:
    assert looks_personal(value) is None


def test_the_given_names_are_not_everyday_words() -> None:
    everyday = {"may", "mark", "grace", "will", "hope", "art", "june", "rose", "joy", "bill"}
    assert not GIVEN_NAMES & everyday
    assert all(name.isalpha() and name.islower() for name in GIVEN_NAMES)


@pytest.mark.parametrize(
    ("table", "rows", "column"),
    [
        ("matches", [{**MATCHES[0], "mentor_id": "MARIA_GONZALEZ"}], 2),
        ("matches", [{**MATCHES[0], "mentee_id": "maria.gonzalez1"}], 3),
        ("training", [{**TRAINING[0], "topic": "catch-up with Maria Gonzalez"}], 6),
    ],
)
def test_the_widened_guard_stops_the_run_at_the_cell(
    make_bundle: BundleFactory, table: str, rows: list[dict[str, object]], column: int
) -> None:
    tables = {"matches": MATCHES, table: rows}
    bundle = make_bundle(tables=tables)
    with pytest.raises(mentorstd.BundleError, match=rf"^data/{table}\.csv:2:{column}: .*name"):
        mentorstd.load_bundle(bundle)
    assert mentorstd.load_bundle(bundle, allow_personal_data=True)


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir()))
def test_no_false_alarm_on_the_shipped_examples(name: str, catalog: mentorstd.Catalog) -> None:
    loaded = mentorstd.load_bundle(EXAMPLES / name, catalog=catalog)
    assert scan_tables(loaded.tables, is_id=True) is None
    assert scan_tables(loaded.tables, is_id=False) is None


def test_the_prefilter_lets_every_hit_through() -> None:
    """The polars prefilter may pass too much, never too little."""
    from mentorstd.privacy import _suspect

    ids = ["MARIA_GONZALEZ", "maria.gonzalez1", "Maria", "Ana Maria de Cruz", "M-017"]
    texts = ["with Maria Gonzalez", "maria.gonzalez1 called", "jo@example.org", "training"]
    for values, is_id in ((ids, True), (texts, False)):
        flags = pl.DataFrame({"v": values}).select(_suspect(pl.col("v"), is_id)).to_series()
        passed = dict(zip(values, flags.to_list(), strict=True))
        for value in values:
            if looks_personal(value, is_id=is_id):
                assert passed[value], value


def test_a_personal_id_is_said_before_personal_text_of_an_earlier_table(
    make_bundle: BundleFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each table is scanned on its own thread as it is read; what is said is what one scan
    of the whole bundle says: ids before free text, tables in order."""
    from mentorstd import bundle as bundle_module

    contacts = [
        {"match_id": "M1", "date": "2025-02-01", "with": "mentor", "mode": "with Maria Gonzalez"}
    ]
    training = [{**TRAINING[0], "person_id": "MARIA_GONZALEZ"}]
    path = make_bundle(tables={"matches": MATCHES, "contacts": contacts, "training": training})
    messages = []
    for budget in (bundle_module.SIDE_BY_SIDE_BYTES, 0):  # side by side, then one by one
        monkeypatch.setattr(bundle_module, "SIDE_BY_SIDE_BYTES", budget)
        with pytest.raises(mentorstd.BundleError) as raised:
            mentorstd.load_bundle(path)
        messages.append(str(raised.value))
    assert messages[0] == messages[1]
    assert messages[0].startswith("data/training.csv:2:1: person_id: 'MARIA_GONZALEZ' looks like")
    loaded = mentorstd.load_bundle(path, allow_personal_data=True)
    assert str(scan_tables(loaded.tables, is_id=True)) == messages[0]
    assert "Maria Gonzalez" in str(scan_tables(loaded.tables, is_id=False))


def test_the_catalog_may_come_from_a_function_called_once(catalog: mentorstd.Catalog) -> None:
    calls = []

    def give() -> mentorstd.Catalog:
        calls.append(1)
        return catalog

    loaded = mentorstd.load_bundle(EXAMPLES / "riverside", catalog=give)
    assert calls == [1]
    assert loaded.table("matches") is not None


def test_personal_data_is_said_in_the_run_that_stops_on_other_problems(
    tmp_path: Path, catalog: mentorstd.Catalog
) -> None:
    import shutil

    folder = tmp_path / "riverside"
    shutil.copytree(EXAMPLES / "riverside", folder)
    data = folder / "data"
    matches = (data / "matches.csv").read_text(encoding="utf-8")
    (data / "matches.csv").write_text(matches.replace("2025-12-08", "12/08/2025", 1))
    screening = (data / "screening.csv").read_text(encoding="utf-8")
    (data / "screening.csv").write_text(screening.replace("RV-M002,", "john.smith,", 1))
    with pytest.raises(mentorstd.BundleError) as info:
        mentorstd.load_bundle(folder, catalog=catalog)
    lines = info.value.lines()
    assert lines[0].startswith("data/matches.csv:2:4: start_date: '12/08/2025' is not a date")
    assert lines[-1].startswith(
        "data/screening.csv:3:1: mentor_id: 'john.smith' looks like a person's name"
    )
