"""Generate the example evidence bundles in ``examples/bundles/`` (deterministic).

Three fictional programs, each with documents and all six core tables (northbridge also
keeps a meetings table, for the meeting-dosage indicator):

* ``riverside``   Riverside Youth Mentoring, a US community program (180 matches)
* ``oakfield``    Oakfield Academy Mentoring Scheme, a UK school scheme (120 matches)
* ``northbridge`` Northbridge New Teacher Induction, a workplace (teacher induction) program
  (64 matches)
* ``riverside-export`` the same records as ``riverside`` in "export dress", as a mentoring
  database hands them over: its own headers, US dates, capitalised values, BOM and CRLF, one
  semicolon file, the contacts as an xlsx sheet with real date cells, a profile that maps it
  all, and the attestations in a self-assessment sheet. Its reports equal riverside's.

Every name, id and number is invented. Run ``python examples/make_bundles.py`` to rewrite them;
the output is identical on every run (fixed seeds, no clock).
"""

from __future__ import annotations

import csv
import io
import random
import shutil
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import xlsxwriter
import yaml

from mentorstd.metrics import add_months
from mentorstd.tables import TABLES

HEADERS = {name: [c.name for c in columns] for name, columns in TABLES.items()}
HERE = Path(__file__).resolve().parent
OUT = HERE / "bundles"


@dataclass
class Profile:
    """How one fictional program behaves."""

    slug: str
    name: str
    model: str
    seed: int
    n_matches: int
    period_start: date
    period_end: date
    planned_months: int
    mentor_prefix: str
    mentee_prefix: str
    survey_roles: tuple[str, ...]
    measures: tuple[str, ...]
    completion_p: float  # chance an ended match closes as completed
    early_end_p: float  # chance a match ends before its planned end
    pre_hours: tuple[float, ...]  # pre-match hours options per mentor
    short_training_p: float  # chance a mentor's training falls short or comes late
    late_check_p: float  # chance a background check is dated after the match starts
    one_reference_p: float
    contact_p: float  # chance each required staff contact happens
    parent_contact_p: float
    satisfaction: dict[str, tuple[int, ...]]  # score weights 1..5 per role
    success_p: dict[str, float]
    improve_p: dict[str, float]
    documents: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    practices: list[tuple[str, str, list[str], str | None]] = field(default_factory=list)
    nqms: str | None = None
    meetings_per_month: tuple[int, ...] = ()  # mentor-mentee meetings a month (no table: empty)


