"""History: the page (heat map, forecast, recent log) and ``GET /api/history``."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from study_tracker.coach import study_plan
from study_tracker.content.curriculum import load_tracks
from study_tracker.tracker import stats
from study_tracker.tracker.stats import LogEntry
from study_tracker.web import errors
from study_tracker.web.deps import ClockDep, GroupDep, GroupQuery, SessionDep
from study_tracker.web.rendering import remember_group, render

router = APIRouter()


class ActivityDay(BaseModel):
    date: dt.date
    completions: int
    reviews: int


class TrackProgressPublic(BaseModel):
    track: str
    completed_days: int
    days: int


class ForecastDay(BaseModel):
    date: dt.date
    due: int


class LoadDay(BaseModel):
    date: dt.date
    reviews: int
    minutes: float


class RecallPoint(BaseModel):
    date: dt.date
    recall: float | None = Field(description="Mean predicted recall of the topics studied by then.")


class HistoryPublic(BaseModel):
    group: str
    today: dt.date
    streak: int
    longest_streak: int
    totals: dict[str, int]
    retention: float | None
    activity: list[ActivityDay]
    progress: list[TrackProgressPublic]
    forecast: list[ForecastDay]
    recent: list[LogEntry]
    load_forecast: list[LoadDay] = Field(
        description="Reviews and minutes a day for 60 days (the plan's days)."
    )
    load_planned: bool = Field(description="Whether the learner's plan placed them (else their due days).")
    retention_curve: list[RecallPoint] = Field(description="60 days back to 60 days ahead.")


@router.get("/history", response_class=HTMLResponse)
def history_page(request: Request, session: SessionDep, clock: ClockDep, group: GroupDep) -> Response:
    h = stats.history(session, group=group, today=clock.today)
    ahead = study_plan.outlook(session, group=group, now=clock.now, zone=clock.zone)
    chart_data = {
        "from": (clock.today - timedelta(days=364)).isoformat(),
        "to": clock.today.isoformat(),
        "activity": [[d.isoformat(), c + r] for d, (c, r) in sorted(h.activity.items())],
        "max": max((c + r for c, r in h.activity.values()), default=0),
        "forecast": [[d.isoformat(), n] for d, n in h.forecast],
        "load": [[d.day.isoformat(), d.reviews, round(d.minutes)] for d in ahead.load],
        "curve": [[d.isoformat(), None if r is None else round(r, 4)] for d, r in ahead.curve],
        "today": clock.today.isoformat(),
    }
    titles = {slug: t.title for slug, t in load_tracks().items()}
    ctx = {"h": h, "chart_data": chart_data, "titles": titles, "ahead": ahead}
    return remember_group(render(request, "history.html", ctx), request)


@router.get("/api/history", tags=["history"], responses=errors.responses(404, 422))
def history(session: SessionDep, clock: ClockDep, group: GroupQuery = "swe") -> HistoryPublic:
    """Streaks, totals, retention, a year of activity, progress per track, the 30-day forecast
    and the recent log of a group."""
    h = stats.history(session, group=group, today=clock.today)
    ahead = study_plan.outlook(session, group=group, now=clock.now, zone=clock.zone)
    return HistoryPublic(
        group=h.group,
        today=h.today,
        streak=h.streak,
        longest_streak=h.longest_streak,
        totals=h.totals,
        retention=h.retention,
        activity=[ActivityDay(date=d, completions=c, reviews=r) for d, (c, r) in sorted(h.activity.items())],
        progress=[
            TrackProgressPublic(track=p.track.slug, completed_days=p.completed_days, days=p.track.length)
            for p in h.progress
        ],
        forecast=[ForecastDay(date=d, due=n) for d, n in h.forecast],
        recent=h.recent,
        load_forecast=[LoadDay(date=d.day, reviews=d.reviews, minutes=d.minutes) for d in ahead.load],
        load_planned=ahead.planned,
        retention_curve=[RecallPoint(date=d, recall=r) for d, r in ahead.curve],
    )
