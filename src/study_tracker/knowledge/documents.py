"""The data that flows through ingest: a loaded ``Document`` (with structure ``Block``s) and its ``Chunk``s.

Offsets (``start``, ``end``) always index into ``Document.text``, the original text that is shown to
the user, so a search result can point at and highlight the exact passage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Kinds of source that are discussions (pain-point detection runs on their chunks).
DISCUSSION_KINDS = frozenset({"reddit"})

#: Every document kind a loader can produce.
KINDS = ("markdown", "text", "html", "pdf", "json", "reddit")


@dataclass(slots=True)
class Block:
    """A structural unit of a document's text, as the loader saw it.

    ``kind`` is one of heading, paragraph, list, code, table, quote, html. Lists and code blocks are
    kept whole by the chunker when they fit; ``parts`` are preferred split points (list items) for
    when they do not.
    """

    kind: str
    start: int
    end: int
    level: int = 0  # heading level (1-6); 0 for other blocks
    title: str = ""  # the heading's text, for headings
    parts: list[tuple[int, int]] | None = None


@dataclass(slots=True)
class Document:
    """One loaded document: original text, kind, where it came from, and optional structure."""

    doc_id: str
    text: str
    kind: str
    source: str
    title: str = ""
    blocks: list[Block] | None = None  # None: paragraphs split on blank lines
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Chunk:
    """A passage of a document, small enough for the embedding model's window.

    ``text`` is the original slice ``document.text[start:end]``; ``index_text`` is what is embedded
    and BM25-indexed: the heading path and the cleaned passage.
    """

    seq: int
    start: int
    end: int
    heading_path: list[str]
    text: str
    index_text: str
    n_tokens: int
    pain_point: bool = False