RIVERSIDE = Profile(
    slug="riverside",
    name="Riverside Youth Mentoring",
    model="community",
    seed=11,
    n_matches=180,
    period_start=date(2024, 9, 1),
    period_end=date(2026, 6, 30),
    planned_months=12,
    mentor_prefix="RV-M",
    mentee_prefix="RV-Y",
    survey_roles=("mentor", "mentee", "parent"),
    measures=("attitude", "behaviour", "attendance"),
    completion_p=0.86,
    early_end_p=0.18,
    pre_hours=(2.0, 2.5, 3.0, 6.0),
    short_training_p=0.06,
    late_check_p=0.03,
    one_reference_p=0.05,
    contact_p=0.97,
    parent_contact_p=0.85,
    satisfaction={
        "mentor": (1, 2, 8, 40, 49),
        "mentee": (1, 2, 6, 35, 56),
        "parent": (1, 3, 10, 40, 46),
    },
    success_p={"mentor": 0.83, "mentee": 0.88, "parent": 0.8},
    improve_p={"attitude": 0.74, "behaviour": 0.66, "attendance": 0.61},
    documents=[
        (
            "recruitment-plan",
            "recruitment-plan",
            "documents/recruitment-plan.md",
            "2025-08-15",
            "Mentor and youth recruitment plan 2025-26",
        ),
        (
            "eligibility",
            "eligibility-criteria",
            "documents/eligibility-criteria.md",
            "2025-08-15",
            "Mentor and mentee eligibility criteria",
        ),
        (
            "mentor-application",
            "application-form",
            "documents/mentor-application.md",
            "2024-08-01",
            "Mentor application form",
        ),
        (
            "screening-policy",
            "screening-policy",
            "documents/screening-policy.md",
            "2025-07-01",
            "Mentor screening policy",
        ),
        (
            "training-curriculum",
            "training-curriculum",
            "documents/training-curriculum.md",
            "2025-08-20",
            "Pre-match mentor training curriculum",
        ),
        (
            "risk-policy",
            "risk-management-policy",
            "documents/risk-management-policy.md",
            "2025-07-01",
            "Child safety and risk-management policy",
        ),
        (
            "match-agreement",
            "commitment-agreement",
            "documents/match-agreement.md",
            "2024-08-01",
            "Match commitment agreement",
        ),
        (
            "matching-policy",
            "matching-policy",
            "documents/matching-policy.md",
            "2024-08-01",
            "Matching criteria and procedure",
        ),
        (
            "support-procedure",
            "monitoring-policy",
            "documents/match-support-procedure.md",
            "2025-07-01",
            "Match support and check-in procedure",
        ),
        (
            "closure-policy",
            "closure-policy",
            "documents/closure-policy.md",
            "2023-05-10",
            "Match closure policy",
        ),
        (
            "theory-of-change",
            "theory-of-change",
            "documents/theory-of-change.md",
            "2024-06-01",
            "Theory of change",
        ),
        (
            "nqms-plan",
            "improvement-plan",
            "documents/improvement-plan.md",
            "2025-11-20",
            "NQMS Improvement and Innovation Plan 2025-28",
        ),
    ],
    practices=[
        ("eepm:B.1.1", "implemented", ["recruitment-plan"], None),
        ("eepm:B.2.1", "implemented", ["eligibility"], None),
        ("eepm:B.2.2", "implemented", ["mentor-application"], None),
        ("eepm:B.2.4", "implemented", ["screening-policy"], None),
        ("eepm:B.3.2", "implemented", ["training-curriculum"], None),
        ("eepm:B.3.3", "implemented", ["risk-policy", "training-curriculum"], None),
        ("eepm:B.4.1", "implemented", ["matching-policy"], None),
        (
            "eepm:B.4.3",
            "partial",
            [],
            "Staff attend most first meetings; evening meetings are sometimes held without staff.",
        ),
        ("eepm:B.5.2", "implemented", ["support-procedure"], None),
        ("eepm:B.6.3", "planned", [], "Exit interviews start in the 2026-27 year."),
        ("eepm:B.6.5", "not-implemented", [], None),
        ("eepm:E.1.1", "implemented", [], None),
        ("eepm:PPM.1", "implemented", ["theory-of-change"], None),
        (
            "eepm:B.1.5",
            "not-applicable",
            [],
            "Youth do not recruit their own mentors in this community model.",
        ),
        ("ima:VI-1", "partial", [], "Annual survey in place; no external review yet."),
    ],
    nqms="""nqms:
  self_assessment_completed: 2025-10-06
  review_meeting: 2025-11-12
  plan_goals:
    - {id: G1, requirement: "eepm:B.6.3", status: open,
       title: Introduce exit interviews for every closing match}
    - {id: G2, requirement: "eepm:B.5.3", status: done, done_on: 2026-03-02,
       title: Monthly check-ins with parents or guardians}
    - {id: G3, requirement: "eepm:B.6.5", status: done, done_on: 2026-05-18,
       title: Publish the post-closure contact policy}
    - {id: G4, requirement: "eepm:B.3.1", status: open,
       title: Every mentor completes pre-match training before matching}
""",
)

