"""The ``study`` command: a thin Typer app over the services.

Sub-modules register their commands on ``app``; each imports heavy libraries inside the
command body only, so ``study today`` starts fast.
"""

from __future__ import annotations

from study_tracker.cli.app import app
from study_tracker.cli import knowledge as _knowledge  # noqa: F401  (registers commands)
from study_tracker.cli import tracker as _tracker  # noqa: F401  (registers commands)


def main() -> None:
    app()
