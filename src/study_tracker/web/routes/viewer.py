"""The source viewer page: ``GET /sources/view`` shows an indexed document with a passage marked.

Search results and Ask sources link here (``knowledge_views.viewer_link``) when they have no
better place to go (a bundled guide page, a Reddit permalink). The text comes from the index
(``knowledge/search/viewer.py``); this module never reads files.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from study_tracker.knowledge.search.viewer import load_passage
from study_tracker.web.deps import get_settings
from study_tracker.web.knowledge_views import web_link
from study_tracker.web.rendering import render

router = APIRouter()


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

    p = load_passage(settings=get_settings(request), source=source, start=start, end=end, doc_id=doc)
    ctx = {
        "p": p,
        "name": p.source.rsplit("/", 1)[-1],
        "path": " › ".join(p.heading_path),
        "state_note": _STATE_NOTES.get(p.file_state),
        "permalink": web_link(p.meta.get("permalink")),
    }
    return render(request, "source_view.html", ctx)