OAKFIELD = Profile(
    slug="oakfield",
    name="Oakfield Academy Mentoring Scheme",
    model="school",
    seed=23,
    n_matches=120,
    period_start=date(2024, 9, 2),
    period_end=date(2026, 7, 17),
    planned_months=9,
    mentor_prefix="OA-M",
    mentee_prefix="OA-S",
    survey_roles=("mentor", "mentee", "teacher"),
    measures=("attendance", "behaviour", "attitude", "attainment"),
    completion_p=0.97,
    early_end_p=0.08,
    pre_hours=(1.5, 2.0, 3.0),
    short_training_p=0.1,
    late_check_p=0.02,
    one_reference_p=0.1,
    contact_p=0.9,
    parent_contact_p=0.55,
    satisfaction={
        "mentor": (2, 6, 22, 42, 28),
        "mentee": (1, 3, 12, 44, 40),
        "teacher": (1, 4, 15, 50, 30),
    },
    success_p={"mentor": 0.86, "mentee": 0.92, "teacher": 0.8},
    improve_p={"attendance": 0.9, "behaviour": 0.88, "attitude": 0.93, "attainment": 0.84},
    documents=[
        (
            "mentoring-policy",
            "policy-manual",
            "documents/mentoring-policy.md",
            "2025-09-01",
            "Whole-school mentoring policy",
        ),
        (
            "coordinator-role",
            "staffing-plan",
            "documents/coordinator-role.md",
            "2024-07-01",
            "Mentoring coordinator job description",
        ),
        (
            "kpi-targets",
            "targets-and-kpis",
            "documents/kpi-targets.md",
            "2025-09-01",
            "Mentoring scheme targets 2025-26",
        ),
        (
            "student-skills",
            "training-curriculum",
            "documents/student-skills-sessions.md",
            "2025-09-10",
            "Interpersonal skills sessions for mentees",
        ),
        (
            "end-of-scheme-report",
            "evaluation-report",
            "documents/end-of-scheme-report.md",
            "2025-07-20",
            "End-of-scheme evaluation 2024-25",
        ),
        (
            "parent-letters",
            "family-engagement-records",
            "documents/parent-letters.md",
            "2026-02-01",
            "Termly progress letters to parents",
        ),
        ("budget", "budget", "documents/budget.md", "2025-04-01", "Mentoring budget 2025-26"),
        (
            "press",
            "communications-materials",
            "documents/press-coverage.md",
            "2026-03-14",
            "Local press coverage",
        ),
    ],
    practices=[
        ("uk_school:1.2", "implemented", ["end-of-scheme-report"], None),
        ("uk_school:3.1", "implemented", [], "Head of year appraises the coordinator each term."),
        (
            "uk_school:3.2",
            "partial",
            [],
            "Recruitment from local businesses; diversity not yet monitored.",
        ),
        ("uk_school:3.3", "planned", [], None),
        ("uk_school:4.1", "implemented", ["coordinator-role"], None),
        ("uk_school:4.3", "implemented", [], None),
        ("uk_school:5.3", "implemented", [], None),
        ("uk_school:6.1", "implemented", ["kpi-targets"], None),
        ("uk_school:8.3", "implemented", ["press"], None),
    ],
)

