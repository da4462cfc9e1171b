"""Skills, Drill and Report pages, the What-next passages fragment, and their JSON API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from study_tracker.coach import drills
from study_tracker.coach import report as reports
from study_tracker.coach import what_next as guidance
from study_tracker.config import Settings
from study_tracker.content.careers import load_paths
from study_tracker.content.curriculum import QuestionType, load_skills, load_tracks
from study_tracker.errors import InvalidInput, StudyError
from study_tracker.skills.evidence import skill_mastery
from study_tracker.skills.goal import get_goal, set_goal
from study_tracker.skills.mastery import SkillMastery
from study_tracker.tracker.service import require_group
from study_tracker.web.deps import Clock, SessionDep, current_group, get_clock, get_settings
from study_tracker.web.knowledge_views import topic_passages
from study_tracker.web.rendering import is_htmx, render, render_markdown

router = APIRouter(default_response_class=HTMLResponse)

ClockDep = Annotated[Clock, Depends(get_clock)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

OTHER_SKILLS = 12  # skills outside the goal shown on the Skills page (those with most evidence)


# --- Skills ---------------------------------------------------------------------------------


def _skill_rows(
    scores: dict[str, SkillMastery], skill_ids: list[str], target: float | None
) -> list[dict[str, Any]]:
    names = load_skills()
    titles = {slug: t.title for slug, t in load_tracks().items()}
    rows = []
    for s in skill_ids:
        m = scores.get(s) or SkillMastery(s, 0.0, 0, None)
        rows.append(
            {
                "id": s,
                "name": names[s].name if s in names else s,
                "area": names[s].area if s in names else "",
                "score": round(m.score, 3),
                "target": target,
                "evidence": m.count,
                "last": m.last.isoformat() if m.last else None,
                "top": [
                    {
                        "label": c.evidence.label(titles),
                        "on": c.evidence.on.isoformat(),
                        "weight": round(c.effective_weight, 3),
                        "signal": round(c.evidence.signal, 3),
                        "kind": c.evidence.kind,
                    }
                    for c in m.top()
                ],
            }
        )
    return rows


def skills_data(session: Session, clock: Clock) -> dict[str, Any]:
    """What the Skills page and /api/skills show: mastery of the goal's skills (or of the skills
    with evidence), the weakest ones, and the chart's series."""
    goal = get_goal(session)
    scores = skill_mastery(session, now=clock.now, zone=clock.zone)
    if goal is not None:
        shown = goal.skills
        target = goal.level.target
    else:
        shown, target = [], None
    others = sorted(
        (s for s, m in scores.items() if m.count and s not in shown), key=lambda s: -scores[s].count
    )
    rows = _skill_rows(scores, shown, target)
    other_rows = _skill_rows(scores, others[:OTHER_SKILLS], None)
    weakest = guidance.weakest_skills(scores, goal, limit=5)
    chart_rows = rows or other_rows
    return {
        "goal": {"path": goal.path.slug, "title": goal.path.title, "level": goal.level.id, "target": target}
        if goal
        else None,
        "skills": rows,
        "other_skills": other_rows,
        "weakest": [
            {"id": w.skill, "name": w.name, "score": round(w.score, 3), "target": w.target} for w in weakest
        ],
        "chart": {
            "names": [r["name"] for r in chart_rows],
            "ids": [r["id"] for r in chart_rows],
            "mastery": [r["score"] for r in chart_rows],
            "target": [target for _ in chart_rows] if target is not None else [],
        },
    }


def _skills_context(session: Session, clock: Clock) -> dict[str, Any]:
    return {"data": skills_data(session, clock), "paths": load_paths(), "form": {}}


