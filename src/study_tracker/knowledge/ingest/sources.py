"""Ingested sources: list them, remove them, and keep the bundled study guides indexed."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from study_tracker.config import Settings, get_settings
from study_tracker.content import GUIDES_DIR
from study_tracker.errors import IngestBusy, SourceNotFound
from study_tracker.knowledge.embed.base import Encoder
from study_tracker.knowledge.index import catalog
from study_tracker.knowledge.index.catalog import connect_catalog
from study_tracker.knowledge.index.store import KnowledgeStore
from study_tracker.knowledge.ingest.pipeline import IngestReport, ingest_paths, run_ingest
from study_tracker.knowledge.ingest.plan import is_under, norm_path
from study_tracker.knowledge.progress import Progress


def remove_sources(
    paths: Iterable[str | os.PathLike],
    *,
    settings: Settings | None = None,
    progress: Progress | None = None,
    lock_timeout: float | None = None,
) -> IngestReport:
    """Remove ingested roots and files at or under ``paths`` from every index.

    Raises:
        SourceNotFound: nothing ingested is at or under one of the paths.
        IndexNotBuilt: nothing has been ingested yet.
    """
    settings = settings or get_settings()
    store = KnowledgeStore(settings.knowledge_path)
    gen = store.require_current()
    targets = [norm_path(p) for p in paths]
    with contextlib.closing(connect_catalog(gen.catalog_path, readonly=True)) as db:
        known = catalog.source_paths(db)
    for t in targets:
        if not any(is_under(k, t) for k in known):
            raise SourceNotFound(f"{t} is not an ingested source (see `study sources`).")
    return run_ingest(
        settings, {}, remove=targets, progress=progress or Progress(), lock_timeout=lock_timeout
    )


@dataclass
class SourceInfo:
    """One ingested root, for ``study sources`` and the web page."""

    path: str
    files: int
    documents: int
    chunks: int
    ingested_at: str
    bundled: bool
    exists: bool


def list_sources(settings: Settings | None = None) -> list[SourceInfo]:
    """The ingested roots with their file, document and chunk counts ([] before the first ingest)."""
    settings = settings or get_settings()
    gen = KnowledgeStore(settings.knowledge_path).current()
    if gen is None:
        return []
    with contextlib.closing(connect_catalog(gen.catalog_path, readonly=True)) as db:
        summaries = catalog.root_summaries(db)
    return [
        SourceInfo(
            path=r.path,
            files=r.files,
            documents=r.documents,
            chunks=r.chunks,
            ingested_at=r.ingested_at,
            bundled=r.bundled,
            exists=os.path.exists(r.path),
        )
        for r in summaries
    ]


def bundled_guides_path() -> Path:
    """The study guides shipped in the package (``study_tracker/content/guides``)."""
    return GUIDES_DIR


def ensure_bundled_indexed(
    settings: Settings | None = None,
    *,
    progress: Progress | None = None,
    wait: bool = False,
    encoder: Encoder | None = None,
    dry_run: bool = False,
) -> IngestReport | None:
    """Index the bundled study guides if they are not indexed or have changed (cheap when up to date).

    Returns None when there are no guides, or when another ingest is running and ``wait`` is false.
    """

    settings = settings or get_settings()
    guides = bundled_guides_path()
    if not guides.is_dir() or not any(guides.glob("*.md")):
        return None
    try:
        return ingest_paths(
            [guides],
            settings=settings,
            bundled=True,
            progress=progress,
            lock_timeout=None if wait else 0,
            encoder=encoder,
            dry_run=dry_run,
        )
    except IngestBusy:
        return None