NORTHBRIDGE = Profile(
    slug="northbridge",
    name="Northbridge New Teacher Induction",
    meetings_per_month=(1, 2, 3, 4, 4, 5),
    model="workplace",
    seed=37,
    n_matches=64,
    period_start=date(2024, 8, 15),
    period_end=date(2026, 6, 30),
    planned_months=12,
    mentor_prefix="NB-MT",
    mentee_prefix="NB-NT",
    survey_roles=("mentor", "mentee"),
    measures=("attitude", "attainment"),
    completion_p=0.93,
    early_end_p=0.08,
    pre_hours=(6.0, 8.0, 12.0),
    short_training_p=0.03,
    late_check_p=0.0,
    one_reference_p=0.0,
    contact_p=0.8,
    parent_contact_p=0.0,
    satisfaction={"mentor": (0, 2, 10, 48, 40), "mentee": (1, 3, 9, 40, 47)},
    success_p={"mentor": 0.9, "mentee": 0.91},
    improve_p={"attitude": 0.9, "attainment": 0.87},
    documents=[
        (
            "program-design",
            "program-design",
            "documents/program-design.md",
            "2024-06-30",
            "Induction program design and research base",
        ),
        (
            "goals",
            "mission-and-goals",
            "documents/program-goals.md",
            "2025-08-01",
            "Program goals and learning outcomes",
        ),
        ("budget", "budget", "documents/budget.md", "2025-07-01", "Induction budget 2025-26"),
        (
            "selection-criteria",
            "eligibility-criteria",
            "documents/mentor-selection-criteria.md",
            "2024-06-30",
            "Mentor selection criteria",
        ),
        (
            "matching",
            "matching-policy",
            "documents/matching-process.md",
            "2024-06-30",
            "Matching process",
        ),
        (
            "mentor-training",
            "training-curriculum",
            "documents/mentor-training.md",
            "2025-08-01",
            "Initial mentor training curriculum",
        ),
        (
            "formative-tools",
            "assessment-tools",
            "documents/formative-assessment-tools.md",
            "2025-08-01",
            "Formative assessment tools",
        ),
        (
            "learning-plans",
            "development-plan",
            "documents/learning-plan-template.md",
            "2025-08-01",
            "Individual learning plan template",
        ),
        (
            "conduct",
            "code-of-conduct",
            "documents/confidentiality-agreement.md",
            "2024-06-30",
            "Mentor confidentiality and conduct agreement",
        ),
        (
            "evaluation",
            "evaluation-report",
            "documents/annual-evaluation.md",
            "2025-07-15",
            "Annual program evaluation 2024-25",
        ),
    ],
    practices=[
        ("ima:I-1", "implemented", ["program-design"], None),
        ("ima:I-2", "implemented", ["goals"], None),
        ("ima:I-7", "implemented", ["conduct"], None),
        ("ima:II-2", "partial", ["budget"], "Leadership time is allocated; no oversight team."),
        ("ima:III-1", "implemented", ["selection-criteria"], None),
        ("ima:III-2", "implemented", ["matching"], None),
        ("ima:III-3", "planned", [], None),
        ("ima:IV-1", "implemented", ["mentor-training"], None),
        ("ima:V-1", "implemented", ["learning-plans", "formative-tools"], None),
        ("ima:V-5", "implemented", [], "Formative records are kept separate from appraisal."),
        ("ima:VI-1", "implemented", ["evaluation"], None),
        ("eepm:B.5.3", "not-applicable", [], "Adult mentees: no parent or guardian."),
        ("eepm:B.2.10", "not-applicable", [], "Adult mentees: no parent or guardian."),
    ],
)

PROFILES = (RIVERSIDE, OAKFIELD, NORTHBRIDGE)


def weighted(rng: random.Random, weights: tuple[int, ...]) -> int:
    return rng.choices(range(1, len(weights) + 1), weights=weights)[0]


