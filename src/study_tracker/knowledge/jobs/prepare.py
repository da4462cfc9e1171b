"""Getting the knowledge base ready for the web server without loading torch into it.

Indexing the bundled guides embeds chunks and exporting the ONNX query encoder needs torch; both
run in a child process (``python -m study_tracker.knowledge.jobs.prepare``), so the server itself only
ever loads onnxruntime, FAISS and BM25 (memory target: < 700 MB RSS with 100k chunks).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys

from study_tracker.config import Settings, get_settings
from study_tracker.errors import KnowledgeError
from study_tracker.knowledge.embed.base import query_backend, settings_model
from study_tracker.knowledge.embed.onnx import ensure_model_file, onnx_path
from study_tracker.knowledge.ingest.sources import ensure_bundled_indexed
from study_tracker.knowledge.jobs.progress import StatusProgress
from study_tracker.knowledge.jobs.status import PREPARE_JOB, JobStatus, jobs_dir, settings_env, write_status

log = logging.getLogger(__name__)


def needs_preparing(settings: Settings) -> bool:
    """True when the ONNX query encoder is not exported yet or the bundled guides need indexing.

    Cheap: a stat per guide and no model is loaded.
    """

    try:
        info = settings_model(settings)
    except KnowledgeError as exc:
        log.warning("knowledge search unavailable: %s", exc)
        return False
    if query_backend(settings) == "onnx" and not onnx_path(settings.knowledge_path, info).is_file():
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
        [sys.executable, "-m", "study_tracker.knowledge.jobs.prepare"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        start_new_session=True,  # its own group: the server stops it and its workers together
    )
    # Say "indexing" from now on, not only once the child has imported its modules and started.
    write_status(
        jobs_dir(settings) / f"{PREPARE_JOB}.json",
        JobStatus(id=PREPARE_JOB, kind="prepare", pid=child.pid, step="Starting"),
    )
    return child


def main() -> int:
    """Index the bundled guides (waiting for any other ingest) and export the query encoder."""

    settings = get_settings()
    # Progress goes to the server's log (our stderr) and to a status file that Ask and Search
    # read to say "still indexing (N%)" instead of "nothing indexed".
    status = JobStatus(id=PREPARE_JOB, kind="prepare", pid=os.getpid(), step="Starting")
    status_file = jobs_dir(settings) / f"{PREPARE_JOB}.json"
    progress = StatusProgress(status_file, status, log=sys.stderr)
    try:
        if query_backend(settings) == "onnx":
            progress.say("Preparing the query encoder")
            ensure_model_file(settings_model(settings), settings.knowledge_path)
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
