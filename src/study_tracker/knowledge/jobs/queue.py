"""The ingest queue: jobs wait as status files (state ``queued``) and one worker process runs them,
oldest first, one at a time.

Every ingest loads torch (about 600 MB); one process per upload made eleven uploads eleven such
processes. So there is one worker, whoever asks: it holds an exclusive lock on
``<knowledge dir>/jobs/worker.lock`` while it works. A server that queues a job starts a worker
only when nobody holds that lock; a worker that finds the queue empty releases the lock and looks
once more before it exits, so a job queued at that moment is never left waiting.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from study_tracker.config import Settings
from study_tracker.knowledge.jobs.status import (
    PREPARE_JOB,
    JobStatus,
    jobs_dir,
    read_status,
)


def lock_path(settings: Settings) -> Path:
    return jobs_dir(settings) / "worker.lock"


@contextlib.contextmanager
def worker_lock(settings: Settings) -> Iterator[bool]:
    """Try to become the worker: yields True while this process holds the lock, False if another does."""
    path = lock_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def worker_running(settings: Settings) -> bool:
    """Whether a worker holds the lock now (tested by trying to take it for an instant)."""
    with worker_lock(settings) as mine:
        return not mine


def _job_files(settings: Settings) -> list[Path]:
    folder = jobs_dir(settings)
    if not folder.is_dir():
        return []
    # ids start with the UTC time they were queued, so names sort in queue order
    return sorted(p for p in folder.glob("*.json") if p.stem != PREPARE_JOB)


def queued(settings: Settings) -> list[JobStatus]:
    """The jobs waiting for the worker, oldest first."""
    out = []
    for p in _job_files(settings):
        status = read_status(p)
        if status is not None and status.state == "queued":
            out.append(status)
    return out


def next_job(settings: Settings) -> JobStatus | None:
    waiting = queued(settings)
    return waiting[0] if waiting else None


def position(settings: Settings, job_id: str) -> int:
    """How many queued jobs are ahead of ``job_id`` (0 when it is next, or not queued)."""
    ids = [j.id for j in queued(settings)]
    return ids.index(job_id) if job_id in ids else 0


def stale_running(settings: Settings) -> list[JobStatus]:
    """Jobs marked running whose process is gone: only the lock holder may call this, since then
    no other worker can be running them (the worker was killed, by the OOM killer say)."""
    return [
        s
        for p in _job_files(settings)
        if (s := read_status(p)) is not None and s.state == "running" and s.kind != PREPARE_JOB
    ]