def generate(profile: Profile, root: Path) -> None:
    rng = random.Random(profile.seed)
    folder = root / profile.slug
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "data").mkdir(parents=True)
    (folder / "documents").mkdir()
    p = profile
    matches, contacts, training, screening, surveys, outcomes = [], [], [], [], [], []
    span = (p.period_end - p.period_start).days - 60
    mentor_no = 0
    rematch_pool: list[str] = []
    first_start: dict[str, date] = {}
    for i in range(1, p.n_matches + 1):
        match_id = f"{p.slug[:2].upper()}-{i:04d}"
        if rematch_pool and rng.random() < 0.5:
            mentor = rematch_pool.pop(0)
        else:
            mentor_no += 1
            mentor = f"{p.mentor_prefix}{mentor_no:03d}"
        mentee = f"{p.mentee_prefix}{i:03d}"
        start = p.period_start + timedelta(days=rng.randrange(0, span))
        if mentor in first_start and start <= first_start[mentor]:
            start = first_start[mentor] + timedelta(days=rng.randrange(200, 260))
        first_start.setdefault(mentor, start)
        planned = add_months(start, p.planned_months)
        end = None
        reason = ""
        if rng.random() < p.early_end_p:
            end = start + timedelta(days=rng.randrange(40, max(41, (planned - start).days - 10)))
            reason = rng.choice(
                ["mentor-withdrew", "mentee-withdrew", "family-withdrew", "rematched", "other"]
            )
            if reason == "rematched":
                rematch_pool.append(mentor)
        elif planned <= p.period_end:
            end = planned + timedelta(days=rng.randrange(0, 20))
            end = min(end, p.period_end)
            reason = "completed" if rng.random() < p.completion_p else "program-ended"
        if end is not None and end > p.period_end:
            end, reason = None, ""
        matches.append(
            [
                match_id,
                mentor,
                mentee,
                start.isoformat(),
                planned.isoformat(),
                end.isoformat() if end else "",
                reason,
            ]
        )
        # staff contacts: two in month 1, then monthly, each with some chance of being missed
        stop = min(end or p.period_end, p.period_end)
        month = 0
        while add_months(start, month) <= stop:
            m_start = add_months(start, month)
            m_end = min(add_months(start, month + 1) - timedelta(days=1), stop)
            need = 2 if month == 0 else 1
            people = ["mentor", "mentee"] + (["parent"] if p.parent_contact_p else [])
            for who in people:
                chance = p.parent_contact_p if who == "parent" else p.contact_p
                for _ in range(need + (1 if rng.random() < 0.15 else 0)):
                    if rng.random() < chance and m_end >= m_start:
                        day = m_start + timedelta(days=rng.randrange(0, (m_end - m_start).days + 1))
                        mode = rng.choice(["phone", "in-person", "video", "email"])
                        contacts.append([match_id, day.isoformat(), who, mode])
            month += 1
        # surveys at the end (or at the period end for long-running matches)
        survey_day = min(end or p.period_end, p.period_end)
        if (survey_day - start).days > 90:
            for role in p.survey_roles:
                if rng.random() < 0.85:
                    respondent = {"mentor": mentor, "mentee": mentee}.get(
                        role, f"{p.slug[:2].upper()}-{role[0].upper()}{i:03d}"
                    )
                    score = weighted(rng, p.satisfaction[role])
                    success = "yes" if rng.random() < p.success_p[role] else "no"
                    surveys.append(
                        [respondent, role, match_id, survey_day.isoformat(), str(score), success]
                    )
        # outcomes for mentees whose match ran at least five months
        if (survey_day - start).days > 150:
            for measure in p.measures:
                if rng.random() < 0.9:
                    improved = rng.random() < p.improve_p[measure]
                    base = rng.randint(40, 85)
                    follow = base + (rng.randint(1, 12) if improved else -rng.randint(0, 6))
                    outcomes.append(
                        [mentee, measure, str(base), str(follow), "yes" if improved else "no"]
                    )
    for mentor, start in sorted(first_start.items()):
        applied = start - timedelta(days=rng.randrange(40, 90))
        interview = applied + timedelta(days=rng.randrange(5, 20))
        check = applied + timedelta(days=rng.randrange(10, 30))
        if rng.random() < p.late_check_p:
            check = start + timedelta(days=rng.randrange(3, 20))
        refs = 1 if rng.random() < p.one_reference_p else rng.choice([2, 2, 3])
        screening.append(
            [mentor, applied.isoformat(), interview.isoformat(), check.isoformat(), str(refs)]
        )
        hours = rng.choice(p.pre_hours)
        day = start - timedelta(days=rng.randrange(3, 25))
        if rng.random() < p.short_training_p:
            if rng.random() < 0.5:
                hours = 1.0
            else:
                day = start + timedelta(days=rng.randrange(2, 14))
        training.append(
            [
                mentor,
                "mentor",
                day.isoformat(),
                f"{hours:g}",
                "pre-match",
                "mentor orientation and training",
            ]
        )
        for k in range(rng.randrange(0, 3)):
            later = start + timedelta(days=60 + 90 * k)
            if later <= p.period_end:
                training.append(
                    [
                        mentor,
                        "mentor",
                        later.isoformat(),
                        "1.5",
                        "ongoing",
                        rng.choice(
                            [
                                "relationship building",
                                "supporting goals",
                                "closure",
                                "safeguarding refresher",
                            ]
                        ),
                    ]
                )
    for row in matches:
        if rng.random() < 0.6:
            day = date.fromisoformat(row[3]) - timedelta(days=rng.randrange(1, 14))
            training.append(
                [
                    row[2],
                    "mentee",
                    day.isoformat(),
                    "1",
                    "pre-match",
                    "what to expect from mentoring",
                ]
            )
    meetings = _meetings(p, matches)
    tables = {
        "matches": matches,
        "contacts": sorted(contacts),
        "training": training,
        "screening": screening,
        "surveys": surveys,
        "outcomes": outcomes,
        **({"meetings": meetings} if meetings else {}),
    }
    for name, rows in tables.items():
        header = HEADERS[name]
        with (folder / "data" / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
    for _id, kind, rel, day, title in p.documents:
        (folder / rel).write_text(document_text(p, kind, title, day), encoding="utf-8")
    (folder / "bundle.yaml").write_text(manifest(p), encoding="utf-8")


def _meetings(p: Profile, matches: list[list[str]]) -> list[list[str]]:
    """Mentor-mentee meetings in every month of each match, from a random stream of their own
    (so the other tables do not change when a profile gains meetings)."""
    if not p.meetings_per_month:
        return []
    rng = random.Random(p.seed * 1000 + 18)
    rows = []
    for match_id, _mentor, _mentee, start_text, _planned, end_text, _reason in matches:
        start = date.fromisoformat(start_text)
        stop = min(date.fromisoformat(end_text) if end_text else p.period_end, p.period_end)
        month = 0
        while add_months(start, month) <= stop:
            m_start = add_months(start, month)
            m_end = min(add_months(start, month + 1) - timedelta(days=1), stop)
            for _ in range(rng.choice(p.meetings_per_month)):
                day = m_start + timedelta(days=rng.randrange(0, (m_end - m_start).days + 1))
                minutes = rng.choice((30, 45, 60, 90))
                rows.append([match_id, day.isoformat(), str(minutes), rng.choice(_MODES)])
            month += 1
    return sorted(rows)


_MODES = ("in-person", "in-person", "video")


def document_text(p: Profile, kind: str, title: str, day: str) -> str:
    return (
        f"# {title}\n\n{p.name} (fictional example program) · {day}\n\n"
        f"This is a placeholder for the program's {kind.replace('-', ' ')}. A real bundle holds "
        "the program's own document here (PDF, Word or Markdown); mentorstd records its "
        "SHA-256 hash and date as evidence and never reads personal data from it.\n"
    )


def manifest(p: Profile) -> str:
    lines = [
        "# yaml-language-server: $schema=../../../schemas/bundle.schema.json",
        f"# {p.name}: a fictional example bundle made by examples/make_bundles.py",
        "bundle_version: 1",
        "program:",
        f"  name: {p.name}",
        f"  model: {p.model}",
        f"  started: {add_months(p.period_start, -30).isoformat()}",
        f"  period: {{start: {p.period_start.isoformat()}, end: {p.period_end.isoformat()}}}",
        "documents:",
    ]
    for doc_id, kind, rel, day, title in p.documents:
        lines.append(
            f'  - {{id: {doc_id}, kind: {kind}, path: {rel}, date: {day}, title: "{title}"}}'
        )
    lines.append("practices:")
    for req, status, evidence, note in p.practices:
        item = f'  - {{requirement: "{req}", status: {status}'
        if evidence:
            item += f", evidence: [{', '.join(evidence)}]"
        if note:
            item += f', note: "{note}"'
        lines.append(item + "}")
    lines.append("data:")
    for name in ("matches", "contacts", "training", "screening", "surveys", "outcomes"):
        lines.append(f"  {name}: data/{name}.csv")
    if p.meetings_per_month:
        lines.append("  meetings: data/meetings.csv")
    text = "\n".join(lines) + "\n"
    if p.nqms:
        text += p.nqms
    return text


# -- export dress ------------------------------------------------------------------------------

#: How the fictional "MatchBase" database names each of our columns (ours: theirs). Headers
#: that equal ours but for case and spacing ('Closure Reason', 'Planned End Date') need no map.
EXPORT_HEADERS: dict[str, dict[str, str]] = {
    "matches": {
        "match_id": "Match ID",
        "mentor_id": "Volunteer ID",
        "mentee_id": "Youth ID",
        "start_date": "Match Start Date",
        "planned_end_date": "Planned End Date",
        "end_date": "Match Closed Date",
        "closure_reason": "Closure Reason",
    },
    "contacts": {
        "match_id": "Match ID",
        "date": "Contact Date",
        "with": "Contact With",
        "mode": "Mode",
    },
    "training": {
        "person_id": "Person ID",
        "role": "Participant Type",
        "date": "Session Date",
        "hours": "Hours",
        "phase": "Training Type",
        "topic": "Topic",
    },
    "screening": {
        "mentor_id": "Volunteer ID",
        "application_date": "Application Received",
        "interview_date": "Interview Date",
        "background_check_date": "Background Check Cleared",
        "references_checked": "References Checked",
    },
    "surveys": {
        "respondent_id": "Respondent ID",
        "role": "Respondent Type",
        "match_id": "Match ID",
        "date": "Survey Date",
        "satisfaction": "Overall Satisfaction",
        "reports_success": "Reports Success",
    },
    "outcomes": {
        "mentee_id": "Youth ID",
        "measure": "Measure",
        "baseline": "Baseline",
        "follow_up": "Follow-up",
        "improved": "Improved?",
    },
}
#: Their words for our values, per column; the profile maps the ones that are not synonyms.
EXPORT_VALUES: dict[str, dict[str, str]] = {
    "closure_reason": {
        "completed": "Successful Match Closure",
        "mentor-withdrew": "Volunteer Withdrew",
        "mentee-withdrew": "Youth Withdrew",
        "family-withdrew": "Family Withdrew",
        "rematched": "Rematched",
        "program-ended": "Program Ended",
        "other": "Other",
    },
    # documented synonyms: no map needed
    "role": {"mentor": "Volunteer", "mentee": "Youth", "parent": "Guardian", "staff": "Staff"},
    "with": {"mentor": "Volunteer", "mentee": "Little", "parent": "Guardian"},
    "phase": {"pre-match": "Pre-Match", "ongoing": "Ongoing"},
    "reports_success": {"yes": "Yes", "no": "No"},
    "improved": {"yes": "Yes", "no": "No"},
    "measure": {"behaviour": "Behavior"},
}
EXPORT_DATE = "%m/%d/%Y"
#: Values our maps do not cover are kept, capitalised (e.g. 'Attendance').
_MAPPED_ONLY = {"closure_reason", "role", "with", "phase", "reports_success", "improved"}


def _their_value(column: str, value: str) -> str:
    if not value:
        return value
    if column in TABLES_DATES:
        return date.fromisoformat(value).strftime(EXPORT_DATE)
    mapped = EXPORT_VALUES.get(column, {}).get(value)
    if mapped is not None:
        return mapped
    return value.capitalize() if column in ("measure", *_MAPPED_ONLY) else value


TABLES_DATES = {c.name for columns in TABLES.values() for c in columns if c.type == "date"}


def _read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _export_csv(rows: list[dict[str, str]], name: str, target: Path, separator: str) -> None:
    names = EXPORT_HEADERS[name]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator, lineterminator="\r\n")
    writer.writerow(names.values())
    for row in rows:
        writer.writerow(_their_value(ours, row[ours]) for ours in names)
    target.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))


