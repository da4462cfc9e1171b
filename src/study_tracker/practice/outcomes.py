"""Per-question outcomes of the card loop: stored with the review (or drill answer) they belong to.

A review done one card at a time is logged as one ``review_logs`` row (its rating, which
schedules the topic) and one ``question_outcomes`` row per question answered, written in the same
transaction, so they stand or fall together. The log is append-only: undoing the review adds an
undo row and its outcomes stop counting (:func:`live_outcomes`) without being deleted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from study_tracker.clock import local_date
from study_tracker.db.models import QuestionOutcome, ReviewLog, Undo
from study_tracker.errors import InvalidInput, invalid
from study_tracker.practice.cards import Card, review_cards
from study_tracker.practice.grading.base import MAX_ANSWER_CHARS, MAX_KEY_POINTS
from study_tracker.tracker import agenda, service
from study_tracker.tracker.srs import Recall

MAX_CARDS = 30  # a drill's longest (DrillFilters.count); a review asks at most 5
# A form or JSON field carrying every outcome of a session: the answers plus room for the rest.
MAX_OUTCOMES_CHARS = MAX_CARDS * (MAX_ANSWER_CHARS + 400)

KeyPointIndex = Annotated[int, Field(ge=0, lt=MAX_KEY_POINTS)]


class OutcomeIn(BaseModel):
    """What the learner did with one card: the first guard on the web form, the API and the CLI."""

    model_config = ConfigDict(extra="forbid")

    position: int = Field(ge=0, lt=MAX_CARDS, description="The card's place in the review (0-based).")
    answer: Annotated[str, StringConstraints(max_length=MAX_ANSWER_CHARS)] = Field(
        "", description="The typed answer; blank when answered aloud."
    )
    covered: list[KeyPointIndex] = Field(default_factory=list, max_length=MAX_KEY_POINTS)
    contradicted: list[KeyPointIndex] = Field(default_factory=list, max_length=MAX_KEY_POINTS)
    suggested: int | None = Field(None, ge=1, le=4, description="The grader's grade, if it graded.")
    grade: int = Field(ge=1, le=4, description="The learner's grade: 1 Again, 2 Hard, 3 Good, 4 Easy.")
    grader: Literal["offline", "llm", "none"] = "none"


class OutcomesIn(BaseModel):
    """The outcomes of one session's cards, as the card loop's form and the API carry them."""

    model_config = ConfigDict(extra="forbid")

    outcomes: list[OutcomeIn] = Field(default_factory=list, max_length=MAX_CARDS)


def parse_outcomes(raw: str) -> list[OutcomeIn]:
    """Outcomes sent as JSON text (the card loop's form carries them from card to card).

    Raises:
        InvalidInput: too long, not JSON, or an outcome out of bounds (``outcomes[i].field``).
    """
    if not raw.strip():
        return []
    if len(raw) > MAX_OUTCOMES_CHARS:
        raise InvalidInput.field("outcomes", f"must be at most {MAX_OUTCOMES_CHARS:,} characters")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        raise InvalidInput.field("outcomes", "must be a JSON list of outcomes") from None
    try:
        return OutcomesIn.model_validate({"outcomes": data}).outcomes
    except ValidationError as exc:
        raise invalid(exc, brackets=True) from None


def dump_outcomes(outcomes: Sequence[OutcomeIn]) -> str:
    return json.dumps([o.model_dump() for o in outcomes], ensure_ascii=False)


def check_against(outcomes: Sequence[OutcomeIn], cards: Sequence[Card], field: str = "outcomes") -> None:
    """Each outcome names a card once, and only key points that card has.

    Raises:
        InvalidInput: a position past the last card, twice, or a key point the card lacks.
    """
    seen: set[int] = set()
    for i, o in enumerate(outcomes):
        if o.position >= len(cards):
            raise InvalidInput.field(
                f"{field}[{i}].position", f"must be below {len(cards)} (the cards asked)"
            )
        if o.position in seen:
            raise InvalidInput.field(f"{field}[{i}].position", f"card {o.position + 1} is answered twice")
        seen.add(o.position)
        check_key_points(o, cards[o.position], f"{field}[{i}]")


def check_key_points(outcome: OutcomeIn, card: Card, field: str = "outcome") -> None:
    """Raises InvalidInput when ``outcome`` ticks a key point ``card`` does not have."""
    total = len(card.key_points)
    for name in ("covered", "contradicted"):
        if any(k >= total for k in getattr(outcome, name)):
            raise InvalidInput.field(f"{field}.{name}", f"key points are numbered 0 to {total - 1}")


def outcome_row(card: Card, outcome: OutcomeIn, *, now: datetime, zone: tzinfo) -> QuestionOutcome:
    """The row for ``outcome`` (not added to a session: the caller links it to its entry)."""
    covered = sorted(set(outcome.covered) - set(outcome.contradicted))
    return QuestionOutcome(
        position=outcome.position,
        track=card.track,
        day=card.day,
        question_index=card.index,
        skills=list(card.skills),
        answer=outcome.answer,
        key_points=len(card.key_points),
        covered=covered,
        contradicted=sorted(set(outcome.contradicted)),
        suggested=outcome.suggested,
        grade=outcome.grade,
        grader=outcome.grader,
        answered_at=now,
        local_date=local_date(now, zone),
    )


def record_review(
    *,
    session: Session,
    completion_id: int,
    outcomes: Sequence[OutcomeIn],
    rating: Recall | int,
    notes: str,
    now: datetime,
    zone: tzinfo,
    allow_early: bool = False,
) -> ReviewLog:
    """Log a due review with its rating and the outcome of each question answered.

    ``allow_early``: the review is not due by the scheduler yet, but the learner's plan placed it
    on today (the edges ask ``coach.study_plan.planned_early``: practice does not read the plan).

    Raises:
        NotFound: no pending review for that completion.
        InvalidInput: a bad rating, or outcomes that do not fit the review's questions.
        Conflict: the review is not due yet, or was logged a moment ago.
    """
    due = agenda.get_due_review(session, completion_id=completion_id, today=local_date(now, zone))
    cards = review_cards(due)
    check_against(outcomes, cards)
    review = service.log_review(
        session=session,
        completion_id=completion_id,
        rating=rating,
        notes=notes,
        now=now,
        zone=zone,
        allow_early=allow_early,
    )
    for outcome in sorted(outcomes, key=lambda o: o.position):
        row = outcome_row(cards[outcome.position], outcome, now=now, zone=zone)
        row.review_id = review.id
        session.add(row)
    session.flush()
    return review


def live_outcomes() -> Select[QuestionOutcome]:
    """Outcomes whose review is not undone (a drill's always count), a select to refine."""
    undone = select(Undo.review_id).where(Undo.review_id.is_not(None))
    return select(QuestionOutcome).where(
        QuestionOutcome.review_id.is_(None) | QuestionOutcome.review_id.not_in(undone)
    )


def review_outcomes(session: Session, *, review_id: int) -> list[QuestionOutcome]:
    """A live review's outcomes in card order (none once the review is undone)."""
    stmt = live_outcomes().where(QuestionOutcome.review_id == review_id)
    return list(session.scalars(stmt.order_by(QuestionOutcome.position)))


def drill_outcomes(session: Session, *, result_ids: Sequence[int]) -> dict[int, QuestionOutcome]:
    """The outcomes of some drill results, by drill result id."""
    if not result_ids:
        return {}
    stmt = select(QuestionOutcome).where(QuestionOutcome.drill_result_id.in_(list(result_ids)))
    return {o.drill_result_id: o for o in session.scalars(stmt) if o.drill_result_id is not None}
