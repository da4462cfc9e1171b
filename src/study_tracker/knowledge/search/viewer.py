"""The source viewer: one indexed document's text with a passage located by its character offsets.

The text comes from the live generation's catalog (``documents.text``), the very string the
chunker cut and whose offsets every search hit carries, so the highlight is exact even for PDFs
(extracted text) and JSONL records (one document per record). The requested path is only ever
looked up in the catalog, never opened: a path that was not indexed cannot be shown. The file on
disk is only ``stat``-ed, to tell the reader when it changed or disappeared since it was indexed.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

from study_tracker.config import Settings, get_settings
from study_tracker.errors import FieldError, InvalidInput, NotFound
from study_tracker.knowledge.index import catalog
from study_tracker.knowledge.index.catalog import connect_catalog
from study_tracker.knowledge.index.store import KnowledgeStore

#: Documents up to this many characters are shown whole; longer ones as a window around the passage.
MAX_CHARS = 2_000_000
#: Characters shown on each side of the passage in a window.
WINDOW_CHARS = 100_000


@dataclass
class SourcePassage:
    """A document's text (whole, or a window of it) and where the passage sits in it.

    ``before + passage + after == full_text[offset : offset + len(...)]``; ``start``/``end`` are
    offsets into the whole document, ``offset`` is where the shown text begins.
    """

    source: str
    doc_id: str
    title: str
    kind: str
    start: int
    end: int
    length: int  # characters in the whole document
    offset: int
    before: str
    passage: str
    after: str
    heading_path: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    documents_in_file: int = 1
    file_state: str = "same"  # same | changed | missing

    @property
    def windowed(self) -> bool:
        return self.offset > 0 or self.offset + len(self.before + self.passage + self.after) < self.length


def _not_found(field_name: str, message: str) -> NotFound:
    return NotFound(f"{field_name}: {message}", [FieldError(field_name, message)])


def _file_state(path: str, size: int | None, mtime_ns: int | None) -> str:
    """same, changed (size or modification time differ from the indexed file) or missing."""
    try:
        st = os.stat(path)
    except OSError:
        return "missing"
    if size is not None and st.st_size != size:
        return "changed"
    if mtime_ns is not None and st.st_mtime_ns != mtime_ns:
        return "changed"
    return "same"


def load_passage(
    *,
    settings: Settings | None = None,
    source: str,
    start: int,
    end: int,
    doc_id: str | None = None,
    max_chars: int = MAX_CHARS,
    window: int = WINDOW_CHARS,
) -> SourcePassage:
    """The indexed text of one document with ``text[start:end]`` picked out.

    Args:
        source: the file path exactly as a search hit names it (``SearchHit.source``).
        start, end: the hit's character offsets into the document's text.
        doc_id: which document of the file (needed when a file holds several: JSON/JSONL records).
        max_chars: documents longer than this are cut to ``window`` characters each side of the passage.

    Returns:
        The passage with its surroundings, the heading path of the chunk at those offsets (if one
        matches exactly) and whether the file on disk changed since it was indexed.

    Raises:
        NotFound: ``source`` is not an indexed file (field ``source``), ``doc_id`` is not a
            document of it (field ``doc``), or nothing is indexed yet.
        InvalidInput: offsets outside the document or ``end <= start`` (fields ``start``/``end``),
            or a file of several documents without ``doc_id`` (field ``doc``).
    """
    settings = settings or get_settings()
    gen = KnowledgeStore(settings.knowledge_path).current()
    if gen is None:
        raise _not_found("source", "nothing is indexed yet, so there is no source to show")
    with contextlib.closing(connect_catalog(gen.catalog_path, readonly=True)) as db:
        f = catalog.file_by_path(db, source)
        if f is None:
            raise _not_found("source", "is not a file in the knowledge index (see the Sources page)")
        n_docs = catalog.count_documents(db, f["id"])
        if doc_id is None or doc_id == "":
            if n_docs != 1:
                raise InvalidInput.field(
                    "doc", f"is required: {source} holds {n_docs} documents; say which one"
                )
            rows = catalog.file_documents(db, f["id"])
        else:
            rows = catalog.file_documents(db, f["id"], doc_id)
            if not rows:
                raise _not_found("doc", f"{doc_id!r} is not a document of {source}")
        # Duplicate record ids in one file: the document that has a chunk at exactly these offsets.
        doc = rows[0]
        heading = None
        for row in rows:
            heading = catalog.chunk_heading_at(db, row["id"], start, end)
            if heading is not None:
                doc = row
                break
        length = doc["n"]
        if start < 0 or start >= length:
            raise InvalidInput.field("start", f"must be between 0 and {length - 1} for this document")
        if end <= start or end > length:
            raise InvalidInput.field(
                "end", f"must be after start ({start}) and at most {length}, the document's length"
            )
        lo, hi = 0, length
        if length > max_chars:
            lo, hi = max(0, start - window), min(length, end + window)
        shown = catalog.document_text(db, doc["id"], lo, hi - lo)
    s, e = start - lo, end - lo
    return SourcePassage(
        source=f["path"],
        doc_id=doc["doc_id"],
        title=doc["title"] or "",
        kind=doc["kind"],
        start=start,
        end=end,
        length=length,
        offset=lo,
        before=shown[:s],
        passage=shown[s:e],
        after=shown[e:],
        heading_path=json.loads(heading) if heading is not None else [],
        meta=json.loads(doc["meta"]) if doc["meta"] else {},
        documents_in_file=n_docs,
        file_state=_file_state(f["path"], f["size"], f["mtime_ns"]),
    )
