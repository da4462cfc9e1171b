"""Knowledge search: the Search page (htmx fragment for live results) and ``GET /api/search``.

The ``KnowledgeBase`` is created once per app (``get_knowledge_base``) and reloads by itself when
an ingest swaps in a new index. ``on_startup`` prepares the bundled guides and the ONNX query
encoder in a child process so the server never loads torch.
"""

from __future__ import annotations

import logging
import re
import subprocess
import threading
import time
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from markupsafe import Markup, escape

from study_tracker.config import Settings, get_settings
from study_tracker.knowledge.errors import (
    EncoderNotReady,
    IndexMismatch,
    IndexNotBuilt,
    InvalidQuery,
    KnowledgeError,
)
from study_tracker.knowledge.search import CONTEXT_CHARS, Filters, KnowledgeBase, SearchHit
from study_tracker.web.routes.viewer import viewer_link

router = APIRouter()
log = logging.getLogger(__name__)

Mode = Literal["hybrid", "dense", "bm25"]
Kind = Literal["markdown", "text", "html", "pdf", "json", "reddit"]
_KB_LOCK = threading.Lock()


def _settings(request: Request) -> Settings:
    return getattr(request.app.state, "settings", None) or get_settings()


_BASES: dict[Path, KnowledgeBase] = {}


def _knowledge_base(settings: Settings) -> KnowledgeBase:
    """One ``KnowledgeBase`` per knowledge folder in this process."""
    key = settings.knowledge_path.resolve()
    with _KB_LOCK:
        kb = _BASES.get(key)
        if kb is None or kb.settings != settings:
            kb = _BASES[key] = KnowledgeBase.open(settings, export=False)
        return kb


def get_knowledge_base(request: Request) -> KnowledgeBase:
    """The app's ``KnowledgeBase`` (``app.state.knowledge_base`` if set, else one per knowledge folder)."""
    kb = getattr(request.app.state, "knowledge_base", None)
    return kb if kb is not None else _knowledge_base(_settings(request))


KnowledgeDep = Annotated[KnowledgeBase, Depends(get_knowledge_base)]


_PREPARING: dict[Path, subprocess.Popen[bytes]] = {}


def prepare_in_background(settings: Settings) -> None:
    """Index the bundled guides and export the query encoder in a child process, if needed.

    At most one child per knowledge folder; a thread waits for it, logs a failure, and then
    loads the index and the ONNX session so the first query does not pay for them.
    """
    from study_tracker.knowledge import prepare

    key = settings.knowledge_path.resolve()

    def run() -> None:  # the dry run stats the guides: keep it off the event loop
        try:
            with _KB_LOCK:
                running = _PREPARING.get(key)
                if running is not None and running.poll() is None:
                    return
                child = prepare.start(settings)
                if child is not None:
                    _PREPARING[key] = child
            if child is not None and child.wait() != 0:
                log.error(
                    "preparing the knowledge base failed (exit %s); see the messages above", child.returncode
                )
                return
            _knowledge_base(settings).warm_up()
        except KnowledgeError:
            pass  # nothing indexed yet: the page says how to add material
        except Exception:  # noqa: BLE001 - search must not take the tracker down
            log.exception("could not prepare the knowledge base")

    threading.Thread(target=run, name="knowledge-prepare", daemon=True).start()


def on_startup(settings: Settings) -> None:
    if settings.index_on_start:
        prepare_in_background(settings)


def _message(exc: KnowledgeError, settings: Settings) -> str:
    """The error, or "still being indexed (N%)" while the first-start indexing runs."""
    if isinstance(exc, IndexNotBuilt | EncoderNotReady):
        from study_tracker.web.routes.ask import indexing_message  # ask imports this module

        return indexing_message(settings) or str(exc)
    return str(exc)


def _status(exc: KnowledgeError) -> int:
    if isinstance(exc, InvalidQuery):
        return 422
    if isinstance(exc, IndexNotBuilt | IndexMismatch | EncoderNotReady):
        return 503
    return 500


def _run(
    kb: KnowledgeBase,
    q: str,
    mode: str,
    k: int,
    source: str | None,
    kind: str | None,
    pain_point: bool | None,
) -> tuple[list[SearchHit], float]:
    t = time.perf_counter()
    hits = kb.search(
        q, mode=mode, k=k, filters=Filters(source=source or None, kind=kind, pain_point=pain_point)
    )
    return hits, (time.perf_counter() - t) * 1000


