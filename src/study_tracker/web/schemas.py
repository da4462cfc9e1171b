"""Request and response bodies of the JSON API (the first guard: types and ranges)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class CompletionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    track: str = Field(min_length=1)
    day: int | None = Field(None, ge=1, description="Defaults to the track's current day.")
    difficulty: int = Field(ge=1, le=5, description="1 (easy) to 5 (very hard).")
    notes: str = Field("", max_length=20_000)


class CompletionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    group: str
    track: str
    day: int
    difficulty: int
    notes: str
    local_date: date


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


class TrackTodayPublic(BaseModel):
    track: str
    title: str
    day: int
    length: int
    topic: str | None
    subtopics: list[str]
    estimated_minutes: int | None
    completed: bool
    message: str | None
    missed_days: list[int]


class TodayPublic(BaseModel):
    group: str
    today: date
    reviews: list[DueReviewPublic]
    tracks: list[TrackTodayPublic]


class UndonePublic(BaseModel):
    kind: str
    track: str
    day: int
