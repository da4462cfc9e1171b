"""View helpers shared by the knowledge pages (Search, Ask, the source viewer, topic pages).

The app's ``KnowledgeBase`` (one per knowledge folder, reloading by itself when an ingest swaps
in a new index), the background prepare of the bundled guides, the "still being indexed" message,
where a passage links to, and the "From your materials" passages of a topic page. Route modules
import from here and never from each other.
"""

from __future__ import annotations

import logging
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request

from study_tracker.config import Settings
from study_tracker.content.curriculum import guide_anchor
from study_tracker.errors import KnowledgeError
from study_tracker.knowledge.ingest.sources import bundled_guides_path
from study_tracker.knowledge.jobs import prepare
from study_tracker.knowledge.jobs import status as job_status
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase, SearchHit
from study_tracker.knowledge.search.related import related_passages
from study_tracker.web.deps import get_settings

log = logging.getLogger(__name__)

# --- the knowledge base ---

_KB_LOCK = threading.Lock()
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
    return kb if kb is not None else _knowledge_base(get_settings(request))


KnowledgeDep = Annotated[KnowledgeBase, Depends(get_knowledge_base)]


_PREPARING: dict[Path, subprocess.Popen[bytes]] = {}


def prepare_in_background(settings: Settings) -> None:
    """Index the bundled guides and export the query encoder in a child process, if needed.

    At most one child per knowledge folder; a thread waits for it, logs a failure, and then
    loads the index and the ONNX session so the first query does not pay for them.
    """

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


def indexing_message(settings: Settings) -> str | None:
    """The "still being indexed (N%)" message while the first-start prepare runs, else None."""
    running = job_status.preparing(settings)
    if running is None:
        return None
    return (
        f"The study guides are still being indexed ({running.percent}%, {running.step}); "
        "Ask works as soon as that is done: try again in a moment."
    )


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
