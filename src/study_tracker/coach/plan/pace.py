"""Pace to the date: do the remaining topics fit before the interview at the learner's own pace?

The pace comes from the learner's history (``learner_pace``): topics and minutes per calendar day
over the last weeks, missed days included, so it is the pace they really keep. The days left are
the study days before the interview, each counted by its share (an easy Sunday at 30% is 0.3 of a
day; a break is none).

``pace_to_date`` then says one of three things:

- the topics **fit**: when they will be done at the current pace;
- they fit at a **proposed pace** no more than ``stretch`` times the current one;
- they do not: what to **compress** (skim or skip before the interview) so the rest fits at the
  stretched pace. Topics are kept by priority: those training the career path's weakest skills
  first, then topics with no skill on the path, and topics whose skills are all mastered last;
  so mastered topics are compressed first. What is kept stays in its original order (a track's
  days build on each other).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from study_tracker.coach.plan.calendar import Calendar, fmt_day

PACE_WINDOW = 28  # days of history the pace is read from
MASTERED = 0.8  # a skill at or above this mastery counts as mastered


@dataclass(frozen=True)
class StudyDay:
    """What the learner did on one day: new topics completed and minutes studied."""

    day: date
    topics: int
    minutes: float


@dataclass(frozen=True)
class Pace:
    topics_per_day: float
    minutes_per_day: float
    minutes_per_topic: float
    days: int  # calendar days it was measured over (0: no history)


@dataclass(frozen=True)
class RemainingTopic:
    """A topic not studied yet: a track day or a roadmap item."""

    key: str
    title: str
    source: str = ""  # "track:<slug>" or "roadmap:<slug>"
    skills: tuple[str, ...] = ()


@dataclass(frozen=True)
class PaceAdvice:
    fits: bool
    remaining: int
    study_days: float
    pace: Pace
    needed_topics_per_day: float
    proposed_topics_per_day: float
    proposed_minutes_per_day: float
    finish: date | None  # when the remaining topics are done at the current pace
    keep: tuple[RemainingTopic, ...] = ()
    compress: tuple[RemainingTopic, ...] = ()  # compress first comes first
    message: str = ""
    order: tuple[RemainingTopic, ...] = field(default=(), repr=False)  # every topic, by priority


def learner_pace(days: Sequence[StudyDay], *, today: date, window: int = PACE_WINDOW) -> Pace:
    """Topics and minutes per calendar day over the ``window`` days before today (or since the
    first study day, when the history is shorter). Today is left out: it is not over."""
    first = today - timedelta(days=window)
    seen = [d for d in days if first <= d.day < today]
    if not seen:
        return Pace(0.0, 0.0, 0.0, 0)
    span = (today - min(d.day for d in seen)).days
    topics = sum(d.topics for d in seen)
    minutes = sum(d.minutes for d in seen)
    return Pace(topics / span, minutes / span, minutes / topics if topics else 0.0, span)


def priority(
    topics: Sequence[RemainingTopic],
    *,
    mastery: Mapping[str, float],
    path_skills: Collection[str] | None,
    mastered: float = MASTERED,
) -> list[RemainingTopic]:
    """Topics in the order to keep them: weakest path skill first, mastered topics last (ties keep
    the original order)."""
    return [
        topics[i]
        for i in _priority_index(topics, mastery=mastery, path_skills=path_skills, mastered=mastered)
    ]


def _priority_index(
    topics: Sequence[RemainingTopic],
    *,
    mastery: Mapping[str, float],
    path_skills: Collection[str] | None,
    mastered: float = MASTERED,
) -> list[int]:
    def rank(index: int) -> tuple[int, float, int]:
        topic = topics[index]
        relevant = [s for s in topic.skills if path_skills is None or s in path_skills]
        weak = [mastery.get(s, 0.0) for s in relevant if mastery.get(s, 0.0) < mastered]
        if weak:
            return 0, min(weak), index
        if topic.skills and all(mastery.get(s, 0.0) >= mastered for s in topic.skills):
            return 2, 0.0, index
        return 1, 0.0, index

    return sorted(range(len(topics)), key=rank)


def pace_to_date(
    remaining: Sequence[RemainingTopic],
    *,
    pace: Pace,
    calendar: Calendar,
    today: date,
    mastery: Mapping[str, float],
    path_skills: Collection[str] | None = None,
    review_minutes_per_day: float = 0.0,
    stretch: float = 1.5,
) -> PaceAdvice:
    """Whether ``remaining`` fits before the interview in ``calendar``'s settings, and what to do.

    Args:
        pace: the learner's pace (``learner_pace``).
        mastery: skill -> 0..1; skills not in it count as 0 (not shown yet).
        path_skills: the career path's skills; None treats every skill as on the path.
        review_minutes_per_day: the forecast's mean, added to the proposed minutes a day.
        stretch: the most a proposed pace may exceed the current one before compressing.

    Raises:
        ValueError: no interview date in the settings.
    """
    interview = calendar.settings.interview
    if interview is None:
        raise ValueError("pace to the date needs an interview date")
    days = calendar.study_days(today, interview - timedelta(days=1))
    count = len(remaining)
    order_index = _priority_index(remaining, mastery=mastery, path_skills=path_skills)
    needed = count / days if days > 0 else math.inf
    current = pace.topics_per_day
    per_topic = pace.minutes_per_topic

    def minutes(rate: float) -> float:
        return rate * per_topic + review_minutes_per_day

    def advice(fits: bool, rate: float, message: str, keep: int | None = None) -> PaceAdvice:
        kept = set(order_index[:keep]) if keep is not None else set(range(count))
        return PaceAdvice(
            fits=fits,
            remaining=count,
            study_days=days,
            pace=pace,
            needed_topics_per_day=needed,
            proposed_topics_per_day=rate,
            proposed_minutes_per_day=minutes(rate),
            finish=finish,
            keep=tuple(t for i, t in enumerate(remaining) if i in kept),
            compress=tuple(remaining[i] for i in reversed(order_index) if i not in kept),
            message=message,
            order=tuple(remaining[i] for i in order_index),
        )

    finish = _finish(calendar, today, count, current)
    if count == 0:
        return advice(True, 0.0, "Nothing left to study before the interview.")
    if current > 0 and finish is not None and finish < interview:
        return advice(
            True,
            current,
            f"At your pace ({current:.1f} topics a day) the {count} remaining topics fit: "
            f"done by {fmt_day(finish)}, before the interview on {fmt_day(interview)}.",
        )
    if days <= 0:
        return advice(
            False, 0.0, f"No study day is left before the interview on {fmt_day(interview)}.", keep=0
        )
    limit = current * stretch if current > 0 else needed
    if needed <= limit:
        proposed = math.ceil(needed * 10) / 10
        return advice(
            True,
            proposed,
            f"Study {proposed:.1f} topics a day (about {minutes(proposed):.0f} minutes with reviews) to "
            f"finish the {count} remaining topics before the interview on {fmt_day(interview)}"
            + (f"; you now do {current:.1f}." if current > 0 else "."),
        )
    fit = int(limit * days + 1e-9)
    compressed = [remaining[i] for i in reversed(order_index[fit:])]
    return advice(
        False,
        limit,
        f"The {count} remaining topics do not fit before the interview on {fmt_day(interview)} even at "
        f"{limit:.1f} topics a day: compress {len(compressed)} (mastered skills first), starting with "
        + ", ".join(t.title or t.key for t in compressed[:3])
        + ".",
        keep=fit,
    )


def _finish(calendar: Calendar, today: date, count: int, rate: float) -> date | None:
    """The day the ``count``-th topic is done at ``rate`` topics per study day (None: never, or not
    within a year)."""
    if count == 0:
        return today
    if rate <= 0:
        return None
    done = 0.0
    day = today
    for _ in range(366 * 2):
        done += rate * calendar.share(day)
        if done + 1e-9 >= count:
            return day
        day += timedelta(days=1)
    return None
