"""The ``study`` command: every command has help, and the tracker flow works as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from study_tracker.cli import app
from tests.cli_helpers import study

runner = CliRunner()


def commands(group=None, prefix=()):  # type: ignore[no-untyped-def]
    group = group or get_command(app)
    for name, cmd in group.commands.items():
        yield (*prefix, name)
        if hasattr(cmd, "commands"):
            yield from commands(cmd, (*prefix, name))


@pytest.mark.parametrize("path", list(commands()), ids=" ".join)
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    cmd = get_command(app)
    for part in path:
        cmd = cmd.commands[part]  # type: ignore[attr-defined]
    assert (cmd.help or "").strip(), f"`study {' '.join(path)}` has no help text"


def test_tracker_flow(tmp_path: Path) -> None:
    data = tmp_path / "data"
    out = study(data, "today", "--group", "ml_specialist")
    assert out.returncode == 0, out.stderr
    assert "ML Algorithms - Day 1" in out.stdout and "Recommendations - Day 1" in out.stdout

    out = study(data, "complete", "ml_algorithms", "--difficulty", "3", "--notes", "chain rule")
    assert out.returncode == 0 and "Next review on 23 Nov (tomorrow)" in out.stdout

    out = study(data, "review", "--group", "ml_specialist", today="2026-11-23")
    assert "Neural Network Fundamentals" in out.stdout
    out = study(data, "review", "1", "--rating", "good", today="2026-11-23")
    assert out.returncode == 0 and "Next review on 2026-11-25" in out.stdout, out.stdout + out.stderr

    out = study(data, "config", "set", "--track", "ml_algorithms", "--acceleration-days", "5")
    assert out.returncode == 0, out.stderr
    assert "ML Algorithms - Day 6" in study(data, "today", "-g", "ml_specialist").stdout

    out = study(data, "history", "-g", "ml_specialist", today="2026-11-23")
    assert "Streak 2 days" in out.stdout and "1/14" in out.stdout

    export = tmp_path / "export.json"
    assert study(data, "export", str(export)).returncode == 0
    doc = json.loads(export.read_text())
    assert len(doc["completions"]) == 1 and len(doc["reviews"]) == 1

    fresh = tmp_path / "fresh"
    out = study(fresh, "import", str(export))
    assert out.returncode == 0 and "1 completion," in out.stdout and "0 roadmaps" in out.stdout
    assert study(data, "import", str(export)).returncode == 1  # refuses to overwrite without --replace

    out = study(data, "backup")
    assert out.returncode == 0 and "Backup written" in out.stdout and "verified" in out.stdout
    assert list((data / "backups").glob("*-manual/study.db"))


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("complete", "ml_algorithms", "--difficulty", "8"), 2, "difficulty: must be a whole number from 1"),
        (("complete", "nope", "--difficulty", "3"), 1, "unknown track 'nope'"),
        (("review", "5", "--rating", "good"), 1, "no review is scheduled"),
        (
            ("config", "set", "--track", "ml_algorithms", "--acceleration-days", "-1"),
            2,
            "tracks.ml_algorithms.acceleration_days: must be greater than or equal to 0",
        ),
        (
            ("config", "set", "--group", "swe", "--intervals", "1,x"),
            2,
            "settings.review_intervals.1: must be a whole number",
        ),
        (("today", "--group", "nope"), 2, "--group must be one of"),
        (("review", str(2**63), "--rating", "good"), 1, f"no review is scheduled for completion {2**63}"),
        (
            ("complete", "ml_algorithms", "-d", "3", "--notes", "x" * 20_001),
            2,
            "notes: must be at most 20,000",
        ),
        (
            ("config", "set", "--track", "ml_algorithms", "--start-date", "9999-01-01"),
            2,
            "tracks.ml_algorithms.start_date: must be between 2000-01-01 and 2100-12-31",
        ),
        (
            ("config", "set", "--track", "ml_algorithms", "--acceleration-days", str(10**15)),
            2,
            "tracks.ml_algorithms.acceleration_days: must be less than or equal to 3650",
        ),
    ],
)
def test_bad_input_exits_non_zero_with_a_message(
    tmp_path: Path, args: tuple[str, ...], code: int, message: str
) -> None:
    out = study(tmp_path / "data", *args)
    assert out.returncode == code, out.stdout + out.stderr
    assert message in " ".join(out.stderr.split())


def test_bad_today_and_bad_config_file(tmp_path: Path) -> None:
    out = study(tmp_path / "d", "today", today="31/12/2026")
    assert out.returncode == 2 and "--today must be a date" in " ".join(out.stderr.split())
    data = tmp_path / "data"
    assert study(data, "today").returncode == 0
    (data / "swe" / "config.json").write_text('{"settings": {"review_intervals": "often"}}')
    out = study(data, "today")
    assert out.returncode == 2
    assert "swe/config.json: settings.review_intervals: must be a list" in " ".join(out.stderr.split())
