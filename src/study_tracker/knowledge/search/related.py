"""Passages related to a curriculum topic ("From your materials" on the topic pages).

The query is the topic's title and subtopics; the search is the normal hybrid search, or keyword
search alone while the query encoder is still being prepared, so a topic page never waits for it.

The bundled guides are written for the curriculum's topics, so they win the first places for
almost every topic; the learner's own material, which is what they uploaded to study from, would
never show. So when the first ``k`` are all guide passages, the best passage of the user's own
sources among the first ``OWN_DEPTH`` takes the second place, provided it is relevant on its own
(its dense cosine reaches ``ask_min_score``, the bar Ask answers from).
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from study_tracker.content import GUIDES_DIR
from study_tracker.errors import EncoderNotReady, IndexNotBuilt, KnowledgeError
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase, SearchHit

MAX_QUERY_CHARS = 600
OWN_DEPTH = 30  # passages searched for the user's own one
_CACHE: OrderedDict[tuple[str, str | None, str, int], tuple[SearchHit, ...]] = OrderedDict()
_CACHE_SIZE = 512
_CACHE_LOCK = threading.Lock()


def _remember(key: tuple[str, str | None, str, int], hits: list[SearchHit]) -> None:
    with _CACHE_LOCK:
        _CACHE[key] = tuple(hits)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)


@dataclass
class Related:
    """The passages found, or why there are none (``not_ready``: nothing indexed yet)."""

    hits: list[SearchHit] = field(default_factory=list)
    note: str | None = None
    not_ready: bool = False
    took_ms: float = 0.0


def topic_query(title: str, subtopics: Sequence[str]) -> str:
    """The search query for a topic: its title, then its subtopics, cut at a word boundary."""
    text = " ".join([title, *subtopics]).strip()
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS].rsplit(" ", 1)[0]
    return text


def is_bundled(hit: SearchHit) -> bool:
    """Whether a passage comes from the study guides shipped with the program."""
    return hit.source.startswith(str(GUIDES_DIR) + os.sep)


def with_own_sources(
    hits: Sequence[SearchHit], cosines: dict[str, float], *, k: int, min_cosine: float
) -> list[SearchHit]:
    """The first ``k`` of ``hits``, with the user's best relevant own passage in second place when
    the first ``k`` are all from the bundled guides (see the module's docstring)."""
    top = list(hits[:k])
    if k < 2 or not all(is_bundled(h) for h in top):
        return top
    own = next(
        (h for h in hits[k:] if not is_bundled(h) and cosines.get(h.chunk_id, -1.0) >= min_cosine), None
    )
    if own is None:
        return top
    return [top[0], own, *top[1 : k - 1]]


def related_passages(kb: KnowledgeBase, *, title: str, subtopics: Sequence[str], k: int = 3) -> Related:
    """The ``k`` passages of the knowledge base closest to a topic.

    Never raises a knowledge error: an empty or missing index gives ``not_ready`` and a note.
    """
    t0 = time.perf_counter()
    query = topic_query(title, subtopics)
    out = Related()
    if not query:
        return out
    # The passages of a topic only change when a new index generation goes live, and topic pages
    # are opened again and again: remember them per generation (a read of the pointer file).
    key = (str(kb.store.root), kb.store.pointer(), query, k)
    cached = _CACHE.get(key)
    if cached is not None:
        out.hits = list(cached)
        out.took_ms = (time.perf_counter() - t0) * 1000
        return out
    try:
        try:
            found, cosines = kb.search_with_dense(query, mode="hybrid", k=max(k, OWN_DEPTH))
            out.hits = with_own_sources(found, cosines, k=k, min_cosine=kb.settings.ask_min_score)
            _remember(key, out.hits)
        except EncoderNotReady:
            out.hits = kb.search(query, mode="bm25", k=k)  # not cached: hybrid comes soon
    except IndexNotBuilt:
        out.not_ready = True
        out.note = "Nothing is indexed yet: the study guides are indexed when the server starts."
    except KnowledgeError as exc:
        out.note = str(exc)
    out.took_ms = (time.perf_counter() - t0) * 1000
    return out
