"""The bundled curricula and study guides: schema, coverage and consistency checks."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from study_tracker.content.curriculum import (
    CONTENT_DIR,
    GROUPS,
    QuestionType,
    guide_anchor,
    load_skills,
    load_tracks,
)

EXPECTED = {
    # slug: (group, days, question types that must appear in the track)
    "ml_algorithms": ("ml_specialist", 14, {"concept", "tradeoff", "derivation"}),
    "ml_system_design": ("ml_specialist", 14, {"concept", "tradeoff", "estimation", "scenario"}),
    "recommendations": ("ml_specialist", 14, {"concept", "tradeoff", "scenario"}),
    "coding_patterns": ("swe", 28, {"concept", "coding"}),
    "system_design": ("swe", 28, {"concept", "tradeoff", "estimation", "scenario"}),
}
GUIDES = {
    "ml-algorithms.md",
    "ml-algorithms-cheatsheet.md",
    "ml-system-design.md",
    "ml-system-design-cheatsheet.md",
    "recommendations.md",
    "coding-patterns.md",
    "system-design.md",
}

TRACKS = load_tracks()


def test_every_expected_track_is_bundled() -> None:
    assert set(TRACKS) == set(EXPECTED)
    for slug, (group, days, _) in EXPECTED.items():
        assert TRACKS[slug].group == group and group in GROUPS
        assert TRACKS[slug].length == days, slug


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_each_day_is_complete(slug: str) -> None:
    for topic in TRACKS[slug].days:
        where = f"{slug} day {topic.day}"
        assert 3 <= len(topic.subtopics) <= 6, where
        assert 4 <= len(topic.questions) <= 8, where
        assert 60 <= topic.estimated_minutes <= 90, where
        assert 1 <= len(topic.resources) <= 3, where
        assert len(topic.summary.split()) >= 25, f"{where}: summary too short"
        for q in topic.questions:
            assert len(q.key_points) >= 2, f"{where}: {q.prompt}"


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_track_uses_the_question_types_that_fit_it(slug: str) -> None:
    used = {q.type.value for t in TRACKS[slug].days for q in t.questions}
    assert EXPECTED[slug][2] <= used, f"{slug} lacks {EXPECTED[slug][2] - used}"
    assert used <= {t.value for t in QuestionType}


def test_no_duplicate_questions_across_all_content() -> None:
    def norm(text: str) -> str:
        return re.sub(r"\W+", " ", text.lower()).strip()

    counts = Counter(norm(q.prompt) for t in TRACKS.values() for d in t.days for q in d.questions)
    assert [q for q, n in counts.items() if n > 1] == []


def test_every_skill_tag_is_known() -> None:
    skills = load_skills()
    assert len(skills) >= 30
    unknown = {(t.slug, s) for t in TRACKS.values() for d in t.days for s in d.skills if s not in skills}
    assert unknown == set()


def test_guides_exist_and_follow_the_days() -> None:
    present = {p.name for p in (CONTENT_DIR / "guides").glob("*.md")}
    assert present >= GUIDES
    for track in TRACKS.values():
        assert track.guide, track.slug
        text = (CONTENT_DIR / track.guide).read_text(encoding="utf-8")
        headings = re.findall(r"^## (Day \d+: .+)$", text, flags=re.M)
        anchors = {guide_anchor(int(h.split()[1].rstrip(":")), h.split(": ", 1)[1]) for h in headings}
        for topic in track.days:
            assert guide_anchor(topic.day, topic.title) in anchors, (
                f"{track.guide} lacks a heading for day {topic.day}"
            )
        assert len(text.split()) >= 4000, f"{track.guide} is too short to be worth reading"


def test_parsed_yaml_cache_follows_edits(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from study_tracker.content.curriculum import load_track_file

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    source = (CONTENT_DIR / "tracks" / "recommendations.yaml").read_text(encoding="utf-8")
    path = tmp_path / "recommendations.yaml"
    path.write_text(source, encoding="utf-8")
    first = load_track_file(path)
    assert load_track_file(path) == first  # served from the cache
    path.write_text(source.replace("title: Recommendations", "title: Recsys Deep Dive", 1), encoding="utf-8")
    assert load_track_file(path).title == "Recsys Deep Dive"
    assert len(list((tmp_path / "cache" / "study-tracker").glob("*recommendations-*.json"))) == 1
