"""Config: the page and form of a group's track start dates and review settings, and
``GET/PUT /api/config/{group}`` (the same document as the group's ``config.json``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from study_tracker.config import Settings
from study_tracker.content.curriculum import tracks_in_group
from study_tracker.errors import StudyError
from study_tracker.tracker import service, settings_store
from study_tracker.web import errors
from study_tracker.web.deps import Clock, ClockDep, GroupDep, SessionDep, SettingsDep, current_group
from study_tracker.web.rendering import remember_group, render, see_other

router = APIRouter()


def _config_context(session: Session, settings: Settings, group: str, clock: Clock) -> dict[str, Any]:
    config = settings_store.get_config(session, group)
    tracks = tracks_in_group(group)
    days = {
        t.slug: service.current_day(
            config.tracks[t.slug].start_date, config.tracks[t.slug].acceleration_days, clock.today
        )
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
    }


def form_to_config(form: dict[str, str]) -> dict[str, Any]:
    """Turn flat ``tracks.<slug>.<field>`` / ``settings.<field>`` form names into the config shape."""
    payload: dict[str, Any] = {"tracks": {}, "settings": {}}
    for key, value in form.items():
        parts = key.split(".")
        if parts[0] == "tracks" and len(parts) == 3:
            payload["tracks"].setdefault(parts[1], {})[parts[2]] = value.strip()
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
    ctx = _config_context(session, settings, group, clock)
    ctx["message"] = request.query_params.get("message")
    return remember_group(render(request, "config.html", ctx), request)


@router.post("/config", response_class=HTMLResponse)
async def config_form(
    request: Request, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    group = form.pop("group", "") or current_group(request)
    try:
        settings_store.save_config(
            session, data_dir=settings.data_dir, group=group, payload=form_to_config(form), zone=clock.zone
        )
    except StudyError as exc:
        return errors.refused(
            request,
            exc,
            "config.html",
            lambda: _config_context(session, settings, group, clock) | {"form": form},
            session=session,
        )
    return see_other(f"/config?group={group}&message=Saved")


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
    """Replace a group's config (validated whole first); pending reviews are rescheduled."""
    return settings_store.save_config(
        session, data_dir=settings.data_dir, group=group, payload=body, zone=clock.zone
    )
