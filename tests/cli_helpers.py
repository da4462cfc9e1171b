"""The `study` command line run in a child process, as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TODAY = "2026-11-22"


def study(data_dir: Path, *args: str, today: str = TODAY, **env: str) -> subprocess.CompletedProcess[str]:
    """``study --today TODAY ARGS`` on ``data_dir`` (UTC, no background indexing, wide output);
    keyword arguments are extra environment variables (e.g. ``STUDY_LLM_BASE_URL=...``)."""
    full = {
        **os.environ,
        "STUDY_DATA_DIR": str(data_dir),
        "STUDY_TIMEZONE": "UTC",
        "STUDY_INDEX_ON_START": "false",
        "STUDY_LLM_BASE_URL": "",
        "COLUMNS": "200",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "study_tracker", "--today", today, *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=300,
    )
