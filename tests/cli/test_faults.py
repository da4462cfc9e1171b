"""Failures a person can act on: a damaged database, a full disk, a read-only data folder, two
commands starting at once. Each ends in one line that names the file and what to do, and leaves
nothing half-written (see tests/faults.py for how the faults are made real)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from study_tracker.db.engine import get_engine
from tests.cli_helpers import TODAY, study
from tests.faults import FULL_DISK_MODES, READ_ONLY_MODES, file_size_limit, fill, read_only, tmpfs


def child(
    data_dir: Path,
    *args: str,
    wrap: Callable[[list[str]], list[str]] = lambda argv: argv,
    preexec: Callable[[], None] | None = None,
    **extra_env: str,
) -> subprocess.CompletedProcess[str]:
    """``study ARGS`` in a child process, as a user runs it."""
    env = {
        **os.environ,
        "STUDY_DATA_DIR": str(data_dir),
        "STUDY_TIMEZONE": "UTC",
        "STUDY_INDEX_ON_START": "false",
        "COLUMNS": "200",
        **extra_env,
    }
    argv = wrap([sys.executable, "-m", "study_tracker", "--today", TODAY, *args])
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, preexec_fn=preexec)


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), stderr
    return lines[0]


def with_history(data: Path) -> str:
    """Complete a day, write a backup; returns the backup's name."""
    assert study(data, "complete", "ml_algorithms", "-d", "3").returncode == 0
    out = study(data, "backup")
    assert out.returncode == 0, out.stderr
    return out.stdout.split("backups/")[1].split()[0].rstrip(".")


def checkpoint(db: Path) -> None:
    """Fold the WAL into the file (so the file alone is the database) and empty it; close this
    process's pooled connections, as the next command, a new process, would have none."""
    get_engine(f"sqlite:///{db}").dispose()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


# --- a damaged database ---


def _truncate(db: Path) -> None:
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])


def _garbage(db: Path) -> None:
    db.write_bytes(b"this is not a database, it is a shopping list\n" * 200)


def _empty(db: Path) -> None:
    db.write_bytes(b"")


@pytest.mark.parametrize("damage", [_truncate, _garbage, _empty], ids=["truncated", "garbage", "empty"])
def test_a_damaged_database_names_the_newest_backup_and_the_restore_command(
    tmp_path: Path, damage: Callable[[Path], None]
) -> None:
    data = tmp_path / "data"
    name = with_history(data)
    db = data / "study.db"
    checkpoint(db)
    damage(db)
    for args in (("today",), ("export", "-"), ("backup",), ("history",)):
        out = study(data, *args)
        assert out.returncode == 1, (args, out.stdout, out.stderr)
        line = one_error_line(out.stderr)
        assert str(db) in line and "damaged" in line and f"study restore {name}" in line, line
    out = child(data, "today")  # the real process: exit status 1, one line, no traceback
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert f"study restore {name}" in one_error_line(out.stderr)

    out = study(data, "restore", name)
    assert out.returncode == 0, out.stderr
    assert "ML Algorithms - Day 1" in study(data, "today", "-g", "ml_specialist").stdout
    assert study(data, "complete", "ml_algorithms", "-d", "3").returncode == 1  # the history is back


def test_a_damaged_database_without_backups_says_so(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert study(data, "today").returncode == 0
    checkpoint(data / "study.db")
    _garbage(data / "study.db")
    line = one_error_line(study(data, "today").stderr)
    assert "No verified backup was found" in line and "move study.db away" in line


# --- a full disk ---


@pytest.mark.parametrize("mode", FULL_DISK_MODES)
def test_a_full_disk_refuses_writes_and_leaves_no_partial_file(tmp_path: Path, mode: str) -> None:
    data = tmp_path / "data"
    with tmpfs(data, "3m") if mode == "tmpfs" else _no_mount(data):
        name = with_history(data)
        config = data / "swe" / "config.json"
        before = config.read_text()
        checkpoint(data / "study.db")
        if mode == "tmpfs":
            filler = fill(data)
            preexec = None
        else:
            preexec = file_size_limit(1024)  # no file may grow past 1 KB
        for args in (
            ("complete", "ml_algorithms", "-d", "3", "--day", "2"),
            ("config", "set", "--group", "swe", "--intervals", "2,4,8"),
            ("backup",),
        ):
            out = child(data, *args, preexec=preexec)
            assert out.returncode == 1, (args, out.stdout, out.stderr)
            error = [line for line in out.stderr.splitlines() if line.startswith("Error: ")]
            assert len(error) == 1 and "Traceback" not in out.stderr, out.stderr
            assert any(w in error[0] for w in ("full", "File too large", "No space left")), error[0]
            assert "nothing was saved" in error[0] or "free some" in error[0], error[0]
        if mode == "tmpfs":
            filler.unlink()
        leftovers = [
            p.name for p in data.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".partial")
        ]
        assert leftovers == []
        assert config.read_text() == before
        assert sorted(p.name for p in (data / "backups").iterdir()) == [name]  # no 0-byte "backup"
        out = study(data, "history", "-g", "ml_specialist")
        assert "1/14" in out.stdout, out.stdout + out.stderr  # day 2 was not stored, day 1 is intact


