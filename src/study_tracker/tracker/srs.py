"""Spaced-repetition schedulers: pure functions of a topic's log, with the clock as a parameter.

Two schedulers share one interface, ``next_review(history, zone) -> Due | None``:

* ``FixedIntervals``: reviews fall on the completion date plus each interval (1, 3, 7, 14 by
  default), as the quick-start guide promises. "Again" keeps the same step and asks again the
  next day; a late review never pulls the next one earlier than the day after it.
* ``FsrsScheduler``: the ``fsrs`` package's memory model. The completion's difficulty (1-5)
  becomes the first grade and each review's recall rating the next one; the card is replayed
  from the log, so a schedule can always be recomputed.

The FSRS memory model also answers questions a plan asks whatever the scheduler
(``replay_memory``, ``review_memory``, ``recall_on``): what a topic's predicted recall will be on a
given day, and what a review on some day would change. ``fuzz_bounds`` is the range an interval
may move within, as FSRS fuzzes intervals (used by the plan's load balancing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import IntEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from study_tracker.clock import local_date

if TYPE_CHECKING:
    from fsrs import Card
    from fsrs import Scheduler as FsrsEngine


class Recall(IntEnum):
    again = 1
    hard = 2
    good = 3
    easy = 4


DEFAULT_INTERVALS = (1, 3, 7, 14)


@dataclass(frozen=True)
class Event:
    """One entry of a topic's log: its completion (grade = difficulty 1-5) or a review (grade = Recall)."""

    kind: str  # "completion" | "review"
    at: datetime
    grade: int

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("naive datetime: events need aware datetimes")


@dataclass(frozen=True)
class Due:
    step: int  # how many reviews of this topic came before
    due_date: date
    interval_days: int  # the spacing this review tests; decides its review type
    state: dict[str, Any] | None = None  # the scheduler's memory state, when it keeps one


class Scheduler(Protocol):
    @property
    def name(self) -> str: ...

    def next_review(self, history: Sequence[Event], zone: tzinfo) -> Due | None: ...


def _check(history: Sequence[Event]) -> None:
    if not history or history[0].kind != "completion":
        raise ValueError("a topic's history starts with its completion")


@dataclass(frozen=True)
class FixedIntervals:
    intervals: tuple[int, ...] = DEFAULT_INTERVALS
    name: str = "fixed"

    def __post_init__(self) -> None:
        if not self.intervals or any(i < 1 for i in self.intervals):
            raise ValueError("review intervals must be whole days, each at least 1")

    def next_review(self, history: Sequence[Event], zone: tzinfo) -> Due | None:
        _check(history)
        completed = local_date(history[0].at, zone)
        reviews = history[1:]
        step = sum(1 for e in reviews if e.grade != Recall.again)
        if step >= len(self.intervals):
            return None
        due = completed + timedelta(days=self.intervals[step])
        if reviews:
            due = max(due, local_date(reviews[-1].at, zone) + timedelta(days=1))
        return Due(step=len(reviews), due_date=due, interval_days=self.intervals[step])


# Difficulty 1 (easy) .. 5 (very hard) as the first FSRS grade.
DIFFICULTY_TO_RECALL = {1: Recall.easy, 2: Recall.good, 3: Recall.good, 4: Recall.hard, 5: Recall.again}


@lru_cache(maxsize=16)
def _fsrs(desired_retention: float) -> FsrsEngine:
    """The fsrs engine for day-granular study: no minute-long learning steps, and no fuzz so replays
    are exact. Engines hold no state between reviews, so one per retention is shared."""
    from fsrs import Scheduler as Engine

    return Engine(
        desired_retention=desired_retention,
        learning_steps=(),
        relearning_steps=(),
        enable_fuzzing=False,
    )


def _grade(event: Event) -> Recall:
    return DIFFICULTY_TO_RECALL[event.grade] if event.kind == "completion" else Recall(event.grade)


def replay_memory(history: Sequence[Event], desired_retention: float = 0.9) -> Card:
    """The FSRS memory (stability, difficulty, last review, due) after a topic's log."""
    from fsrs import Card, Rating

    _check(history)
    engine = _fsrs(desired_retention)
    card = Card(card_id=1)
    for event in history:
        card, _ = engine.review_card(card, Rating(int(_grade(event))), event.at.astimezone(UTC))
    return card


