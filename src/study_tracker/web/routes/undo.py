"""Undo the last completion or review of a group: the form on Today and ``POST /api/undo``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from study_tracker.content.curriculum import load_tracks
from study_tracker.db.models import ReviewLog
from study_tracker.errors import StudyError
from study_tracker.tracker import service
from study_tracker.web import errors
from study_tracker.web.deps import ClockDep, GroupQuery, SessionDep, current_group
from study_tracker.web.rendering import render
from study_tracker.web.security.flash import see_other_with
from study_tracker.wording import short_date

router = APIRouter()


class UndonePublic(BaseModel):
    kind: str
    track: str
    day: int
    entry: str = Field(description="The entry undone: completion:<id> or review:<id>.")


@router.get("/undo", response_class=HTMLResponse)
def undo_confirm(request: Request, session: SessionDep, clock: ClockDep, group: GroupQuery = "") -> Response:
    """The confirm step before an undo: what exactly will be undone, and what that changes."""
    group = service.require_group(group or current_group(request))
    last = service.last_entry(session, group=group)
    ctx: dict[str, object] = {"group": group, "entry": None}
    if last is not None:
        completion = service.entry_completion(session, last)
        track = load_tracks()[completion.track]
        ctx |= {
            "entry": service.entry_key(last),
            "is_review": isinstance(last, ReviewLog),
            "track": track,
            "topic": service.get_topic(completion.track, completion.day),
            "logged": short_date(last.local_date, clock.today),
        }
    return render(request, "undo_confirm.html", ctx)


@router.post("/undo", response_class=HTMLResponse)
def undo_form(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    group: Annotated[str, Form()] = "",
    entry: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    group = group or current_group(request)
    try:
        # ``entry``: what Today showed as last, so a double-click undoes it once (the second: 409).
        undone = service.undo_last(
            session=session, group=group, now=clock.now, zone=clock.zone, entry=entry or None
        )
    except StudyError as exc:  # nothing to undo: Today says so
        return see_other_with(request, f"/?group={group}", exc.message)
    title = load_tracks()[undone.track].title
    return see_other_with(request, f"/?group={group}", f"Undid {undone.kind} of {title} day {undone.day}")


@router.post("/api/undo", tags=["undo"], responses=errors.responses(404, 409, 422))
def undo(
    session: SessionDep,
    clock: ClockDep,
    group: GroupQuery = "swe",
    entry: Annotated[
        str | None,
        Query(
            max_length=40,
            description="completion:<id> or review:<id>: undo only if this is still the last entry "
            "(409 otherwise), so a repeated request never undoes a second entry. Without it, each "
            "request undoes whatever is last when it runs.",
        ),
    ] = None,
) -> UndonePublic:
    """Undo the group's last completion or review (409 when there is nothing to undo).

    Simultaneous requests never undo the same entry twice (the database refuses it).
    """
    done = service.undo_last(session=session, group=group, now=clock.now, zone=clock.zone, entry=entry)
    return UndonePublic(kind=done.kind, track=done.track, day=done.day, entry=done.entry)
