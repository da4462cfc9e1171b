"""Status files of background knowledge jobs: what a job is doing or did, as a small JSON file.

A child process (``runner.py``, ``prepare.py``) writes its status; the server only reads it when a
page polls, so Ask and Search can say "still indexing (N%)". ``settings_env`` passes the
settings to such a child.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from study_tracker.config import Settings

PREPARE_JOB = "prepare"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class JobStatus:
    """What a background job is doing or did; written as JSON by the child, read by the server."""

    id: str
    kind: str  # "upload", "folder", "roadmap" or "prepare"
    paths: list[str] = field(default_factory=list)
    state: str = "running"  # queued, running, done, failed
    step: str = "Starting"
    percent: int = 0
    pid: int | None = None
    started_at: str = field(default_factory=now_iso)
    finished_at: str | None = None
    error: str | None = None
    report: dict[str, Any] | None = None
    files: list[str] = field(default_factory=list)  # an upload's own files (deleted if it fails)

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def active(self) -> bool:
        """Queued or running: a page keeps polling it."""
        return self.state in ("queued", "running")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def jobs_dir(settings: Settings) -> Path:
    """Where status files live (``<knowledge dir>/jobs``; ingest never scans the knowledge folder)."""
    return settings.knowledge_path / "jobs"


def uploads_dir(settings: Settings) -> Path:
    """Where uploaded files are kept and ingested from (``<data dir>/uploads``)."""
    return settings.data_dir / "uploads"


def status_path(settings: Settings, job_id: str) -> Path:
    return jobs_dir(settings) / f"{job_id}.json"


def write_status(path: Path, status: JobStatus) -> None:
    """Replace the status file atomically, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(status.to_dict()), encoding="utf-8")
    os.replace(tmp, path)


def read_status(path: Path) -> JobStatus | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return JobStatus(**data)
    except (OSError, ValueError, TypeError):
        return None


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A child that exited but was not reaped yet is a zombie: it is not working any more.
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True


def read_job(settings: Settings, job_id: str) -> JobStatus | None:
    """The status of job ``job_id`` (None if unknown); a child that died without saying so is "failed"."""
    if not job_id or not all(c.isalnum() or c in "-_" for c in job_id):
        return None
    status = read_status(status_path(settings, job_id))
    if status is not None and status.running and not _alive(status.pid):
        status.state, status.error = "failed", "the background process stopped before finishing"
    return status


def preparing(settings: Settings) -> JobStatus | None:
    """The first-start prepare (bundled guides, query encoder) if it is running now, else None."""
    status = read_job(settings, PREPARE_JOB)
    return status if status is not None and status.running else None


def recent_jobs(settings: Settings, limit: int = 5) -> list[JobStatus]:
    """The latest upload/folder/roadmap jobs (queued, running or finished), newest first."""
    folder = jobs_dir(settings)
    if not folder.is_dir():
        return []
    files = sorted(
        (p for p in folder.glob("*.json") if p.stem != PREPARE_JOB), key=lambda p: p.name, reverse=True
    )
    out = []
    for p in files[:limit]:
        status = read_job(settings, p.stem)
        if status is not None:
            out.append(status)
    return out


def report_dict(report: Any) -> dict[str, Any]:
    """The parts of an ``IngestReport`` a page shows."""
    keys = (
        "files_new",
        "files_changed",
        "files_unchanged",
        "files_removed",
        "chunks_added",
        "chunks_indexed",
        "documents",
        "up_to_date",
        "seconds",
    )
    out = {k: getattr(report, k) for k in keys}
    out["skipped"] = [list(s) for s in report.skipped]
    out["warnings"] = [list(w) for w in report.warnings]
    out["notes"] = list(report.notes)
    return out


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
