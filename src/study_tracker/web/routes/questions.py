"""Generated practice questions: the Questions page (the queue, with accept / edit / reject and a
form to generate for a roadmap) and the JSON API under ``/api/questions``.

The web generates from a roadmap's document or from a file of the knowledge index only (never
from any path of the machine), with words only (the server never loads the embedding model for
this); ``study questions generate --embeddings`` compares meanings too.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from study_tracker.content.curriculum import QuestionType
from study_tracker.db.models import PracticeQuestion
from study_tracker.errors import StudyError
from study_tracker.practice.questions import queue
from study_tracker.practice.questions.generate import GenerationReport, generate_questions
from study_tracker.practice.questions.generate import Request as GenerateRequest
from study_tracker.practice.questions.source import indexed_source
from study_tracker.web import errors
from study_tracker.web.deps import ClockDep, IdPath, SessionDep, SettingsDep
from study_tracker.web.rendering import is_htmx, render, see_other
from study_tracker.web.security.flash import pop_flash, see_other_with

router = APIRouter()

Status = Literal["queued", "accepted", "rejected"]


class QuestionPublic(BaseModel):
    id: int
    status: Status
    prompt: str
    key_points: list[str]
    type: QuestionType
    kind: str = Field(description="explain, definition, compare, list or llm")
    generator: str = Field(description="structure or llm")
    roadmap: str | None = Field(None, description="the roadmap's slug, for a roadmap's question")
    topic_key: str | None = None
    source: str = Field(description="the file the passage is in")
    start: int = Field(description="character offset of the cited passage in the document's text")
    end: int
    heading_path: list[str]
    edited: bool


class QuestionList(BaseModel):
    questions: list[QuestionPublic]


class GenerateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    roadmap: str | None = Field(None, max_length=64, description="an imported roadmap's slug")
    source: str | None = Field(None, max_length=4096, description="a file of the knowledge index")
    llm: bool = Field(False, description="write the questions with the configured LLM")
    limit: int = Field(200, ge=1, le=1000)


class DuplicatePublic(BaseModel):
    prompt: str
    of: str


class GeneratePublic(BaseModel):
    source: str
    generator: str
    made: int
    key_points: int
    key_points_supported: int
    questions_unsupported: int
    duplicates: list[DuplicatePublic]
    queued: list[QuestionPublic]
    notices: list[str]


class EditIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str | None = None
    key_points: list[str] | None = None


def public(q: PracticeQuestion, slugs: dict[int, str]) -> QuestionPublic:
    return QuestionPublic(
        id=q.id,
        status=q.status,
        prompt=q.prompt,
        key_points=list(q.key_points),
        type=QuestionType(q.type),
        kind=q.kind,
        generator=q.generator,
        roadmap=slugs.get(q.roadmap_id) if q.roadmap_id is not None else None,
        topic_key=q.topic_key,
        source=q.source,
        start=q.start,
        end=q.end,
        heading_path=list(q.heading_path),
        edited=q.edited,
    )


def _slugs(session: Session) -> dict[int, str]:
    return queue.roadmap_slugs(session)


def _generate(session: Session, settings: Any, clock: Any, body: GenerateIn) -> GenerationReport:
    source = indexed_source(settings, body.source) if body.source else None
    request = GenerateRequest(roadmap=body.roadmap, source=source, use_llm=body.llm, limit=body.limit)
    return generate_questions(session=session, settings=settings, request=request, now=clock.now)


# --- the page --------------------------------------------------------------------------------


def _page_context(session: Session, status: str | None, form: dict[str, str] | None = None) -> dict[str, Any]:
    rows = queue.list_questions(session=session, status=status or None)
    return {
        "questions": rows,
        "status": status or "",
        "slugs": _slugs(session),
        "form": form or {},
    }


@router.get("/questions", response_class=HTMLResponse)
def questions_page(
    request: Request, session: SessionDep, status: Annotated[Status | Literal[""], Query()] = "queued"
) -> Response:
    ctx = _page_context(session, status) | {"message": pop_flash(request)}
    return render(request, "questions.html", ctx)


@router.post("/questions/generate", response_class=HTMLResponse)
def generate_form(
    request: Request,
    *,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    roadmap: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    try:
        report = _generate(session, settings, clock, GenerateIn(roadmap=roadmap.strip() or None))
    except StudyError as exc:
        return errors.refused(
            request,
            exc,
            "questions.html",
            lambda: _page_context(session, "queued", {"roadmap": roadmap}),
            session=session,
        )
    message = f"{len(report.queued)} new questions queued ({len(report.duplicates)} near-duplicates dropped)."
    return see_other_with(request, "/questions", message)


def _decided(request: Request, session: Session, q: PracticeQuestion) -> Response:
    if is_htmx(request):
        return render(
            request, "_practice_question.html", {"q": q, "slugs": _slugs(session), "editing": False}
        )
    return see_other("/questions")


@router.post("/questions/{question_id}/accept", response_class=HTMLResponse)
def accept_form(request: Request, question_id: IdPath, session: SessionDep, clock: ClockDep) -> Response:
    return _decided(request, session, queue.accept(session=session, question_id=question_id, now=clock.now))


@router.post("/questions/{question_id}/reject", response_class=HTMLResponse)
def reject_form(request: Request, question_id: IdPath, session: SessionDep, clock: ClockDep) -> Response:
    return _decided(request, session, queue.reject(session=session, question_id=question_id, now=clock.now))


@router.post("/questions/{question_id}/edit", response_class=HTMLResponse)
def edit_form(
    request: Request,
    question_id: IdPath,
    *,
    session: SessionDep,
    prompt: Annotated[str, Form(max_length=2000)] = "",
    key_points: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    """The edit form: the prompt, and the key points one a line."""
    points = [line.strip() for line in key_points.splitlines() if line.strip()]
    try:
        change = queue.parse_edit({"prompt": prompt, "key_points": points})
        q = queue.edit(session=session, question_id=question_id, change=change)
    except StudyError as exc:
        q = queue.get_question(session, question_id)
        return errors.refused(
            request,
            exc,
            "_practice_question.html",
            lambda: {"q": q, "slugs": _slugs(session), "editing": True},
            session=session,
            status_code=200,
        )
    return _decided(request, session, q)


# --- JSON ------------------------------------------------------------------------------------


@router.get("/api/questions", tags=["questions"], responses=errors.responses(422))
def api_list(
    session: SessionDep,
    status: Status | None = None,
    roadmap: Annotated[str | None, Query(max_length=64)] = None,
) -> QuestionList:
    """Generated questions, newest first, by status and roadmap."""
    slugs = _slugs(session)
    rows = queue.list_questions(session=session, status=status, roadmap=roadmap)
    return QuestionList(questions=[public(q, slugs) for q in rows])


@router.post(
    "/api/questions/generate", status_code=201, tags=["questions"], responses=errors.responses(404, 422)
)
def api_generate(
    body: GenerateIn, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> GeneratePublic:
    """Generate questions for a roadmap (``roadmap``) or an indexed file (``source``) and queue them."""
    report = _generate(session, settings, clock, body)
    slugs = _slugs(session)
    return GeneratePublic(
        source=report.source,
        generator=report.generator,
        made=report.made,
        key_points=report.key_points,
        key_points_supported=report.key_points_supported,
        questions_unsupported=report.questions_unsupported,
        duplicates=[DuplicatePublic(prompt=d.prompt, of=d.of) for d in report.duplicates],
        queued=[public(q, slugs) for q in report.queued],
        notices=report.notices,
    )


@router.get("/api/questions/{question_id}", tags=["questions"], responses=errors.responses(404, 422))
def api_get(question_id: IdPath, session: SessionDep) -> QuestionPublic:
    """One generated question."""
    return public(queue.get_question(session, question_id), _slugs(session))


@router.post(
    "/api/questions/{question_id}/accept", tags=["questions"], responses=errors.responses(404, 409, 422)
)
def api_accept(question_id: IdPath, session: SessionDep, clock: ClockDep) -> QuestionPublic:
    """Accept a queued question: it joins its roadmap's drills."""
    return public(queue.accept(session=session, question_id=question_id, now=clock.now), _slugs(session))


@router.post(
    "/api/questions/{question_id}/reject", tags=["questions"], responses=errors.responses(404, 409, 422)
)
def api_reject(question_id: IdPath, session: SessionDep, clock: ClockDep) -> QuestionPublic:
    """Reject a queued question (it is not proposed again)."""
    return public(queue.reject(session=session, question_id=question_id, now=clock.now), _slugs(session))


@router.patch("/api/questions/{question_id}", tags=["questions"], responses=errors.responses(404, 409, 422))
def api_edit(question_id: IdPath, body: EditIn, session: SessionDep) -> QuestionPublic:
    """Change a queued or accepted question's prompt and/or key points."""
    change = queue.parse_edit(body.model_dump(exclude_none=True))
    return public(queue.edit(session=session, question_id=question_id, change=change), _slugs(session))
