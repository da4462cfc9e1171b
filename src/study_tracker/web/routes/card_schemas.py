"""Request and response bodies of the card loop's JSON API (reviews and drills)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from study_tracker.practice.cards import Card
from study_tracker.practice.grading.base import MAX_ANSWER_CHARS, GradeResult
from study_tracker.practice.outcomes import MAX_CARDS, OutcomeIn
from study_tracker.web.routes.review_schemas import ReviewPublic


class CardPublic(BaseModel):
    position: int
    track: str
    day: int
    index: int = Field(description="The question's place in its topic.")
    type: str
    level: int
    prompt: str
    key_points: list[str]
    skills: list[str]


def card_public(card: Card) -> CardPublic:
    return CardPublic(
        position=card.position,
        track=card.track,
        day=card.day,
        index=card.index,
        type=card.type,
        level=card.level,
        prompt=card.prompt,
        key_points=list(card.key_points),
        skills=list(card.skills),
    )


class GradeOptionPublic(BaseModel):
    rating: int = Field(description="1 Again, 2 Hard, 3 Good, 4 Easy.")
    label: str
    interval_days: int | None = Field(description="Days until the next review; null: the topic graduates.")
    due_date: date | None


class ReviewCardsPublic(BaseModel):
    completion_id: int
    title: str
    due_date: date
    cards: list[CardPublic]
    grades: list[GradeOptionPublic] = Field(description="What each rating would schedule next.")


class AnswerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: str = Field("", max_length=MAX_ANSWER_CHARS, description="The typed answer (blank: not graded).")


class CardGradePublic(BaseModel):
    position: int
    graded: bool = Field(description="False for a blank answer, or while the model is being prepared.")
    suggested: int | None = Field(description="The grader's grade as a rating 1-4.")
    covered: list[int] = Field(description="Key points (0-based) the answer covers.")
    contradicted: list[int] = Field(description="Key points it contradicts.")
    result: GradeResult | None = Field(description="Per key point: status, evidence, reason.")
    notice: str | None = None


class ReviewOutcomesCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcomes: list[OutcomeIn] = Field(default_factory=list, max_length=MAX_CARDS)
    rating: int | None = Field(None, ge=1, le=4, description="Default: derived from the outcomes' grades.")
    notes: str = Field("", max_length=20_000)


class ReviewOutcomesPublic(BaseModel):
    review: ReviewPublic
    derived_rating: int
    next_review: date | None
    message: str
