"""The card loop's pure parts: a question as a card, grading a typed answer, the answer with its
covering sentences marked, and the review rating derived from the per-question grades.

The web pages, the JSON API and the terminal loop all go through these, so a card looks and
grades the same everywhere; storing what was answered is ``practice/outcomes.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from study_tracker.content.curriculum import Question, Topic, Track
from study_tracker.practice.grading.base import AnswerToGrade, Grader, GradeResult, Status
from study_tracker.tracker.agenda import DueReview, review_questions
from study_tracker.tracker.srs import Recall

GRADE_LABELS = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}


@dataclass(frozen=True)
class Card:
    """One question of a review or drill, with where it comes from."""

    position: int  # 0-based order in its review or drill
    track: str
    day: int
    index: int  # the question's position in its topic
    topic_title: str
    type: str
    level: int
    prompt: str
    key_points: tuple[str, ...]
    skills: tuple[str, ...]

    def to_grade(self, answer: str) -> AnswerToGrade:
        return AnswerToGrade(prompt=self.prompt, key_points=list(self.key_points), answer=answer)


def topic_card(track: Track, topic: Topic, index: int, position: int) -> Card:
    """The card of question ``index`` of ``topic``."""
    return question_card(track, topic, topic.questions[index], index=index, position=position)


def question_card(track: Track, topic: Topic, q: Question, *, index: int, position: int) -> Card:
    """The card of question ``q`` of ``topic`` (``index``: its reference: a position in the
    topic for a bundled question, a practice question's id for a roadmap's)."""
    return Card(
        position=position,
        track=track.slug,
        day=topic.day,
        index=index,
        topic_title=topic.title,
        type=q.type.value,
        level=q.level,
        prompt=q.prompt,
        key_points=tuple(q.key_points),
        skills=tuple(topic.question_skills(q)),
    )


def review_cards(review: DueReview) -> list[Card]:
    """The cards of a due review: its sampled questions, in the topic's order."""
    indices = {id(q): i for i, q in enumerate(review.topic.questions)}
    return [
        topic_card(review.track, review.topic, indices[id(q)], position)
        for position, q in enumerate(review_questions(review))
    ]


def grade_card(grader: Grader, card: Card, answer: str) -> GradeResult | None:
    """The grader's verdict on a typed answer; None for a blank one (answered aloud: nothing to
    grade, the learner grades themself). Slow (an embedding per sentence): call it off the event loop."""
    if not answer.strip():
        return None
    return grader.grade(card.to_grade(answer))


@dataclass(frozen=True)
class Segment:
    """A piece of the typed answer; ``marks`` lists the key points (1-based) it covers."""

    text: str
    marks: tuple[int, ...] = ()
    contradicts: bool = False


def highlight(answer: str, result: GradeResult | None) -> list[Segment]:
    """The answer cut at the evidence sentences of covered (and contradicted) key points."""
    if result is None or not answer:
        return [Segment(answer)] if answer else []
    spans: dict[tuple[int, int], list[int]] = {}
    wrong: set[tuple[int, int]] = set()
    for k in result.key_points:
        if k.evidence is None or k.status is Status.missed:
            continue
        span = (k.evidence.start, k.evidence.end)
        spans.setdefault(span, []).append(k.index + 1)
        if k.status is Status.contradicted:
            wrong.add(span)
    out, at = [], 0
    for (start, end), marks in sorted(spans.items()):
        if start < at or end > len(answer) or start >= end:
            continue  # overlapping or out of range: leave it unmarked rather than garble the text
        if start > at:
            out.append(Segment(answer[at:start]))
        out.append(Segment(answer[start:end], tuple(marks), (start, end) in wrong))
        at = end
    if at < len(answer):
        out.append(Segment(answer[at:]))
    return out


def derive_rating(grades: Sequence[int]) -> Recall:
    """The topic's review rating from its questions' grades: the mean, rounded down at a half, and
    at most Hard when any question was Again (one forgotten question is a lapse worth an earlier
    look). No grades at all: Good (the learner reviewed without the card loop's grades)."""
    if not grades:
        return Recall.good
    mean = sum(grades) / len(grades)
    rating = int(mean) + (1 if mean - int(mean) > 0.5 else 0)
    if any(g == Recall.again for g in grades):
        rating = min(rating, int(Recall.hard))
    return Recall(max(1, min(4, rating)))
