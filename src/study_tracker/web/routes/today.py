"""Today: the page (tracks, due reviews, what next, the first-run welcome), ``GET /api/today``,
and the welcome's form and ``POST /api/welcome`` / ``POST /api/welcome/dismiss``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from study_tracker.coach import study_plan
from study_tracker.coach import what_next as guidance
from study_tracker.content.curriculum import GROUPS, tracks_in_group
from study_tracker.errors import StudyError
from study_tracker.tracker import agenda, service, settings_store, welcome
from study_tracker.web import errors
from study_tracker.web.deps import (
    Clock,
    ClockDep,
    GroupDep,
    GroupQuery,
    SessionDep,
    SettingsDep,
    current_group,
)
from study_tracker.web.rendering import remember_group, render, see_other
from study_tracker.web.routes.review_schemas import DueReviewPublic, due_review_public
from study_tracker.web.security.flash import pop_flash, see_other_with
from study_tracker.wording import plural

router = APIRouter()
REVIEWS_SHOWN = 25  # due reviews listed on Today before "Show all"


class TrackTodayPublic(BaseModel):
    track: str
    title: str
    day: int
    length: int
    status: str = Field(description="active, not_started (day 1 until used), upcoming, paused or finished.")
    start_date: date | None
    paused_since: date | None
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
    hidden_tracks: list[str] = Field(description="Tracks hidden on Config: not shown, their reviews wait.")
    welcome: bool = Field(description="Whether the first-run welcome is offered (nothing completed yet).")


class WelcomeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group: str = Field(min_length=1, max_length=64)
    tracks: list[str] = Field(max_length=20, description="Tracks of the group to start today.")


class WelcomePublic(BaseModel):
    welcome: bool


def _track_public(t: agenda.TrackToday) -> TrackTodayPublic:
    return TrackTodayPublic(
        track=t.track.slug,
        title=t.track.title,
        day=t.day,
        length=t.track.length,
        status=t.status,
        start_date=t.start_date,
        paused_since=t.paused_since,
        topic=t.topic.title if t.topic else None,
        subtopics=list(t.topic.subtopics) if t.topic else [],
        estimated_minutes=t.topic.estimated_minutes if t.topic else None,
        completed=t.completion is not None,
        message=t.note,
        missed_days=t.missed,
    )


def planned_view(session: Session, group: str, clock: Clock) -> agenda.TodayView:
    """Today's view with the reviews the learner's plan (if any) places on today."""
    view = agenda.today_view(session, group=group, today=clock.today)
    return study_plan.due_by_plan(session, view=view, now=clock.now, zone=clock.zone)


def _today_context(request: Request, session: Session, clock: Clock, group: str) -> dict[str, Any]:
    view = planned_view(session, group, clock)
    # The What-next panel reuses this view; its passages load later (htmx), never blocking Today.
    plan = guidance.what_next(session, now=clock.now, zone=clock.zone, groups=[group], views=[view])
    return {
        "view": view,
        "group": group,
        "message": pop_flash(request),
        "panel": guidance.today_panel(plan, view),
        # after a long break hundreds are due: list the oldest, the rest on request
        "reviews_shown": REVIEWS_SHOWN,
        "all_reviews": request.query_params.get("reviews") == "all",
        "welcome": welcome.welcome_pending(session),
        "welcome_tracks": {g: tracks_in_group(g) for g in sorted(GROUPS, key=lambda g: g != group)},
        "plural": plural,
    }


@router.get("/", response_class=HTMLResponse)
def today_page(request: Request, session: SessionDep, clock: ClockDep, group: GroupDep) -> Response:
    return remember_group(
        render(request, "today.html", _today_context(request, session, clock, group)), request
    )


@router.post("/welcome", response_class=HTMLResponse)
def welcome_form(
    request: Request,
    *,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    group: Annotated[str, Form()] = "",
    tracks: Annotated[list[str], Form(max_length=20)] = [],  # noqa: B006  (FastAPI copies the default)
) -> Response:
    """The welcome's choice: start the ticked tracks of the chosen group today."""
    group = group or current_group(request)
    try:
        welcome.start_chosen_tracks(
            session,
            data_dir=settings.data_dir,
            group=group,
            tracks=tracks,
            zone=clock.zone,
            now=clock.now,
            today=clock.today,
        )
    except StudyError as exc:
        shown = group if group in GROUPS else current_group(request)
        return errors.refused(
            request,
            exc,
            "today.html",
            lambda: _today_context(request, session, clock, shown),
            session=session,
        )
    started = ", ".join(service.get_track(t).title for t in dict.fromkeys(tracks))
    return see_other_with(request, f"/?group={group}", f"Started {started} today")


@router.post("/welcome/dismiss", response_class=HTMLResponse)
def welcome_dismiss_form(
    request: Request, session: SessionDep, clock: ClockDep, group: Annotated[str, Form()] = ""
) -> Response:
    welcome.dismiss_welcome(session, now=clock.now)
    return see_other(f"/?group={group if group in GROUPS else current_group(request)}")


@router.get("/api/today", tags=["today"], responses=errors.responses(404, 422))
def api_today(session: SessionDep, clock: ClockDep, group: GroupQuery = "swe") -> TodayPublic:
    """Each shown track's day, status and topic, and the reviews due, for one group."""
    view = planned_view(session, group, clock)
    return TodayPublic(
        group=view.group,
        today=view.today,
        reviews=[due_review_public(r) for r in view.reviews],
        tracks=[_track_public(t) for t in view.tracks],
        hidden_tracks=[t.slug for t in view.hidden],
        welcome=welcome.welcome_pending(session),
    )


@router.post("/api/welcome", tags=["today"], responses=errors.responses(404, 422))
def api_welcome(
    body: WelcomeCreate, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> settings_store.GroupConfig:
    """Start the named tracks of a group today and hide its others (the welcome's choice); the
    welcome is dismissed. Returns the group's configuration."""
    return welcome.start_chosen_tracks(
        session,
        data_dir=settings.data_dir,
        group=body.group,
        tracks=body.tracks,
        zone=clock.zone,
        now=clock.now,
        today=clock.today,
    )


@router.post("/api/welcome/dismiss", tags=["today"])
def api_welcome_dismiss(session: SessionDep, clock: ClockDep) -> WelcomePublic:
    """Stop offering the first-run welcome."""
    welcome.dismiss_welcome(session, now=clock.now)
    return WelcomePublic(welcome=False)
