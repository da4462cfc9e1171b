"""The folder watcher: file events in, one incremental ingest per burst out.

``FolderWatcher.run`` watches the watched folders with ``watchfiles`` (the Rust ``notify`` crate:
inotify, FSEvents, ReadDirectoryChangesW) until its stop event is set. A burst of changes ends
after ``knowledge_watch_quiet_ms`` without a new one (or ``knowledge_watch_max_burst_ms`` at the
latest); the folders it touched are then ingested once. Events that arrive while an ingest runs
are kept by the watcher and make the next burst, so a save during an ingest is never lost.

The ingest itself is a parameter: ``study watch`` ingests in its own process with the model kept
loaded (:func:`ingest_here`); the web server hands the work to a child process
(``background.py``), because it never loads torch. Either way the pipeline reads only the
changed files and embeds only chunk texts the cache lacks.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import watchfiles

from study_tracker.config import Settings
from study_tracker.errors import KnowledgeError
from study_tracker.knowledge.embed.base import Encoder, resolve_model
from study_tracker.knowledge.embed.factory import get_encoder
from study_tracker.knowledge.ingest.pipeline import IngestReport, ingest_paths
from study_tracker.knowledge.ingest.plan import is_under, norm_path
from study_tracker.knowledge.progress import Progress
from study_tracker.knowledge.watch.folders import stamp, watched_paths
from study_tracker.knowledge.watch.ignore import matters

log = logging.getLogger(__name__)

# How often the watcher wakes without events to notice a stop, a folder added or removed, or a
# watched folder that appeared or vanished.
POLL_MS = 500

Ingest = Callable[[list[str]], IngestReport | None]


@dataclass
class Batch:
    """One ingest the watcher ran: which folders, why, what it did, how long it took."""

    roots: list[str]
    reason: str  # "start", "added" or "changes"
    events: int
    report: IngestReport | None
    seconds: float
    error: str | None = None


class FolderWatcher:
    """Watches the watched folders and ingests each burst of changes once.

    Args:
        settings: which folders (``folders.watched_paths``), the knowledge folder, the burst timing.
        ingest: ingests a list of watched folders and returns its report (None: nothing to do).
        on_batch: told about every ingest (the CLI prints a line; tests count them).
    """

    def __init__(
        self, settings: Settings, ingest: Ingest, *, on_batch: Callable[[Batch], None] | None = None
    ) -> None:
        self.settings = settings
        self._ingest = ingest
        self._on_batch = on_batch or (lambda batch: None)
        self.exclude = norm_path(settings.knowledge_path)
        self.watching: list[str] = []
        self.ready = threading.Event()  # set once the first watch is in place (tests wait for it)

    def _state(self) -> tuple[tuple[int, int], tuple[tuple[str, int, int], ...]]:
        """The list's stamp and each existing watched folder with its inode: a folder deleted and
        made again is a new folder to the kernel, whose old watch sees nothing of it."""
        folders = []
        for p in watched_paths(self.settings):
            try:
                st = os.stat(p)
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode):
                folders.append((p, st.st_dev, st.st_ino))
        return stamp(self.settings), tuple(folders)

    def run(self, stop: threading.Event) -> None:
        """Catch up with what changed while nobody watched, then follow changes until ``stop`` is set."""
        state = self._state()
        known: set[tuple[str, int, int]] = set()  # folders caught up with, with their inodes
        while not stop.is_set():
            self.watching = [p for p, _, _ in state[1]]
            if not self.watching:
                known = self._catch_up(known, state[1])
                self.ready.set()
                stop.wait(POLL_MS / 1000)
                state = self._state()
                continue
            # The watch is in place from the generator's start, and the catch-up runs at its first
            # yield: a file saved during the catch-up is seen as a change, not lost in between.
            caught_up = False
            for changes in watchfiles.watch(
                *self.watching,
                watch_filter=None,
                debounce=self.settings.knowledge_watch_max_burst_ms,
                step=self.settings.knowledge_watch_quiet_ms,
                stop_event=stop,
                rust_timeout=POLL_MS,
                yield_on_timeout=True,
                raise_interrupt=False,
                ignore_permission_denied=True,
            ):
                if not caught_up:
                    known, caught_up = self._catch_up(known, state[1]), True
                    self.ready.set()
                if changes:
                    self._changes(changes)
                new_state = self._state()
                if new_state != state:
                    state = new_state
                    break  # watch the new list of folders

    def _catch_up(
        self, known: set[tuple[str, int, int]], folders: tuple[tuple[str, int, int], ...]
    ) -> set[tuple[str, int, int]]:
        """Ingest each folder watched for the first time, or again, or made anew: it may have
        changed while nobody watched. A watched folder that vanished is ingested too, so its files
        leave the index. Returns the folders now known."""
        fresh = [p for p, dev, ino in folders if (p, dev, ino) not in known]
        still_watched = set(watched_paths(self.settings))
        gone = [p for p, _, _ in known if p not in self.watching and p in still_watched]
        self._run_batch(sorted({*fresh, *gone}), "added" if known else "start", 0)
        return set(folders)

    def _changes(self, changes: set[tuple[Any, str]]) -> None:
        roots: set[str] = set()
        events = 0
        for _, path in changes:
            if matters(path, roots=self.watching, exclude=self.exclude):
                events += 1
                roots.update(r for r in self.watching if is_under(path, r))
        if roots:
            self._run_batch(sorted(roots), "changes", events)

    def _run_batch(self, roots: list[str], reason: str, events: int) -> None:
        # A folder unwatched since its events came in must not be ingested again: that would put
        # back the files its removal took out of the index.
        still_watched = set(watched_paths(self.settings))
        roots = [r for r in roots if r in still_watched]
        if not roots:
            return
        t0 = time.perf_counter()
        report, error = None, None
        try:
            report = self._ingest(roots)
        except KnowledgeError as exc:
            error = str(exc)
        except Exception as exc:  # noqa: BLE001 - one failed ingest must not stop the watching
            log.exception("watched folders: the ingest of %s failed", ", ".join(roots))
            error = f"{type(exc).__name__}: {exc}"
        self._on_batch(Batch(roots, reason, events, report, time.perf_counter() - t0, error))


class LazyEncoder(Encoder):
    """The configured embedding model, loaded on the first text to embed and then kept: a watcher
    that sees no change never loads torch, and one that does loads it once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.info = resolve_model(settings.embedding_model)
        self.dim = self.info.dim
        self._inner: Encoder | None = None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self._inner is None:
            s = self.settings
            self._inner = get_encoder(
                self.info, s.knowledge_embed_backend, s.knowledge_path, s.knowledge_embed_batch_size
            )
        return self._inner.encode(texts)


def ingest_here(settings: Settings, *, progress: Progress | None = None) -> Ingest:
    """An ingest in this process, the model loaded once for all the runs (``study watch``)."""
    encoder = LazyEncoder(settings)

    def ingest(roots: list[str]) -> IngestReport:
        return ingest_paths(roots, settings=settings, progress=progress or Progress(), encoder=encoder)

    return ingest
