"""Plan: the page of the plan to the interview date and its settings form (also on Config),
``GET/PUT /api/plan/{group}``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from study_tracker.coach import study_plan
from study_tracker.config import Settings
from study_tracker.errors import InvalidInput, StudyError
from study_tracker.tracker import settings_store
from study_tracker.tracker.plan_options import WEEKDAY_NAMES, parse_break
from study_tracker.web import errors
from study_tracker.web.deps import Clock, ClockDep, GroupDep, SessionDep, SettingsDep, current_group
from study_tracker.web.rendering import remember_group, render
from study_tracker.web.routes.config import config_context, plan_form_context
from study_tracker.web.routes.plan_schemas import PlanPublic, plan_public
from study_tracker.web.security.flash import pop_flash, see_other_with

router = APIRouter()

MAX_BREAK_LINES = 100


def _plan_context(session: Session, clock: Clock, group: str) -> dict[str, Any]:
    gp = study_plan.group_plan(session, group=group, now=clock.now, zone=clock.zone)
    public = plan_public(group, clock.today, gp)
    upcoming = [r for r in public.reviews if not r.projected]
    return plan_form_context(session, group) | {
        "group": group,
        "plan": public,
        "upcoming": upcoming,
        "moved": [r for r in upcoming if r.reason][:30],
        "plan_form": {},
    }


def form_to_plan(form: dict[str, Any]) -> dict[str, Any]:
    """The plan form's fields as ``PlanOptions`` input (validation names the field)."""
    breaks = []
    lines = [ln for ln in str(form.get("breaks", "")).splitlines() if ln.strip()]
    if len(lines) > MAX_BREAK_LINES:
        raise InvalidInput.field("breaks", f"at most {MAX_BREAK_LINES} breaks")
    for line in lines:
        try:
            breaks.append(parse_break(line).model_dump(mode="json"))
        except ValueError as exc:
            raise InvalidInput.field("breaks", str(exc).splitlines()[0]) from None
    return {
        "enabled": "enabled" in form,
        "interview": str(form.get("interview", "")).strip() or None,
        "daily_target": str(form.get("daily_target", "")).strip() or 45,
        "target_unit": form.get("target_unit", "minutes"),
        "easy_days": [d for d in WEEKDAY_NAMES if f"easy_{d}" in form],
        "easy_share": str(form.get("easy_share", "")).strip() or 0.5,
        "breaks": breaks,
        "balance": "balance" in form,
    }


@router.get("/plan", response_class=HTMLResponse)
def plan_page(request: Request, session: SessionDep, clock: ClockDep, group: GroupDep) -> Response:
    ctx = _plan_context(session, clock, group)
    ctx["message"] = pop_flash(request)
    return remember_group(render(request, "plan.html", ctx), request)


@router.post("/plan", response_class=HTMLResponse)
async def plan_form(
    request: Request, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> Response:
    raw = await request.form()
    form = {k: str(v) for k, v in raw.items()}
    group = form.pop("group", "") or current_group(request)
    back = "config.html" if form.get("back") == "config" else "plan.html"
    try:
        _save(session, settings, clock, group, form_to_plan(form))
    except StudyError as exc:
        return errors.refused(
            request,
            exc,
            back,
            lambda: _refused_context(session, settings, clock, group, back) | {"plan_form": form},
            session=session,
        )
    page = "/config" if back == "config.html" else "/plan"
    return see_other_with(request, f"{page}?group={group}", "Plan saved")


def _refused_context(
    session: Session, settings: Settings, clock: Clock, group: str, template: str
) -> dict[str, Any]:
    if template == "config.html":
        return config_context(session, settings, group, clock)
    return _plan_context(session, clock, group)


def _save(session: Session, settings: Settings, clock: Clock, group: str, plan: object) -> None:
    settings_store.save_plan(
        session, data_dir=settings.data_dir, group=group, plan=plan, zone=clock.zone, today=clock.today
    )


@router.get("/api/plan/{group}", tags=["plan"], responses=errors.responses(404, 422))
def get_plan(group: str, session: SessionDep, clock: ClockDep) -> PlanPublic:
    """The group's plan: settings, placed reviews with reasons, recall on the interview day, pace,
    and the load of the next 60 days (``settings`` null: no plan set)."""
    settings_store.get_config(session, group)  # 404 for an unknown group
    gp = study_plan.group_plan(session, group=group, now=clock.now, zone=clock.zone)
    return plan_public(group, clock.today, gp)


@router.put("/api/plan/{group}", tags=["plan"], responses=errors.responses(404, 422))
def put_plan(
    group: str,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    body: Annotated[Any, Body()] = None,
) -> PlanPublic:
    """Replace the group's plan settings (null removes the plan); returns the plan."""
    _save(session, settings, clock, group, body)
    gp = study_plan.group_plan(session, group=group, now=clock.now, zone=clock.zone)
    return plan_public(group, clock.today, gp)
