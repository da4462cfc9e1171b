"""Durations written in roadmap headings: "Weeks 4-7", "(0-6 months)", "2 weeks", "Q1".

What is understood (case-insensitive, the first phrase found in a title wins):

- **Ordinal positions** (unit word first) count from 1 and are inclusive: "Week 3", "Weeks 4-7",
  "Week 4 to 7", "Days 1-14", "Month 2", "Months 3-5", "Year 1". "Weeks 4-7" starts at the
  beginning of week 4 and lasts 4 weeks.
- **Elapsed ranges** (number first) are boundaries measured from the start: "(0-6 months)",
  "6-12 months", "0–2 weeks". A range that starts at 0, or where the previous topic ended, is
  read this way; any other number-first range ("Arrays (1-2 weeks)") is an estimated length,
  and its upper bound is used.
- **Lengths**: "2 weeks", "~3 months", "about 10 days", "one month", "1.5 months": the topic
  starts where the previous dated topic ended.
- **Quarters**: "Q1".."Q4" are the plan's first to fourth three-month block (not calendar quarters).

Months and years are calendar months from the roadmap's start date; a week is 7 days.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_UNIT = r"(?P<unit>day|week|wk|month|mo|year|yr)s?\.?"
_DASH = r"\s*(?:-|–|—|to|through|until|thru)\s*"
_NUM = r"(?P<n>\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a|an)"
_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_CANON = {
    "day": "day",
    "week": "week",
    "wk": "week",
    "month": "month",
    "mo": "month",
    "year": "year",
    "yr": "year",
}

ORDINAL_RANGE = re.compile(
    rf"\b{_UNIT}\s*(?P<a>\d+){_DASH}(?:(?:day|week|wk|month|mo|year|yr)s?\s*)?(?P<b>\d+)\b", re.I
)
ORDINAL = re.compile(rf"\b{_UNIT}\s*(?P<a>\d+)\b", re.I)
ELAPSED_RANGE = re.compile(rf"(?<![\w.])(?P<a>\d+){_DASH}(?P<b>\d+)\+?\s*{_UNIT}(?!\w)", re.I)
LENGTH = re.compile(
    rf"(?<![\w.])(?:~\s*|about\s+|approx\.?\s+|around\s+|roughly\s+)?{_NUM}\s*-?\s*{_UNIT}(?!\w)", re.I
)
QUARTER = re.compile(r"\bQ(?P<q>[1-4])\b")

PATTERNS = (ORDINAL_RANGE, ORDINAL, ELAPSED_RANGE, LENGTH, QUARTER)


@dataclass(frozen=True)
class Timing:
    """A position in the plan: ``start`` (0-based, in ``unit``s; None: after the previous topic)
    and a ``length`` in the same unit."""

    unit: str  # day | week | month | year
    start: float | None
    length: float
    phrase: str  # the text it was read from


def _num(text: str) -> float:
    return float(_WORDS.get(text.lower(), 0) or text)


def find_timing(text: str, *, cursor: dict[str, float] | None = None) -> Timing | None:
    """The first duration phrase in ``text``; ``cursor`` maps unit -> where the previous dated topic
    ended (in that unit), to tell "(6-12 months)" boundaries from "(1-2 weeks)" estimates."""
    if m := ORDINAL_RANGE.search(text):
        a, b = int(m["a"]), int(m["b"])
        if b >= a >= 1:
            return Timing(_CANON[m["unit"].lower()], a - 1, b - a + 1, m[0])
    if m := ORDINAL.search(text):
        a = int(m["a"])
        if a >= 1:
            return Timing(_CANON[m["unit"].lower()], a - 1, 1, m[0])
    if m := ELAPSED_RANGE.search(text):
        a, b = int(m["a"]), int(m["b"])
        unit = _CANON[m["unit"].lower()]
        if b > a:
            if a == 0 or (cursor or {}).get(unit) == a:
                return Timing(unit, a, b - a, m[0])
            return Timing(unit, None, b, m[0])
    if m := LENGTH.search(text):
        n = _num(m["n"])
        if n > 0:
            return Timing(_CANON[m["unit"].lower()], None, n, m[0])
    if m := QUARTER.search(text):
        q = int(m["q"])
        return Timing("month", (q - 1) * 3, 3, m[0])
    return None


def strip_timing(text: str) -> str:
    """``text`` without its duration phrase (and the brackets around it), for stable keys."""
    for pattern in PATTERNS:
        m = pattern.search(text)
        if m:
            text = text[: m.start()] + text[m.end() :]
            break
    return re.sub(r"[(\[]\s*[)\]]", "", text).strip(" :-–—,")


def add_units(start: date, unit: str, amount: float) -> date:
    """``start`` moved by ``amount`` units; months and years follow the calendar."""
    if unit == "day":
        return start + timedelta(days=round(amount))
    if unit == "week":
        return start + timedelta(days=round(amount * 7))
    months = amount * (12 if unit == "year" else 1)
    whole = int(months)
    y, m = divmod(start.month - 1 + whole, 12)
    year, month = start.year + y, m + 1
    day = min(start.day, _days_in_month(year, month))
    moved = date(year, month, day)
    return moved + timedelta(days=round((months - whole) * 30))


def _days_in_month(year: int, month: int) -> int:
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return (nxt - timedelta(days=1)).day