def _export_xlsx(rows: list[dict[str, str]], name: str, target: Path, sheet_name: str) -> None:
    names = EXPORT_HEADERS[name]
    book = xlsxwriter.Workbook(str(target))
    book.set_properties({"created": datetime(2026, 7, 1)})  # no clock: the same bytes each run
    dates = book.add_format({"num_format": "mm/dd/yyyy"})
    sheet = book.add_worksheet(sheet_name)
    sheet.write_row(0, 0, list(names.values()))
    for r, row in enumerate(rows, start=1):
        for c, ours in enumerate(names):
            value = row[ours]
            if ours in TABLES_DATES and value:
                sheet.write_datetime(r, c, datetime.fromisoformat(value), dates)
            elif value:
                sheet.write_string(r, c, _their_value(ours, value))
    book.close()


def _profile_yaml() -> str:
    tables: dict[str, dict[str, object]] = {}
    for name, names in EXPORT_HEADERS.items():
        spec: dict[str, object] = {}
        if name != "contacts":  # the xlsx sheet holds real date cells
            spec["date_format"] = EXPORT_DATE
        spec["columns"] = {
            ours: theirs
            for ours, theirs in names.items()
            if "".join(ch for ch in theirs.lower() if ch.isalnum()) != ours.replace("_", "")
        }
        values = {
            column: {theirs: ours for ours, theirs in EXPORT_VALUES[column].items()}
            for column in ("closure_reason",)
            if column in names
        }
        if values:
            spec["values"] = values
        tables[name] = spec
    tables["practices"] = {"columns": {"requirement": "Requirement ID", "status": "Our Status"}}
    head = (
        "# How MatchBase (a fictional mentoring database) exports each table: every program on\n"
        "# MatchBase can use this profile. Headers equal to ours but for case and spacing, and\n"
        "# values that are documented synonyms (Volunteer, Little, Guardian, Pre-Match, Yes),\n"
        "# need no map.\n"
    )
    return head + yaml.safe_dump(tables, sort_keys=False, allow_unicode=True, width=100)


