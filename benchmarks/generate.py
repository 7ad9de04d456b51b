"""Deterministic synthetic bundles of any size, for the benchmarks.

``python benchmarks/generate.py N OUT`` writes a bundle with N matches and realistic
distributions: about 10 staff contacts per match-year with each of mentor and mentee (fewer
with parents), two or three training records per mentor, one screening row per mentor, surveys
for most ended matches and outcomes for most mentees. 100,000 matches give about 2.5 million
contact rows, written match by match (``benchmarks/run.py`` also times them shuffled).
"""

from __future__ import annotations

import csv
import random
import sys
from datetime import date, timedelta
from pathlib import Path

from mentorstd.metrics import add_months
from mentorstd.tables import TABLES

HEADERS = {name: [c.name for c in columns] for name, columns in TABLES.items()}
PERIOD_START = date(2024, 1, 1)
PERIOD_END = date(2025, 12, 31)
SPAN = (PERIOD_END - PERIOD_START).days

MANIFEST = """bundle_version: 1
program:
  name: Synthetic Program {n}
  model: community
  period: {{start: {start}, end: {end}}}
documents:
  - {{id: screening-policy, kind: screening-policy, path: documents/screening-policy.md,
     date: 2025-01-01}}
  - {{id: curriculum, kind: training-curriculum, path: documents/curriculum.md, date: 2025-01-01}}
practices:
  - {{requirement: "eepm:B.2.1", status: implemented, evidence: [screening-policy]}}
  - {{requirement: "eepm:B.3.2", status: implemented, evidence: [curriculum]}}
  - {{requirement: "eepm:B.6.3", status: partial}}
data:
  matches: data/matches.csv
  contacts: data/contacts.csv
  training: data/training.csv
  screening: data/screening.csv
  surveys: data/surveys.csv
  outcomes: data/outcomes.csv
"""


def generate(n_matches: int, out: Path, seed: int = 7) -> Path:
    """Write a bundle with ``n_matches`` matches into ``out``; returns ``out``."""
    rng = random.Random(seed + n_matches)
    (out / "data").mkdir(parents=True, exist_ok=True)
    (out / "documents").mkdir(exist_ok=True)
    for name in ("screening-policy", "curriculum"):
        (out / "documents" / f"{name}.md").write_text(f"# {name}\n", encoding="utf-8")
    (out / "bundle.yaml").write_text(
        MANIFEST.format(n=n_matches, start=PERIOD_START, end=PERIOD_END), encoding="utf-8"
    )
    files = {
        name: (out / "data" / f"{name}.csv").open("w", newline="", encoding="utf-8")
        for name in ("matches", "contacts", "training", "screening", "surveys", "outcomes")
    }
    w = {name: csv.writer(fh, lineterminator="\n") for name, fh in files.items()}
    w["matches"].writerow(HEADERS["matches"])
    w["contacts"].writerow(HEADERS["contacts"])
    w["training"].writerow(HEADERS["training"])
    w["screening"].writerow(HEADERS["screening"])
    w["surveys"].writerow(HEADERS["surveys"])
    w["outcomes"].writerow(HEADERS["outcomes"])
    reasons = ["mentor-withdrew", "mentee-withdrew", "family-withdrew", "rematched", "other"]
    modes = ["phone", "in-person", "video", "email"]
    for i in range(n_matches):
        match_id, mentor, mentee = f"M{i:07d}", f"A{i:07d}", f"Y{i:07d}"
        start = PERIOD_START + timedelta(days=rng.randrange(SPAN - 30))
        planned = add_months(start, 12)
        end = None
        reason = ""
        if rng.random() < 0.2:
            end = start + timedelta(days=rng.randrange(30, 330))
            reason = rng.choice(reasons)
        elif planned <= PERIOD_END:
            end = planned
            reason = "completed" if rng.random() < 0.9 else "program-ended"
        if end is not None and end > PERIOD_END:
            end, reason = None, ""
        w["matches"].writerow([match_id, mentor, mentee, start, planned, end or "", reason])
        stop = end or PERIOD_END
        month = 0
        while True:
            m_start = add_months(start, month)
            if m_start > stop:
                break
            length = (min(add_months(start, month + 1), stop) - m_start).days or 1
            for who, per_month, p in (
                ("mentor", 2 if month == 0 else 1, 0.96),
                ("mentee", 2 if month == 0 else 1, 0.95),
                ("parent", 1, 0.6),
            ):
                for _ in range(per_month):
                    if rng.random() < p:
                        day = m_start + timedelta(days=rng.randrange(length))
                        w["contacts"].writerow([match_id, day, who, modes[i % 4]])
            month += 1
        w["training"].writerow(
            [
                mentor,
                "mentor",
                start - timedelta(days=rng.randrange(3, 30)),
                rng.choice((1.5, 2, 2, 3, 6)),
                "pre-match",
                "orientation",
            ]
        )
        if rng.random() < 0.5:
            w["training"].writerow(
                [mentor, "mentor", start + timedelta(days=90), 1.5, "ongoing", "support"]
            )
        applied = start - timedelta(days=rng.randrange(40, 90))
        w["screening"].writerow(
            [
                mentor,
                applied,
                applied + timedelta(days=10),
                applied + timedelta(days=rng.randrange(5, 60)),
                rng.choice((1, 2, 2, 3)),
            ]
        )
        if end is not None:
            for role, who in (("mentor", mentor), ("mentee", mentee)):
                if rng.random() < 0.85:
                    w["surveys"].writerow(
                        [
                            who,
                            role,
                            match_id,
                            end,
                            rng.choice((2, 3, 4, 4, 5, 5)),
                            "yes" if rng.random() < 0.88 else "no",
                        ]
                    )
        if rng.random() < 0.8:
            for measure in ("attendance", "behaviour"):
                w["outcomes"].writerow(
                    [mentee, measure, 60, 65, "yes" if rng.random() < 0.7 else "no"]
                )
    for fh in files.values():
        fh.close()
    return out


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    target = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(f"bench-{size}")
    print(generate(size, target))
