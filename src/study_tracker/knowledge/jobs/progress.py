"""Progress of a background ingest written to its status file (and the server's log).

The child processes of ``jobs.py`` and ``prepare.py`` use it; the server only reads the file, so it
never imports this module (nor Rich's progress bars).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TextIO

from study_tracker.knowledge.jobs.status import JobStatus, write_status
from study_tracker.knowledge.progress import Progress, Step

# Share of the whole run each ingest step stands for (embedding dominates on a fresh folder).
_WEIGHTS = (
    ("Scanning", 5),
    ("Reading", 15),
    ("Embedding", 65),
    ("Indexing BM25", 5),
    ("Indexing", 10),
)


def _weight(description: str) -> int:
    return next((w for prefix, w in _WEIGHTS if description.startswith(prefix)), 0)


class StatusProgress(Progress):
    """Progress written to a status file (at most a few times a second), and optionally to a log stream.

    Args:
        path: the JSON status file.
        status: the status to keep updating (its ``step`` and ``percent``).
        log: a stream that gets one line per step and per 10 % of a step (the server's log).
    """

    def __init__(self, path: Path, status: JobStatus, log: TextIO | None = None) -> None:
        self.path, self.status, self.log = path, status, log
        self._base = 0.0  # percent of the run done by finished steps
        self._written = 0.0
        self._logged = 0.0
        self.save()

    def save(self, force: bool = True) -> None:
        now = time.monotonic()
        if force or now - self._written > 0.3:
            write_status(self.path, self.status)
            self._written = now

    def line(self, text: str) -> None:
        """One line in the server log's format (the child shares the server's stderr)."""
        if self.log is not None:
            stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S,%f")[:-3]
            print(f"{stamp} INFO knowledge.{self.status.kind}: {text}", file=self.log, flush=True)

    def say(self, text: str) -> None:
        self.status.step = text
        self.save()
        if self.log is not None:
            self._logged = time.monotonic()
            self.line(f"{text} ({self.status.percent}%)")

    @contextlib.contextmanager
    def step(
        self, description: str, total: float | None, unit: str = "it", scale: float = 1.0
    ) -> Iterator[Step]:
        weight = _weight(description)
        progress = self
        done = [0.0]
        last_tenth = [0]

        class _Live(Step):
            def advance(self, n: float = 1) -> None:
                done[0] += n
                if not total:
                    return
                frac = min(1.0, done[0] / total)
                progress.status.percent = min(99, int(progress._base + weight * frac))
                progress.status.step = f"{description}: {int(frac * 100)}%"
                progress.save(force=False)
                tenth = int(frac * 10)
                # A line per 10 %, at most one every 2 s: long steps show movement, short ones stay quiet.
                quiet = time.monotonic() - progress._logged < 2
                if progress.log is not None and last_tenth[0] < tenth < 10 and not quiet:
                    last_tenth[0] = tenth
                    progress._logged = time.monotonic()
                    progress.line(f"{progress.status.step} (overall {progress.status.percent}%)")

        self.say(description)
        yield _Live()
        self._base = min(99.0, self._base + weight)
        self.status.percent = int(self._base)
        self.save()