_STATUS_WORDS = {
    "implemented": "Implemented",
    "partial": "Partially",
    "planned": "Planned",
    "not-implemented": "Not Implemented",
    "not-applicable": "N/A",
}


def dress(source: Path, target: Path) -> None:
    """Write ``target``: the bundle ``source`` as a database would export it."""
    if target.exists():
        shutil.rmtree(target)
    (target / "data").mkdir(parents=True)
    (target / "profiles").mkdir()
    shutil.copytree(source / "documents", target / "documents")
    for name in EXPORT_HEADERS:
        rows = _read_rows(source / "data" / f"{name}.csv")
        if name == "contacts":
            _export_xlsx(rows, name, target / "data" / "contacts.xlsx", "Match Support")
        else:
            separator = ";" if name == "outcomes" else ","  # one file from a European Excel
            _export_csv(rows, name, target / "data" / f"{name}.csv", separator)
    (target / "profiles" / "matchbase.yaml").write_text(_profile_yaml(), encoding="utf-8")
    manifest = yaml.safe_load((source / "bundle.yaml").read_text(encoding="utf-8"))
    sheet = io.StringIO()
    writer = csv.writer(sheet, lineterminator="\r\n")
    writer.writerow(["Requirement ID", "Our Status", "Evidence", "Note"])
    for item in manifest["practices"]:
        evidence = "; ".join(item.get("evidence", []))
        status = _STATUS_WORDS[item["status"]]
        writer.writerow([item["requirement"], status, evidence, item.get("note", "")])
    (target / "self-assessment.csv").write_bytes(b"\xef\xbb\xbf" + sheet.getvalue().encode())
    text = (source / "bundle.yaml").read_text(encoding="utf-8")
    head, rest = text.split("practices:\n", 1)
    nqms = rest[rest.index("nqms:") :] if "nqms:" in rest else ""
    head = head.replace(
        "a fictional example bundle made by examples/make_bundles.py",
        "riverside's records in export dress (examples/make_bundles.py)",
    )
    data = (
        "# the attestations are in the self-assessment sheet; the tables are MatchBase exports,\n"
        "# read through the shared profile\n"
        "data:\n"
        "  profile: profiles/matchbase.yaml\n"
        "  matches: data/matches.csv\n"
        "  contacts: {path: data/contacts.xlsx, sheet: Match Support}\n"
        "  training: data/training.csv\n"
        "  screening: data/screening.csv\n"
        "  surveys: data/surveys.csv\n"
        "  outcomes: data/outcomes.csv\n"
        "  practices: self-assessment.csv\n"
    )
    (target / "bundle.yaml").write_text(head + data + nqms, encoding="utf-8")


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else OUT
    root.mkdir(parents=True, exist_ok=True)
    for profile in PROFILES:
        generate(profile, root)
        print(f"wrote {root / profile.slug}")
    dress(root / RIVERSIDE.slug, root / f"{RIVERSIDE.slug}-export")
    print(f"wrote {root / RIVERSIDE.slug}-export")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
