"""Knowledge search: the Search page (htmx fragment for live results) and ``GET /api/search``.

The knowledge base is the app's (``deps.KnowledgeDep``); it reloads by itself when an ingest swaps
in a new index. Errors go to ``web/errors.py``, which also says "still being indexed" while the
first-start prepare runs.
"""

from __future__ import annotations

import re
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from pydantic import BaseModel

from study_tracker.errors import KnowledgeError
from study_tracker.knowledge.ingest.sources import list_sources
from study_tracker.knowledge.search.knowledge_base import Filters, KnowledgeBase, SearchHit
from study_tracker.web import errors
from study_tracker.web.deps import KnowledgeDep, SettingsDep
from study_tracker.web.knowledge_views import passage_link
from study_tracker.web.rendering import is_htmx, render, render_passage

router = APIRouter()

Mode = Literal["hybrid", "dense", "bm25"]
Kind = Literal["markdown", "text", "html", "pdf", "json", "reddit"]
# The Search page's words for the modes (the API keeps the technical names).
MODE_LABELS = {
    "hybrid": "Best match (meaning and words)",
    "dense": "Similar meaning",
    "bm25": "Exact words",
}


class SearchResults(BaseModel):
    query: str
    mode: Mode
    k: int
    took_ms: float
    results: list[SearchHit]


def _run(
    kb: KnowledgeBase,
    q: str,
    *,
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


@router.get("/api/search", tags=["search"], responses=errors.responses(422, 500, 503))
def api_search(
    *,
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
) -> SearchResults:
    """Search the knowledge base; each result carries the passage, its offsets and where it is."""
    hits, took = _run(kb, q, mode=mode, k=k, source=source, kind=kind, pain_point=pain_point)
    return SearchResults(query=q, mode=mode, k=k, took_ms=round(took, 2), results=hits)


# --- the page ---

_WORD = re.compile(r"\w{3,}", re.UNICODE)


_TEXT = re.compile(r">([^<]+)<")


def _highlight(html: Markup, query: str) -> Markup:
    """Sanitized passage HTML with the words that share a 4-letter stem with a query word in <b>
    (only in text between tags; an entity such as ``&amp;`` is never split)."""
    stems = {w.lower()[:4] for w in _WORD.findall(query)}
    if not stems:
        return html

    def words(m: re.Match[str]) -> str:
        w = m.group(0)
        before = m.string[: m.start()]
        if before.endswith("&") or w.lower()[:4] not in stems:
            return w
        return f"<b>{w}</b>"

    def segment(m: re.Match[str]) -> str:
        return ">" + _WORD.sub(words, m.group(1)) + "<"

    return Markup(_TEXT.sub(segment, str(html)))  # noqa: S704  (tags only added around words)


def _view(hit: SearchHit, query: str) -> dict[str, Any]:
    return {
        "hit": hit,
        "passage": _highlight(render_passage(hit.text), query),
        "link": passage_link(hit),
        "path": " › ".join(hit.heading_path) or hit.title,
        "title": hit.title or hit.source.rsplit("/", 1)[-1],
        "section": " › ".join(hit.heading_path[1:]),
    }


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    *,
    settings: SettingsDep,
    kb: KnowledgeDep,
    q: str = "",
    mode: str = "hybrid",
    k: int = 10,
    source: str = "",
    kind: str = "",
    pain_point: str = "",
) -> Response:
    """The Search page; with ``HX-Request`` only the results fragment."""
    pain = {"true": True, "false": False}.get(pain_point)
    ctx: dict[str, Any] = {
        "q": q,
        "mode": mode,
        "k": k,
        "source": source,
        "kind": kind,
        "pain_point": pain_point,
        "modes": MODE_LABELS,
        "nothing_relevant": False,
        "kinds": ["markdown", "text", "html", "pdf", "json", "reddit"],
        "results": [],
        "error": None,
        "took_ms": None,
    }
    if q.strip():
        try:
            filters = Filters(source=source or None, kind=kind or None, pain_point=pain)
            t = time.perf_counter()
            cosines: dict[str, float]
            if mode == "bm25":  # keyword hits share a word with the query: relevant by construction
                hits, cosines = kb.search(q, mode=mode, k=max(1, min(k, 100)), filters=filters), {}
            else:
                hits, cosines = kb.search_with_dense(q, mode=mode, k=max(1, min(k, 100)), filters=filters)
            ctx["took_ms"] = round((time.perf_counter() - t) * 1000, 1)
            ctx["results"] = [_view(h, q) for h in hits]
            # The same floor as Ask: fused scores are normalised per query, so only the best
            # cosine tells "relevant" from "closest of nothing".
            ctx["nothing_relevant"] = (
                bool(hits) and mode != "bm25" and max(cosines.values(), default=0.0) < settings.ask_min_score
            )
        except KnowledgeError as exc:
            # Shown above the (empty) results with a 200: htmx swaps only 2xx answers.
            ctx["error"] = errors.explain(request, exc).message
    if is_htmx(request):
        return render(request, "_search_results.html", ctx)
    ctx["sources"] = [] if q.strip() else list_sources(settings)
    return render(request, "search.html", ctx)
