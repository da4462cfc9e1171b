"""What next: order and reasons (reviews, track topics, roadmaps, weakest skill) and passages."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from study_tracker.coach import what_next as guidance
from study_tracker.config import Settings
from study_tracker.content.careers import get_path
from study_tracker.db.models import TrackSetting
from study_tracker.roadmaps import service as roadmaps
from study_tracker.skills.goal import set_goal
from study_tracker.skills.mastery import SkillMastery
from study_tracker.tracker import service

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
