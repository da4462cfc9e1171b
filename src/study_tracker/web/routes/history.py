"""History: the page (heat map, forecast, recent log) and ``GET /api/history``."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

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


@router.get("/history", response_class=HTMLResponse)
def history_page(request: Request, session: SessionDep, clock: ClockDep, group: GroupDep) -> Response:
    h = stats.history(session, group=group, today=clock.today)
    chart_data = {
        "from": (clock.today - timedelta(days=364)).isoformat(),
        "to": clock.today.isoformat(),
        "activity": [[d.isoformat(), c + r] for d, (c, r) in sorted(h.activity.items())],
        "max": max((c + r for c, r in h.activity.values()), default=0),
        "forecast": [[d.isoformat(), n] for d, n in h.forecast],
    }
    titles = {slug: t.title for slug, t in load_tracks().items()}
    ctx = {"h": h, "chart_data": chart_data, "titles": titles}
    return remember_group(render(request, "history.html", ctx), request)


@router.get("/api/history", tags=["history"], responses=errors.responses(404, 422))
def history(session: SessionDep, clock: ClockDep, group: GroupQuery = "swe") -> HistoryPublic:
    """Streaks, totals, retention, a year of activity, progress per track, the 30-day forecast
    and the recent log of a group."""
    h = stats.history(session, group=group, today=clock.today)
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
    )
