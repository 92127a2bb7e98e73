"""The range each KPI number must lie in, and what is only implausible. Pure.

A value outside its unit's range cannot be true and is an error (a row
error in a file, a 422 in the API); an implausible one is imported with a
warning. Every number must be finite. The README's KPI section lists the
same ranges.
"""

from __future__ import annotations

import math

from app.kpi.messages import N_, Msg, msg

FIRST_YEAR = 2000                   # no KPI export reaches further back; `0001-01` is a typing slip
DAY = 24 * 3600
UNIT_RANGES = {                     # unit → (lowest, highest) value a month can have
    "percent": (0.0, 100.0),
    "seconds": (0.0, 31.0 * DAY),   # an average time longer than a month is a wrong unit, not a slow agent
    "count": (0.0, 1e9),
    "ratio": (0.0, 1e6),
}
OTHER_UNITS = (0.0, 1e9)
MAX_CONTACTS = 1_000_000            # per row; a month summed from daily rows still fits a 32-bit integer
IMPLAUSIBLE_ABOVE = {"seconds": 2.0 * 3600}   # possible, but more often minutes or hours read as seconds


def value_problem(unit: str, value: float) -> Msg | None:
    """Why a value cannot be a month of a metric in `unit`, or None.
    A bare rate is checked as written: a column of fractions (all ≤ 1)
    scales to 0–100 %, so the same range holds either way."""
    if not math.isfinite(value):
        return msg(N_("not a finite number: %(text)s"), text=f"{value}")
    low, high = UNIT_RANGES.get(unit, OTHER_UNITS)
    if low <= value <= high:
        return None
    shown = f"{value:g}"
    if unit == "percent":
        return msg(N_("a rate of %(value)s %% is outside 0–100 %%"), value=shown)
    if unit == "seconds":
        return msg(N_("a negative time (%(value)s s)"), value=shown) if value < 0 else \
            msg(N_("a time of %(value)s s is longer than 31 days"), value=shown)
    if value < 0:
        return msg(N_("a negative value (%(value)s)"), value=shown)
    return msg(N_("%(value)s is above the largest value allowed (%(limit)s)"), value=shown, limit=f"{high:g}")


def contacts_problem(count: float, text: str) -> Msg | None:
    """Why `count` (read from `text`) cannot be a number of contacts, or None."""
    if not math.isfinite(count) or count < 0 or count != int(count):
        return msg(N_("contacts must be a whole number ≥ 0, not %(count)s"), count=text)
    if count > MAX_CONTACTS:
        return msg(N_("contacts must be at most %(limit)d, not %(count)s"), limit=MAX_CONTACTS, count=text)
    return None


def implausible(unit: str, value: float) -> Msg | None:
    """A warning for a value that can be true but seldom is, or None."""
    above = IMPLAUSIBLE_ABOVE.get(unit)
    if above is not None and value > above:
        return msg(N_("a time of %(value)s s is over 2 hours; check the unit"), value=f"{value:g}")
    return None
