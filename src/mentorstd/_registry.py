"""Metric specifications: names, what they read, their parameters (no computation here).

The standards data names metrics by these keys; lint checks every name and parameter. The
functions that compute them are registered against the same names in :mod:`mentorstd.metrics`;
a test proves the two agree. Kept apart so that loading the catalog never imports the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["METRIC_SPECS", "MetricSpec", "ParamSpec"]

MetricKind = Literal["rate", "per-entity", "info"]


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One metric parameter."""

    name: str
    description: str
    choices: tuple[str, ...] = ()
    default: str | int | float | None = None
    required: bool = False
    many: bool = False  # accepts a list of choices


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """What a metric is, what it reads and how a threshold applies to it."""

    name: str
    kind: MetricKind
    title: str
    definition: str
    reads: tuple[str, ...]
    entity: str = "program"
    unit: str = "share"
    params: tuple[ParamSpec, ...] = field(default_factory=tuple)

    def param(self, name: str) -> ParamSpec | None:
        """The parameter called ``name``, if the metric has one."""
        return next((p for p in self.params if p.name == name), None)


_ROLE_SURVEY = ("mentor", "mentee", "parent", "teacher")
_MEASURES = ("attendance", "behaviour", "attitude", "attainment")
_WITH = ("mentor", "mentee", "parent")
_PROFILES = ("eepm4", "bbbs")
_PROFILE = (
    "Named contact schedule: 'eepm4' (2 contacts in month 1, then 1 a month) or 'bbbs' (a first "
    "contact within 14 days, then 1 a month in year 1 and 1 a quarter after); overridden by "
    "the --cadence option."
)
_CONTACT_READS = (
    "contacts.match_id",
    "contacts.date",
    "contacts.with",
    "matches.match_id",
    "matches.start_date",
    "matches.end_date",
)
_MATCH_READS = (
    "matches.match_id",
    "matches.start_date",
    "matches.planned_end_date",
    "matches.end_date",
)
_COHORT = ParamSpec(
    "cohort", "Cohorts by start 'year' or 'quarter'.", ("year", "quarter"), default="year"
)

