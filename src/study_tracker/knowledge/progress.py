"""Progress bars for long steps (reading, embedding, indexing): Rich, with rate and ETA.

Services take a :class:`Progress` and call ``step(...)``; the CLI passes a live one, tests and the
web app the silent default.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    ProgressColumn,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as RichProgress
from rich.text import Text


class Step:
    """One running step: ``advance(n)`` as work is done."""

    def __init__(self, bar: RichProgress | None = None, task: TaskID | None = None) -> None:
        self._bar, self._task = bar, task

    def advance(self, n: float = 1) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task, n)

    def describe(self, text: str) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, description=text)


def _speed(task) -> float | None:
    """Average rate since the step started: steps advance in big batches, so Rich's windowed
    speed estimate is often empty."""
    elapsed = task.finished_time if task.finished else task.elapsed
    if not elapsed or not task.completed:
        return None
    return task.completed / elapsed


class _Rate(ProgressColumn):
    """Items per second in the step's own unit (chunks/s, files/s, MB/s)."""

    def render(self, task) -> Text:
        speed = _speed(task)
        unit = task.fields.get("unit", "it")
        if speed is None:
            return Text(f"- {unit}/s", style="progress.data.speed")
        scale = task.fields.get("scale", 1.0)
        return Text(f"{speed / scale:,.1f} {unit}/s", style="progress.data.speed")


class _Eta(ProgressColumn):
    """Time left at the average rate so far."""

    def render(self, task) -> Text:
        speed = _speed(task)
        if task.finished:
            return Text("eta 0:00:00", style="progress.remaining")
        if speed is None or task.total is None:
            return Text("eta -:--:--", style="progress.remaining")
        left = int((task.total - task.completed) / speed)
        return Text(f"eta {left // 3600}:{left // 60 % 60:02d}:{left % 60:02d}", style="progress.remaining")


class Progress:
    """Silent progress: the default for library calls."""

    @contextlib.contextmanager
    def step(
        self, description: str, total: float | None, unit: str = "it", scale: float = 1.0
    ) -> Iterator[Step]:
        """A step of ``total`` units (``scale`` divides the displayed rate, e.g. 1e6 for MB)."""
        yield Step()


class RichProgressBars(Progress):
    """Live Rich bars on ``console`` (stderr by default), one per step, with rate and ETA."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)

    @contextlib.contextmanager
    def step(
        self, description: str, total: float | None, unit: str = "it", scale: float = 1.0
    ) -> Iterator[Step]:
        bar = RichProgress(
            SpinnerColumn(),
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn() if scale == 1.0 else TextColumn("{task.percentage:>3.0f}%"),
            _Rate(),
            _Eta(),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        with bar:
            task = bar.add_task(description, total=total, unit=unit, scale=scale)
            yield Step(bar, task)
            if total is not None:
                bar.update(task, completed=total)
