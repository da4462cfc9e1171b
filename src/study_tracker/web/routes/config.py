"""Config: the page and form of a group's tracks (start date, acceleration, paused, hidden) and
review settings, ``GET/PUT /api/config/{group}`` (the same document as the group's
``config.json``) and ``PATCH /api/config/{group}/tracks/{track}`` (some settings of one track)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from study_tracker.config import Settings
from study_tracker.content.curriculum import tracks_in_group
from study_tracker.errors import NotFound, StudyError
from study_tracker.tracker import service, settings_store
from study_tracker.tracker.plan_options import WEEKDAY_NAMES, PlanOptions
from study_tracker.web import errors
from study_tracker.web.deps import Clock, ClockDep, GroupDep, SessionDep, SettingsDep, current_group
from study_tracker.web.rendering import remember_group, render
from study_tracker.web.security.flash import pop_flash, see_other_with

router = APIRouter()


def config_context(session: Session, settings: Settings, group: str, clock: Clock) -> dict[str, Any]:
    config = settings_store.get_config(session, group)
    tracks = tracks_in_group(group)
    days = {
        t.slug: service.track_day(session, track=t.slug, today=clock.today)
        for t in tracks
        if t.slug in config.tracks
    }
    return {
        "config": config,
        "tracks": [t for t in tracks if t.slug in config.tracks],
        "days": days,
        "config_file": settings_store.config_path(settings.data_dir, group),
        "form": {},
        "group": group,
    } | plan_form_context(session, group)


def plan_form_context(session: Session, group: str) -> dict[str, Any]:
    """What ``_plan_form.html`` needs (on the Config page and the Plan page)."""
    options = settings_store.get_config(session, group).settings.plan or PlanOptions(enabled=False)
    return {
        "plan_options": options,
        "weekdays": WEEKDAY_NAMES,
        "breaks_text": "\n".join(f"{b.start}:{b.end}" for b in options.breaks),
    }


def form_to_config(form: dict[str, str]) -> dict[str, Any]:
    """Turn flat ``tracks.<slug>.<field>`` / ``settings.<field>`` form names into the config shape.

    Unticked checkboxes (``paused``, ``hidden``) are not sent: absent, they are false.
    """
    payload: dict[str, Any] = {"tracks": {}, "settings": {}}
    for key, value in form.items():
        parts = key.split(".")
        if parts[0] == "tracks" and len(parts) == 3:
            value = value.strip()
            # An empty start date means "not started": the track starts at its first completion.
            field_value: str | None = None if parts[2] == "start_date" and not value else value
            payload["tracks"].setdefault(parts[1], {})[parts[2]] = field_value
        elif parts[0] == "settings" and len(parts) == 2:
            if parts[1] == "review_intervals":
                payload["settings"][parts[1]] = [
                    v.strip() for v in value.replace(";", ",").split(",") if v.strip()
                ]
            else:
                payload["settings"][parts[1]] = value.strip()
    return payload


@router.get("/config", response_class=HTMLResponse)
def config_page(
    request: Request, session: SessionDep, settings: SettingsDep, clock: ClockDep, group: GroupDep
) -> Response:
    ctx = config_context(session, settings, group, clock)
    ctx["message"] = pop_flash(request)
    return remember_group(render(request, "config.html", ctx), request)


@router.post("/config", response_class=HTMLResponse)
async def config_form(
    request: Request, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    group = form.pop("group", "") or current_group(request)
    try:
        settings_store.save_config(
            session,
            data_dir=settings.data_dir,
            group=group,
            payload=form_to_config(form),
            zone=clock.zone,
            today=clock.today,
        )
    except StudyError as exc:
        return errors.refused(
            request,
            exc,
            "config.html",
            lambda: config_context(session, settings, group, clock) | {"form": form},
            session=session,
        )
    return see_other_with(request, f"/config?group={group}", "Saved")


@router.get("/api/config/{group}", tags=["config"], responses=errors.responses(404, 422))
def get_config(group: str, session: SessionDep) -> settings_store.GroupConfig:
    """A group's track start dates and review settings."""
    return settings_store.get_config(session, group)


@router.put("/api/config/{group}", tags=["config"], responses=errors.responses(404, 422))
def put_config(
    group: str,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    body: Annotated[Any, Body()] = None,
) -> settings_store.GroupConfig:
    """Replace a group's config (validated whole first); pending reviews are rescheduled.

    A track's ``start_date`` may be null (not started: its first completion starts it); ``paused``
    stops its day count from today, and setting it back to false resumes it where it stopped."""
    return settings_store.save_config(
        session, data_dir=settings.data_dir, group=group, payload=body, zone=clock.zone, today=clock.today
    )


@router.patch("/api/config/{group}/tracks/{track}", tags=["config"], responses=errors.responses(404, 422))
def patch_track(
    group: str,
    track: str,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    body: Annotated[Any, Body()] = None,
) -> settings_store.GroupConfig:
    """Change some settings of one track (``start_date``, ``acceleration_days``, ``paused``,
    ``hidden``); the others stay. Returns the group's config."""
    if service.get_track(track).group != service.require_group(group):
        raise NotFound(f"track {track!r} is not in group {group!r}")
    return settings_store.update_track(
        session,
        data_dir=settings.data_dir,
        track=track,
        changes=body if body is not None else {},
        zone=clock.zone,
        today=clock.today,
    )