def review_memory(card: Card, grade: Recall, at: datetime, desired_retention: float = 0.9) -> Card:
    """The memory after one more review graded ``grade`` at ``at`` (a copy; ``card`` is unchanged)."""
    from fsrs import Rating

    if at.tzinfo is None:
        raise ValueError("naive datetime: reviews need aware datetimes")
    # fsrs accepts only datetime.UTC itself (not an equal zone such as ZoneInfo("UTC")).
    return _fsrs(desired_retention).review_card(card, Rating(int(grade)), at.astimezone(UTC))[0]


def recall_on(card: Card, day: date, zone: tzinfo) -> float:
    """Predicted recall (FSRS retrievability) on local ``day``, counting whole days since the last
    review; 1.0 on the day of that review or before it."""
    last = card.last_review
    if last is None:
        return 0.0
    elapsed = (day - local_date(last, zone)).days
    if elapsed <= 0:
        return 1.0
    return float(_fsrs(0.9).get_card_retrievability(card, last + timedelta(days=elapsed)))


def fuzz_bounds(interval_days: int) -> tuple[int, int]:
    """(shortest, longest) interval a review ``interval_days`` apart may be moved to, as FSRS fuzzes
    intervals: none below 3 days, then a range that grows with the interval (about +-15% of a week,
    +-5% of a long gap). The plan moves reviews within this range to balance the load."""
    from fsrs.scheduler import FUZZ_RANGES

    if interval_days < 2.5:
        return interval_days, interval_days
    delta = 1.0
    for band in FUZZ_RANGES:
        delta += band["factor"] * max(min(float(interval_days), band["end"]) - band["start"], 0.0)
    low = max(2, round(interval_days - delta))
    return min(low, interval_days), max(round(interval_days + delta), interval_days)


@dataclass(frozen=True)
class FsrsScheduler:
    desired_retention: float = 0.9
    name: str = "fsrs"

    def __post_init__(self) -> None:
        if not 0.7 <= self.desired_retention <= 0.99:
            raise ValueError("desired_retention must be between 0.7 and 0.99")

    def next_review(self, history: Sequence[Event], zone: tzinfo) -> Due | None:
        card = replay_memory(history, self.desired_retention)
        last_day = local_date(history[-1].at, zone)
        due = max(local_date(card.due, zone), last_day + timedelta(days=1))
        return Due(
            step=len(history) - 1,
            due_date=due,
            interval_days=(due - last_day).days,
            state=dict(card.to_dict()),
        )


def make_scheduler(name: str, *, intervals: Sequence[int], desired_retention: float) -> Scheduler:
    if name == "fixed":
        return FixedIntervals(tuple(intervals))
    if name == "fsrs":
        return FsrsScheduler(desired_retention)
    raise ValueError(f"scheduler must be 'fixed' or 'fsrs', got {name!r}")


@dataclass(frozen=True)
class ReviewType:
    key: str
    label: str
    questions: int
    # Relative weight of question levels 1, 2, 3 when sampling: longer gaps ask harder things.
    level_weights: tuple[float, float, float]


REVIEW_TYPES = (
    ReviewType("quick", "Quick refresh", 2, (3.0, 1.0, 0.2)),
    ReviewType("moderate", "Moderate depth", 3, (1.0, 2.0, 1.0)),
    ReviewType("full", "Full recall", 4, (0.5, 1.5, 2.0)),
    ReviewType("long_term", "Long-term retention", 5, (0.3, 1.0, 3.0)),
)


def review_type(interval_days: int) -> ReviewType:
    """The kind of review a spacing calls for: 1 day quick, 3 moderate, 7 full, 14+ long-term."""
    if interval_days <= 1:
        return REVIEW_TYPES[0]
    if interval_days <= 4:
        return REVIEW_TYPES[1]
    if interval_days <= 10:
        return REVIEW_TYPES[2]
    return REVIEW_TYPES[3]
