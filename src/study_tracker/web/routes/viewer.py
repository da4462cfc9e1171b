"""The source viewer page: ``GET /sources/view`` shows an indexed document with a passage marked.

Search results and Ask sources link here (``viewer_link``) when they have no better place to go
(a bundled guide page, a Reddit permalink). The text comes from the index (``knowledge/viewer.py``);
this module never reads files.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from study_tracker.config import Settings, get_settings
from study_tracker.knowledge.search import SearchHit

router = APIRouter()


def viewer_link(hit: SearchHit) -> str:
    """The viewer URL of a hit, scrolled to the passage (``doc`` only when the file holds records)."""
    params: dict[str, Any] = {"source": hit.source}
    if hit.doc_id != hit.source:
        params["doc"] = hit.doc_id
    params.update(start=hit.start, end=hit.end)
    return f"/sources/view?{urlencode(params)}#passage"


def _settings(request: Request) -> Settings:
    return getattr(request.app.state, "settings", None) or get_settings()


_STATE_NOTES = {
    "changed": "This file has changed on disk since it was indexed. The text below is the indexed "
    "copy, so the marked passage is what search found; run the ingest again to refresh it.",
    "missing": "This file no longer exists on disk. The text below is the copy kept in the index; "
    "remove the source or ingest again to drop it from search.",
}


@router.get("/sources/view", response_class=HTMLResponse)
def source_page(
    request: Request,
    source: Annotated[str, Query(min_length=1, description="The file, as a search hit names it.")],
    start: Annotated[int, Query(ge=0, description="The passage's first character.")],
    end: Annotated[int, Query(ge=1, description="One past the passage's last character.")],
    doc: Annotated[str | None, Query(description="The document of a file of records.")] = None,
) -> Response:
    """An indexed document with the passage ``start..end`` in ``<mark id="passage">``."""
    from study_tracker.knowledge.viewer import load_passage
    from study_tracker.web.rendering import render
    from study_tracker.web.routes.search import _web_link

    p = load_passage(settings=_settings(request), source=source, start=start, end=end, doc_id=doc)
    ctx = {
        "p": p,
        "name": p.source.rsplit("/", 1)[-1],
        "path": " › ".join(p.heading_path),
        "state_note": _STATE_NOTES.get(p.file_state),
        "permalink": _web_link(p.meta.get("permalink")),
    }
    return render(request, "source_view.html", ctx)
