"""View helpers shared by the knowledge pages (Search, Ask, the source viewer, topic pages).

Where a passage links to, and the "From your materials" passages of a topic page and of the
What-next items. The knowledge base itself lives on ``app.state`` (``web/knowledge.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from study_tracker.content.curriculum import guide_anchor
from study_tracker.knowledge.ingest.sources import bundled_guides_path
from study_tracker.knowledge.search.knowledge_base import SearchHit
from study_tracker.knowledge.search.related import related_passages
from study_tracker.web.deps import get_knowledge_base, get_settings
from study_tracker.web.knowledge import indexing_message

# --- where a passage links to ---


def guide_link(hit: SearchHit) -> str | None:
    """A link to the bundled guide page for hits from the packaged guides."""

    path = Path(hit.source)
    if path.parent != bundled_guides_path():
        return None
    anchor = ""
    if len(hit.heading_path) > 1:
        anchor = "#" + guide_anchor(0, hit.heading_path[-1]).removeprefix("day-0-")
    return f"/guides/{path.name}{anchor}"


def web_link(url: object) -> str | None:
    """A permalink from ingested data, only if it is a web address (never ``javascript:`` and the like)."""
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else None


def viewer_link(hit: SearchHit) -> str:
    """The viewer URL of a hit, scrolled to the passage (``doc`` only when the file holds records)."""
    params: dict[str, Any] = {"source": hit.source}
    if hit.doc_id != hit.source:
        params["doc"] = hit.doc_id
    params.update(start=hit.start, end=hit.end)
    return f"/sources/view?{urlencode(params)}#passage"


def passage_link(hit: SearchHit) -> str:
    """Where a passage is best read: its guide page, else its web permalink, else the source viewer."""
    return guide_link(hit) or web_link(hit.meta.get("permalink")) or viewer_link(hit)


# --- passages for the topic pages ---


def topic_passages(request: Request, *, title: str, subtopics: Sequence[str]) -> dict[str, Any]:
    """The topic page's "From your materials": up to 3 passage views, or a short note. Never raises."""

    settings = get_settings(request)
    try:
        result = related_passages(get_knowledge_base(request), title=title, subtopics=subtopics)
    except Exception:  # noqa: BLE001 - the topic page must render whatever happens here
        return {"passages": [], "note": "Passages from your materials are unavailable right now."}
    note = result.note
    if not result.hits and note is None:
        note = "Nothing in your materials matches this topic yet."
    if result.not_ready:
        note = indexing_message(settings) or note
    passages = [
        {
            "title": h.title or h.source.rsplit("/", 1)[-1],
            "path": " › ".join(h.heading_path) or h.title,
            "text": h.text if len(h.text) <= 400 else h.text[:400].rsplit(" ", 1)[0] + " …",
            "link": passage_link(h),
            "source": h.source,
        }
        for h in result.hits
    ]
    return {"passages": passages, "note": note, "took_ms": result.took_ms}
