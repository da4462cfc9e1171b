"""Watching folders inside the web server: a thread runs the :class:`FolderWatcher` and hands each
ingest to the background job runner (a child process), because the server never loads torch.

Before a job starts, a dry run in the server decides whether anything changed at all (a ``stat``
per file, no model): a burst that changed nothing the index cares about starts no child.
"""

from __future__ import annotations

import logging
import threading

from study_tracker.config import Settings
from study_tracker.knowledge.ingest.pipeline import IngestReport, ingest_paths
from study_tracker.knowledge.jobs import runner as jobs
from study_tracker.knowledge.jobs import status as job_status
from study_tracker.knowledge.watch.watcher import Batch, FolderWatcher, Ingest

log = logging.getLogger(__name__)

WATCH_JOB_KIND = "watch"
FINISHED = ("done", "failed")


def ingest_in_child(settings: Settings, stop: threading.Event, *, poll_s: float = 0.2) -> Ingest:
    """An ingest through the job runner: a dry run here, then a child process if anything changed.

    The watcher waits for the job (events keep arriving meanwhile and make the next burst), so
    at most one watch job is queued or running at a time.
    """

    def ingest(roots: list[str]) -> IngestReport | None:
        if ingest_paths(roots, settings=settings, dry_run=True).up_to_date:
            return None
        job = jobs.start_ingest(settings, roots, kind=WATCH_JOB_KIND)
        # Wait on the status file rather than the child: the runner may queue jobs, and a job
        # whose process died is reported failed by read_job.
        while not stop.wait(poll_s):
            current = job_status.read_job(settings, job.id)
            if current is not None and current.state == "queued":
                # Queued just as the last worker found the queue empty and was exiting: start
                # another once it has gone (the Sources page's polling does the same).
                jobs.ensure_worker(settings)
            if current is None or current.state in FINISHED:
                if current is not None and current.error:
                    log.warning(
                        "watched folders: the ingest of %s failed: %s", ", ".join(roots), current.error
                    )
                return None
        return None

    return ingest


class WatchThread:
    """The server's folder watcher: ``start`` in the app's lifespan, ``stop`` at shutdown."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stop = threading.Event()
        self.watcher = FolderWatcher(settings, ingest_in_child(settings, self._stop), on_batch=self._log)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="knowledge-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.watcher.run(self._stop)
        except Exception:  # noqa: BLE001 - the tracker keeps working without the watcher
            log.exception("watched folders: the watcher stopped")

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop watching; a job already started finishes in its own process."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @staticmethod
    def _log(batch: Batch) -> None:
        if batch.error:
            log.warning("watched folders: %s: %s", ", ".join(batch.roots), batch.error)
        else:
            log.info(
                "watched folders: %s re-indexed (%s, %.1f s)",
                ", ".join(batch.roots),
                batch.reason,
                batch.seconds,
            )