@router.get("/skills")
def skills_page(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    ctx = _skills_context(session, clock)
    ctx["message"] = request.query_params.get("message")
    return render(request, "skills.html", ctx)


@router.post("/skills/goal")
def goal_form(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    path: Annotated[str, Form()] = "",
    level: Annotated[str, Form()] = "",
) -> Response:
    try:
        goal = set_goal(session=session, path=path, level=level or None)
    except StudyError as exc:
        session.rollback()
        ctx = _skills_context(session, clock) | {"errors": exc.errors, "form": {"path": path, "level": level}}
        return render(request, "skills.html", ctx, status_code=exc.status)
    return RedirectResponse(
        f"/skills?message=Goal:+{goal.path.title},+{goal.level.id}+months", status_code=303
    )


class GoalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Checked by set_goal, not here: request errors drop a location named "path" from the field name.
    path: str = ""
    level: str | None = None


@router.get("/api/skills", response_class=JSONResponse)
def api_skills(session: SessionDep, clock: ClockDep) -> dict[str, Any]:
    return skills_data(session, clock)


@router.put("/api/goal", response_class=JSONResponse)
def api_goal(body: GoalIn, session: SessionDep) -> dict[str, Any]:
    goal = set_goal(session=session, path=body.path, level=body.level)
    return {
        "path": goal.path.slug,
        "level": goal.level.id,
        "skills": goal.skills,
        "target": goal.level.target,
    }


@router.get("/api/paths", response_class=JSONResponse)
def api_paths() -> list[dict[str, Any]]:
    return [p.model_dump(mode="json") for p in load_paths().values()]


# --- What next ------------------------------------------------------------------------------


@router.get("/api/next", response_class=JSONResponse)
def api_next(
    request: Request, session: SessionDep, clock: ClockDep, group: str | None = None
) -> dict[str, Any]:
    groups = [group] if group else None
    if group is not None:
        require_group(group)
    plan = guidance.what_next(session, now=clock.now, zone=clock.zone, groups=groups)
    return {
        "items": [item.__dict__ for item in plan.items],
        "more_reviews": plan.more_reviews,
        "weakest": [
            {"id": w.skill, "name": w.name, "score": round(w.score, 3), "target": w.target}
            for w in plan.weakest
        ],
        "notes": plan.notes,
    }


@router.get("/next/passages")
def next_passages(
    request: Request,
    title: Annotated[str, Query(max_length=300)] = "",
    subtopics: Annotated[list[str], Query()] = [],  # noqa: B006  (FastAPI reads the default, never mutates it)
) -> Response:
    """The best passages for one What-next item, loaded by htmx after Today has rendered."""
    if not title.strip():
        raise InvalidInput.field("title", "is required")
    related = topic_passages(request, title=title, subtopics=subtopics[:12])
    return render(request, "_next_passages.html", {"related": related})


# --- Drill ----------------------------------------------------------------------------------


def _drill_form_context(form: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "tracks": list(load_tracks().values()),
        "types": [t.value for t in QuestionType],
        "skills": sorted(load_skills().values(), key=lambda s: s.name.lower()),
        "form": form or {"count": 5, "minutes": 10},
    }


@router.get("/drill")
def drill_page(request: Request) -> Response:
    return render(request, "drill.html", _drill_form_context())


@router.post("/drill")
def drill_start_form(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    track: Annotated[str, Form()] = "",
    type: Annotated[str, Form()] = "",  # noqa: A002  (the form field is called type)
    skill: Annotated[str, Form()] = "",
    count: Annotated[str, Form()] = "5",
    minutes: Annotated[str, Form()] = "10",
) -> Response:
    form = {"track": track, "type": type, "skill": skill, "count": count, "minutes": minutes}
    try:
        filters = drills.parse_filters(form)
        started = drills.start_drill(session=session, filters=filters, now=clock.now)
    except StudyError as exc:
        session.rollback()
        ctx = _drill_form_context(form) | {
            "errors": exc.errors,
            "message": None if exc.errors else exc.message,
        }
        return render(request, "drill.html", ctx, status_code=exc.status)
    return RedirectResponse(f"/drill/{started.id}", status_code=303)


def _drill_context(view: drills.DrillView) -> dict[str, Any]:
    return {"view": view, "summary": drills.summary(view) if view.finished else None, "grades": drills.GRADES}


@router.get("/drill/{drill_id}")
def drill_session_page(request: Request, drill_id: int, session: SessionDep, clock: ClockDep) -> Response:
    view = drills.get_drill(session, drill_id=drill_id, now=clock.now)
    if view.finished and view.drill.ended_at is None:
        view = drills.finish(session=session, drill_id=drill_id, now=clock.now)
    template = "_drill_session.html" if is_htmx(request) else "drill_session.html"
    return render(request, template, _drill_context(view))


@router.post("/drill/{drill_id}/answer")
def drill_answer_form(
    request: Request,
    drill_id: int,
    session: SessionDep,
    clock: ClockDep,
    position: Annotated[str, Form()] = "",
    grade: Annotated[str, Form()] = "",
) -> Response:
    try:
        if not position.strip().isdigit():
            raise InvalidInput.field("position", "is required: which question you are grading")
        if not grade.strip().isdigit():
            raise InvalidInput.field("grade", "is required: choose Again, Hard, Good or Easy")
        result = drills.answer(
            session=session,
            drill_id=drill_id,
            position=int(position),
            grade=int(grade),
            now=clock.now,
            zone=clock.zone,
        )
    except StudyError as exc:
        session.rollback()
        view = drills.get_drill(session, drill_id=drill_id, now=clock.now)
        ctx = _drill_context(view) | {"errors": exc.errors, "message": None if exc.errors else exc.message}
        return render(request, "drill_session.html", ctx, status_code=exc.status)
    suffix = "" if result is not None else "?message=Time+is+up:+the+last+answer+came+after+the+limit"
    return RedirectResponse(f"/drill/{drill_id}{suffix}", status_code=303)


@router.post("/drill/{drill_id}/finish")
def drill_finish_form(drill_id: int, session: SessionDep, clock: ClockDep) -> Response:
    drills.finish(session=session, drill_id=drill_id, now=clock.now)
    return RedirectResponse(f"/drill/{drill_id}", status_code=303)


class DrillIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    track: str | None = None
    type: str | None = None
    skill: str | None = None
    count: int = 5
    minutes: int = 10


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    position: int
    grade: int


def drill_public(view: drills.DrillView) -> dict[str, Any]:
    s = drills.summary(view) if view.finished else None
    return {
        "id": view.drill.id,
        "filters": view.drill.filters,
        "time_limit_s": view.drill.time_limit_s,
        "started_at": view.drill.started_at.isoformat(),
        "ended_at": view.drill.ended_at.isoformat() if view.drill.ended_at else None,
        "remaining_s": view.remaining_s,
        "position": view.position,
        "finished": view.finished,
        "questions": [
            {
                **ref,
                "prompt": pick.question.prompt if pick else None,
                "type": pick.question.type if pick else None,
                "skills": pick.skills if pick else [],
            }
            for ref, pick in zip(view.drill.questions, view.picks, strict=True)
        ],
        "results": [
            {"position": i, "grade": r.grade, "seconds": r.seconds, "skills": r.skills}
            for i, r in enumerate(view.results)
        ],
        "summary": None
        if s is None
        else {
            "answered": s.answered,
            "asked": s.asked,
            "average_grade": s.average_grade,
            "seconds": s.seconds,
        },
    }


@router.post("/api/drills", status_code=201, response_class=JSONResponse)
def api_start_drill(body: DrillIn, session: SessionDep, clock: ClockDep) -> dict[str, Any]:
    filters = drills.parse_filters(body.model_dump())
    started = drills.start_drill(session=session, filters=filters, now=clock.now)
    return drill_public(drills.get_drill(session, drill_id=started.id, now=clock.now))


@router.get("/api/drills/{drill_id}", response_class=JSONResponse)
def api_get_drill(drill_id: int, session: SessionDep, clock: ClockDep) -> dict[str, Any]:
    return drill_public(drills.get_drill(session, drill_id=drill_id, now=clock.now))


@router.post("/api/drills/{drill_id}/answers", status_code=201, response_class=JSONResponse)
def api_answer(drill_id: int, body: AnswerIn, session: SessionDep, clock: ClockDep) -> dict[str, Any]:
    result = drills.answer(
        session=session,
        drill_id=drill_id,
        position=body.position,
        grade=body.grade,
        now=clock.now,
        zone=clock.zone,
    )
    view = drills.get_drill(session, drill_id=drill_id, now=clock.now)
    return {
        "recorded": result is not None,
        "seconds": result.seconds if result else None,
        "drill": drill_public(view),
    }


# --- Report ---------------------------------------------------------------------------------


@router.get("/report")
def report_page(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    built = reports.build_report(session, now=clock.now, zone=clock.zone)
    body = render_markdown(reports.to_markdown(built))
    return render(
        request, "report.html", {"body": body, "today": built.today, "group": current_group(request)}
    )


@router.get("/report/export")
def report_export(session: SessionDep, clock: ClockDep, format: str = "html") -> Response:  # noqa: A002
    text = reports.export(reports.build_report(session, now=clock.now, zone=clock.zone), format)
    name = f"study-report-{clock.today.isoformat()}.{format}"
    media = "text/html" if format == "html" else "text/markdown"
    return PlainTextResponse(
        text,
        media_type=f"{media}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
