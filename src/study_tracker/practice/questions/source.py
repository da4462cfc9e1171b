"""The document questions are generated from: a file of the user's, or an imported roadmap's copy.

A file is read by the knowledge engine's own loaders, so its text is exactly what ingest stores
in the catalog for that path (``documents.text``) and a question's offsets open the passage in
the source viewer once the file is ingested. A roadmap's document is the copy the import keeps
at ``<data_dir>/roadmaps/<slug>.md`` (the one added to the knowledge base); each question is
attached to the roadmap topic whose heading it sits under.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from study_tracker.config import Settings
from study_tracker.db.models import Roadmap, RoadmapItem
from study_tracker.errors import FieldError, InvalidInput, NotFound
from study_tracker.knowledge.documents import Document
from study_tracker.knowledge.index import catalog
from study_tracker.knowledge.index.catalog import connect_catalog
from study_tracker.knowledge.index.store import KnowledgeStore
from study_tracker.knowledge.ingest.loaders import LoaderOptions, Skip, load_file
from study_tracker.practice.questions.candidate import Candidate
from study_tracker.practice.questions.sections import clean_title, plain
from study_tracker.roadmaps.library import copy_path

#: Generation reads the whole document: larger files are refused before they are read.
MAX_SOURCE_BYTES = 5 * 1024 * 1024


@dataclass
class SourceDocument:
    """The document to generate from and, for a roadmap, the roadmap and its topics."""

    document: Document
    roadmap: Roadmap | None = None
    topics: dict[str, str] | None = None  # clean lower-cased topic title -> item key


def _missing(field_name: str, message: str) -> NotFound:
    return NotFound(f"{field_name}: {message}", [FieldError(field_name, message)])


def load_source(path: Path) -> Document:
    """The first document of ``path``, loaded as ingest would load it.

    Raises:
        NotFound: no such file (field ``source``).
        InvalidInput: a folder, too large, unsupported or unreadable (field ``source``).
    """
    resolved = path.expanduser().resolve()
    if not resolved.exists():
        raise _missing("source", f"{path} does not exist")
    if not resolved.is_file():
        raise InvalidInput.field("source", f"{path} is not a file")
    if resolved.stat().st_size > MAX_SOURCE_BYTES:
        raise InvalidInput.field("source", f"{path} is larger than {MAX_SOURCE_BYTES // 1024 // 1024} MB")
    warnings: list[str] = []
    try:
        for doc in load_file(resolved, LoaderOptions(max_file_bytes=MAX_SOURCE_BYTES), warnings.append):
            return doc
    except Skip as exc:
        raise InvalidInput.field("source", f"{path} cannot be read: {exc}") from None
    raise InvalidInput.field("source", f"{path} holds no document")


def load_roadmap_source(*, session: Session, data_dir: Path, slug: str) -> SourceDocument:
    """An imported roadmap's document and its topics.

    Raises:
        NotFound: no roadmap ``slug`` (field ``roadmap``), or its document copy is missing
            (imported with ``--no-kb``): import it again to keep one.
    """
    roadmap = session.scalar(select(Roadmap).where(Roadmap.slug == slug))
    if roadmap is None:
        raise _missing("roadmap", f"no roadmap {slug!r}; see `study roadmap list`")
    path = copy_path(data_dir, slug)
    if not path.is_file():
        raise _missing(
            "roadmap",
            f"the document of {slug!r} is not in the data folder; import it again "
            "to generate questions from it",
        )
    items = session.scalars(
        select(RoadmapItem).where(
            RoadmapItem.roadmap_id == roadmap.id,
            RoadmapItem.kind.in_(("topic", "subtopic", "milestone")),
            RoadmapItem.removed.is_(False),
        )
    )
    topics: dict[str, str] = {}
    for item in items:
        topics.setdefault(clean_title(item.title).lower(), item.key)
    return SourceDocument(load_source(path), roadmap, topics)


def attach_topics(candidates: list[Candidate], topics: dict[str, str]) -> None:
    """Set each candidate's ``topic_key``: the deepest heading of its path that names a topic."""
    for c in candidates:
        for heading in reversed(c.heading_path):
            key = topics.get(clean_title(plain(heading)).lower())
            if key is not None:
                c.topic_key = key
                break


def indexed_source(settings: Settings, path: str) -> Path:
    """``path`` when it is a file of the knowledge index (what the web may generate from: a
    request may name only the user's ingested material, never any file of the machine).

    Raises:
        NotFound: nothing is indexed, or ``path`` is not an indexed file (field ``source``).
    """
    gen = KnowledgeStore(settings.knowledge_path).current()
    if gen is None:
        raise _missing("source", "nothing is indexed yet: add your material on the Sources page first")
    with contextlib.closing(connect_catalog(gen.catalog_path, readonly=True)) as db:
        row = catalog.file_by_path(db, path)
    if row is None:
        raise _missing("source", "is not a file in the knowledge index (see the Sources page)")
    return Path(row["path"])
