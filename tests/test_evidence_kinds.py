"""The evidence vocabulary: `mentorstd evidence-kinds`, aliases from the frameworks' own
evidence lists, and an unknown kind in a bundle as a warning that suggests, never an error."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mentorstd

from .conftest import BundleFactory


def test_the_command_lists_every_kind_with_its_aliases(
    cli: Callable[..., Any], catalog: mentorstd.Catalog
) -> None:
    result = cli("evidence-kinds", "--format", "json")
    assert result.exit_code == 0
    listed = json.loads(result.stdout)
    assert [k["id"] for k in listed] == list(catalog.evidence_kinds)
    assert set(listed[0]) == {"id", "title", "description", "aliases"}
    text = cli("evidence-kinds").stdout
    assert "training-schedule" in text and "training agendas" in text


def test_ima_evidence_names_are_aliases_of_one_kind_each(catalog: mentorstd.Catalog) -> None:
    owner: dict[str, str] = {}
    for kind in catalog.evidence_kinds.values():
        for alias in kind.aliases:
            assert alias.casefold() not in owner, (alias, owner.get(alias.casefold()), kind.id)
            owner[alias.casefold()] = kind.id
    # names printed in IMA's "Potential Sources of Evidence" columns
    assert owner["job descriptions and postings"] == "staffing-plan"
    assert owner["training agendas"] == "training-schedule"
    assert owner["attendance forms"] == "training-records"


def _bundle(make_bundle: BundleFactory, kind: str) -> Path:
    return make_bundle(
        documents=[{"id": "policy", "kind": kind, "path": "documents/policy.md"}],
        practices=[{"requirement": "eepm:B.2.1", "status": "implemented", "evidence": ["policy"]}],
    )


def test_an_alias_names_its_kind(make_bundle: BundleFactory) -> None:
    bundle = mentorstd.load_bundle(_bundle(make_bundle, "Training Agendas"))
    assert bundle.documents["policy"].ref.kind == "training-schedule"
    assert bundle.warnings == []


def test_an_unknown_kind_is_a_warning_with_a_suggestion(
    make_bundle: BundleFactory, cli: Callable[..., Any]
) -> None:
    folder = _bundle(make_bundle, "screening polcy")
    bundle = mentorstd.load_bundle(folder)
    # the document still counts where a practice cites it by id
    assert "policy" in bundle.documents
    assert bundle.practices["eepm:B.2.1"].evidence == ["policy"]
    (note,) = bundle.warnings
    assert note.startswith("bundle.yaml:")
    assert "unknown evidence kind 'screening polcy' (did you mean 'screening-policy'?" in note
    result = cli("validate", str(folder), "--framework", "eepm", "--format", "json")
    assert result.exit_code == 0
    assert result.stderr.startswith("mentorstd: note: bundle.yaml:")