def _no_mount(path: Path):  # type: ignore[no-untyped-def]
    import contextlib

    path.mkdir(parents=True)
    return contextlib.nullcontext(path)


# --- a read-only data folder ---


@pytest.mark.parametrize("mode", READ_ONLY_MODES)
def test_a_read_only_data_folder_gets_one_line_and_changes_nothing(tmp_path: Path, mode: str) -> None:
    data = tmp_path / "data"
    with_history(data)
    before = sorted(str(p.relative_to(data)) for p in data.rglob("*"))
    with read_only(data, mode) as wrap:
        for args in (("today",), ("complete", "ml_algorithms", "-d", "3", "--day", "2"), ("backup",)):
            out = child(data, *args, wrap=wrap)
            assert out.returncode == 1 and "Traceback" not in out.stderr, (args, out.stderr)
            line = one_error_line(out.stderr)
            assert "read-only" in line.lower() or "Read-only" in line, line
            assert str(data) in line and "STUDY_DATA_DIR" in line, line
    assert sorted(str(p.relative_to(data)) for p in data.rglob("*")) == before
    assert study(data, "today").returncode == 0


# --- two processes, a bad config file, two backups at once ---


def test_two_commands_at_once_on_a_fresh_folder_both_work(tmp_path: Path) -> None:
    for run in range(4):
        data = tmp_path / f"fresh{run}"
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda d: child(d, "today", "-g", "swe"), [data, data]))
        for out in results:
            assert out.returncode == 0 and "Coding Patterns - Day 1" in out.stdout, out.stderr
        assert json.loads((data / "swe" / "config.json").read_text())["group"] == "swe"


def test_export_and_backup_work_while_a_config_file_is_invalid(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with_history(data)
    (data / "swe" / "config.json").write_text('{"settings": {"review_intervals": "often"}}')
    assert study(data, "today").returncode == 2  # the commands that apply it refuse, naming it
    out = study(data, "export", str(tmp_path / "e.json"))
    assert out.returncode == 0, out.stderr
    assert len(json.loads((tmp_path / "e.json").read_text())["completions"]) == 1
    out = study(data, "backup")
    assert out.returncode == 0, out.stderr
    newest = sorted((data / "backups").iterdir())[-1]
    assert "often" in (newest / "swe" / "config.json").read_text()  # the user's file, as it was


def test_two_backups_in_the_same_second_both_work(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with_history(data)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: child(data, "backup"), range(2)))
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    folders = sorted((data / "backups").iterdir())
    assert len(folders) == 3 and all((f / "study.db").stat().st_size > 0 for f in folders)


def test_a_database_locked_by_another_program_gets_busy_and_nothing_half_written(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with_history(data)
    holder = sqlite3.connect(data / "study.db")
    holder.execute("BEGIN IMMEDIATE")  # another program's long write transaction
    try:
        out = child(data, "complete", "ml_algorithms", "-d", "3", "--day", "2", STUDY_DB_BUSY_TIMEOUT_S="1")
    finally:
        holder.rollback()
        holder.close()
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    line = one_error_line(out.stderr)
    assert "is busy" in line and "nothing was saved" in line, line
    assert "1/14" in study(data, "history", "-g", "ml_specialist").stdout
