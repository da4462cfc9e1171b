"""Skill mastery: a bounded 0-1 score per skill computed from the study log.

Each piece of evidence says how well the user knew a topic or question at some moment
(``signal``, 0-1) and how much that kind of evidence counts (``weight``):

=================  =============================================  ======
evidence           signal                                         weight
=================  =============================================  ======
completion         difficulty 1..5 -> 1.0, 0.8, 0.6, 0.4, 0.2     0.5
review (fixed)     recall Again/Hard/Good/Easy -> 0, 0.5, 0.8, 1   1.0
drill answer       self-grade Again..Easy -> 0, 0.5, 0.8, 1        1.0
answer (review)    a review question's grade, as a drill answer    0.25
memory (FSRS)      the card's retrievability at today              0.5 + 1.0 a review
=================  =============================================  ======

A topic's evidence counts for every skill it is tagged with (a question's for its own tags).
A review done one card at a time also leaves one *answer* per question (``question_outcomes``)
with the question's own skills; each weighs a quarter, so a review's answers together count
about as much as its rating. (A drill's outcomes add nothing: its drill answers already count.)
When a group uses the FSRS scheduler its completions and reviews are not counted one by one:
the FSRS card replayed from them already summarises them, so its probability of recall
*today* is the signal (weighted like the grades it summarises, and not decayed again since
retrievability already falls with time).

Older evidence fades: its weight halves every ``HALF_LIFE_DAYS`` days. The score is a
weighted mean shrunk towards 0 by a prior of ``PRIOR_WEIGHT``::

    mastery = sum(w_i * d_i * s_i) / (PRIOR_WEIGHT + sum(w_i * d_i)),   d_i = 0.5 ** (age_i / half-life)

so it stays in [0, 1), one Good review alone gives 0.8 / 2 = 0.4, and only repeated,
recent, good evidence approaches 1. The functions at the top are pure (the clock is a
parameter); ``mastery_log.skill_mastery`` reads the log.

Sums use ``math.fsum`` (exactly rounded, so independent of order): the evidence of a skill
can be collected in any order - in one pass over the whole log, or extended with the rows
appended since the last computation - and the scores come out bit for bit the same.
"""

from __future__ import annotations

import heapq
import math
import operator
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

HALF_LIFE_DAYS = 90.0
PRIOR_WEIGHT = 1.0

COMPLETION_SIGNAL = {1: 1.0, 2: 0.8, 3: 0.6, 4: 0.4, 5: 0.2}
RECALL_SIGNAL = {1: 0.0, 2: 0.5, 3: 0.8, 4: 1.0}
COMPLETION_WEIGHT = 0.5
REVIEW_WEIGHT = 1.0
DRILL_WEIGHT = 1.0
ANSWER_WEIGHT = 0.25


class Evidence(NamedTuple):
    # A named tuple, not a dataclass: three years of history is ~15,000 of these per computation.
    kind: str  # completion | review | drill | memory | answer
    ref: int  # id of the completion, review log, drill result or question outcome it comes from
    track: str
    day: int
    skills: tuple[str, ...]
    on: date  # the local day it was recorded; decay counts from here
    signal: float  # 0..1
    weight: float
    grade: int | None = None  # difficulty, recall rating or drill grade
    detail: str = ""  # e.g. the FSRS stability behind a memory signal

    def label(self, titles: dict[str, str] | None = None) -> str:
        track = (titles or {}).get(self.track, self.track)
        what = {
            "completion": f"completed, difficulty {self.grade}/5",
            "review": f"review {_GRADE_NAMES.get(self.grade or 0, '?')}",
            "drill": f"drill {_GRADE_NAMES.get(self.grade or 0, '?')}",
            "memory": f"FSRS memory {self.detail}",
            "answer": f"review question {_GRADE_NAMES.get(self.grade or 0, '?')}",
        }[self.kind]
        return f"{track} day {self.day}: {what}"


_GRADE_NAMES = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
_KIND_ORDER = {"completion": 0, "review": 1, "drill": 2, "memory": 3, "answer": 4}


class Contribution(NamedTuple):
    evidence: Evidence
    effective_weight: float  # weight after decay


@dataclass
class SkillMastery:
    skill: str
    score: float
    count: int
    last: date | None
    # The evidence of each topic (skills tuple) tagged with this skill, shared with the other
    # skills of that topic; the weights after decay are worked out only when a page asks.
    parts: list[Sequence[Evidence]] = field(default_factory=list, repr=False)
    today: date | None = None
    half_life_days: float = HALF_LIFE_DAYS

    @property
    def contributions(self) -> list[Contribution]:
        """Every piece of evidence behind the score with its weight after decay (in no set order)."""
        if self.today is None:
            return []
        decays = decays_for((ev.on for part in self.parts for ev in part), self.today, self.half_life_days)
        return [Contribution(ev, ev.weight * decays[ev.on]) for part in self.parts for ev in part]

    def top(self, n: int = 6) -> list[Contribution]:
        """The evidence that moved this score most (largest weight after decay)."""
        return heapq.nsmallest(
            n,
            self.contributions,
            key=lambda c: (-c.effective_weight, -c.evidence.ref, _KIND_ORDER[c.evidence.kind]),
        )


# --- pure -----------------------------------------------------------------------------------


def decay(age_days: int, half_life_days: float = HALF_LIFE_DAYS) -> float:
    """Weight left after ``age_days``: 1 today, 0.5 after one half-life. Future dates count as today."""
    return 0.5 ** (max(0, age_days) / half_life_days)


