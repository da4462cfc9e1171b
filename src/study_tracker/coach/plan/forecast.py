"""Forecasts from a plan: the load of each coming day, and predicted recall over time.

``daily_load`` gives reviews and minutes per day (60 days by default) with each day's capacity,
for a chart of the weeks ahead. ``retention_curve`` gives the mean predicted recall (FSRS
retrievability) of the studied topics each day: from the log for past days, and assuming the
planned reviews are done and recalled for days ahead, for the History page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo

from study_tracker.clock import local_date
from study_tracker.coach.plan.calendar import Calendar
from study_tracker.coach.plan.deadline import review_instant
from study_tracker.coach.plan.model import Plan, TopicLog
from study_tracker.tracker.srs import Recall, recall_on, replay_memory, review_memory

MAX_CURVE_DAYS = 3 * 366


@dataclass(frozen=True)
class DayLoad:
    day: date
    reviews: int
    minutes: float
    capacity: float  # in the plan's target unit; 0 on a break
    easy: bool
    away: bool


def daily_load(plan: Plan, calendar: Calendar, *, days: int = 60) -> list[DayLoad]:
    """Reviews and minutes planned for each of the ``days`` days from the plan's today."""
    out = []
    for n in range(days):
        day = plan.today + timedelta(days=n)
        reviews = plan.on(day)
        out.append(
            DayLoad(
                day=day,
                reviews=len(reviews),
                minutes=sum(r.minutes for r in reviews),
                capacity=calendar.capacity(day),
                easy=calendar.is_easy(day),
                away=calendar.break_on(day) is not None,
            )
        )
    return out


def retention_curve(
    topics: Sequence[TopicLog], *, start: date, end: date, zone: tzinfo, plan: Plan | None = None
) -> list[tuple[date, float | None]]:
    """Mean predicted recall of the topics completed by each day from ``start`` to ``end``.

    A review counts from its own day (recall is 1 on the day it is done). With ``plan``, reviews
    after the plan's today are taken from it and assumed recalled. A day with no completed topic
    has None.

    Raises:
        ValueError: ``end`` before ``start`` or more than three years after it.
    """
    if end < start or (end - start).days > MAX_CURVE_DAYS:
        raise ValueError("the curve spans from start to end, at most three years")
    planned: dict[str, list[date]] = {}
    if plan is not None:
        for r in plan.reviews:
            if r.day > plan.today:
                planned.setdefault(r.topic, []).append(r.day)
    span = (end - start).days + 1
    totals = [0.0] * span
    counts = [0] * span
    for topic in topics:
        # The memory after each event, in order; then each day reads the latest one.
        first = topic.history[0]
        states = [(local_date(first.at, zone), replay_memory([first]))]
        for event in topic.history[1:]:
            states.append(
                (local_date(event.at, zone), review_memory(states[-1][1], Recall(event.grade), event.at))
            )
        for day in sorted(planned.get(topic.key, [])):
            card = review_memory(states[-1][1], Recall.good, review_instant(day, zone))
            states.append((day, card))
        i = 0
        for n in range(span):
            day = start + timedelta(days=n)
            while i + 1 < len(states) and states[i + 1][0] <= day:
                i += 1
            if states[i][0] > day:
                continue
            totals[n] += recall_on(states[i][1], day, zone)
            counts[n] += 1
    return [(start + timedelta(days=n), totals[n] / counts[n] if counts[n] else None) for n in range(span)]
