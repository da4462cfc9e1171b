"""The plan's settings and the days they give: how much each day may hold, and which days are off.

A day's capacity is the daily target times its share: 1 on an ordinary day, the Easy Day share on
its weekday (Sunday at 0.3 takes 30% of the target), 0 inside a break, and less on the last days
before the interview (``final_days``, ``final_share``). A day with no capacity is
not a study day: nothing is placed on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from study_tracker.errors import InvalidInput

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_HORIZON = 366
MAX_BREAKS = 100


def fmt_day(day: date) -> str:
    """'9 Jan': short enough for an explanation, unambiguous within a plan's year."""
    return f"{day.day} {day:%b}"


@dataclass(frozen=True)
class Break:
    """Days away from study, both ends included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInput.field(
                "breaks", f"a break cannot end ({self.end}) before it starts ({self.start})"
            )

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    @property
    def label(self) -> str:
        if self.start == self.end:
            return f"break on {fmt_day(self.start)}"
        if (self.start.year, self.start.month) == (self.end.year, self.end.month):
            return f"break {self.start.day}-{fmt_day(self.end)}"
        return f"break {fmt_day(self.start)} - {fmt_day(self.end)}"


@dataclass(frozen=True)
class PlanSettings:
    """What the learner chose; every field has a default so a plan works with none set.

    ``daily_target`` is in ``target_unit`` (minutes of review, or a number of reviews).
    ``easy_days`` maps a weekday (0 = Monday .. 6 = Sunday) to its share of the target, 0..1.
    ``ladder_fuzz_days`` is how far (+-days) a fixed-ladder review may move to balance the load;
    0 keeps ladder reviews on their day. ``balance`` off keeps every review on its due day (the
    other rules still apply). ``spread_days``: over how many study days overdue or displaced reviews
    may be spread. ``minutes_per_question`` prices a review by the questions its type asks.
    ``desired_retention`` is the recall to keep on the interview day when the scheduler does not
    carry its own (the fixed ladder). ``new_topics_per_day`` (the learner's pace) reserves room
    for the reviews of topics not studied yet, over the next ``new_topics_days`` days: without it
    the days ahead look lighter than they will be, and a backlog spread onto them piles up there.
    The ``final_days`` days before the interview hold ``final_share`` of their usual review load
    (the app sets 0.5): a day missed there has no later day to take its reviews but the last one.
    """

    interview: date | None = None
    daily_target: float = 45.0
    target_unit: Literal["minutes", "reviews"] = "minutes"
    easy_days: Mapping[int, float] = field(default_factory=dict)
    breaks: tuple[Break, ...] = ()
    balance: bool = True
    ladder_fuzz_days: int = 1
    horizon_days: int = 60
    spread_days: int = 7
    minutes_per_question: float = 2.5
    desired_retention: float = 0.9
    new_topics_per_day: float = 0.0
    new_topics_days: int = 21
    final_days: int = 2
    final_share: float = 1.0

    def __post_init__(self) -> None:
        if not self.daily_target > 0:
            raise InvalidInput.field("daily_target", "the daily target must be more than 0")
        if self.target_unit not in ("minutes", "reviews"):
            raise InvalidInput.field("target_unit", "the target unit must be 'minutes' or 'reviews'")
        for weekday, share in self.easy_days.items():
            if weekday not in range(7):
                raise InvalidInput.field(
                    "easy_days", f"{weekday!r} is not a weekday (0 = Monday .. 6 = Sunday)"
                )
            if not 0 <= share <= 1:
                raise InvalidInput.field(
                    "easy_days", f"the share of {WEEKDAYS[weekday]} must be between 0 and 1"
                )
        if all(self.easy_days.get(w, 1.0) == 0 for w in range(7)):
            raise InvalidInput.field("easy_days", "at least one weekday must have a share above 0")
        if len(self.breaks) > MAX_BREAKS:
            raise InvalidInput.field("breaks", f"at most {MAX_BREAKS} breaks")
        if not 0 <= self.ladder_fuzz_days <= 7:
            raise InvalidInput.field("ladder_fuzz_days", "must be between 0 and 7 days")
        if not 1 <= self.horizon_days <= MAX_HORIZON:
            raise InvalidInput.field("horizon_days", f"must be between 1 and {MAX_HORIZON} days")
        if not 1 <= self.spread_days <= 60:
            raise InvalidInput.field("spread_days", "must be between 1 and 60 days")
        if not self.minutes_per_question > 0:
            raise InvalidInput.field("minutes_per_question", "must be more than 0")
        if not 0 <= self.final_days <= 14:
            raise InvalidInput.field("final_days", "must be between 0 and 14 days")
        if not 0 < self.final_share <= 1:
            raise InvalidInput.field("final_share", "must be more than 0 and at most 1")
        if not 0 <= self.new_topics_per_day <= 50:
            raise InvalidInput.field("new_topics_per_day", "must be between 0 and 50")
        if not 0 <= self.new_topics_days <= MAX_HORIZON:
            raise InvalidInput.field("new_topics_days", f"must be between 0 and {MAX_HORIZON} days")
        if not 0.7 <= self.desired_retention <= 0.99:
            raise InvalidInput.field("desired_retention", "must be between 0.7 and 0.99")


class Calendar:
    """Capacity and availability of each day under ``settings`` (pure; shares are memoised, as a
    plan asks about the same few dozen days thousands of times)."""

    def __init__(self, settings: PlanSettings) -> None:
        self.settings = settings
        self._breaks = sorted(settings.breaks, key=lambda b: (b.start, b.end))
        self._shares: dict[date, float] = {}

    def break_on(self, day: date) -> Break | None:
        return next((b for b in self._breaks if day in b), None)

    def share(self, day: date) -> float:
        share = self._shares.get(day)
        if share is None:
            away = self.break_on(day) is not None
            share = 0.0 if away else float(self.settings.easy_days.get(day.weekday(), 1.0))
            self._shares[day] = share
        return share

    def capacity(self, day: date) -> float:
        """The review load ``day`` may hold (the last days before the interview hold less; a
        day's share of new study, ``share``, is not reduced)."""
        capacity = self.settings.daily_target * self.share(day)
        interview = self.settings.interview
        if interview is not None and 0 < (interview - day).days <= self.settings.final_days:
            capacity *= self.settings.final_share
        return capacity

    def available(self, day: date) -> bool:
        return self.share(day) > 0

    def is_easy(self, day: date) -> bool:
        return self.settings.easy_days.get(day.weekday(), 1.0) < 1.0

    def next_available(self, day: date) -> date:
        """The first study day on or after ``day`` (breaks are finite and some weekday has a share)."""
        while not self.available(day):
            brk = self.break_on(day)
            day = brk.end + timedelta(days=1) if brk else day + timedelta(days=1)
        return day

    def days(self, first: date, last: date) -> list[date]:
        """Study days from ``first`` to ``last``, both included."""
        out = []
        day = first
        while day <= last:
            if self.available(day):
                out.append(day)
            day += timedelta(days=1)
        return out

    def next_study_days(self, first: date, count: int) -> list[date]:
        """The first ``count`` study days on or after ``first`` (a break in between is skipped)."""
        out: list[date] = []
        day = first
        while len(out) < count:
            day = self.next_available(day)
            out.append(day)
            day += timedelta(days=1)
        return out

    def study_days(self, first: date, last: date) -> float:
        """Days of study between two dates, each counted by its share (an easy Sunday is 0.3)."""
        total = 0.0
        day = first
        while day <= last:
            total += self.share(day)
            day += timedelta(days=1)
        return total
