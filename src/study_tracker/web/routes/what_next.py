"""What next: ``GET /api/next`` (what to study now and why) and the passages fragment of one
suggestion, loaded by htmx after Today has rendered."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from study_tracker.coach import what_next as guidance
from study_tracker.coach.what_next import Suggestion
from study_tracker.errors import InvalidInput
from study_tracker.tracker.service import require_group
from study_tracker.web import errors
from study_tracker.web.deps import ClockDep, SessionDep
from study_tracker.web.knowledge_views import topic_passages
from study_tracker.web.rendering import render
from study_tracker.web.routes.skill_schemas import WeakSkillPublic

router = APIRouter()


class WhatNextPublic(BaseModel):
    items: list[Suggestion]
    more_reviews: int
    weakest: list[WeakSkillPublic]
    notes: list[str]


@router.get("/api/next", tags=["next"], responses=errors.responses(404, 422))
def api_next(session: SessionDep, clock: ClockDep, group: str | None = None) -> WhatNextPublic:
    """What to study now and why: due reviews, topics, roadmap milestones, the weakest skills."""
    if group is not None:
        require_group(group)
    plan = guidance.what_next(session, now=clock.now, zone=clock.zone, groups=[group] if group else None)
    return WhatNextPublic(
        items=plan.items,
        more_reviews=plan.more_reviews,
        weakest=[
            WeakSkillPublic(id=w.skill, name=w.name, score=round(w.score, 3), target=w.target)
            for w in plan.weakest
        ],
        notes=plan.notes,
    )


@router.get("/next/passages", response_class=HTMLResponse)
def next_passages(
    request: Request,
    title: Annotated[str, Query(max_length=300)] = "",
    subtopics: Annotated[list[str], Query()] = [],  # noqa: B006  (FastAPI reads the default, never mutates it)
) -> Response:
    """The best passages for one What-next item, loaded by htmx after Today has rendered."""
    if not title.strip():
        raise InvalidInput.field("title", "is required")
    related = topic_passages(request, title=title, subtopics=subtopics[:12])
    return render(request, "_next_passages.html", {"related": related})
