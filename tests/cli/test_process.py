"""``study`` in a real child process, where the process is the point: the entry point's exit codes,
``--today`` in a fresh process, and the heavy libraries ``study today`` must not load."""

from __future__ import annotations

from pathlib import Path

from tests.cli_helpers import study_process

# Slow optional libraries that only knowledge commands may import, inside the functions using them.
HEAVY = {"torch", "sentence_transformers", "transformers", "faiss", "onnxruntime"}


def test_study_today_in_a_child_process_loads_no_heavy_library(tmp_path: Path) -> None:
    out = study_process(tmp_path / "data", "today", "-g", "ml_specialist", PYTHONPROFILEIMPORTTIME="1")
    assert out.returncode == 0, out.stderr
    assert "Sunday 22 November 2026" in out.stdout and "ML Algorithms - Day 1" in out.stdout
    # Python's import profile: one "import time: self | cumulative | module" line per import.
    imported = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in out.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "study_tracker" in imported and "typer" in imported  # the profile is there to read
    assert not imported & HEAVY


def test_errors_reach_the_shell_as_exit_codes(tmp_path: Path) -> None:
    out = study_process(tmp_path / "data", "today", "--group", "nope")
    assert out.returncode == 2 and "Error: --group must be one of swe, ml_specialist" in out.stderr
    out = study_process(tmp_path / "data", "roadmap", "show", "nope")
    assert out.returncode == 1 and "Error: no roadmap named 'nope'" in out.stderr
    assert not out.stdout
