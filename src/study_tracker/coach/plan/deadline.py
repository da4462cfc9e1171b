"""Reviews that respect the interview date: where a review due on or after the date goes instead.

- **FSRS** (any scheduler with a memory model): when a topic's predicted recall on the interview
  day is below the target, a final review is pulled in to the latest study day before the date
  from which a review still lifts recall on the day to the target. Reviewing closer to the date
  leaves less time to forget, so the valid days form a run that ends on the last study day; the
  window is that day and up to ``width`` valid study days before it, for load balancing.
- **Fixed ladder**: steps that would fall on or after the date are compressed into the study days
  left before it, keeping their proportions: the last step lands on the last day before the
  interview, earlier ones proportionally before, one step a day. When fewer days are left than
  steps, the first steps take the days that are left and the others stay after the date.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, time, tzinfo
from typing import TYPE_CHECKING

from study_tracker.tracker.srs import Recall, recall_on, review_memory

if TYPE_CHECKING:
    from fsrs import Card

# Projected reviews happen at local noon: whole days apart, whatever the zone.
REVIEW_TIME = time(12)


def review_instant(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, REVIEW_TIME, tzinfo=zone)


def recall_after_review(
    card: Card, day: date, interview: date, *, zone: tzinfo, desired_retention: float
) -> float:
    """Predicted recall on ``interview`` if the topic is reviewed (and recalled) on ``day``."""
    after = review_memory(card, Recall.good, review_instant(day, zone), desired_retention)
    return recall_on(after, interview, zone)


def pull_in_days(
    card: Card,
    days: Sequence[date],
    interview: date,
    *,
    target: float,
    width: int,
    zone: tzinfo,
    desired_retention: float,
) -> tuple[list[date], bool]:
    """Where a final review before ``interview`` may go.

    Args:
        days: the study days it may take (after the last review, before the date), ascending.
        width: how many valid days before the latest one the window may reach back.

    Returns:
        (window days ascending, whether they lift recall on the day to ``target``). With no valid
        day the window is the last study day alone: the review still helps most there.
    """
    if not days:
        return [], False
    window: list[date] = []
    for day in reversed(days):
        ok = (
            recall_after_review(card, day, interview, zone=zone, desired_retention=desired_retention)
            >= target
        )
        if not ok:
            if window:
                break  # the valid run has ended
            continue
        window.append(day)
        if len(window) > width:
            break
    if not window:
        return [days[-1]], False
    return sorted(window), True


def ladder_slot(
    *,
    intervals: Sequence[int],
    completed: date,
    step: int,
    last_day: date,
    interview: date,
    free_days: int,
) -> int | None:
    """Index, among the ``free_days`` study days left before the interview, of the ladder step
    ``step`` once compressed; None when no day is left.

    Args:
        intervals: the ladder (days after completion of each step).
        step: the position on the ladder of the review being placed.
        last_day: the day of the topic's latest review (or its completion).
    """
    if free_days <= 0 or step >= len(intervals):
        return None
    nominal = [completed.toordinal() + i for i in intervals[step:]]
    current = max(nominal[0], last_day.toordinal() + 1)
    later = [n for n in nominal[1:] if n >= interview.toordinal()]
    steps = 1 + len(later)
    if free_days < steps:
        return 0  # the first steps take the days that are left
    last = later[-1] if later else current
    span = last - last_day.toordinal()
    share = 1.0 if span <= 0 or not later else (current - last_day.toordinal()) / span
    return min(max(math.ceil(share * free_days) - 1, 0), free_days - steps)
