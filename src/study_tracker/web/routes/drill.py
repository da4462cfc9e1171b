"""Drill: a timed set of practice questions. The pages (start, answer one by one, the summary)
and ``/api/drills``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict

from study_tracker.coach import drills
from study_tracker.content.curriculum import QuestionType, load_skills, load_tracks
from study_tracker.errors import InvalidInput, StudyError
from study_tracker.web import errors
from study_tracker.web.deps import ClockDep, IdPath, SessionDep
from study_tracker.web.rendering import is_htmx, render, see_other
from study_tracker.web.security.flash import pop_flash, see_other_with

router = APIRouter()


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


class DrillQuestion(BaseModel):
    track: str
    day: int
    index: int
    prompt: str | None = None
    type: QuestionType | None = None
    skills: list[str]


class DrillResultPublic(BaseModel):
    position: int
    grade: int
    seconds: int
    skills: list[str]


class DrillSummaryPublic(BaseModel):
    answered: int
    asked: int
    average_grade: float | None
    seconds: int


class DrillPublic(BaseModel):
    id: int
    filters: dict[str, Any]
    time_limit_s: int
    started_at: str
    ended_at: str | None
    remaining_s: int
    position: int
    finished: bool
    questions: list[DrillQuestion]
    results: list[DrillResultPublic]
    summary: DrillSummaryPublic | None


class AnswerRecorded(BaseModel):
    recorded: bool
    seconds: int | None
    drill: DrillPublic


def drill_public(view: drills.DrillView) -> DrillPublic:
    s = drills.summary(view) if view.finished else None
    return DrillPublic(
        id=view.drill.id,
        filters=view.drill.filters,
        time_limit_s=view.drill.time_limit_s,
        started_at=view.drill.started_at.isoformat(),
        ended_at=view.drill.ended_at.isoformat() if view.drill.ended_at else None,
        remaining_s=view.remaining_s,
        position=view.position,
        finished=view.finished,
        questions=[
            DrillQuestion(
                **ref,
                prompt=pick.question.prompt if pick else None,
                type=pick.question.type if pick else None,
                skills=pick.skills if pick else [],
            )
            for ref, pick in zip(view.drill.questions, view.picks, strict=True)
        ],
        results=[
            DrillResultPublic(position=i, grade=r.grade, seconds=r.seconds, skills=r.skills)
            for i, r in enumerate(view.results)
        ],
        summary=None
        if s is None
        else DrillSummaryPublic(
            answered=s.answered, asked=s.asked, average_grade=s.average_grade, seconds=s.seconds
        ),
    )


# --- pages ---


def _drill_form_context(form: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "tracks": list(load_tracks().values()),
        "types": [t.value for t in QuestionType],
        "skills": sorted(load_skills().values(), key=lambda s: s.name.lower()),
        "form": form or {"count": 5, "minutes": 10},
    }


def _drill_context(view: drills.DrillView) -> dict[str, Any]:
    return {"view": view, "summary": drills.summary(view) if view.finished else None, "grades": drills.GRADES}


@router.get("/drill", response_class=HTMLResponse)
def drill_page(request: Request) -> Response:
    return render(request, "drill.html", _drill_form_context())


@router.post("/drill", response_class=HTMLResponse)
def drill_start_form(
    request: Request,
    *,
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
        return errors.refused(request, exc, "drill.html", lambda: _drill_form_context(form), session=session)
    return see_other(f"/drill/{started.id}")


@router.get("/drill/{drill_id}", response_class=HTMLResponse)
def drill_session_page(request: Request, drill_id: IdPath, session: SessionDep, clock: ClockDep) -> Response:
    view = drills.get_drill(session, drill_id=drill_id, now=clock.now)
    if view.finished and view.drill.ended_at is None:
        view = drills.finish(session=session, drill_id=drill_id, now=clock.now)
    template = "_drill_session.html" if is_htmx(request) else "drill_session.html"
    return render(request, template, _drill_context(view) | {"message": pop_flash(request)})


@router.post("/drill/{drill_id}/answer", response_class=HTMLResponse)
def drill_answer_form(
    request: Request,
    drill_id: IdPath,
    *,
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
        return errors.refused(
            request,
            exc,
            "drill_session.html",
            lambda: _drill_context(drills.get_drill(session, drill_id=drill_id, now=clock.now)),
            session=session,
        )
    if result is None:
        return see_other_with(
            request, f"/drill/{drill_id}", "Time is up: the last answer came after the limit"
        )
    return see_other(f"/drill/{drill_id}")


@router.post("/drill/{drill_id}/finish", response_class=HTMLResponse)
def drill_finish_form(drill_id: IdPath, session: SessionDep, clock: ClockDep) -> Response:
    drills.finish(session=session, drill_id=drill_id, now=clock.now)
    return see_other(f"/drill/{drill_id}")


# --- JSON ---


@router.post("/api/drills", status_code=201, tags=["drill"], responses=errors.responses(404, 422))
def api_start_drill(body: DrillIn, session: SessionDep, clock: ClockDep) -> DrillPublic:
    """Start a drill: ``count`` questions matching the filters, ``minutes`` to answer them."""
    filters = drills.parse_filters(body.model_dump())
    started = drills.start_drill(session=session, filters=filters, now=clock.now)
    return drill_public(drills.get_drill(session, drill_id=started.id, now=clock.now))


@router.get("/api/drills/{drill_id}", tags=["drill"], responses=errors.responses(404, 422))
def api_get_drill(drill_id: IdPath, session: SessionDep, clock: ClockDep) -> DrillPublic:
    """A drill with its questions, the answers so far and, once finished, its summary."""
    return drill_public(drills.get_drill(session, drill_id=drill_id, now=clock.now))


@router.post(
    "/api/drills/{drill_id}/answers", status_code=201, tags=["drill"], responses=errors.responses(404, 422)
)
def api_answer(drill_id: IdPath, body: AnswerIn, session: SessionDep, clock: ClockDep) -> AnswerRecorded:
    """Grade the next question (``recorded`` is false when it came after the time limit)."""
    result = drills.answer(
        session=session,
        drill_id=drill_id,
        position=body.position,
        grade=body.grade,
        now=clock.now,
        zone=clock.zone,
    )
    view = drills.get_drill(session, drill_id=drill_id, now=clock.now)
    return AnswerRecorded(
        recorded=result is not None,
        seconds=result.seconds if result else None,
        drill=drill_public(view),
    )
