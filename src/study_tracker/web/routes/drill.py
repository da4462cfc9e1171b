"""Drill: a timed set of practice questions. The pages (start, the card loop: type an answer,
reveal the key points with the grader's ticks, grade; the summary) and ``/api/drills``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from study_tracker.coach import drills
from study_tracker.content.curriculum import QuestionType, load_skills, load_tracks
from study_tracker.errors import InvalidInput, StudyError
from study_tracker.practice.cards import GRADE_LABELS, grade_card
from study_tracker.practice.grading.base import MAX_ANSWER_CHARS, MAX_KEY_POINTS
from study_tracker.practice.outcomes import OutcomeIn
from study_tracker.web import errors
from study_tracker.web.deps import ClockDep, GraderDep, IdPath, SessionDep
from study_tracker.web.rendering import is_htmx, render, see_other
from study_tracker.web.routes.card_schemas import AnswerBody, CardGradePublic
from study_tracker.web.routes.card_views import reveal_context
from study_tracker.web.security.flash import pop_flash, see_other_with

router = APIRouter()


class DrillIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    track: str | None = None
    roadmap: str | None = None  # an imported roadmap: its accepted practice questions
    type: str | None = None
    skill: str | None = None
    count: int = 5
    minutes: int = 10


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    position: int
    grade: int
    # The card loop's outcome of the question, kept beside the grade (all optional).
    answer: str = Field("", max_length=MAX_ANSWER_CHARS)
    covered: list[int] = Field(default_factory=list, max_length=MAX_KEY_POINTS)
    contradicted: list[int] = Field(default_factory=list, max_length=MAX_KEY_POINTS)
    suggested: int | None = Field(None, ge=1, le=4)
    grader: str = Field("none", pattern="^(offline|llm|none)$")

    def outcome(self) -> OutcomeIn:
        """The outcome to store (its grade and position are the answer's own)."""
        return _outcome(self.model_dump(exclude={"position", "grade"}))


def _outcome(fields: dict[str, Any]) -> OutcomeIn:
    try:
        return OutcomeIn.model_validate({"position": 0, "grade": 3, **fields})
    except ValueError as exc:  # pydantic's ValidationError
        raise InvalidInput.field("covered", f"key points are numbered 0 to {MAX_KEY_POINTS - 1}") from exc


class DrillQuestion(BaseModel):
    track: str
    day: int
    index: int
    roadmap: str | None = None  # a roadmap's question: ``question`` is its id in /api/questions
    question: int | None = None
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
    ctx: dict[str, Any] = {
        "view": view,
        "summary": drills.summary(view) if view.finished else None,
        "grades": drills.GRADES,
    }
    pick = view.current
    if pick is not None:
        ctx |= {
            "stage": "answer",
            "card": pick.card(view.position),
            "cards": view.picks,
            "answer": "",
            "reveal_url": f"/drill/{view.drill.id}/reveal",
            "grade_url": f"/drill/{view.drill.id}/answer",
            "grade_htmx": False,  # a grade reloads the page: the timer and summary come from the server
            # A drill schedules nothing: its grade buttons show no interval.
            "buttons": [{"value": n, "label": label, "interval": ""} for n, label in GRADE_LABELS.items()],
            "labels": GRADE_LABELS,
            "in_drill": True,
        }
    return ctx


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


@router.post("/drill/{drill_id}/reveal", response_class=HTMLResponse)
def drill_reveal_form(
    request: Request,
    drill_id: IdPath,
    *,
    session: SessionDep,
    clock: ClockDep,
    grader: GraderDep,
    position: Annotated[str, Form()] = "",
    answer: Annotated[str, Form(max_length=MAX_ANSWER_CHARS)] = "",
) -> Response:
    """Grade the typed answer to the current card (in the thread pool) and show its key points."""
    view = drills.get_drill(session, drill_id=drill_id, now=clock.now)
    ctx = _drill_context(view)
    if view.finished or position != str(view.position):
        return see_other(f"/drill/{drill_id}")  # time ran out, or a stale card: show where it stands
    result = grade_card(grader, ctx["card"], answer) if grader is not None else None
    ctx = reveal_context(ctx, ctx["card"], answer, result)
    if answer.strip() and grader is None:
        ctx["notice"] = "The answer is not graded yet: the embedding model is still being prepared."
    return render(request, "_card.html" if is_htmx(request) else "drill_session.html", ctx)


@router.post("/drill/{drill_id}/answer", response_class=HTMLResponse)
def drill_answer_form(
    request: Request,
    drill_id: IdPath,
    *,
    session: SessionDep,
    clock: ClockDep,
    position: Annotated[str, Form()] = "",
    grade: Annotated[str, Form()] = "",
    answer: Annotated[str, Form(max_length=MAX_ANSWER_CHARS)] = "",
    covered: Annotated[list[str], Form(max_length=MAX_KEY_POINTS)] = [],  # noqa: B006  (FastAPI copies it)
    contradicted: Annotated[list[str], Form(max_length=MAX_KEY_POINTS)] = [],  # noqa: B006
    suggested: Annotated[str, Form()] = "",
    grader: Annotated[str, Form()] = "none",
) -> Response:
    try:
        if not position.strip().isdigit():
            raise InvalidInput.field("position", "is required: which question you are grading")
        if not grade.strip().isdigit():
            raise InvalidInput.field("grade", "is required: choose Again, Hard, Good or Easy")
        outcome = _outcome(
            {
                "answer": answer,
                "covered": [int(i) for i in covered if i.isdigit()],
                "contradicted": [int(i) for i in contradicted if i.isdigit()],
                "suggested": int(suggested) if suggested.isdigit() else None,
                "grader": grader if grader in ("offline", "llm") else "none",
            }
        )
        result = drills.answer(
            session=session,
            drill_id=drill_id,
            position=int(position),
            grade=int(grade),
            now=clock.now,
            zone=clock.zone,
            outcome=outcome,
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
        outcome=body.outcome(),
    )
    view = drills.get_drill(session, drill_id=drill_id, now=clock.now)
    return AnswerRecorded(
        recorded=result is not None,
        seconds=result.seconds if result else None,
        drill=drill_public(view),
    )


@router.post(
    "/api/drills/{drill_id}/cards/{position}/grade", tags=["drill"], responses=errors.responses(404, 422)
)
def api_grade_drill_card(
    drill_id: IdPath,
    position: Annotated[int, Path(ge=0, le=29)],
    body: AnswerBody,
    session: SessionDep,
    clock: ClockDep,
    grader: GraderDep,
) -> CardGradePublic:
    """Grade a typed answer to one of the drill's questions (nothing is stored: send the grade
    and the ticks with ``/answers``)."""
    view = drills.get_drill(session, drill_id=drill_id, now=clock.now)
    if position >= len(view.picks) or view.picks[position] is None:
        raise InvalidInput.field(
            "position", f"this drill has {len(view.picks)} questions (0 to {len(view.picks) - 1})"
        )
    pick = view.picks[position]
    assert pick is not None
    result = grade_card(grader, pick.card(position), body.answer) if grader is not None else None
    return CardGradePublic(
        position=position,
        graded=result is not None,
        suggested=int(result.recall) if result else None,
        covered=result.covered if result else [],
        contradicted=result.contradicted if result else [],
        result=result,
        notice="not graded: the embedding model is still being prepared"
        if grader is None and body.answer.strip()
        else (result.notice if result else None),
    )
