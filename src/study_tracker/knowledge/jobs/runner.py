"""Background ingest jobs: uploads, a folder or a roadmap, queued and run one at a time by one
worker process, each with a status file.

The web server never loads torch (see ``prepare.py``), so anything that embeds runs in a child
process. ``start_ingest`` queues a job (``queue.py``) and starts the worker
(``python -m study_tracker.knowledge.jobs.runner worker``) unless one is running; the worker runs
every queued job in turn, writes each one's progress and report to its status file
(``status.py``), which the server reads when a page polls, and exits when the queue is empty.
However many files are uploaded, at most one process holds the model: memory stays bounded.

A job that fails never blocks the next: files an upload job refused, or that made it fail, are
deleted from the uploads folder (the report or the error names them), and a worker that was
killed half-way leaves its job marked failed for the next worker to clean up.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from study_tracker.config import Settings, get_settings
from study_tracker.errors import KnowledgeError
from study_tracker.knowledge.embed.base import query_backend, settings_model
from study_tracker.knowledge.embed.onnx import ensure_model_file
from study_tracker.knowledge.ingest.pipeline import ingest_paths
from study_tracker.knowledge.jobs import queue
from study_tracker.knowledge.jobs.progress import StatusProgress
from study_tracker.knowledge.jobs.status import (
    JobStatus,
    now_iso,
    read_status,
    report_dict,
    settings_env,
    status_path,
    uploads_dir,
    write_status,
)


def start_ingest(
    settings: Settings, paths: Sequence[str | os.PathLike], *, kind: str, files: Sequence[Path] = ()
) -> JobStatus:
    """Queue the ingest of ``paths`` and make sure the worker runs; returns the job's first status
    (poll it with :func:`~study_tracker.knowledge.jobs.status.read_job`).

    Args:
        files: for an upload, the files it saved: deleted again if the job fails.
    """
    job_id = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f-") + secrets.token_hex(3)
    status = JobStatus(
        id=job_id,
        kind=kind,
        paths=[str(p) for p in paths],
        state="queued",
        step="Waiting for the jobs before it",
        files=[str(f) for f in files],
    )
    write_status(status_path(settings, job_id), status)
    ensure_worker(settings)
    return status


# The workers this process started, by the jobs folder they serve.
_CHILDREN: dict[Path, subprocess.Popen[bytes]] = {}


def ensure_worker(settings: Settings) -> None:
    """Start the worker process unless one is running (or there is nothing queued)."""
    _reap()
    folder = queue.lock_path(settings).parent.resolve()
    # A worker this process started may still be importing, before it takes the lock: one is enough.
    if folder in _CHILDREN or queue.worker_running(settings) or queue.next_job(settings) is None:
        return
    env = {**os.environ, **settings_env(settings), "HF_HUB_OFFLINE": "1"}
    child = subprocess.Popen(
        [sys.executable, "-m", "study_tracker.knowledge.jobs.runner", "worker"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        start_new_session=True,  # a Ctrl-C to the server does not stop an index build half-way
    )
    _CHILDREN[folder] = child


def _reap() -> None:
    """Collect children that have exited, so they do not linger as zombies."""
    for folder, child in list(_CHILDREN.items()):
        if child.poll() is not None:
            del _CHILDREN[folder]


def run_worker(settings: Settings | None = None) -> int:
    """The worker: run queued jobs one at a time until none is left; 0 if another worker has the lock."""
    settings = settings or get_settings()
    ran = 0
    while True:
        with queue.worker_lock(settings) as mine:
            if not mine:
                return ran
            for stale in queue.stale_running(settings):
                _fail(settings, stale, "the background process stopped before finishing")
            while (job := queue.next_job(settings)) is not None:
                run_job(job.id, job.paths, settings)
                ran += 1
        # The lock is released: a job queued while it was held saw a worker and started none.
        if queue.next_job(settings) is None:
            return ran


def run_job(job_id: str, paths: Sequence[str], settings: Settings | None = None) -> int:
    """Run one job: ingest ``paths``, export the query encoder, record the report."""
    settings = settings or get_settings()
    path = status_path(settings, job_id)
    status = read_status(path) or JobStatus(id=job_id, kind="folder", paths=list(paths))
    status.pid, status.state = os.getpid(), "running"
    status.step = "Waiting for any other ingest to finish"
    write_status(path, status)
    progress = StatusProgress(path, status, log=sys.stderr)  # the child's side: Rich is fine here
    try:
        report = ingest_paths(list(paths), settings=settings, progress=progress)
        progress.say("Preparing the query encoder")
        export_query_encoder(settings)
    except KnowledgeError as exc:
        _fail(settings, status, str(exc))
        return 1
    except Exception as exc:  # noqa: BLE001 - the page must learn why, not see a job running forever
        _fail(settings, status, f"{type(exc).__name__}: {exc}")
        return 1
    status.state, status.report, status.percent = "done", report_dict(report), 100
    status.step = "Done"
    if status.kind == "upload":
        _drop_refused_uploads(settings, report)
    status.finished_at = now_iso()
    write_status(path, status)
    return 0


def _fail(settings: Settings, status: JobStatus, error: str) -> None:
    """Mark a job failed; an upload's files go, so the next upload's ingest does not meet them again."""
    dropped = _drop_files(settings, status.files) if status.kind == "upload" else []
    if dropped:
        error += f" (not kept, upload again once fixed: {', '.join(dropped)})"
    status.state, status.error, status.finished_at = "failed", error, now_iso()
    write_status(status_path(settings, status.id), status)


def _drop_files(settings: Settings, files: Sequence[str]) -> list[str]:
    root = uploads_dir(settings).resolve()
    dropped = []
    for file in files:
        p = Path(file)
        if p.parent.resolve() == root and p.is_file():
            with contextlib.suppress(OSError):
                p.unlink()
                dropped.append(p.name)
    return dropped


def _drop_refused_uploads(settings: Settings, report: Any) -> None:
    """Delete uploaded files the ingest refused (wrong type, binary, empty): they are not in the
    index, and left in the uploads folder they would be reported again on every upload."""
    root = uploads_dir(settings).resolve()
    for file, why in report.skipped:
        p = Path(file)
        if p.parent == root and "previous version kept" not in why:
            with contextlib.suppress(OSError):
                p.unlink()


def export_query_encoder(settings: Settings) -> None:
    """Export the ONNX query encoder if it is missing (the server never exports it itself)."""
    if query_backend(settings) != "onnx":
        return
    ensure_model_file(settings_model(settings), settings.knowledge_path)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args != ["worker"]:
        print("usage: python -m study_tracker.knowledge.jobs.runner worker", file=sys.stderr)
        return 2
    run_worker()
    return 0


if __name__ == "__main__":
    sys.exit(main())