@router.get("/api/search")
def api_search(
    kb: KnowledgeDep,
    q: Annotated[str, Query(min_length=1, max_length=2000, description="The query, in your own words.")],
    mode: Annotated[Mode, Query(description="hybrid (dense + BM25 fused), dense or bm25.")] = "hybrid",
    k: Annotated[int, Query(ge=1, le=200, description="Number of results.")] = 10,
    source: Annotated[
        str | None, Query(description="Only files at/under this path, or whose path contains it.")
    ] = None,
    kind: Annotated[Kind | None, Query(description="Only documents of this kind.")] = None,
    pain_point: Annotated[
        bool | None, Query(description="Only passages flagged (true) or not (false).")
    ] = None,
) -> Response:
    """Search the knowledge base; each result carries the passage, its offsets and where it is."""
    try:
        hits, took = _run(kb, q, mode, k, source, kind, pain_point)
    except KnowledgeError as exc:
        if isinstance(exc, EncoderNotReady):
            prepare_in_background(kb.settings)
        return JSONResponse({"detail": _message(exc, kb.settings), "errors": []}, status_code=_status(exc))
    return JSONResponse(
        {
            "query": q,
            "mode": mode,
            "k": k,
            "took_ms": round(took, 2),
            "results": [h.to_dict() for h in hits],
        }
    )


# --- the page ---

_WORD = re.compile(r"\w{3,}", re.UNICODE)


def _highlight(text: str, query: str) -> Markup:
    """``text`` escaped, with words that share a 4-letter stem with a query word in <b>."""
    stems = {w.lower()[:4] for w in _WORD.findall(query)}
    if not stems:
        return escape(text)
    out, last = [], 0
    for m in _WORD.finditer(text):
        if m.group(0).lower()[:4] in stems:
            out.append(escape(text[last : m.start()]))
            out.append(Markup("<b>") + escape(m.group(0)) + Markup("</b>"))
            last = m.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def _guide_link(hit: SearchHit) -> str | None:
    """A link to the bundled guide page for hits from the packaged guides."""
    from study_tracker.knowledge.sources import bundled_guides_path

    path = Path(hit.source)
    if path.parent != bundled_guides_path():
        return None
    from study_tracker.tracker.curriculum import guide_anchor

    anchor = ""
    if len(hit.heading_path) > 1:
        anchor = "#" + guide_anchor(0, hit.heading_path[-1]).removeprefix("day-0-")
    return f"/guides/{path.name}{anchor}"


def _web_link(url: object) -> str | None:
    """A permalink from ingested data, only if it is a web address (never ``javascript:`` and the like)."""
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else None


def _view(hit: SearchHit, query: str) -> dict[str, Any]:
    before = hit.context_before
    if hit.start > CONTEXT_CHARS and " " in before:
        before = "…" + before[before.index(" ") :]
    after = hit.context_after
    if len(after) >= CONTEXT_CHARS and " " in after:
        after = after[: after.rindex(" ")] + " …"
    return {
        "hit": hit,
        "before": escape(before),
        "passage": _highlight(hit.text, query),
        "after": escape(after),
        "link": _guide_link(hit) or _web_link(hit.meta.get("permalink")) or viewer_link(hit),
        "path": " › ".join(hit.heading_path) or hit.title,
    }


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    q: str = "",
    mode: str = "hybrid",
    k: int = 10,
    source: str = "",
    kind: str = "",
    pain_point: str = "",
) -> Response:
    """The Search page; with ``HX-Request`` only the results fragment."""
    from study_tracker.knowledge.sources import list_sources
    from study_tracker.web.rendering import is_htmx, render

    settings = _settings(request)
    pain = {"true": True, "false": False}.get(pain_point)
    ctx: dict[str, Any] = {
        "q": q,
        "mode": mode,
        "k": k,
        "source": source,
        "kind": kind,
        "pain_point": pain_point,
        "modes": ["hybrid", "dense", "bm25"],
        "kinds": ["markdown", "text", "html", "pdf", "json", "reddit"],
        "results": [],
        "error": None,
        "took_ms": None,
    }
    if q.strip():
        try:
            kb = get_knowledge_base(request)
            hits, took = _run(kb, q, mode, max(1, min(k, 100)), source, kind or None, pain)
            ctx["results"] = [_view(h, q) for h in hits]
            ctx["took_ms"] = round(took, 1)
        except KnowledgeError as exc:
            if isinstance(exc, EncoderNotReady):
                prepare_in_background(settings)
            ctx["error"] = _message(
                exc, settings
            )  # shown above the (empty) results; htmx swaps only 2xx answers
    if is_htmx(request):
        return render(request, "_search_results.html", ctx)
    ctx["sources"] = [] if q.strip() else list_sources(settings)
    return render(request, "search.html", ctx)
