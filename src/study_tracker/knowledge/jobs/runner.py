"""Background ingest jobs: uploads or a folder ingested in a child process, with a status file.

The web server never loads torch (see ``prepare.py``), so anything that embeds runs in a child
process (``python -m study_tracker.knowledge.jobs.runner ingest ...``). The child writes its progress
and, at the end, its report to a status file (``status.py``) that the server reads when a page polls.
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


def start_ingest(settings: Settings, paths: Sequence[str | os.PathLike], *, kind: str) -> JobStatus:
    """Ingest ``paths`` in a child process; returns the job's first status (poll it with :func:`read_job`).

    The child waits for any other ingest to finish (the knowledge folder's lock), so two jobs
    started together run one after the other.
    """
    job_id = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)
    status = JobStatus(id=job_id, kind=kind, paths=[str(p) for p in paths], step="Waiting to start")
    path = status_path(settings, job_id)
    write_status(path, status)
    env = {**os.environ, **settings_env(settings), "HF_HUB_OFFLINE": "1"}
    child = subprocess.Popen(
        [sys.executable, "-m", "study_tracker.knowledge.jobs.runner", "ingest", job_id, *status.paths],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        start_new_session=True,  # a Ctrl-C to the server does not stop an index build half-way
    )
    _CHILDREN.append(child)
    _reap()
    status.pid = child.pid
    # The child rewrites the file with its own pid as soon as it starts; until then it has ours.
    with contextlib.suppress(OSError):
        current = read_status(path)
        if current is None or current.pid is None:
            write_status(path, status)
    return status


_CHILDREN: list[subprocess.Popen[bytes]] = []


def _reap() -> None:
    """Collect children that have exited, so they do not linger as zombies."""
    for child in list(_CHILDREN):
        if child.poll() is not None:
            _CHILDREN.remove(child)


def run_job(job_id: str, paths: Sequence[str], settings: Settings | None = None) -> int:
    """The child's side: ingest ``paths``, export the query encoder, record the report."""
    settings = settings or get_settings()
    path = status_path(settings, job_id)
    status = read_status(path) or JobStatus(id=job_id, kind="folder", paths=list(paths))
    status.pid, status.state = os.getpid(), "running"
    status.step = "Waiting for any other ingest to finish"
    progress = StatusProgress(path, status, log=sys.stderr)  # the child's side: Rich is fine here
    try:
        report = ingest_paths(list(paths), settings=settings, progress=progress)
        progress.say("Preparing the query encoder")
        export_query_encoder(settings)
    except KnowledgeError as exc:
        status.state, status.error = "failed", str(exc)
    except Exception as exc:  # noqa: BLE001 - the page must learn why, not see a job running forever
        status.state, status.error = "failed", f"{type(exc).__name__}: {exc}"
    else:
        status.state, status.report, status.percent = "done", report_dict(report), 100
        status.step = "Done"
        if status.kind == "upload":
            _drop_refused_uploads(settings, report)
    status.finished_at = now_iso()
    write_status(path, status)
    return 0 if status.state == "done" else 1


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
    if len(args) < 3 or args[0] != "ingest":
        print("usage: python -m study_tracker.knowledge.jobs.runner ingest JOB_ID PATH...", file=sys.stderr)
        return 2
    return run_job(args[1], args[2:])


if __name__ == "__main__":
    sys.exit(main())
