"""Search hits: the passage found, where it is in its document, and why it ranked.

A hit's text is cut from the document's original text by the chunk's character offsets, so the
source viewer and citations can point at exactly that passage.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from study_tracker.knowledge.index import catalog

CONTEXT_CHARS = 200  # text shown around a passage so the highlight reads in context


@dataclass
class SearchHit:
    """One passage found: the exact text, where it is, and why it ranked."""

    chunk_id: str
    doc_id: str
    score: float
    text: str  # the original passage, document.text[start:end]
    title: str
    source: str  # the file it came from
    kind: str
    heading_path: list[str]
    start: int
    end: int
    pain_point: bool
    meta: dict[str, Any] = field(default_factory=dict)
    context_before: str = ""
    context_after: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def fetch_hits(
    db: sqlite3.Connection, ranked: Sequence[tuple[int, float]], *, lock: threading.Lock
) -> list[SearchHit]:
    """Hits for ``(index row, score)`` pairs, in that order (rows missing from the catalog are
    left out); ``lock`` guards the connection, which the server's threads share."""
    if not ranked:
        return []
    with lock:
        found = catalog.passages(db, [r for r, _ in ranked], context_chars=CONTEXT_CHARS)
    hits = []
    for row, score in ranked:
        r = found.get(row)
        if r is None:
            continue
        hits.append(
            SearchHit(
                chunk_id=f"{r['doc_id']}#{r['seq']}",
                doc_id=r["doc_id"],
                score=float(score),
                text=r["passage"],
                title=r["title"] or "",
                source=r["path"],
                kind=r["kind"],
                heading_path=json.loads(r["heading"]),
                start=r["start"],
                end=r["end"],
                pain_point=bool(r["pain"]),
                meta=json.loads(r["meta"]) if r["meta"] else {},
                context_before=r["before"] or "",
                context_after=r["after"] or "",
            )
        )
    return hits
