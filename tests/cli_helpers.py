"""The ``study`` command line run as a user runs it: in this process through Typer's ``CliRunner``
(``study``, fast), or in a child process (``study_process``) where the process boundary is the point.

Both take the same arguments and return ``returncode``, ``stdout`` and ``stderr``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from study_tracker.cli import app
from study_tracker.cli.output import console, err
from study_tracker.config import get_settings

TODAY = "2026-11-22"
COLUMNS = 200
# Rich decides on colours when a console is made (at import); a pipe gets none, so neither does this.
_SGR = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class Ran:
    """What a run left, named as in ``subprocess.CompletedProcess``."""

    returncode: int
    stdout: str
    stderr: str


def _environment(data_dir: Path, env: dict[str, str]) -> dict[str, str]:
    """UTC, no background indexing, no LLM, wide output; ``env`` adds to it or overrides it."""
    return {
        "STUDY_DATA_DIR": str(data_dir),
        "STUDY_TIMEZONE": "UTC",
        "STUDY_INDEX_ON_START": "false",
        "STUDY_LLM_BASE_URL": "",
        "COLUMNS": str(COLUMNS),
        **env,
    }


def study(data_dir: Path, *args: str, today: str = TODAY, stdin: str = "", **env: str) -> Ran:
    """``study --today TODAY ARGS`` on ``data_dir``, in this process; keyword arguments are extra
    environment variables (e.g. ``STUDY_LLM_BASE_URL=...``).

    As in a child process: the environment is set for this call only (``STUDY_TODAY``, which
    ``--today`` sets, is put back too), settings are read afresh (the cache is cleared before and
    after), stdin holds ``stdin`` and is not a terminal, and output is as wide as ``COLUMNS``. An
    exception the command line does not turn into an exit propagates to the test.
    """
    with pytest.MonkeyPatch.context() as mp:
        for key, value in _environment(data_dir, env).items():
            mp.setenv(key, value)
        mp.setenv("STUDY_TODAY", today)  # recorded, so the value --today writes is undone on exit
        get_settings.cache_clear()
        try:
            for c in (console, err):
                # Rich reads COLUMNS on every print unless it was set when the console was made.
                if c.width != COLUMNS:
                    raise RuntimeError("COLUMNS was exported when study_tracker.cli was imported: unset it")
            result = CliRunner().invoke(app, ["--today", today, *args], input=stdin, catch_exceptions=False)
        finally:
            get_settings.cache_clear()
    return Ran(result.exit_code, _SGR.sub("", result.stdout), _SGR.sub("", result.stderr))


def study_process(
    data_dir: Path, *args: str, today: str = TODAY, **env: str
) -> subprocess.CompletedProcess[str]:
    """``study`` as above, in a child process (``python -m study_tracker``)."""
    return subprocess.run(
        [sys.executable, "-m", "study_tracker", "--today", today, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **_environment(data_dir, env)},
        timeout=300,
    )
