"""The app's knowledge base and the first-start prepare of the bundled guides, kept on ``app.state``.

``open_knowledge`` runs in the app's lifespan: ``app.state.knowledge_base`` is the one
``KnowledgeBase`` of the app (it reloads by itself when an ingest swaps in a new index) and
``app.state.knowledge_prepare`` the ``BackgroundPrepare`` that indexes the guides and exports the
ONNX query encoder in a child process, so the server never loads torch. ``close_knowledge`` drops
both at shutdown.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
from collections.abc import Callable

from fastapi import FastAPI

from study_tracker.config import Settings
from study_tracker.errors import KnowledgeError
from study_tracker.knowledge.jobs import prepare
from study_tracker.knowledge.jobs import status as job_status
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase
from study_tracker.knowledge.watch.background import WatchThread

log = logging.getLogger(__name__)


class BackgroundPrepare:
    """Indexes the bundled guides and exports the query encoder in a child process, when needed.

    At most one child at a time per app; a thread waits for it, logs a failure, and then loads the
    index and the ONNX session of the app's knowledge base so the first query does not pay for them.

    Args:
        settings: the app's settings (which knowledge folder, which model).
        knowledge_base: returns the app's knowledge base to warm up (None once the app has stopped).
    """

    def __init__(self, settings: Settings, knowledge_base: Callable[[], KnowledgeBase | None]) -> None:
        self.settings = settings
        self._knowledge_base = knowledge_base
        self._lock = threading.Lock()
        self._child: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the prepare unless one is running; returns at once (the check stats files)."""
        threading.Thread(target=self._run, name="knowledge-prepare", daemon=True).start()

    def _run(self) -> None:
        try:
            with self._lock:
                if self._child is not None and self._child.poll() is None:
                    return
                child = self._child = prepare.start(self.settings)
            if child is not None and child.wait() != 0:
                log.error(
                    "preparing the knowledge base failed (exit %s); see the messages above", child.returncode
                )
                return
            kb = self._knowledge_base()
            if kb is not None:
                kb.warm_up()
        except KnowledgeError:
            pass  # nothing indexed yet: the pages say how to add material
        except Exception:  # noqa: BLE001 - search must not take the tracker down
            log.exception("could not prepare the knowledge base")

    def stop(self, timeout: float = 5.0) -> None:
        """Stop a prepare child still running (the server is stopping): SIGTERM to its process
        group, then SIGKILL after ``timeout`` seconds. Safe at any point: an index generation
        becomes live only by an atomic pointer switch, the ingest lock is an flock (released with
        the process), and the next start prepares again what is missing."""
        with self._lock:
            child = self._child
        if child is None or child.poll() is not None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(child.pid, sig)  # its own session: the group is the child and its workers
            except ProcessLookupError:
                return
            try:
                child.wait(timeout=timeout)
                break
            except subprocess.TimeoutExpired:
                continue
        log.info("stopped the background indexing of the study guides; it resumes at the next start")


def indexing_message(settings: Settings) -> str | None:
    """The "still being indexed (N%)" message while the first-start prepare runs, else None."""
    running = job_status.preparing(settings)
    if running is None:
        return None
    return (
        f"The study guides are still being indexed ({running.percent}%, {running.step}); "
        "Ask works as soon as that is done: try again in a moment."
    )


def open_knowledge(app: FastAPI, settings: Settings, knowledge_base: KnowledgeBase | None = None) -> None:
    """Put the app's knowledge base (``knowledge_base``, else one opened now) and its prepare on
    ``app.state``, and start the prepare when ``settings.index_on_start`` says so."""
    # export=False: exporting the ONNX model imports torch; the background prepare does it.
    if knowledge_base is None:
        knowledge_base = KnowledgeBase.open(settings, export=False)
    app.state.knowledge_base = knowledge_base
    app.state.knowledge_prepare = BackgroundPrepare(
        settings, lambda: getattr(app.state, "knowledge_base", None)
    )
    if settings.index_on_start:
        app.state.knowledge_prepare.start()
    # The watched folders are followed while the server runs; their ingests run in child processes.
    app.state.knowledge_watch = None
    if settings.knowledge_watch_in_server:
        app.state.knowledge_watch = WatchThread(settings)
        app.state.knowledge_watch.start()


def close_knowledge(app: FastAPI) -> None:
    """Drop the knowledge base at shutdown: its catalog connections close with the last reader.

    A prepare child still running is stopped with the server (Ctrl-C): nothing keeps indexing
    in the background after the app has gone, and the next start finishes the job. The folder
    watcher stops too; a watch job it started finishes in its own process.
    """
    watch = getattr(app.state, "knowledge_watch", None)
    if watch is not None:
        watch.stop()
        app.state.knowledge_watch = None
    preparer = getattr(app.state, "knowledge_prepare", None)
    if preparer is not None:
        preparer.stop()
    app.state.knowledge_base = None
