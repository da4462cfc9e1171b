"""The imported roadmap as a knowledge-base document: a copy under <data_dir>/roadmaps, then ingest
(and, when the roadmap is removed, out of the index and deleted: ``remove_copy``).

The CLI ingests in its own process. The web server must not load torch, so it hands the copy to
a background child process (the knowledge engine's job runner when present, which the Sources
page shows; else a plain ``python -m study_tracker ingest``) and answers at once.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from study_tracker.config import Settings
from study_tracker.errors import IndexNotBuilt, SourceNotFound
from study_tracker.knowledge.ingest.pipeline import ingest_paths
from study_tracker.knowledge.ingest.sources import remove_sources
from study_tracker.knowledge.jobs import runner as jobs

log = logging.getLogger(__name__)


def copy_path(data_dir: Path, slug: str) -> Path:
    return data_dir / "roadmaps" / f"{slug}.md"


def save_copy(*, data_dir: Path, slug: str, text: str) -> Path:
    """Write the (repaired) document to <data_dir>/roadmaps/<slug>.md atomically; returns the path."""
    path = copy_path(data_dir, slug)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def ingest_now(path: Path, *, settings: Settings, encoder: Any = None) -> Any:
    """Ingest the copy in this process (CLI). Returns the knowledge engine's IngestReport.

    Raises:
        KnowledgeError: the embedding model is missing, another ingest holds the lock, ...
    """

    return ingest_paths([path], settings=settings, encoder=encoder, lock_timeout=60)


def ingest_in_background(path: Path, *, settings: Settings) -> str:
    """Start ingesting the copy in a child process and return at once; returns the job id."""
    return str(jobs.start_ingest(settings, [path], kind="roadmap").id)


def remove_copy(*, settings: Settings, slug: str, lock_timeout: float | None = 60) -> bool:
    """Take a deleted roadmap's document out of the knowledge base and delete its copy.

    A roadmap imported with ``--no-kb`` (or whose ingest never ran) is not in the index: that is
    fine, only the file goes. Returns whether the index held the document.

    Raises:
        KnowledgeError: the index could not be changed (e.g. ``IngestBusy``); the copy is then
            kept so that the index never cites a missing file.
    """

    path = copy_path(settings.data_dir, slug)
    try:
        remove_sources([path], settings=settings, lock_timeout=lock_timeout)
        indexed = True
    except (SourceNotFound, IndexNotBuilt):
        indexed = False
    path.unlink(missing_ok=True)
    return indexed
