"""Month arithmetic on date ordinals, shared by the metrics and the contacts reader.

A match's month k starts k calendar months after its start date, with the day clamped to the
month's length (:func:`add_months`). :func:`month_index` finds the month a day falls in with
one subtraction of two memoised day codes, so that millions of contacts are placed by
C-level ``map`` calls (see :data:`STARTED` and :data:`REACHED`).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

__all__ = [
    "DATE_MAX",
    "DATE_MIN",
    "MONTH_SPAN",
    "MONTH_ZERO",
    "REACHED",
    "STARTED",
    "add_months",
    "month_index",
    "parse_date",
]

#: Dates accepted in tables: 1900-01-01 to 2100-12-31 (as ordinals).
DATE_MIN = date(1900, 1, 1).toordinal()
DATE_MAX = date(2100, 12, 31).toordinal()


def parse_date(value: str) -> int | None:
    """The ordinal of a ``YYYY-MM-DD`` text; ``None`` when it is not one, -1 when it is out
    of range."""
    if len(value) != 10 or value[4] != "-" or value[7] != "-":
        return None
    try:
        ordinal = date.fromisoformat(value).toordinal()
    except ValueError:
        return None
    return ordinal if DATE_MIN <= ordinal <= DATE_MAX else -1


@lru_cache(maxsize=65536)
def add_months(ordinal: int, months: int) -> int:
    """The date ``months`` calendar months after ``ordinal`` (day clamped to month length).

    >>> date.fromordinal(add_months(date(2025, 1, 31).toordinal(), 1))
    datetime.date(2025, 2, 28)
    """
    d = date.fromordinal(ordinal)
    total = d.year * 12 + (d.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    day = min(d.day, days_in_month(year, month))
    return date(year, month, day).toordinal()


def days_in_month(year: int, month: int) -> int:
    """Number of days in the month."""
    if month == 12:
        return 31
    return (date(year, month + 1, 1) - date(year, month, 1)).days


class DayCodes(dict[int, int]):
    """Ordinal -> ``32 * (year * 12 + month - 1) + d``, memoised per ordinal.

    ``d`` is the day of the month; for a day *reached* the last day of a month counts as 31.
    Then ``(REACHED[day] - STARTED[start]) // 32`` is :func:`month_index`: the calendar months
    between the two dates, less one when the day of the month falls short of the start's
    (clamped to the month's length, as :func:`add_months` clamps). Lookups go through
    ``dict.__getitem__``, so ``map`` runs them at C speed; only the few distinct dates of a
    bundle reach ``__missing__``.
    """

    def __init__(self, reached: bool) -> None:
        super().__init__()
        self.reached = reached

    def __missing__(self, ordinal: int) -> int:
        day = date.fromordinal(ordinal)
        dom = day.day
        if self.reached and dom == days_in_month(day.year, day.month):
            dom = 31
        code = self[ordinal] = 32 * (day.year * 12 + day.month - 1) + dom
        return code


STARTED = DayCodes(reached=False)
REACHED = DayCodes(reached=True)

#: Match-month keys: ``match row * MONTH_SPAN + MONTH_ZERO + k`` for month k of the match.
MONTH_SPAN = 8192
#: Dates are bounded to 1900-2100, so k stays within +-2412.
MONTH_ZERO = 4096


def month_index(start: int, day: int) -> int:
    """Whole calendar months from ``start`` to the ordinal ``day``: the largest k with
    ``add_months(start, k) <= day`` (0 in month 1, negative before the start).

    >>> s = date(2025, 1, 15).toordinal()
    >>> month_index(s, date(2025, 2, 14).toordinal()), month_index(s, date(2025, 2, 15).toordinal())
    (0, 1)
    """
    return (REACHED[day] - STARTED[start]) // 32
