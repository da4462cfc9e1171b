"""Career paths: bundled content is valid and consistent; the goal is stored and validated."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy.orm import Session

from study_tracker.content.careers import load_path_file, load_paths
from study_tracker.content.curriculum import CurriculumError, load_skills, load_tracks
from study_tracker.db.models import Meta
from study_tracker.errors import InvalidInput
from study_tracker.skills.goal import get_goal, set_goal
from tests.cli_helpers import study

PATHS = load_paths()


def test_two_bundled_paths_with_three_levels() -> None:
    assert set(PATHS) == {"ai-integration-engineer", "machine-learning-engineer"}
    for path in PATHS.values():
        assert path.level_ids == ["0-6", "6-12", "12-24"]
        targets = [lvl.target for lvl in path.levels]
        assert targets == sorted(targets) and len(set(targets)) == 3  # more is expected later


@pytest.mark.parametrize("slug", list(PATHS))
def test_every_skill_and_track_of_a_path_exists(slug: str) -> None:
    skills, tracks = load_skills(), load_tracks()
    for lvl in PATHS[slug].levels:
        assert [s for s in lvl.skills if s not in skills] == [], lvl.id
        assert [t for t in lvl.tracks if t not in tracks] == [], lvl.id
        assert len(lvl.skills) == len(set(lvl.skills))
        assert lvl.milestones and lvl.interview_topics


def test_new_skills_do_not_duplicate_existing_ones() -> None:
    text = (Path(__file__).parents[2] / "src/study_tracker/content/skills/career_paths.yaml").read_text()
    ids = [item["id"] for item in yaml.safe_load(text)]
    others = set()
    for f in (Path(__file__).parents[2] / "src/study_tracker/content/skills").glob("*.yaml"):
        if f.name != "career_paths.yaml":
            others |= {item["id"] for item in yaml.safe_load(f.read_text())}
    assert ids and not set(ids) & others


def test_skills_through_a_level_accumulate_in_order() -> None:
    path = PATHS["ai-integration-engineer"]
    first = path.skills_through("0-6")
    second = path.skills_through("6-12")
    assert first == path.levels[0].skills
    assert second[: len(first)] == first and set(path.levels[1].skills) <= set(second)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"levels": []}, "levels"),
        ({"slug": "Bad Slug"}, "slug"),
        ({"levels.0.months": [0, 7]}, "months"),
        ({"levels.0.target": 1.5}, "target"),
        ({"levels.1.months": [7, 12], "levels.1.id": "7-12"}, "levels"),
    ],
)
def test_bad_path_files_name_the_file_and_field(
    tmp_path: Path, change: dict[str, object], words: str
) -> None:
    src = Path(__file__).parents[2] / "src/study_tracker/content/paths/ai_integration_engineer.yaml"
    data = yaml.safe_load(src.read_text())
    for dotted, value in change.items():
        target = data
        *parents, last = dotted.split(".")
        for p in parents:
            target = target[int(p)] if p.isdigit() else target[p]
        target[int(last) if last.isdigit() else last] = value
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    with pytest.raises(CurriculumError) as exc:
        load_path_file(bad)
    assert str(bad) in str(exc.value) and words in str(exc.value)


def test_goal_is_stored_in_meta(session: Session) -> None:
    assert get_goal(session) is None
    goal = set_goal(session=session, path="machine-learning-engineer", level="6-12")
    assert goal.level.id == "6-12" and session.get(Meta, "goal_path").value == "machine-learning-engineer"  # type: ignore[union-attr]
    again = get_goal(session)
    assert again is not None and again.path.slug == "machine-learning-engineer" and again.level.id == "6-12"
    assert set_goal(session=session, path="ai-integration-engineer").level.id == "0-6"  # default level


@pytest.mark.parametrize(
    ("path", "level", "field"),
    [("nope", None, "path"), ("", None, "path"), ("ai-integration-engineer", "3-9", "level")],
)
def test_bad_goal_names_the_field_and_keeps_the_old_one(
    session: Session, path: str, level: str | None, field: str
) -> None:
    set_goal(session=session, path="machine-learning-engineer", level="12-24")
    with pytest.raises(InvalidInput) as exc:
        set_goal(session=session, path=path, level=level)
    assert exc.value.errors[0].field == field
    goal = get_goal(session)
    assert goal is not None and (goal.path.slug, goal.level.id) == ("machine-learning-engineer", "12-24")


def test_path_commands(tmp_path: Path) -> None:
    data = tmp_path / "data"
    listed = study(data, "path", "list")
    assert listed.returncode == 0 and "ai-integration-engineer" in listed.stdout
    assert study(data, "path", "show").returncode == 2  # no goal yet, no name
    bad = study(data, "path", "set", "astronaut")
    assert bad.returncode == 2 and "path: must be one of" in bad.stderr
    bad_level = study(data, "path", "set", "ai-integration-engineer", "--level", "1-2")
    assert bad_level.returncode == 2 and "level:" in bad_level.stderr
    ok = study(data, "path", "set", "ai-integration-engineer", "--level", "6-12")
    assert ok.returncode == 0 and "AI Integration Engineer" in ok.stdout
    shown = study(data, "path", "show")
    assert shown.returncode == 0
    assert "(your goal)" in shown.stdout and "Retrieval-augmented generation (rag): 0.00" in shown.stdout
    assert "✓ 6-12" in study(data, "path", "list").stdout
