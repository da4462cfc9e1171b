"""Getting the knowledge base ready for the web server without loading torch into it.

Indexing the bundled guides embeds chunks and exporting the ONNX query encoder needs torch; both
run in a child process (``python -m study_tracker.knowledge.prepare``), so the server itself only
ever loads onnxruntime, FAISS and BM25 (memory target: < 700 MB RSS with 100k chunks).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from study_tracker.config import Settings, get_settings

log = logging.getLogger(__name__)


def settings_env(settings: Settings) -> dict[str, str]:
    """``STUDY_*`` variables that recreate ``settings`` in a child process."""
    env: dict[str, str] = {}
    for name in type(settings).model_fields:
        if name.startswith("reddit_"):  # the child neither needs nor should see API credentials
            continue
        value = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, Path | str | int | float):
            text = str(value)
        elif isinstance(value, date):
            text = value.isoformat()
        else:
            text = json.dumps(value)
        env[f"STUDY_{name.upper()}"] = text
    return env


def needs_preparing(settings: Settings) -> bool:
    """True when the ONNX query encoder is not exported yet or the bundled guides need indexing.

    Cheap: a stat per guide and no model is loaded.
    """
    from study_tracker.knowledge.embed import resolve_model
    from study_tracker.knowledge.errors import KnowledgeError
    from study_tracker.knowledge.onnx_encoder import onnx_path
    from study_tracker.knowledge.sources import ensure_bundled_indexed

    try:
        info = resolve_model(settings.embedding_model)
    except KnowledgeError as exc:
        log.warning("knowledge search unavailable: %s", exc)
        return False
    if settings.knowledge_query_backend == "onnx" and not onnx_path(settings.knowledge_path, info).is_file():
        return True
    report = ensure_bundled_indexed(settings, dry_run=True)
    return report is not None and not report.up_to_date


def start(settings: Settings) -> subprocess.Popen | None:
    """Start the child process if there is anything to prepare; returns it (or None)."""
    if not needs_preparing(settings):
        return None
    env = {**os.environ, **settings_env(settings), "HF_HUB_OFFLINE": "1"}
    log.info("preparing the knowledge base in the background (bundled guides, query encoder)")
    child = subprocess.Popen(
        [sys.executable, "-m", "study_tracker.knowledge.prepare"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        start_new_session=True,  # a Ctrl-C to the server does not kill an index build half-way
    )
    # Say "indexing" from now on, not only once the child has imported its modules and started.
    from study_tracker.knowledge.jobs import PREPARE_JOB, JobStatus, jobs_dir, write_status

    write_status(
        jobs_dir(settings) / f"{PREPARE_JOB}.json",
        JobStatus(id=PREPARE_JOB, kind="prepare", pid=child.pid, step="Starting"),
    )
    return child


def main() -> int:
    """Index the bundled guides (waiting for any other ingest) and export the query encoder."""
    from study_tracker.knowledge.embed import resolve_model
    from study_tracker.knowledge.errors import KnowledgeError
    from study_tracker.knowledge.jobs import PREPARE_JOB, JobStatus, jobs_dir, write_status
    from study_tracker.knowledge.onnx_encoder import OnnxEncoder
    from study_tracker.knowledge.sources import ensure_bundled_indexed
    from study_tracker.knowledge.status_progress import StatusProgress

    settings = get_settings()
    # Progress goes to the server's log (our stderr) and to a status file that Ask and Search
    # read to say "still indexing (N%)" instead of "nothing indexed".
    status = JobStatus(id=PREPARE_JOB, kind="prepare", pid=os.getpid(), step="Starting")
    status_file = jobs_dir(settings) / f"{PREPARE_JOB}.json"
    progress = StatusProgress(status_file, status, log=sys.stderr)
    try:
        if settings.knowledge_query_backend == "onnx":
            progress.say("Preparing the query encoder")
            OnnxEncoder.for_model(resolve_model(settings.embedding_model), settings.knowledge_path)
        progress.say("Indexing the bundled study guides")
        report = ensure_bundled_indexed(settings, wait=True, progress=progress)
    except KnowledgeError as exc:
        print(f"knowledge prepare: {exc}", file=sys.stderr)
        status.state, status.error = "failed", str(exc)
        write_status(status_file, status)
        return 1
    except BaseException:
        status.state, status.error = "failed", "the prepare process failed; see the server log"
        write_status(status_file, status)
        raise
    status.state, status.percent, status.step = "done", 100, "Done"
    write_status(status_file, status)
    progress.line("the study guides are indexed; Ask and Search are ready")
    if report is not None and report.skipped:
        for path, why in report.skipped:
            print(f"knowledge prepare: skipped {path}: {why}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
