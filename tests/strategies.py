"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

from hypothesis import strategies as st

from mentorstd.crosswalk import RELATIONS

relations = st.sampled_from(RELATIONS)
relation_paths = st.lists(relations, min_size=1, max_size=6)
confidences = st.sampled_from(("low", "medium", "high"))

# -- bundles -----------------------------------------------------------------------------------

import datetime as dt  # noqa: E402  (grouped with the strategies that use it)
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import yaml  # noqa: E402

PERIOD = (dt.date(2024, 1, 1), dt.date(2025, 12, 31))
_days = st.integers(min_value=0, max_value=(PERIOD[1] - PERIOD[0]).days)
REQUIREMENTS = ["eepm:B.2.1", "eepm:B.3.2", "ima:III-3", "uk_school:4.1", "npss:equity"]


def _iso(offset: int) -> str:
    return (PERIOD[0] + dt.timedelta(days=offset)).isoformat()


@st.composite
def bundles(draw: st.DrawFn) -> dict[str, Any]:
    """A valid bundle as data: manifest dict and table rows (written by write_bundle)."""
    n = draw(st.integers(min_value=1, max_value=12))
    mentors = [f"A{i}" for i in range(draw(st.integers(min_value=1, max_value=n)))]
    matches = []
    for i in range(n):
        start = draw(_days)
        planned = start + draw(st.integers(min_value=30, max_value=500))
        ended = draw(st.booleans()) and start < (PERIOD[1] - PERIOD[0]).days
        end = (
            draw(st.integers(min_value=start, max_value=(PERIOD[1] - PERIOD[0]).days))
            if ended
            else None
        )
        matches.append(
            {
                "match_id": f"M{i}",
                "mentor_id": draw(st.sampled_from(mentors)),
                "mentee_id": f"Y{i}",
                "start_date": _iso(start),
                "planned_end_date": (PERIOD[0] + dt.timedelta(days=planned)).isoformat(),
                "end_date": _iso(end) if end is not None else None,
                "closure_reason": draw(st.sampled_from(["completed", "mentor-withdrew", "other"]))
                if end is not None
                else None,
            }
        )
    ids = [m["match_id"] for m in matches]
    contacts = [
        {
            "match_id": draw(st.sampled_from(ids)),
            "date": _iso(draw(_days)),
            "with": draw(st.sampled_from(["mentor", "mentee", "parent"])),
        }
        for _ in range(draw(st.integers(min_value=0, max_value=40)))
    ]
    training = [
        {
            "person_id": draw(st.sampled_from(mentors)),
            "role": "mentor",
            "date": _iso(draw(_days)),
            "hours": draw(st.sampled_from([0, 0.5, 1, 2, 2.5, 6])),
            "phase": draw(st.sampled_from(["pre-match", "ongoing"])),
        }
        for _ in range(draw(st.integers(min_value=0, max_value=15)))
    ]
    screening = [
        {
            "mentor_id": m,
            "interview_date": _iso(draw(_days)),
            "background_check_date": draw(st.one_of(st.none(), _days.map(_iso))),
            "references_checked": draw(st.integers(min_value=0, max_value=4)),
        }
        for m in mentors
    ]
    surveys = [
        {
            "respondent_id": f"R{i}",
            "role": draw(st.sampled_from(["mentor", "mentee"])),
            "satisfaction": draw(st.one_of(st.none(), st.integers(1, 5))),
            "reports_success": draw(st.sampled_from([None, "yes", "no"])),
        }
        for i in range(draw(st.integers(min_value=0, max_value=10)))
    ]
    outcomes = [
        {
            "mentee_id": draw(st.sampled_from([m["mentee_id"] for m in matches])),
            "measure": draw(st.sampled_from(["attendance", "behaviour", "attainment"])),
            "improved": draw(st.sampled_from([None, "yes", "no"])),
        }
        for _ in range(draw(st.integers(min_value=0, max_value=10)))
    ]
    practices = [
        {
            "requirement": r,
            "status": draw(
                st.sampled_from(
                    ["implemented", "partial", "planned", "not-implemented", "not-applicable"]
                )
            ),
        }
        for r in draw(st.lists(st.sampled_from(REQUIREMENTS), unique=True, max_size=4))
    ]
    manifest = {
        "bundle_version": 1,
        "program": {
            "name": "Generated",
            "model": "community",
            "period": {"start": PERIOD[0].isoformat(), "end": PERIOD[1].isoformat()},
        },
        "documents": [{"id": "policy", "kind": "screening-policy", "path": "documents/policy.md"}],
        "practices": practices,
        "data": {
            t: f"data/{t}.csv"
            for t in ("matches", "contacts", "training", "screening", "surveys", "outcomes")
        },
    }
    return {
        "manifest": manifest,
        "tables": {
            "matches": matches,
            "contacts": contacts,
            "training": training,
            "screening": screening,
            "surveys": surveys,
            "outcomes": outcomes,
        },
    }


def write_bundle(data: dict[str, Any], folder: Path) -> Path:
    """Write a bundle made by :func:`bundles` into ``folder``."""
    from mentorstd.tables import TABLES

    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "documents").mkdir(exist_ok=True)
    (folder / "documents" / "policy.md").write_text("policy\n", encoding="utf-8")
    for name, rows in data["tables"].items():
        columns = [c.name for c in TABLES[name] if not c.optional_column]
        lines = [",".join(columns)] + [
            ",".join("" if r.get(c) is None else str(r[c]) for c in columns) for r in rows
        ]
        (folder / "data" / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "bundle.yaml").write_text(
        yaml.safe_dump(data["manifest"], sort_keys=False), encoding="utf-8"
    )
    return folder


# Ways to damage a valid bundle on disk: each takes the folder and a drawn value.
MUTATIONS = (
    "cell",
    "drop-column",
    "ragged",
    "manifest-bytes",
    "table-bytes",
    "requirement",
    "date",
    "path",
)
