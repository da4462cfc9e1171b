"""Background knowledge jobs: ingesting uploads or a folder in a child process, with a status file.

The web server never loads torch (see ``prepare.py``), so anything that embeds runs in a child
process (``python -m study_tracker.knowledge.jobs ingest ...``). The child writes its progress
and, at the end, its report to a small JSON file that the server reads when a page polls it; the
first-start prepare writes the same kind of file, so Ask and Search can say "still indexing (N%)".
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from study_tracker.config import Settings, get_settings

PREPARE_JOB = "prepare"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class JobStatus:
    """What a background job is doing or did; written as JSON by the child, read by the server."""

    id: str
    kind: str  # "upload", "folder" or "prepare"
    paths: list[str] = field(default_factory=list)
    state: str = "running"  # running, done, failed
    step: str = "Starting"
    percent: int = 0
    pid: int | None = None
    started_at: str = field(default_factory=_now)
    finished_at: str | None = None
    error: str | None = None
    report: dict[str, Any] | None = None

    @property
    def running(self) -> bool:
        return self.state == "running"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def jobs_dir(settings: Settings) -> Path:
    """Where status files live (``<knowledge dir>/jobs``; ingest never scans the knowledge folder)."""
    return settings.knowledge_path / "jobs"


def uploads_dir(settings: Settings) -> Path:
    """Where uploaded files are kept and ingested from (``<data dir>/uploads``)."""
    return settings.data_dir / "uploads"


def _status_path(settings: Settings, job_id: str) -> Path:
    return jobs_dir(settings) / f"{job_id}.json"


def write_status(path: Path, status: JobStatus) -> None:
    """Replace the status file atomically, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(status.to_dict()), encoding="utf-8")
    os.replace(tmp, path)


def _read(path: Path) -> JobStatus | None:
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
    status = _read(_status_path(settings, job_id))
    if status is not None and status.running and not _alive(status.pid):
        status.state, status.error = "failed", "the background process stopped before finishing"
    return status


def preparing(settings: Settings) -> JobStatus | None:
    """The first-start prepare (bundled guides, query encoder) if it is running now, else None."""
    status = read_job(settings, PREPARE_JOB)
    return status if status is not None and status.running else None


def recent_jobs(settings: Settings, limit: int = 5) -> list[JobStatus]:
    """The latest upload/folder jobs, newest first."""
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
    return out


def start_ingest(settings: Settings, paths: Sequence[str | os.PathLike], *, kind: str) -> JobStatus:
    """Ingest ``paths`` in a child process; returns the job's first status (poll it with :func:`read_job`).

    The child waits for any other ingest to finish (the knowledge folder's lock), so two jobs
    started together run one after the other.
    """
    from study_tracker.knowledge.prepare import settings_env

    job_id = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)
    status = JobStatus(id=job_id, kind=kind, paths=[str(p) for p in paths], step="Waiting to start")
    path = _status_path(settings, job_id)
    write_status(path, status)
    env = {**os.environ, **settings_env(settings), "HF_HUB_OFFLINE": "1"}
    child = subprocess.Popen(
        [sys.executable, "-m", "study_tracker.knowledge.jobs", "ingest", job_id, *status.paths],
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
        current = _read(path)
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
    from study_tracker.knowledge.errors import KnowledgeError
    from study_tracker.knowledge.ingest import ingest_paths
    from study_tracker.knowledge.status_progress import StatusProgress

    settings = settings or get_settings()
    path = _status_path(settings, job_id)
    status = _read(path) or JobStatus(id=job_id, kind="folder", paths=list(paths))
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
    status.finished_at = _now()
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
    if settings.knowledge_query_backend != "onnx":
        return
    from study_tracker.knowledge.embed import resolve_model
    from study_tracker.knowledge.onnx_encoder import OnnxEncoder, onnx_path

    info = resolve_model(settings.embedding_model)
    if not onnx_path(settings.knowledge_path, info).is_file():
        OnnxEncoder.for_model(info, settings.knowledge_path)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 3 or args[0] != "ingest":
        print("usage: python -m study_tracker.knowledge.jobs ingest JOB_ID PATH...", file=sys.stderr)
        return 2
    return run_job(args[1], args[2:])


if __name__ == "__main__":
    sys.exit(main())
