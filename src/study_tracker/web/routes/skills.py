"""Skills: the page (mastery against the career goal, with a chart), choosing the goal, and
``/api/skills``, ``/api/goal``, ``/api/paths``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from study_tracker.coach import what_next as guidance
from study_tracker.content.careers import load_paths
from study_tracker.content.curriculum import load_skills, load_tracks
from study_tracker.errors import StudyError
from study_tracker.skills.evidence import skill_mastery
from study_tracker.skills.goal import get_goal, set_goal
from study_tracker.skills.mastery import SkillMastery
from study_tracker.web import errors
from study_tracker.web.deps import Clock, ClockDep, SessionDep
from study_tracker.web.rendering import render
from study_tracker.web.routes.skill_schemas import GoalIn, GoalPublic, PathList, SkillsPublic
from study_tracker.web.security.flash import pop_flash, see_other_with

router = APIRouter()

OTHER_SKILLS = 12  # skills outside the goal shown on the Skills page (those with most evidence)


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


@router.get("/skills", response_class=HTMLResponse)
def skills_page(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    ctx = _skills_context(session, clock)
    ctx["message"] = pop_flash(request)
    return render(request, "skills.html", ctx)


@router.post("/skills/goal", response_class=HTMLResponse)
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
        form = {"path": path, "level": level}
        return errors.refused(
            request,
            exc,
            "skills.html",
            lambda: _skills_context(session, clock) | {"form": form},
            session=session,
        )
    return see_other_with(request, "/skills", f"Goal: {goal.path.title}, {goal.level.id} months")


@router.get("/api/skills", tags=["skills"])
def api_skills(session: SessionDep, clock: ClockDep) -> SkillsPublic:
    """Mastery of the goal's skills (or of those with evidence), the weakest, the chart's series."""
    return SkillsPublic.model_validate(skills_data(session, clock))


@router.put("/api/goal", tags=["skills"], responses=errors.responses(404, 422))
def api_goal(body: GoalIn, session: SessionDep) -> GoalPublic:
    """Choose the career path and level (months of experience) that mastery is measured against."""
    goal = set_goal(session=session, path=body.path, level=body.level)
    return GoalPublic(path=goal.path.slug, level=goal.level.id, skills=goal.skills, target=goal.level.target)


@router.get("/api/paths", tags=["skills"])
def api_paths() -> PathList:
    """The bundled career paths with their levels."""
    return PathList(list(load_paths().values()))
