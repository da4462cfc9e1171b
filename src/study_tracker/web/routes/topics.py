"""A day's topic: its page (with passages from your materials), completing it by form and by
``POST /api/completions``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from study_tracker.content.curriculum import CONTENT_DIR, Track
from study_tracker.errors import InvalidInput, StudyError
from study_tracker.tracker import agenda, service
from study_tracker.web import errors
from study_tracker.web.deps import ClockDep, SessionDep
from study_tracker.web.knowledge_views import topic_passages
from study_tracker.web.rendering import render
from study_tracker.web.security.flash import see_other_with
from study_tracker.wording import completion_feedback

router = APIRouter()


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
    next_review: date | None = Field(None, description="When the topic comes back for review.")
    message: str = Field("", description="What the pages say after it: what was saved, when it comes back.")


def _guides(track: Track) -> list[tuple[str, str]]:
    """(label, file name) of the track's guide and, when there is one, its cheat sheet."""
    if not track.guide:
        return []
    guide = Path(track.guide).name
    out = [("Read this day in the study guide", guide)]
    cheatsheet = guide.replace(".md", "-cheatsheet.md")
    if (CONTENT_DIR / "guides" / cheatsheet).exists():
        out.append(("Cheat sheet for this day", cheatsheet))
    return out


def _topic_context(session: Session, slug: str, day: int) -> dict[str, Any]:
    track = service.get_track(slug)
    return {
        "track": track,
        "topic": service.get_topic(slug, day),
        "completion": service.completion_for(session, track=slug, day=day),
        "group": track.group,
        "guides": _guides(track),
    }


@router.get("/tracks/{slug}/days/{day}", response_class=HTMLResponse)
def topic_page(request: Request, slug: str, day: int, session: SessionDep) -> Response:
    ctx = _topic_context(session, slug, day)
    topic = ctx["topic"]
    # "From your materials": the best passages of the knowledge base for this topic.
    ctx["related"] = topic_passages(request, title=topic.title, subtopics=topic.subtopics)
    return render(request, "topic.html", ctx)


@router.post("/tracks/{slug}/days/{day}/complete", response_class=HTMLResponse)
def complete_form(
    request: Request,
    slug: str,
    day: int,
    *,
    session: SessionDep,
    clock: ClockDep,
    difficulty: Annotated[str, Form()] = "",
    notes: Annotated[str, Form()] = "",
) -> Response:
    track = service.get_track(slug)
    service.get_topic(slug, day)
    try:
        if not difficulty.strip().isdigit():
            raise InvalidInput.field(
                "difficulty", "is required: rate the topic from 1 (easy) to 5 (very hard)"
            )
        completion = service.complete_topic(
            session=session,
            track=slug,
            day=day,
            difficulty=int(difficulty),
            notes=notes,
            now=clock.now,
            zone=clock.zone,
        )
    except StudyError as exc:
        form = {"difficulty": difficulty, "notes": notes}
        return errors.refused(
            request,
            exc,
            "topic.html",
            lambda: _topic_context(session, slug, day) | {"form": form},
            session=session,
        )
    feedback = completion_feedback(
        title=track.title,
        day=day,
        next_review=agenda.next_review_date(session, completion_id=completion.id),
        today=clock.today,
    )
    return see_other_with(request, f"/?group={track.group}", feedback)


@router.post("/api/completions", status_code=201, tags=["topics"], responses=errors.responses(404, 409, 422))
def create_completion(body: CompletionCreate, session: SessionDep, clock: ClockDep) -> CompletionPublic:
    """Complete a track's day (by default its current day) with a difficulty rating."""
    day = body.day or service.track_day(session, track=body.track, today=clock.today)
    completion = service.complete_topic(
        session=session,
        track=body.track,
        day=day,
        difficulty=body.difficulty,
        notes=body.notes,
        now=clock.now,
        zone=clock.zone,
    )
    track = service.get_track(body.track)
    next_review = agenda.next_review_date(session, completion_id=completion.id)
    return CompletionPublic.model_validate(completion).model_copy(
        update={
            "next_review": next_review,
            "message": completion_feedback(
                title=track.title, day=day, next_review=next_review, today=clock.today
            ),
        }
    )