METRIC_SPECS: dict[str, MetricSpec] = {
    spec.name: spec
    for spec in (
        MetricSpec(
            "pair-completion-rate",
            "rate",
            "Pair completion rate",
            "Matches closed as 'completed' divided by matches that have ended or are past their "
            "planned end date; active matches before their planned end are not counted (with "
            "denominator: all, every match counts and open pairs count as not completed).",
            (
                "matches.start_date",
                "matches.planned_end_date",
                "matches.end_date",
                "matches.closure_reason",
            ),
            entity="match",
            params=(
                ParamSpec(
                    "denominator",
                    "Which matches are counted: 'ended' (ended or past the planned end; the "
                    "default) or 'all' (the stricter reading: open pairs count as not "
                    "completed).",
                    ("ended", "all"),
                    default="ended",
                ),
            ),
        ),
        MetricSpec(
            "satisfaction-rate",
            "rate",
            "Satisfaction rate",
            "Survey responses from the role with satisfaction at or above min_score (default 4 "
            "on the 1-5 scale), divided by that role's responses with a satisfaction score.",
            ("surveys.respondent_id", "surveys.role", "surveys.satisfaction"),
            entity="respondent",
            params=(
                ParamSpec("role", "Respondent role.", _ROLE_SURVEY, required=True),
                ParamSpec("min_score", "Lowest score that counts as satisfied.", default=4),
            ),
        ),
        MetricSpec(
            "success-rate",
            "rate",
            "Reported success rate",
            "Survey responses from the role with reports_success = yes, divided by that role's "
            "responses that answer the question.",
            ("surveys.respondent_id", "surveys.role", "surveys.reports_success"),
            entity="respondent",
            params=(
                ParamSpec("role", "Respondent role.", _ROLE_SURVEY, required=True),
                ParamSpec(
                    "denominator",
                    "'respondents' (the default: responses that answer) or 'matched' (the "
                    "stricter reading, mentor and mentee roles only: every person of the role "
                    "in the matches table who gave no answer also counts as not reporting "
                    "success; needs the matches table).",
                    ("respondents", "matched"),
                    default="respondents",
                ),
            ),
        ),
        MetricSpec(
            "outcome-improvement-rate",
            "rate",
            "Outcome improvement rate",
            "Outcome records for the measure(s) with improved = yes, divided by the records for "
            "those measures that state whether the mentee improved.",
            ("outcomes.mentee_id", "outcomes.measure", "outcomes.improved"),
            entity="mentee",
            params=(
                ParamSpec("measure", "Outcome measure(s).", _MEASURES, required=True, many=True),
            ),
        ),
        MetricSpec(
            "pre-match-training-hours",
            "per-entity",
            "Pre-match training hours",
            "For each person of the role in a match: hours of pre-match training dated on or "
            "before the start of their first match.",
            (
                "training.person_id",
                "training.role",
                "training.date",
                "training.hours",
                "training.phase",
                "matches.mentor_id",
                "matches.mentee_id",
                "matches.start_date",
            ),
            entity="person",
            unit="hours",
            params=(ParamSpec("role", "Whose training.", ("mentor", "mentee"), default="mentor"),),
        ),
        MetricSpec(
            "staff-contact-cadence",
            "per-entity",
            "Staff contact cadence",
            "For each match: the share of its monitored months in which staff contacted the "
            "given person at least the required number of times (first_month_min in month 1, "
            "later_month_min in each later month). Months are counted from the match start; "
            "only whole months before the match ends (or the bundle period ends) are judged. "
            "A contact counts once per match, day and person. With profile bbbs (or --cadence "
            "bbbs) the periods are a first contact within 14 days, each month of year 1 and "
            "each 3-month period after.",
            (
                "contacts.match_id",
                "contacts.date",
                "contacts.with",
                "matches.match_id",
                "matches.start_date",
                "matches.end_date",
            ),
            entity="match",
            params=(
                ParamSpec("with", "Person contacted.", _WITH, required=True),
                ParamSpec("first_month_min", "Contacts required in month 1.", default=2),
                ParamSpec("later_month_min", "Contacts required in each later month.", default=1),
                ParamSpec("profile", _PROFILE, _PROFILES),
            ),
        ),
        MetricSpec(
            "contact-schedule-completion",
            "rate",
            "Scheduled contacts completed",
            "Staff contacts made as scheduled divided by contacts scheduled, over the persons "
            "contacted (default mentor and mentee): each whole period of the schedule owes its "
            "due contacts (eepm4: 2 in month 1, 1 in each later month; bbbs: 1 within 14 days "
            "of the start, 1 in each later month of year 1, 1 in each 3-month period after), "
            "and contacts beyond a period's due do not make up for another. Contacts are "
            "counted once per match, day and person.",
            _CONTACT_READS,
            entity="match",
            params=(
                ParamSpec("profile", _PROFILE, _PROFILES, default="eepm4"),
                ParamSpec(
                    "with", "Persons contacted (default mentor and mentee).", _WITH, many=True
                ),
            ),
        ),
        MetricSpec(
            "duplicate-contacts",
            "info",
            "Duplicate contact rows",
            "Contact rows that repeat a match, day and person already recorded (the cadence "
            "metrics count them once), and the matches they belong to.",
            # matches too: each contact is keyed by its match's row
            ("contacts.match_id", "contacts.date", "contacts.with", "matches.match_id"),
            entity="match",
            unit="count",
        ),
        MetricSpec(
            "interview-before-match",
            "per-entity",
            "Interview before match",
            "For each mentor in a match: 1 when an interview date is recorded on or before the "
            "start of their first match, else 0.",
            (
                "screening.mentor_id",
                "screening.interview_date",
                "matches.mentor_id",
                "matches.start_date",
            ),
            entity="mentor",
            unit="count",
        ),
        MetricSpec(
            "background-check-before-match",
            "per-entity",
            "Background check before match",
            "For each mentor in a match: 1 when a background check date is recorded on or "
            "before the start of their first match, else 0.",
            (
                "screening.mentor_id",
                "screening.background_check_date",
                "matches.mentor_id",
                "matches.start_date",
            ),
            entity="mentor",
            unit="count",
        ),
        MetricSpec(
            "references-checked",
            "per-entity",
            "References checked",
            "For each mentor in a match: the number of references checked (0 when the mentor "
            "has no screening record).",
            ("screening.mentor_id", "screening.references_checked", "matches.mentor_id"),
            entity="mentor",
            unit="count",
        ),
        MetricSpec(
            "planned-commitment-months",
            "per-entity",
            "Planned commitment",
            "For each match: whole months from start_date to planned_end_date (a match without "
            "a planned end fails). With minimum: program the threshold is the program's own "
            "minimum: program.commitment_months when declared, else 9 months (a school year) "
            "for school programs and 12 for every other model.",
            ("matches.match_id", "matches.start_date", "matches.planned_end_date"),
            entity="match",
            unit="months",
            params=(
                ParamSpec(
                    "minimum",
                    "'program': judge against the program's declared or model-default minimum "
                    "instead of the check's fixed threshold.",
                    ("program",),
                ),
            ),
        ),
        MetricSpec(
            "planned-end-reached-rate",
            "rate",
            "Matches reaching their planned end",
            "Ended matches whose end_date is on or after their planned_end_date, divided by "
            "ended matches with a planned end date.",
            ("matches.end_date", "matches.planned_end_date"),
            entity="match",
        ),
        MetricSpec(
            "match-length",
            "info",
            "Match length",
            "Length in months of ended matches: count, mean, median, minimum and maximum.",
            ("matches.start_date", "matches.end_date"),
            entity="match",
            unit="months",
        ),
        MetricSpec(
            "retention-rate",
            "rate",
            "Match retention",
            "Matches still open on their anniversary of the given months (default 12), divided "
            "by the matches whose anniversary falls on or before the period end (matches that "
            "could have reached it); per start cohort in the details.",
            _MATCH_READS,
            entity="match",
            params=(
                ParamSpec("months", "The anniversary, in months.", default=12),
                _COHORT,
            ),
        ),
        MetricSpec(
            "premature-closure-rate",
            "rate",
            "Premature closure",
            "Matches that ended before their planned end (planned_end_date, else the start "
            "plus the program's minimum commitment), divided by the matches whose fate is "
            "known: ended by the period end, or open past their planned end.",
            _MATCH_READS,
            entity="match",
        ),
        MetricSpec(
            "early-closure-rate",
            "rate",
            "Early closure",
            "Matches that ended within the given months (default 3) of their start, divided by "
            "the matches whose first months ended by the period end.",
            _MATCH_READS,
            entity="match",
            params=(ParamSpec("months", "The early window, in months.", default=3),),
        ),
        MetricSpec(
            "median-match-length",
            "info",
            "Median match length",
            "Median length in months (30.44 days) of closed matches (start to end) or of "
            "active ones (start to the period end, so far).",
            ("matches.match_id", "matches.start_date", "matches.end_date"),
            entity="match",
            unit="months",
            params=(
                ParamSpec(
                    "matches",
                    "'closed' or 'active' matches.",
                    ("closed", "active"),
                    default="closed",
                ),
            ),
        ),
        MetricSpec(
            "closure-initiators",
            "info",
            "Who ended matches",
            "Ended matches by who ended them, from closure_reason: completed is planned; "
            "mentor-, mentee- and family-withdrew are the mentor, mentee and family; "
            "rematched and program-ended are the program; other and blank are unknown.",
            ("matches.end_date", "matches.closure_reason"),
            entity="match",
        ),
        MetricSpec(
            "rematches",
            "info",
            "Rematched mentees",
            "Mentees with more than one match, out of all mentees in the matches table.",
            ("matches.mentee_id", "matches.mentor_id", "matches.closure_reason"),
            entity="mentee",
            unit="count",
        ),
        MetricSpec(
            "meeting-dosage",
            "per-entity",
            "Meeting dosage",
            "For each match: hours of mentor-mentee meetings (meetings.minutes / 60) per whole "
            "month of the match inside the period; the program value is hours over all those "
            "match-months.",
            (
                "meetings.match_id",
                "meetings.date",
                "meetings.minutes",
                "matches.match_id",
                "matches.start_date",
                "matches.end_date",
            ),
            entity="match",
            unit="hours",
            params=(ParamSpec("min_hours", "Hours a month that meet the target.", default=4),),
        ),
        MetricSpec(
            "match-survival",
            "info",
            "Match survival",
            "Kaplan-Meier estimate of the share of matches still open on their m-month "
            "anniversary (calendar months, so month 12 of a fully observed cohort is its "
            "12-month retention), per start cohort: closures are events, matches open at the "
            "period end are censored there.",
            ("matches.start_date", "matches.end_date"),
            entity="match",
            params=(_COHORT,),
        ),
        MetricSpec(
            "closure-reasons",
            "info",
            "Closure reasons",
            "Ended matches counted by closure_reason.",
            ("matches.end_date", "matches.closure_reason"),
            entity="match",
            unit="count",
        ),
    )
}
