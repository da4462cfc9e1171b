"""The plan out of the app: ``/calendar.ics`` (an iCalendar feed a calendar app can subscribe
to), ``/export/plan.csv`` and ``/export/anki.apkg`` (a track's or a group's practice questions)."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import Response

from study_tracker.coach import calendar_feed
from study_tracker.content.curriculum import GROUPS
from study_tracker.practice import anki
from study_tracker.tracker import service
from study_tracker.web import errors
from study_tracker.web.deps import ClockDep, SessionDep

router = APIRouter()


def _groups(group: str | None) -> list[str]:
    if group is None:
        return list(GROUPS)
    return [service.require_group(group)]


@router.get("/calendar.ics", tags=["plan"], responses=errors.responses(404), response_class=Response)
def calendar(
    session: SessionDep, clock: ClockDep, group: str | None = Query(None, max_length=64)
) -> Response:
    """The plan as an iCalendar feed: each day's study block (reviews, today's topics) and the
    interview, for the groups with a plan (or one ``group``)."""
    return Response(
        calendar_feed.group_calendar(session, groups=_groups(group), now=clock.now, zone=clock.zone),
        media_type="text/calendar; charset=utf-8",
    )


@router.get("/export/plan.csv", tags=["plan"], responses=errors.responses(404), response_class=Response)
def plan_csv(
    session: SessionDep, clock: ClockDep, group: str | None = Query(None, max_length=64)
) -> Response:
    """Every planned review as CSV (day, topic, due, window, minutes, reason)."""
    text = calendar_feed.plan_csv(
        calendar_feed.group_plans(session, groups=_groups(group), now=clock.now, zone=clock.zone)
    )
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="study-plan.csv"'},
    )


@router.get("/export/anki.apkg", tags=["plan"], responses=errors.responses(404), response_class=Response)
def anki_deck(
    track: str | None = Query(None, max_length=64), group: str | None = Query(None, max_length=64)
) -> Response:
    """An Anki deck of the practice questions (prompt on the front, key points on the back) of
    one ``track`` or of every track of a ``group``."""
    data, name = anki.deck_bytes(track=track, group=group)
    return Response(
        data,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