def decays_for(
    days: Iterable[date], today: date, half_life_days: float, known: dict[date, float] | None = None
) -> dict[date, float]:
    # The same few hundred days recur thousands of times: one power per distinct day.
    out = known if known is not None else {}
    for on in set(days).difference(out):
        out[on] = decay((today - on).days, half_life_days)
    return out


def completion_evidence(
    *, ref: int, track: str, day: int, skills: Sequence[str], on: date, difficulty: int
) -> Evidence:
    return Evidence(
        "completion",
        ref,
        track,
        day,
        tuple(skills),
        on,
        COMPLETION_SIGNAL[difficulty],
        COMPLETION_WEIGHT,
        difficulty,
    )


def review_evidence(
    *, ref: int, track: str, day: int, skills: Sequence[str], on: date, rating: int
) -> Evidence:
    return Evidence(
        "review", ref, track, day, tuple(skills), on, RECALL_SIGNAL[rating], REVIEW_WEIGHT, rating
    )


def drill_evidence(
    *, ref: int, track: str, day: int, skills: Sequence[str], on: date, grade: int
) -> Evidence:
    return Evidence("drill", ref, track, day, tuple(skills), on, RECALL_SIGNAL[grade], DRILL_WEIGHT, grade)


def answer_evidence(
    *, ref: int, track: str, day: int, skills: Sequence[str], on: date, grade: int
) -> Evidence:
    """One question of a review, graded in the card loop (``ref``: its question outcome)."""
    return Evidence("answer", ref, track, day, tuple(skills), on, RECALL_SIGNAL[grade], ANSWER_WEIGHT, grade)


def retrievability(state: dict[str, Any], now: datetime) -> tuple[float, float]:
    """(probability of recall at ``now``, stability in days) of a stored FSRS card."""
    from fsrs import Card

    return card_recall(Card.from_dict(state), now)  # type: ignore[arg-type]


def card_recall(card: Any, now: datetime) -> tuple[float, float]:
    if now.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime")
    return float(_FSRS().get_card_retrievability(card, now)), float(card.stability or 0.0)


_fsrs_scheduler: Any = None


def _FSRS() -> Any:  # noqa: N802  (one default scheduler: retrievability only uses its weights)
    global _fsrs_scheduler
    if _fsrs_scheduler is None:
        from fsrs import Scheduler

        _fsrs_scheduler = Scheduler()
    return _fsrs_scheduler


def memory_evidence(
    *,
    ref: int,
    track: str,
    day: int,
    skills: Sequence[str],
    today: date,
    now: datetime,
    state: dict[str, Any],
    reviews: int,
) -> Evidence:
    """One FSRS card (its completion plus ``reviews`` reviews) as evidence dated today."""
    return card_evidence(
        ref,
        track=track,
        day=day,
        skills=tuple(skills),
        today=today,
        recall=retrievability(state, now),
        reviews=reviews,
    )


def card_evidence(
    ref: int,
    *,
    track: str,
    day: int,
    skills: tuple[str, ...],
    today: date,
    recall: tuple[float, float],
    reviews: int,
) -> Evidence:
    r, stability = recall
    weight = COMPLETION_WEIGHT + REVIEW_WEIGHT * reviews
    return Evidence(
        "memory",
        ref,
        track,
        day,
        skills,
        today,
        r,
        weight,
        None,
        f"recall {r:.2f}, stability {stability:.1f} d",
    )


class TopicSums(NamedTuple):
    """The evidence of one skills tuple (usually one topic) and its sums at one day."""

    items: tuple[Evidence, ...]
    weighted_signal: float  # sum of w * d * s
    weight: float  # sum of w * d
    last: date | None


def sum_topic(items: tuple[Evidence, ...], decays: dict[date, float]) -> TopicSums:
    weights = [ev.weight * decays[ev.on] for ev in items]
    return TopicSums(
        items,
        math.fsum(map(operator.mul, weights, [ev.signal for ev in items])),
        math.fsum(weights),
        max([ev.on for ev in items], default=None),
    )


def score_skills(
    topics: dict[tuple[str, ...], TopicSums],
    *,
    today: date,
    half_life_days: float,
    prior_weight: float,
    only: set[str] | None = None,
) -> dict[str, SkillMastery]:
    by_skill: dict[str, list[TopicSums]] = defaultdict(list)
    for skills, topic in topics.items():
        for skill in skills:
            if only is None or skill in only:
                by_skill[skill].append(topic)
    out: dict[str, SkillMastery] = {}
    for skill, parts in by_skill.items():
        weight = math.fsum([t.weight for t in parts])
        out[skill] = SkillMastery(
            skill,
            math.fsum([t.weighted_signal for t in parts]) / (prior_weight + weight),
            sum(len(t.items) for t in parts),
            max((t.last for t in parts if t.last is not None), default=None),
            [t.items for t in parts],
            today,
            half_life_days,
        )
    return out


def mastery(
    evidence: Iterable[Evidence],
    *,
    today: date,
    half_life_days: float = HALF_LIFE_DAYS,
    prior_weight: float = PRIOR_WEIGHT,
) -> dict[str, SkillMastery]:
    """Score every skill the evidence mentions (see the module docstring for the formula)."""
    # Evidence of one topic shares its skills tuple: sum per tuple first, then spread to skills.
    grouped: dict[tuple[str, ...], list[Evidence]] = {}
    for ev in evidence:
        items = grouped.get(ev.skills)
        if items is None:
            items = grouped[ev.skills] = []
        items.append(ev)
    decays = decays_for((ev.on for items in grouped.values() for ev in items), today, half_life_days)
    topics = {skills: sum_topic(tuple(items), decays) for skills, items in grouped.items()}
    return score_skills(topics, today=today, half_life_days=half_life_days, prior_weight=prior_weight)
