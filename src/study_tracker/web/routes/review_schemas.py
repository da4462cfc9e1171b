"""Request and response bodies of the reviews feature; Today lists due reviews with them too."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from study_tracker.content.curriculum import Question
from study_tracker.tracker import agenda


class ReviewCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: int = Field(ge=1, le=4, description="1 Again, 2 Hard, 3 Good, 4 Easy.")
    notes: str = Field("", max_length=20_000)


class ReviewPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    completion_id: int
    step: int
    interval_days: int
    rating: int
    notes: str
    local_date: date


class QuestionPublic(BaseModel):
    type: str
    level: int
    prompt: str
    key_points: list[str]


class DueReviewPublic(BaseModel):
    completion_id: int
    track: str
    day: int
    title: str
    due_date: date
    overdue_days: int
    interval_days: int
    review_type: str
    questions: list[QuestionPublic]
    plan_note: str = Field("", description="Why the learner's plan put it on today (empty: not moved).")


def questions_public(questions: list[Question]) -> list[QuestionPublic]:
    return [
        QuestionPublic(type=q.type.value, level=q.level, prompt=q.prompt, key_points=list(q.key_points))
        for q in questions
    ]


def due_review_public(review: agenda.DueReview) -> DueReviewPublic:
    return DueReviewPublic(
        completion_id=review.completion_id,
        track=review.track.slug,
        day=review.day,
        title=review.topic.title,
        due_date=review.due_date,
        overdue_days=review.overdue_days,
        interval_days=review.interval_days,
        review_type=review.rtype.key,
        questions=questions_public(agenda.review_questions(review)),
        plan_note=review.plan_note,
    )
