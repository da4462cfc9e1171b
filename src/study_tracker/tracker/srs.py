"""Spaced-repetition schedulers: pure functions of a topic's log, with the clock as a parameter.

Two schedulers share one interface, ``next_review(history, zone) -> Due | None``:

* ``FixedIntervals``: reviews fall on the completion date plus each interval (1, 3, 7, 14 by
  default), as the quick-start guide promises. "Again" keeps the same step and asks again the
  next day; a late review never pulls the next one earlier than the day after it.
* ``FsrsScheduler``: the ``fsrs`` package's memory model. The completion's difficulty (1-5)
  becomes the first grade and each review's recall rating the next one; the card is replayed
  from the log, so a schedule can always be recomputed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from enum import IntEnum
from typing import Any, Protocol

from study_tracker.clock import local_date


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


@dataclass(frozen=True)
class FsrsScheduler:
    desired_retention: float = 0.9
    name: str = "fsrs"

    def __post_init__(self) -> None:
        if not 0.7 <= self.desired_retention <= 0.99:
            raise ValueError("desired_retention must be between 0.7 and 0.99")

    def next_review(self, history: Sequence[Event], zone: tzinfo) -> Due | None:
        from fsrs import Card, Rating, Scheduler

        _check(history)
        # Day-granular study: no minute-long learning steps, and no fuzz so replays are exact.
        scheduler = Scheduler(
            desired_retention=self.desired_retention,
            learning_steps=(),
            relearning_steps=(),
            enable_fuzzing=False,
        )
        card = Card(card_id=1)
        for event in history:
            grade = DIFFICULTY_TO_RECALL[event.grade] if event.kind == "completion" else Recall(event.grade)
            card, _ = scheduler.review_card(card, Rating(int(grade)), event.at)
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
