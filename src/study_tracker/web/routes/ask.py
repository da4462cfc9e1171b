"""Ask: the Ask page, ``POST /api/ask`` and the streaming ``/api/ask/stream`` (server-sent events).

The answering itself is ``knowledge/answer/flow.py``; this module only parses requests, maps the
engine's errors to status codes and messages, and turns an answer into HTML (citation markers
linked to the sources below, cited sentences in <mark>, a link to where each passage is).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from markupsafe import Markup, escape
from pydantic import BaseModel, ConfigDict, Field

from study_tracker.config import Settings
from study_tracker.errors import (
    EncoderNotReady,
    IndexMismatch,
    IndexNotBuilt,
    InvalidQuery,
    KnowledgeError,
)
from study_tracker.knowledge.answer.flow import (
    InvalidQuestion,
    LLMNotConfigured,
    Turn,
    answer_question,
    choose_llm,
    stream_answer,
)
from study_tracker.knowledge.search.knowledge_base import SearchHit
from study_tracker.web.deps import get_settings
from study_tracker.web.knowledge_views import (
    get_knowledge_base,
    indexing_message,
    passage_link,
    prepare_in_background,
)
from study_tracker.web.rendering import TEMPLATES, render, render_inline_markdown

router = APIRouter()

MAX_TURNS = 3  # previous turns the page carries along (the rewrite only needs the last one)


# --- requests ---


class HistoryTurn(BaseModel):
    """A previous question and its answer (``query``: what it was searched with, if rewritten)."""

    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=5000)
    answer: str = Field("", max_length=20000)
    query: str = Field("", max_length=5000)


class AskRequest(BaseModel):
    """``POST /api/ask`` and ``POST /api/ask/stream``."""

    model_config = ConfigDict(extra="forbid")
    question: str = Field(description="The question, in your own words.")
    k: int | None = Field(None, ge=1, le=50, description="Passages to retrieve (default: ask_k).")
    history: list[HistoryTurn] = Field(
        default_factory=list, max_length=20, description="Previous turns, oldest first."
    )
    llm: bool | None = Field(None, description="Answer with the LLM (default: the llm_enabled setting).")


class AskFailed(Exception):
    """An error to show: ``status``, a message, and the field it is about (if any)."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field

    def response(self) -> JSONResponse:
        errors = [{"field": self.field, "message": self.message}] if self.field else []
        return JSONResponse({"detail": self.message, "errors": errors}, status_code=self.status)


def _failure(exc: KnowledgeError, settings: Settings) -> AskFailed:
    """The status code and message for an engine error."""

    if isinstance(exc, InvalidQuestion):
        return AskFailed(422, str(exc), "question")
    if isinstance(exc, LLMNotConfigured):
        return AskFailed(422, str(exc), "llm")
    if isinstance(exc, InvalidQuery):
        return AskFailed(422, str(exc), "k" if "k must" in str(exc) else None)
    if isinstance(exc, IndexNotBuilt | EncoderNotReady | IndexMismatch):
        if isinstance(exc, EncoderNotReady):
            prepare_in_background(settings)
        busy = indexing_message(settings)
        return AskFailed(503, busy or str(exc))
    return AskFailed(500, str(exc))


def _turns(history: Sequence[HistoryTurn]) -> list[Any]:

    return [Turn(question=t.question, answer=t.answer, query=t.query) for t in history]


def _prepare(request: Request, body: AskRequest) -> tuple[Any, dict[str, Any]]:
    """The knowledge base and keyword arguments for the answer functions, or AskFailed."""

    settings = get_settings(request)
    try:
        llm = choose_llm(settings, body.llm)
    except KnowledgeError as exc:
        raise _failure(exc, settings) from None
    kb = get_knowledge_base(request)
    return kb, {"k": body.k, "history": _turns(body.history), "llm": llm, "settings": settings}


# --- JSON ---


@router.post("/api/ask")
def api_ask(request: Request, body: AskRequest) -> Response:
    """Answer a question with numbered sources (``Answer.to_dict()``); extractive without an LLM."""

    settings = get_settings(request)
    try:
        kb, kwargs = _prepare(request, body)
        answer = answer_question(kb, body.question, **kwargs)
    except AskFailed as exc:
        return exc.response()
    except KnowledgeError as exc:
        return _failure(exc, settings).response()
    return JSONResponse(answer.to_dict())


def _sse(event: dict[str, Any]) -> str:
    return f"event: {event['type']}\ndata: {json.dumps(event)}\n\n"


def _stream(request: Request, body: AskRequest, html: bool) -> Response:

    settings = get_settings(request)
    try:
        kb, kwargs = _prepare(request, body)
        events = stream_answer(kb, body.question, **kwargs)
        # Retrieval errors come before the sources event: read up to it so they get a real status.
        head: list[dict[str, Any]] = []
        for event in events:
            head.append(event)
            if event["type"] in ("sources", "done"):
                break
    except AskFailed as exc:
        return exc.response()
    except KnowledgeError as exc:
        return _failure(exc, settings).response()

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


