"""The imported roadmap as a knowledge-base document: a copy under <data_dir>/roadmaps, then ingest.

The CLI ingests in its own process. The web server must not load torch, so it hands the copy to
a background child process (the knowledge engine's job runner when present, which the Sources
page shows; else a plain ``python -m study_tracker ingest``) and answers at once.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from study_tracker.config import Settings

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
    from study_tracker.knowledge.ingest import ingest_paths

    return ingest_paths([path], settings=settings, encoder=encoder, lock_timeout=60)


def ingest_in_background(path: Path, *, settings: Settings) -> str:
    """Start ingesting the copy in a child process and return at once; returns a job id or pid."""
    try:
        from study_tracker.knowledge import jobs
    except ImportError:  # the job runner is optional: fall back to the ingest command
        jobs = None  # type: ignore[assignment]
    if jobs is not None and hasattr(jobs, "start_ingest"):
        return str(jobs.start_ingest(settings, [path], kind="roadmap").id)
    from study_tracker.knowledge.prepare import settings_env

    env = {**os.environ, **settings_env(settings), "HF_HUB_OFFLINE": "1"}
    child = subprocess.Popen(
        [sys.executable, "-m", "study_tracker", "ingest", "--quiet", str(path)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    log.info("ingesting %s in the background (pid %s)", path, child.pid)
    return str(child.pid)
