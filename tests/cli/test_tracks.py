"""The command line's issue-14 fixes, run as a user runs them: tracks that start when first used,
pause, resume, hide and show; "No reviews due" with what comes next; completion feedback;
hanging bullets; the drill summary; plurals; skill names."""

from __future__ import annotations

import json
import re
from pathlib import Path

from study_tracker.content.curriculum import load_skills
from tests.cli_helpers import COLUMNS, study


def config_of(data: Path, track: str) -> dict[str, object]:
    group = "swe" if track in ("coding_patterns", "system_design") else "ml_specialist"
    return json.loads((data / group / "config.json").read_text())["tracks"][track]


def test_tracks_start_when_first_used_and_pause_resume_hide_show(tmp_path: Path) -> None:
    data = tmp_path / "data"
    out = study(data, "today", "-g", "swe", today="2026-12-20")  # weeks after install: still day 1
    assert "Coding Patterns - Day 1 (not started)" in out.stdout and "Catch up" not in out.stdout
    assert "Your first completion starts this track" in out.stdout

    out = study(data, "config", "set", "--track", "system_design", "--start", "2026-11-20")
    assert out.returncode == 0, out.stderr
    assert config_of(data, "system_design")["start_date"] == "2026-11-20"
    assert "System Design - Day 3" in study(data, "today", "-g", "swe").stdout

    assert study(data, "config", "set", "--track", "system_design", "--pause").returncode == 0
    out = study(data, "today", "-g", "swe", today="2026-11-30")
    assert "System Design - Day 3 (paused)" in out.stdout and "--resume" in out.stdout
    assert (
        study(data, "config", "set", "--track", "system_design", "--resume", today="2026-11-30").returncode
        == 0
    )
    assert "System Design - Day 3\n" in study(data, "today", "-g", "swe", today="2026-11-30").stdout

    assert study(data, "config", "set", "--track", "coding_patterns", "--hide").returncode == 0
    out = study(data, "today", "-g", "swe")
    assert "Coding Patterns" not in out.stdout.split("1 hidden track")[0]
    assert "1 hidden track: Coding Patterns" in out.stdout
    assert study(data, "config", "set", "--track", "coding_patterns", "--show").returncode == 0
    assert config_of(data, "coding_patterns")["hidden"] is False

    assert study(data, "config", "set", "--track", "system_design", "--start", "none").returncode == 0
    assert config_of(data, "system_design")["start_date"] is None


def test_config_set_bad_input(tmp_path: Path) -> None:
    data = tmp_path / "data"
    out = study(data, "config", "set", "--track", "ml_algorithms", "--start", "31/12/2026")
    assert out.returncode == 2 and "tracks.ml_algorithms.start_date" in out.stderr
    out = study(data, "config", "set", "--group", "swe", "--pause")
    assert out.returncode == 2 and "need a --track" in " ".join(out.stderr.split())
    assert config_of(data, "ml_algorithms")["start_date"] is None  # nothing saved


def test_review_says_no_reviews_due_and_what_comes_next(tmp_path: Path) -> None:
    data = tmp_path / "data"
    out = study(data, "review", "-g", "ml_specialist")
    assert out.returncode == 0
    assert "No reviews due in ML, and none scheduled yet" in out.stdout and "┏" not in out.stdout
    out = study(data, "complete", "ml_algorithms", "--difficulty", "3")
    assert "Completed ML Algorithms day 1. Next review on 23 Nov (tomorrow)." in out.stdout
    study(data, "complete", "recommendations", "--difficulty", "2")
    out = study(data, "review", "-g", "ml_specialist")
    assert "No reviews due in ML. Next: 2 reviews on 23 Nov (tomorrow)." in out.stdout
    assert "┏" not in out.stdout  # no empty table
    out = study(data, "review", "-g", "ml_specialist", today="2026-11-23")
    assert "ML: 2 reviews due" in out.stdout and "Neural Network Fundamentals" in out.stdout
    out = study(data, "today", "-g", "ml_specialist", today="2026-11-24")
    assert "Reviews due" in out.stdout  # overdue now
    out = study(data, "today", "-g", "swe")
    assert "No reviews due in SWE, and none scheduled yet" in out.stdout


def test_history_and_import_use_plurals(tmp_path: Path) -> None:
    data = tmp_path / "data"
    study(data, "complete", "system_design", "--difficulty", "2", "--notes", "CAP " * 40)
    out = study(data, "history", "-g", "swe", "--days", "1")
    assert "Streak 1 day (longest 1) · 1 topic · 0 reviews" in out.stdout and "Last 1 day" in out.stdout
    assert "CAP CAP …" in out.stdout  # long notes cut between words
    export = tmp_path / "e.json"
    study(data, "export", str(export))
    out = study(tmp_path / "fresh", "import", str(export))
    assert "1 completion, 0 reviews, 0 undos, 0 roadmaps, 0 roadmap items" in " ".join(out.stdout.split())


def test_roadmap_bullets_hang_and_counts_are_singular(tmp_path: Path) -> None:
    long = "Read about " + " ".join(f"topic{i}" for i in range(60))  # wider than the terminal
    roadmap = tmp_path / "plan.md"
    roadmap.write_text(
        f"# Plan\n\n## Week 1: Basics (7 days)\n- {long}\n\n## Project: Build it\n**Deliverables**\n- [ ] Ship it\n",
        encoding="utf-8",
    )
    data = tmp_path / "data"
    out = study(data, "roadmap", "import", str(roadmap), "--start", "2026-11-22", "--no-kb")
    assert out.returncode == 0, out.stderr
    assert "1 topic, 1 subtopic, 1 milestone, 1 task, 0 resources" in out.stdout
    shown = study(data, "roadmap", "show", "plan").stdout.split("\n")
    first = next(i for i, line in enumerate(shown) if "• Read about" in line)
    indent = shown[first].index("Read about")
    following = shown[first + 1]
    assert following.strip().startswith("topic") and len(following) - len(following.lstrip()) == indent
    assert all(len(line) <= COLUMNS for line in shown)


def test_drill_summary_wraps_whole_prompts_and_names_skills(tmp_path: Path) -> None:
    data = tmp_path / "data"
    out = study(data, "drill", "--track", "ml_algorithms", "--count", "3", stdin="\na\n\nh\n\na\n")
    assert out.returncode == 0, out.stderr
    prompts = re.findall(r"Question \d/3 · .*\n(.+)\n", out.stdout)
    summary = out.stdout[out.stdout.index("Summary") :]
    assert len(prompts) == 3 and max(len(p) for p in prompts) > 70  # one was cut at 70 before
    words = summary.split()
    for prompt in prompts:
        assert all(w in words for w in prompt.split()), prompt  # whole words, none cut off
    weakest = " ".join(summary[summary.index("Weakest skills in this drill:") :].split())
    skills = load_skills().values()
    assert any(s.name in weakest for s in skills)  # names ("Neural networks"), not slugs
    assert not [s.id for s in skills if "-" in s.id and s.id in weakest]
    assert "Answered 3 of 3 questions" in summary
