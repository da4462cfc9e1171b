"""Ask: the Ask page, ``POST /api/ask`` and the streaming ``/api/ask/stream`` (server-sent events).

The answering itself is ``knowledge/answer/flow.py``; this module only parses requests and shows
the answer (``web/answer_html.py`` turns it into HTML). Errors go to ``web/errors.py``; the stream
reads ahead to its ``sources`` event so that errors of retrieval still get a real status, and an
error after that ends the stream with an ``error`` event.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from study_tracker.config import Settings
from study_tracker.errors import FieldError, InvalidInput, KnowledgeError
from study_tracker.knowledge.answer.flow import Turn, answer_question, choose_llm, stream_answer
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase
from study_tracker.web import errors
from study_tracker.web.answer_html import answer_view, render_answer
from study_tracker.web.deps import KnowledgeDep, SettingsDep
from study_tracker.web.knowledge import indexing_message
from study_tracker.web.rendering import render
from study_tracker.web.routes.ask_schemas import AnswerPublic, AskEvent, AskRequest, HistoryTurn

router = APIRouter()

MAX_TURNS = 3  # previous turns the page carries along (the rewrite only needs the last one)


def _answer_args(settings: Settings, body: AskRequest) -> dict[str, Any]:
    """Keyword arguments of the answer functions (``LLMNotConfigured`` if an LLM is asked for
    but none is set up)."""
    history = [Turn(question=t.question, answer=t.answer, query=t.query) for t in body.history]
    return {"k": body.k, "history": history, "llm": choose_llm(settings, body.llm), "settings": settings}


# --- JSON ---


@router.post("/api/ask", tags=["ask"], responses=errors.responses(422, 500, 503))
def api_ask(body: AskRequest, settings: SettingsDep, kb: KnowledgeDep) -> AnswerPublic:
    """Answer a question with numbered sources; extractive without an LLM."""
    answer = answer_question(kb, body.question, **_answer_args(settings, body))
    return AnswerPublic.model_validate(answer.to_dict())


def _sse(event: dict[str, Any]) -> str:
    return f"event: {event['type']}\ndata: {json.dumps(event)}\n\n"


def _stream(
    request: Request, body: AskRequest, *, html: bool, settings: Settings, kb: KnowledgeBase
) -> Response:
    events = stream_answer(kb, body.question, **_answer_args(settings, body))
    # Retrieval errors come before the sources event: read up to it so they get a real status.
    head: list[dict[str, Any]] = []
    for event in events:
        head.append(event)
        if event["type"] in ("sources", "done"):
            break

    def run() -> Iterator[str]:
        try:
            for event in [*head, *events]:
                if event["type"] == "done" and html:
                    event = {**event, "html": str(render_answer(request, event["answer"]))}
                yield _sse(event)
        except Exception as exc:  # noqa: BLE001 - the page must end with a message, not hang
            message = (
                str(exc) if isinstance(exc, KnowledgeError) else "The answer failed; see the server log."
            )
            yield _sse({"type": "error", "message": message})

    return StreamingResponse(
        run(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


# The stream's documentation: events of ``AskEvent`` (``response_model`` puts it among the schemas;
# the response class has no media type of its own, so the errors are documented as JSON).
_STREAM_DOCS: dict[str, Any] = {
    "response_class": StreamingResponse,
    "response_model": AskEvent,
    "responses": {
        200: {
            "description": "Server-sent events; each `data:` is an `AskEvent` as JSON.",
            "content": {"text/event-stream": {"schema": {"$ref": "#/components/schemas/AskEvent"}}},
        },
        **errors.responses(422, 500, 503),
    },
}


@router.post("/api/ask/stream", tags=["ask"], **_STREAM_DOCS)
def api_ask_stream(
    request: Request, body: AskRequest, settings: SettingsDep, kb: KnowledgeDep, html: bool = False
) -> Response:
    """The answer as server-sent events: ``query``, ``sources``, ``notice``, ``delta``..., ``done``.

    ``done`` carries the answer (as ``POST /api/ask`` returns it); with ``?html=true`` also the
    rendered answer.
    """
    return _stream(request, body, html=html, settings=settings, kb=kb)


def _bad_history(exc: ValueError) -> InvalidInput:
    """The 422 for a ``history`` query parameter that is not a JSON list of turns."""
    field, short = "history", "must be a JSON list of {question, answer} objects"
    if isinstance(exc, ValidationError) and exc.errors():
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "history"
        short = str(first["msg"]).replace("Input should be", "must be")
    message = f"{field}: {short}"
    return InvalidInput(message, [FieldError(field.split(".")[0], message)])


@router.get("/api/ask/stream", tags=["ask"], **_STREAM_DOCS)
def api_ask_stream_get(
    request: Request,
    *,
    settings: SettingsDep,
    kb: KnowledgeDep,
    question: str = "",
    k: int | None = None,
    llm: bool | None = None,
    history: Annotated[
        str, Query(description="JSON list of {question, answer, query}, oldest first.")
    ] = "[]",
    html: bool = False,
) -> Response:
    """The same stream for ``EventSource`` (GET): ``history`` is a JSON list in the query string."""
    try:
        body = AskRequest(question=question, k=k, llm=llm, history=json.loads(history or "[]"))
    except ValueError as exc:  # bad JSON, or turns pydantic refused (a ValidationError is one)
        raise _bad_history(exc) from None
    return _stream(request, body, html=html, settings=settings, kb=kb)


# --- the page ---


def _form_history(form: Any) -> list[HistoryTurn]:
    qs, ans, queries = form.getlist("hq"), form.getlist("ha"), form.getlist("hquery")
    out = []
    for i, q in enumerate(qs):
        q = str(q).strip()
        if not q:
            continue
        out.append(
            HistoryTurn(
                question=q[:5000],
                answer=str(ans[i])[:20000] if i < len(ans) else "",
                query=str(queries[i])[:5000] if i < len(queries) else "",
            )
        )
    return out[-MAX_TURNS:]


@router.get("/ask", response_class=HTMLResponse)
async def ask_page(request: Request, settings: SettingsDep, kb: KnowledgeDep) -> Response:
    """The Ask page; ``?q=`` answers that question in the page (the practice questions link here)."""
    return await _ask_page(request, request.query_params, settings=settings, kb=kb)


@router.post("/ask", response_class=HTMLResponse)
async def ask_form(request: Request, settings: SettingsDep, kb: KnowledgeDep) -> Response:
    """The Ask form without JavaScript: the whole page with the answer (ask.js streams instead)."""
    return await _ask_page(request, await request.form(), settings=settings, kb=kb)


async def _ask_page(request: Request, form: Any, *, settings: Settings, kb: KnowledgeBase) -> Response:
    question = str(form.get("q", ""))
    history = _form_history(form)
    use_llm = {"true": True, "on": True, "false": False}.get(str(form.get("llm", "")))
    llm_default = bool(settings.llm_enabled and settings.llm_base_url.strip())
    ctx: dict[str, Any] = {
        "q": question,
        "history": history,
        "answer": None,
        "error": None,
        "llm_available": bool(settings.llm_base_url.strip()),
        "llm_checked": llm_default if use_llm is None else use_llm,
        "indexing": indexing_message(settings),
    }
    status = 200
    if question.strip() or request.method == "POST":
        body = AskRequest(question=question, history=history, llm=use_llm if ctx["llm_available"] else False)
        try:
            answer = await run_in_threadpool(answer_question, kb, question, **_answer_args(settings, body))
        except KnowledgeError as exc:
            problem = errors.explain(request, exc)
            ctx["error"], status = problem.message, problem.status
        else:
            ctx["answer"] = answer_view(answer.to_dict())
            turn = HistoryTurn(question=answer.question, answer=answer.text, query=answer.query)
            ctx["next_history"] = [*history, turn][-MAX_TURNS:]
            ctx["indexing"] = None
    ctx.setdefault("next_history", history)
    return render(request, "ask.html", ctx, status_code=status)
