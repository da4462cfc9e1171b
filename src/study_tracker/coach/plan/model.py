"""What a plan takes in (a topic and its log) and gives back (placed reviews, each explained)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from study_tracker.tracker.srs import Event


@dataclass(frozen=True)
class TopicLog:
    """A studied topic: a stable key and its log (completion first, then reviews)."""

    key: str
    history: tuple[Event, ...]
    title: str = ""
    skills: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.history or self.history[0].kind != "completion":
            raise ValueError(f"topic {self.key!r}: a topic's history starts with its completion")


@dataclass(frozen=True)
class PlannedReview:
    """One review placed by the plan.

    ``due`` is the day the scheduler alone gives; ``day`` the day the plan chose, inside
    ``window`` (both ends included). ``projected`` reviews come after a review that has not
    happened yet: they assume each earlier one is done on its planned day and recalled ("good").
    """

    topic: str
    step: int
    due: date
    day: date
    window: tuple[date, date]
    interval_days: int
    cost: float  # in the plan's target unit
    minutes: float
    projected: bool
    reasons: tuple[str, ...] = ()

    @property
    def moved(self) -> bool:
        return self.day != self.due

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


@dataclass(frozen=True)
class TopicOutlook:
    """A topic's predicted recall on the interview day under the plan."""

    topic: str
    recall: float
    below_target: bool
    savable: bool  # a review on some study day before the date could lift it to the target


@dataclass(frozen=True)
class Plan:
    today: date
    interview: date | None
    target: float  # the recall to keep on the interview day
    reviews: tuple[PlannedReview, ...]  # by (day, topic, step)
    outlook: tuple[TopicOutlook, ...] = ()  # by topic key; empty without an interview date
    _by_day: dict[date, list[PlannedReview]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for review in self.reviews:
            self._by_day.setdefault(review.day, []).append(review)

    def on(self, day: date) -> list[PlannedReview]:
        return list(self._by_day.get(day, []))

    def load(self, day: date) -> float:
        return sum(r.cost for r in self._by_day.get(day, []))

    def next_for(self, topic: str) -> PlannedReview | None:
        """The topic's next review (the first one, which does not assume any other is done)."""
        return next((r for r in self.reviews if r.topic == topic and not r.projected), None)

    def at_risk(self) -> list[TopicOutlook]:
        return [o for o in self.outlook if o.below_target]


def sort_reviews(reviews: Sequence[PlannedReview]) -> tuple[PlannedReview, ...]:
    return tuple(sorted(reviews, key=lambda r: (r.day, r.topic, r.step)))
