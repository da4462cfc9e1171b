"""Undo the last completion or review of a group: the form on Today and ``POST /api/undo``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from study_tracker.content.curriculum import load_tracks
from study_tracker.errors import StudyError
from study_tracker.tracker import service
from study_tracker.web import errors
from study_tracker.web.deps import ClockDep, GroupQuery, SessionDep, current_group
from study_tracker.web.rendering import see_other

router = APIRouter()


class UndonePublic(BaseModel):
    kind: str
    track: str
    day: int


@router.post("/undo", response_class=HTMLResponse)
def undo_form(
    request: Request, session: SessionDep, clock: ClockDep, group: Annotated[str, Form()] = ""
) -> Response:
    group = group or current_group(request)
    try:
        undone = service.undo_last(session=session, group=group, now=clock.now, zone=clock.zone)
    except StudyError as exc:  # nothing to undo: Today says so
        return see_other(f"/?group={group}&message={exc.message}")
    title = load_tracks()[undone.track].title
    return see_other(f"/?group={group}&message=Undid+{undone.kind}+of+{title}+day+{undone.day}")


@router.post("/api/undo", tags=["undo"], responses=errors.responses(404, 409, 422))
def undo(session: SessionDep, clock: ClockDep, group: GroupQuery = "swe") -> UndonePublic:
    """Undo the group's last completion or review (409 when there is nothing to undo)."""
    done = service.undo_last(session=session, group=group, now=clock.now, zone=clock.zone)
    return UndonePublic(kind=done.kind, track=done.track, day=done.day)
