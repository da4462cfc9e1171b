"""Today: the page (tracks, due reviews, what next) and ``GET /api/today``."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from study_tracker.coach import what_next as guidance
from study_tracker.tracker import service
from study_tracker.web import errors
from study_tracker.web.deps import ClockDep, GroupDep, GroupQuery, SessionDep
from study_tracker.web.rendering import remember_group, render
from study_tracker.web.routes.review_schemas import DueReviewPublic, due_review_public

router = APIRouter()
REVIEWS_SHOWN = 25  # due reviews listed on Today before "Show all"


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


def _track_public(t: service.TrackToday) -> TrackTodayPublic:
    if t.not_started:
        message: str | None = f"Starts on {t.start_date}"
    elif t.topic is None:
        message = f"No topic for day {t.day}"
    else:
        message = None
    return TrackTodayPublic(
        track=t.track.slug,
        title=t.track.title,
        day=t.day,
        length=t.track.length,
        topic=t.topic.title if t.topic else None,
        subtopics=list(t.topic.subtopics) if t.topic else [],
        estimated_minutes=t.topic.estimated_minutes if t.topic else None,
        completed=t.completion is not None,
        message=message,
        missed_days=t.missed,
    )


@router.get("/", response_class=HTMLResponse)
def today_page(request: Request, session: SessionDep, clock: ClockDep, group: GroupDep) -> Response:
    view = service.today_view(session, group=group, today=clock.today)
    # The What-next panel reuses this view; its passages load later (htmx), never blocking Today.
    next_up = guidance.what_next(session, now=clock.now, zone=clock.zone, groups=[group], views=[view])
    ctx = {
        "view": view,
        "message": request.query_params.get("message"),
        "next_up": next_up,
        # after a long break hundreds are due: list the oldest, the rest on request
        "reviews_shown": REVIEWS_SHOWN,
        "all_reviews": request.query_params.get("reviews") == "all",
    }
    return remember_group(render(request, "today.html", ctx), request)


@router.get("/api/today", tags=["today"], responses=errors.responses(404, 422))
def api_today(session: SessionDep, clock: ClockDep, group: GroupQuery = "swe") -> TodayPublic:
    """Each track's topic of the day and the reviews due, for one group."""
    view = service.today_view(session, group=group, today=clock.today)
    return TodayPublic(
        group=view.group,
        today=view.today,
        reviews=[due_review_public(r) for r in view.reviews],
        tracks=[_track_public(t) for t in view.tracks],
    )
