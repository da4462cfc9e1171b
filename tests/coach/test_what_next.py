"""What next: order and reasons (reviews, track topics, roadmaps, weakest skill) and passages."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from study_tracker.coach import what_next as guidance
from study_tracker.config import Settings
from study_tracker.content.careers import get_path
from study_tracker.db.models import TrackSetting
from study_tracker.roadmaps import service as roadmaps
from study_tracker.skills.goal import get_goal, set_goal
from study_tracker.skills.mastery import SkillMastery
from study_tracker.tracker import agenda, service, settings_store

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
ROADMAP = """# LLM apps roadmap

## Week 1: LLM APIs and prompt design (7 days)
- Chat completion requests and streaming
- Structured output with JSON schemas

## Week 2: Retrieval-augmented generation (7 days)
- Chunking and embeddings for RAG

## Project: Build a RAG assistant
**Deliverables**
- [ ] A repository with the assistant and an evaluation set
- [ ] A short write-up of the retrieval quality
"""


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def start_ml_tracks(session: Session, start: date) -> None:
    for slug in ("ml_algorithms", "ml_system_design", "recommendations"):
        session.get(TrackSetting, slug).start_date = start  # type: ignore[union-attr]
    session.flush()


def complete(session: Session, track: str, day: int, when: datetime, difficulty: int = 3) -> int:
    c = service.complete_topic(
        session=session, track=track, day=day, difficulty=difficulty, notes="", now=when, zone=UTC
    )
    return c.id


def test_reviews_first_then_topics_then_weakest_skill(session: Session) -> None:
    start_ml_tracks(session, date(2026, 11, 20))
    complete(session, "ml_algorithms", 1, at(20))  # review due on the 21st: one day overdue
    complete(session, "ml_algorithms", 2, at(21))  # review due today
    set_goal(session=session, path="machine-learning-engineer", level="0-6")
    plan = guidance.what_next(session, now=NOW, zone=UTC, groups=["ml_specialist"])
    kinds = [i.kind for i in plan.items]
    assert kinds[:2] == ["review", "review"]
    assert plan.items[0].title.startswith("Review ML Algorithms day 1")
    assert "1 day overdue" in plan.items[0].reason and "due today" in plan.items[1].reason
    topics = [i for i in plan.items if i.kind == "topic"]
    assert [t.url for t in topics] == [
        "/tracks/ml_algorithms/days/3",
        "/tracks/ml_system_design/days/3",
        "/tracks/recommendations/days/3",
    ]
    assert topics[0].reason == "Today's topic in ML Algorithms (day 3 of 14)"
    # Reviews come before topics, and the weakest-skill suggestion comes last.
    assert max(kinds.index("review"), 1) < kinds.index("topic")
    assert kinds[-1] == "skill"
    weakest = plan.weakest[0]
    assert plan.items[-1].reason.startswith(f"Weakest skill: {weakest.name}, mastery 0.00 (target 0.50")
    assert weakest.skill in plan.items[-1].skills


def test_a_done_topic_turns_into_catch_up(session: Session) -> None:
    start_ml_tracks(session, date(2026, 11, 20))
    complete(session, "ml_algorithms", 3, at(22, 8))
    plan = guidance.what_next(session, now=NOW, zone=UTC, groups=["ml_specialist"])
    catch_up = [i for i in plan.items if i.kind == "catch-up"]
    assert [i.url for i in catch_up] == ["/tracks/ml_algorithms/days/1"]
    assert "day 1 was skipped (2 to catch up)" in catch_up[0].reason


def test_without_a_goal_the_weakest_practised_skill_is_used(session: Session) -> None:
    complete(session, "ml_algorithms", 1, at(22, 8), difficulty=5)  # struggled: neural networks, backprop
    complete(session, "coding_patterns", 1, at(22, 8), difficulty=1)
    plan = guidance.what_next(session, now=NOW, zone=UTC)
    assert plan.goal is None and any("Choose a career path" in n for n in plan.notes)
    assert plan.weakest[0].skill in ("neural-networks", "backpropagation")
    assert plan.weakest[0].target is None


def test_weakest_skills_rank_by_gap_then_path_order() -> None:
    path = get_path("ai-integration-engineer")
    from study_tracker.skills.goal import Goal

    goal = Goal(path, path.level("0-6"))
    scores = {
        "python-engineering": SkillMastery("python-engineering", 0.45, 3, None),
        "api-design": SkillMastery("api-design", 0.6, 4, None),  # above the 0.5 target: not weak
        "rag": SkillMastery("rag", 0.1, 1, None),
    }
    weak = guidance.weakest_skills(scores, goal, limit=10)
    assert weak[0].skill == "llm-apis"  # no evidence at all, first of the path among the zeros
    assert [w.skill for w in weak if w.skill in scores] == ["rag", "python-engineering"]
    assert "api-design" not in [w.skill for w in weak]
    assert weak[-1].gap == pytest.approx(0.05)


def test_roadmap_items_and_the_weak_skill_note(session: Session) -> None:
    roadmaps.import_roadmap(
        session=session,
        text=ROADMAP,
        source_name="llm.md",
        start_date=date(2026, 11, 20),
        slug=None,
        now=NOW,
        zone=UTC,
    )
    set_goal(session=session, path="ai-integration-engineer", level="0-6")
    plan = guidance.what_next(session, now=NOW, zone=UTC, groups=["swe"])
    by_kind = {i.kind: i for i in plan.items}
    assert by_kind["roadmap"].title == "LLM apps roadmap: Week 1: LLM APIs and prompt design (7 days)"
    assert by_kind["roadmap"].reason.startswith("Current roadmap topic: ")
    assert by_kind["milestone"].reason == "Next open milestone: 0 of 2 checklist items done"
    assert by_kind["milestone"].url.startswith("/roadmaps/llm-apps-roadmap#item-")
    # python-engineering is the weakest skill but nothing teaches it: it is named in a note.
    assert any("`python-engineering`" in n for n in plan.notes)
    # The next weakest skill (API design) is practised by the roadmap's current topic, already listed.
    assert "also practises your weakest skill, API design" in by_kind["roadmap"].reason
    assert len({i.url for i in plan.items}) == len(plan.items)  # nothing listed twice


def test_many_due_reviews_are_capped(session: Session) -> None:
    start_ml_tracks(session, date(2026, 11, 1))
    for day in range(1, 9):
        complete(session, "ml_algorithms", day, at(day))
    plan = guidance.what_next(session, now=NOW, zone=UTC, groups=["ml_specialist"])
    assert [i.kind for i in plan.items].count("review") == guidance.MAX_REVIEWS
    assert plan.more_reviews == 8 - guidance.MAX_REVIEWS


def test_passages_never_raise_without_an_index(settings: Settings) -> None:
    found = guidance.passages_for("Attention", ["Self-attention"], settings=settings)
    assert found.hits == [] and found.note is not None and "study ingest" in found.note


def test_passages_survive_a_broken_knowledge_base(settings: Settings) -> None:
    class Broken:
        def search(self, *args: object, **kwargs: object) -> list[object]:
            raise RuntimeError("disk on fire")

    found = guidance.passages_for("Attention", settings=settings, kb=Broken())
    assert found.hits == [] and found.note == "Passages from your materials are unavailable right now."


SAMPLES = Path(__file__).parents[1] / "roadmaps" / "samples"


def import_samples(session: Session) -> list[str]:
    slugs = []
    for path in sorted(SAMPLES.glob("*.md")):
        result = roadmaps.import_roadmap(
            session=session,
            text=path.read_text(encoding="utf-8"),
            source_name=path.name,
            start_date=date(2026, 11, 2),
            slug=None,
            now=NOW,
            zone=UTC,
        )
        slugs.append(result.slug)
    return slugs


def test_todays_panel_is_capped_and_repeats_no_card(session: Session) -> None:
    """With the sample roadmaps imported and reviews due, Today's panel shows at most five
    suggestions, none of them a due review or a topic its cards already show; the rest is kept."""
    import_samples(session)
    start_ml_tracks(session, date(2026, 11, 20))
    complete(session, "ml_algorithms", 1, at(20))  # a review due, and day 2 missed
    complete(session, "ml_algorithms", 3, at(22, 8))
    set_goal(session=session, path="machine-learning-engineer", level="0-6")
    view = agenda.today_view(session, group="ml_specialist", today=NOW.date())
    plan = guidance.what_next(session, now=NOW, zone=UTC, groups=["ml_specialist"], views=[view])
    assert len(plan.items) > guidance.TODAY_ITEMS  # the full list (API, `study next`) is longer
    panel = guidance.today_panel(plan, view)
    assert 0 < len(panel.items) <= guidance.TODAY_ITEMS
    shown = panel.items + panel.more
    cards = {f"/reviews/{r.completion_id}" for r in view.reviews} | {
        f"/tracks/{t.track.slug}/days/{d}" for t in view.tracks for d in [t.day, *t.missed]
    }
    assert view.reviews and "/tracks/ml_algorithms/days/2" in cards
    assert not [i for i in shown if i.kind == "review" or i.url in cards]
    assert [i.url for i in shown] == [
        i.url for i in plan.items if i.kind != "review" and i.url not in cards
    ]  # same order, nothing lost


def test_roadmaps_are_suggested_for_the_group_they_belong_with(session: Session) -> None:
    slugs = import_samples(session)
    ml = guidance.roadmaps_for(session, ["ml_specialist"], None)
    swe = guidance.roadmaps_for(session, ["swe"], None)
    assert "week-by-week" in swe and "week-by-week" not in ml  # arrays, trees, DP
    assert "machine-learning-engineer-roadmap" in ml and "machine-learning-engineer-roadmap" not in swe
    assert "full-stack-roadmap-2025-edition" in ml & swe  # no item has a skill: shown everywhere
    assert ml | swe == set(slugs) and ml != swe
    plan = guidance.what_next(session, now=NOW, zone=UTC, groups=["ml_specialist"])
    assert {i.url.split("/")[2].split("#")[0] for i in plan.items if i.kind in ("roadmap", "milestone")} <= ml
    # Without a group (`study next`, /api/next) every roadmap is suggested.
    everything = guidance.what_next(session, now=NOW, zone=UTC)
    suggested = {
        i.url.split("/")[2].split("#")[0] for i in everything.items if i.kind in ("roadmap", "milestone")
    }
    assert suggested == set(slugs)


def test_a_goal_brings_its_roadmaps_to_every_group(session: Session) -> None:
    rag = "# RAG roadmap\n\n## Week 1: Retrieval-augmented generation (7 days)\n- Retrieval-augmented generation\n"
    roadmaps.import_roadmap(
        session=session,
        text=rag,
        source_name="rag.md",
        start_date=date(2026, 11, 20),
        slug=None,
        now=NOW,
        zone=UTC,
    )
    assert guidance.roadmaps_for(session, ["ml_specialist"], None) == set()  # no ML track teaches RAG
    set_goal(session=session, path="ai-integration-engineer", level="0-6")
    assert guidance.roadmaps_for(session, ["ml_specialist"], get_goal(session)) == {"rag-roadmap"}


def test_paused_and_hidden_tracks_are_not_suggested(session: Session, prepared: Settings) -> None:
    for track, changes in (("ml_algorithms", {"paused": True}), ("recommendations", {"hidden": True})):
        settings_store.update_track(
            session, data_dir=prepared.data_dir, track=track, changes=changes, zone=UTC, today=NOW.date()
        )
    set_goal(session=session, path="machine-learning-engineer", level="0-6")
    plan = guidance.what_next(session, now=NOW, zone=UTC, groups=["ml_specialist"])
    urls = [i.url for i in plan.items]
    assert "/tracks/ml_system_design/days/1" in urls
    assert not [u for u in urls if u.startswith(("/tracks/ml_algorithms/", "/tracks/recommendations/"))]