@router.post("/api/ask/stream")
def api_ask_stream(request: Request, body: AskRequest, html: bool = False) -> Response:
    """The answer as server-sent events: ``query``, ``sources``, ``notice``, ``delta``..., ``done``.

    ``done`` carries ``Answer.to_dict()`` (authoritative); with ``?html=true`` also the rendered answer.
    """
    return _stream(request, body, html)


@router.get("/api/ask/stream")
def api_ask_stream_get(
    request: Request,
    question: str = "",
    k: int | None = None,
    llm: bool | None = None,
    history: Annotated[
        str, Query(description="JSON list of {question, answer, query}, oldest first.")
    ] = "[]",
    html: bool = False,
) -> Response:
    """The same stream for ``EventSource`` (GET): ``history`` is a JSON list in the query string."""
    from pydantic import ValidationError

    try:
        body = AskRequest(question=question, k=k, llm=llm, history=json.loads(history or "[]"))
    except (ValueError, ValidationError) as exc:
        field = "history"
        if isinstance(exc, ValidationError) and exc.errors():
            field = ".".join(str(p) for p in exc.errors()[0]["loc"]) or "history"
        return AskFailed(422, f"{field}: {_short(exc)}", field.split(".")[0]).response()
    return _stream(request, body, html)


def _short(exc: Exception) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        return str(exc.errors()[0]["msg"]).replace("Input should be", "must be")
    return "must be a JSON list of {question, answer} objects"


# --- HTML ---

_MARKER = re.compile(r"\[(\d+)\]")


def _answer_html(text: str, numbers: set[int]) -> Markup:
    """The answer's inline Markdown rendered (sanitized), with each known ``[n]`` a link to source n."""

    out, last = [], 0
    for m in _MARKER.finditer(text):
        n = int(m.group(1))
        if n not in numbers:
            continue
        out.append(render_inline_markdown(text[last : m.start()]))
        out.append(Markup('<a class="cite" href="#source-{0}" aria-label="source {0}">[{0}]</a>').format(n))
        last = m.end()
    out.append(render_inline_markdown(text[last:]))
    return Markup("").join(out)


def _marked(text: str, spans: Sequence[Sequence[int]]) -> Markup:
    """``text`` escaped with the cited spans in <mark> (overlaps and out-of-range spans ignored)."""
    out, last = [], 0
    for s, e in sorted((int(a), int(b)) for a, b in spans):
        s, e = max(s, last), min(e, len(text))
        if e <= s:
            continue
        out.append(escape(text[last:s]))
        out.append(Markup('<mark class="cited">') + escape(text[s:e]) + Markup("</mark>"))
        last = e
    out.append(escape(text[last:]))
    return Markup("").join(out)


def source_view(source: dict[str, Any]) -> dict[str, Any]:
    """What the page shows of one source (a ``Source.to_dict()``)."""
    fields = {k: source[k] for k in SearchHit.__dataclass_fields__ if k in source}
    hit = SearchHit(**fields)
    return {
        "n": source["n"],
        "cited": source["cited"],
        "title": hit.title or hit.source.rsplit("/", 1)[-1],
        "path": " › ".join(hit.heading_path) or hit.title,
        "passage": _marked(hit.text, source.get("spans", [])),
        "link": passage_link(hit),
        "where": f"{hit.source}:{hit.start}-{hit.end}",
        "hit": hit,
    }


def answer_view(answer: dict[str, Any]) -> dict[str, Any]:
    """An ``Answer.to_dict()`` ready for ``_answer.html``."""
    sources = [source_view(s) for s in answer["sources"]]
    numbers = {s["n"] for s in sources}
    return {
        **answer,
        "html": _answer_html(answer["text"], numbers),
        "cited_sources": [s for s in sources if s["cited"]],
        "other_sources": [s for s in sources if not s["cited"]],
    }


def render_answer(request: Request, answer: dict[str, Any]) -> Markup:

    template = TEMPLATES.get_template("_answer.html")
    return Markup(template.render({"request": request, "a": answer_view(answer)}))  # noqa: S704 (escaped)


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
async def ask_page(request: Request) -> Response:
    """The Ask page; ``?q=`` answers that question in the page (the practice questions link here)."""
    return await _ask_page(request, request.query_params)


@router.post("/ask", response_class=HTMLResponse)
async def ask_form(request: Request) -> Response:
    """The Ask form without JavaScript: the whole page with the answer (ask.js streams instead)."""
    return await _ask_page(request, await request.form())


async def _ask_page(request: Request, form: Any) -> Response:
    from starlette.concurrency import run_in_threadpool

    settings = get_settings(request)
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
            kb, kwargs = _prepare(request, body)
            answer = await run_in_threadpool(answer_question, kb, question, **kwargs)
        except AskFailed as exc:
            ctx["error"], status = exc.message, exc.status
        except KnowledgeError as exc:
            failed = _failure(exc, settings)
            ctx["error"], status = failed.message, failed.status
        else:
            ctx["answer"] = answer_view(answer.to_dict())
            turn = HistoryTurn(question=answer.question, answer=answer.text, query=answer.query)
            ctx["next_history"] = [*history, turn][-MAX_TURNS:]
            ctx["indexing"] = None
    ctx.setdefault("next_history", history)
    return render(request, "ask.html", ctx, status_code=status)
