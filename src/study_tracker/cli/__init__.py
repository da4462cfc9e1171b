"""The ``study`` command: a thin Typer app over the services.

Sub-modules register their commands on ``app``; each imports heavy libraries inside the
command body only, so ``study today`` starts fast.
"""

from __future__ import annotations

from study_tracker.cli import ask as _ask  # noqa: F401  (registers commands)
from study_tracker.cli import auth as _auth  # noqa: F401
from study_tracker.cli import backup as _backup  # noqa: F401
from study_tracker.cli import collect as _collect  # noqa: F401
from study_tracker.cli import config as _config  # noqa: F401
from study_tracker.cli import evaluate as _evaluate  # noqa: F401
from study_tracker.cli import knowledge as _knowledge  # noqa: F401
from study_tracker.cli import mcp as _mcp  # noqa: F401
from study_tracker.cli import plan as _plan  # noqa: F401
from study_tracker.cli import practice as _practice  # noqa: F401
from study_tracker.cli import questions as _questions  # noqa: F401
from study_tracker.cli import roadmap as _roadmap  # noqa: F401
from study_tracker.cli import skills as _skills  # noqa: F401
from study_tracker.cli import tracker as _tracker  # noqa: F401
from study_tracker.cli import watch as _watch  # noqa: F401
from study_tracker.cli.app import app


def main() -> None:
    app()
