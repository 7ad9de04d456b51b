"""The NQMS cycle: which badge a program holds, why, and when it expires.

The rules are data (``standards/eepm/nqms.yaml``, model :class:`~mentorstd.models.NqmsFile`):
steps with the bundle field that records them, badges with the steps, badge and number of done
plan goals they require, and the cycle length and expiry. Nothing here hard-codes a number.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .bundle import Bundle, NqmsRecord
    from .models import NqmsFile

__all__ = ["add_years", "nqms_status"]


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` plus ``years`` calendar years (29 February becomes 28 February).

    >>> add_years(dt.date(2024, 2, 29), 3)
    datetime.date(2027, 2, 28)
    """
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _step_date(record: NqmsRecord, field: str | None, as_of: dt.date) -> dt.date | bool | None:
    if field is None:
        return None
    if field == "plan_goals":
        return bool(record.plan_goals)
    value = getattr(record, field)
    if isinstance(value, dt.date) and value <= as_of:
        return value
    return None


def nqms_status(bundle: Bundle, spec: NqmsFile, as_of: dt.date | None = None) -> dict[str, Any]:
    """Badge, reasons, steps, goals, expiry and next due date for the bundle's NQMS record."""
    as_of = as_of or dt.date.today()
    record = bundle.manifest.nqms
    out: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "badge": None,
        "badge_title": None,
        "reasons": [],
        "steps": [],
        "goals": {"total": 0, "done": 0},
        "expires_on": None,
        "next_self_assessment_due": None,
        "expired": False,
        "cycle_years": spec.cycle.years,
        "plan_goals": [],
    }
    if record is None:
        out["reasons"].append("the bundle has no nqms section: no NQMS cycle is recorded")
        return out
    done_steps: set[str] = set()
    for step in spec.steps:
        state = _step_date(record, step.record, as_of)
        done = bool(state)
        if done:
            done_steps.add(step.id)
        out["steps"].append(
            {
                "id": step.id,
                "title": step.title,
                "recorded_by": step.record,
                "done": done,
                "date": state.isoformat() if isinstance(state, dt.date) else None,
            }
        )
    goals_done = sum(
        1
        for g in record.plan_goals
        if g.status == "done" and (g.done_on is None or g.done_on <= as_of)
    )
    out["goals"] = {"total": len(record.plan_goals), "done": goals_done}
    # A goal counts as done only once its completion date has passed (as_of).
    out["plan_goals"] = [
        {
            "id": g.id,
            "requirement": g.requirement,
            "title": g.title,
            "status": "done"
            if g.status == "done" and (g.done_on is None or g.done_on <= as_of)
            else "open",
            "done_on": g.done_on.isoformat() if g.done_on and g.done_on <= as_of else None,
        }
        for g in record.plan_goals
    ]
    start = getattr(record, spec.cycle.expires_from)
    if isinstance(start, dt.date):
        expires = add_years(start, spec.cycle.expires_after_years)
        out["expires_on"] = expires.isoformat()
        out["next_self_assessment_due"] = add_years(start, spec.cycle.years).isoformat()
        out["expired"] = as_of >= expires
    held: dict[str, bool] = {}
    reasons: list[str] = []
    for badge in spec.badges:
        missing = [s for s in badge.requires_steps if s not in done_steps]
        ok = not missing
        why = []
        if missing:
            why.append("steps not done: " + ", ".join(missing))
        if badge.requires_badge and not held.get(badge.requires_badge):
            ok = False
            why.append(f"needs {badge.requires_badge} first")
        if badge.goals_done_min is not None and goals_done < badge.goals_done_min:
            ok = False
            why.append(f"{goals_done} plan goals done, {badge.goals_done_min} needed")
        held[badge.id] = ok
        if ok:
            reasons.append(f"{badge.title}: earned ({badge.description})")
            out["badge"], out["badge_title"] = badge.id, badge.title
        else:
            reasons.append(f"{badge.title}: not earned ({'; '.join(why)})")
    if out["badge"] is not None and out["expired"]:
        reasons.append(
            f"badges expired on {out['expires_on']}: a new NQMS cycle (self-assessment "
            "and plan) must start to hold them again"
        )
        out["badge"], out["badge_title"] = None, None
    out["reasons"] = reasons
    return out
