"""``study plan``, ``study plan set`` and ``study remind`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_helpers import study


def test_plan_set_then_show_then_remind(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert "No plan set" in study(data, "plan", "-g", "swe").stdout
    for day, on in ((1, "2026-11-10"), (2, "2026-11-11")):
        ran = study(data, "complete", "coding_patterns", "--day", str(day), "-d", "3", today=on)
        assert ran.returncode == 0, ran.stdout + ran.stderr
    ran = study(
        data,
        "plan",
        "set",
        "-g",
        "swe",
        "--interview",
        "2026-12-10",
        "--daily-target",
        "30",
        "--easy-days",
        "sat,sun",
        "--break",
        "2026-11-26:2026-11-28",
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    stored = json.loads((data / "swe" / "config.json").read_text())["settings"]["plan"]
    assert stored["interview"] == "2026-12-10" and stored["easy_days"] == ["sat", "sun"]
    assert stored["breaks"] == [{"start": "2026-11-26", "end": "2026-11-28"}]
    assert stored["daily_target"] == 30

    shown = study(data, "plan", "-g", "swe")
    assert shown.returncode == 0
    assert "Interview on Thursday 10 December 2026 (18 days left)." in shown.stdout
    assert "Daily target 30 minutes; Easy Days sat, sun at 50%; 1 break" in shown.stdout
    assert "Thu 26 Nov (break)" in shown.stdout and "Sat 28 Nov (break)" in shown.stdout

    # The two 1-day reviews were due on 11 and 12 Nov: overdue, both fit today's (easy) share.
    line = study(data, "remind", "-g", "swe")
    assert line.returncode == 0
    assert line.stdout == (
        "study 2026-11-22: SWE: 2 reviews (~10 min), 2 new topics, interview in 18 days (10 Dec)\n"
    )


def test_plan_set_refuses_bad_values_naming_the_field(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ran = study(data, "plan", "set", "-g", "swe", "--daily-target", "-3")
    assert ran.returncode != 0 and "settings.plan.daily_target" in ran.stderr
    ran = study(data, "plan", "set", "-g", "swe", "--easy-days", "funday")
    assert ran.returncode != 0 and "'funday' is not a weekday" in ran.stderr
    ran = study(data, "plan", "set", "-g", "swe", "--break", "soon")
    assert ran.returncode != 0 and "a break is FROM:TO" in ran.stderr
