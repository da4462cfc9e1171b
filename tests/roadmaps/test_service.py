"""Roadmap services on a real SQLite file: import, re-import keeping progress, ticks, guidance."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from study_tracker.config import Settings
from study_tracker.db.models import ItemEvent, Roadmap, RoadmapItem
from study_tracker.errors import NotFound, RoadmapError
from study_tracker.roadmaps import library, progress, reading, service
from tests.conftest import TODAY

SAMPLES = Path(__file__).parent / "samples"
NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
START = date(2026, 11, 2)
ML = "machine-learning-engineer-roadmap"
HOUSE = "phase-2-ml-fundamentals/project-house-price-predictor"
NUMPY = "phase-1-python-and-maths-foundations/finish-20-numpy-exercises"
JUPYTER = "phase-1-python-and-maths-foundations/set-up-a-python-environment-with-jupyter"


def load(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def imp(session, text: str, *, name: str = "ml-phases.md", start: date | None = START, slug=None, now=NOW):  # type: ignore[no-untyped-def]
    return service.import_roadmap(
        session=session, text=text, source_name=name, start_date=start, slug=slug, now=now, zone=UTC
    )


def tick(session, key: str, done: bool | None = True, link: str | None = None, slug: str = ML, at=NOW):  # type: ignore[no-untyped-def]
    return service.set_item(session=session, slug=slug, key=key, done=done, link=link, now=at, zone=UTC)


def test_import_creates_dated_topics_milestones_and_tasks(session) -> None:  # type: ignore[no-untyped-def]
    result = imp(session, load("ml-phases.md"))
    assert result.created and result.slug == ML
    assert result.counts == {
        "topics": 3,
        "subtopics": 10,
        "milestones": 2,
        "tasks": 9,
        "resources": 3,
        "removed": 0,
    }
    view = service.roadmap_view(session=session, slug=ML, today=TODAY)
    dates = [(t.item.start, t.item.end, t.state) for t in view.topics]
    assert dates == [
        (date(2026, 11, 2), date(2026, 11, 22), "current"),  # weeks 1-3
        (date(2026, 11, 23), date(2026, 12, 20), "upcoming"),  # weeks 4-7
        (date(2026, 12, 21), date(2027, 1, 24), "upcoming"),  # weeks 8-12
    ]
    assert view.end_date == date(2027, 1, 24)
    assert [m.topic_title for m in view.milestones] == [view.topics[1].item.title, view.topics[2].item.title]
    assert [label for label, _ in view.milestones[0].groups] == ["Steps", "Deliverables"]
    # [x] in the file counts as done; nothing else yet.
    assert (view.done, view.total) == (1, 14)
    assert "attention" in view.topics[2].item.skills and "cnns" in view.topics[2].item.skills


def test_months_levels_follow_the_calendar(session) -> None:  # type: ignore[no-untyped-def]
    imp(session, load("levels-months.md"), name="levels-months.md", start=date(2026, 1, 31))
    view = service.roadmap_view(session=session, slug="data-engineering-career-ladder", today=TODAY)
    assert [(t.item.start, t.item.end) for t in view.topics] == [
        (date(2026, 1, 31), date(2026, 7, 30)),
        (date(2026, 7, 31), date(2027, 1, 30)),
        (date(2027, 1, 31), date(2027, 7, 30)),
    ]


def test_lengths_chain_across_units(session) -> None:  # type: ignore[no-untyped-def]
    imp(session, load("bold-pseudo.md"), name="bold-pseudo.md", start=date(2026, 3, 2))
    view = service.roadmap_view(session=session, slug="bold-pseudo", today=TODAY)
    assert [(t.item.start, t.item.end) for t in view.topics] == [
        (date(2026, 3, 2), date(2026, 3, 15)),  # 2 weeks
        (date(2026, 3, 16), date(2026, 4, 5)),  # 3 weeks
        (date(2026, 4, 6), date(2026, 5, 5)),  # ~1 month, after the weeks
    ]


def test_undated_roadmap_topics_are_ordered_without_dates(session) -> None:  # type: ignore[no-untyped-def]
    imp(session, load("course-outline.md"), name="course-outline.md")
    view = service.roadmap_view(session=session, slug="practical-sql-for-analysts", today=TODAY)
    assert [t.state for t in view.topics] == ["open"] * 4 and all(t.item.start is None for t in view.topics)
    (nxt,) = [n for n in progress.next_items(session=session, today=TODAY) if n.kind == "topic"]
    assert nxt.title == "1. Getting started" and nxt.reason == "next open topic in order"


def test_reimport_of_an_edited_file_keeps_progress(session) -> None:  # type: ignore[no-untyped-def]
    text = load("ml-phases.md")
    imp(session, text)
    tick(session, NUMPY)
    tick(session, HOUSE, done=None, link="https://github.com/me/house")
    edited = (
        text.replace("(Weeks 4-7)", "(Weeks 4-8)")  # a changed duration keeps the key
        .replace("(Weeks 8-12)", "(Weeks 9-13)")
        .replace("- [ ] Publish the model card\n", "")  # an item removed
        .replace(
            "2. Train a baseline linear model\n", "2. Train a baseline linear model\n3. Tune it\n"
        )  # added
    )
    result = imp(session, edited, start=None, now=NOW + timedelta(days=1))
    assert not result.created and result.counts["removed"] == 1 and result.start_date == START
    view = service.roadmap_view(session=session, slug=ML, today=TODAY)
    assert view.topics[1].item.end == date(2026, 12, 27)
    assert view.topics[0].tasks[0].title == "Finish 20 NumPy exercises" and view.topics[0].tasks[0].done
    assert view.milestones[0].item.link == "https://github.com/me/house"
    assert "Tune it" in [t.title for t in view.milestones[0].tasks]
    assert view.removed == 1
    # The removed item's row is kept (flagged), so its progress returns with it.
    assert session.scalar(select(func.count()).select_from(RoadmapItem).where(RoadmapItem.removed)) == 1
    assert session.scalar(select(func.count()).select_from(Roadmap)) == 1
    # Importing the same text again changes nothing.
    again = imp(session, edited, start=None, now=NOW + timedelta(days=2))
    assert again.unchanged


def test_a_checkbox_changed_in_the_file_applies_but_user_ticks_survive_unchanged_ones(session) -> None:  # type: ignore[no-untyped-def]
    text = load("ml-phases.md")
    imp(session, text)
    tick(session, JUPYTER, done=False, at=NOW + timedelta(hours=1))  # user unticks a file [x]
    tick(session, NUMPY, done=True, at=NOW + timedelta(hours=1))
    # Edit: NumPy is now [x] in the file (already done by the user), Jupyter still [x] (unchanged).
    edited = text.replace("- [ ] Finish 20 NumPy exercises", "- [x] Finish 20 NumPy exercises")
    imp(session, edited, now=NOW + timedelta(hours=2))
    view = service.roadmap_view(session=session, slug=ML, today=TODAY)
    states = {t.title: t.done for t in view.topics[0].tasks}
    assert states == {"Finish 20 NumPy exercises": True, "Set up a Python environment with Jupyter": False}
    # Now the file unticks NumPy: that change applies, as a file event.
    imp(session, text, now=NOW + timedelta(hours=3))
    view = service.roadmap_view(session=session, slug=ML, today=TODAY)
    assert not view.topics[0].tasks[0].done
    sources = session.scalars(
        select(ItemEvent.source).where(ItemEvent.item_key == NUMPY).order_by(ItemEvent.id)
    ).all()
    assert sources == ["user", "file", "file"]


def test_milestone_done_by_its_checklist_or_its_own_tick(session) -> None:  # type: ignore[no-untyped-def]
    imp(session, load("projects.md"), name="projects.md")
    slug = "portfolio-projects-for-an-ml-engineer"
    (board,) = progress.milestone_progress(session=session)
    rec = board.milestones[1]
    assert rec.state == "in_progress" and rec.progress == pytest.approx(1 / 5)
    for t in rec.tasks:
        tick(session, t.key, slug=slug)
    tick(session, "capstone-end-to-end-rag-assistant", slug=slug)
    (board,) = progress.milestone_progress(session=session)
    assert [m.state for m in board.milestones] == ["open", "done", "done"]
    assert (board.done, board.total) == (2, 3)
    tick(session, "capstone-end-to-end-rag-assistant", done=False, slug=slug, at=NOW + timedelta(minutes=1))
    assert progress.milestone_progress(session=session)[0].milestones[2].state == "open"


def test_next_items_current_topic_and_its_milestone(session) -> None:  # type: ignore[no-untyped-def]
    imp(session, load("ml-phases.md"))
    topic, milestone = progress.next_items(session=session, today=date(2026, 11, 25))
    assert topic.kind == "topic" and topic.key == "phase-2-ml-fundamentals"
    assert topic.reason == "scheduled now: day 3 of 28, until 2026-12-20"
    assert milestone.key == HOUSE and milestone.reason == "0 of 5 checklist items done"
    assert milestone.url == f"/roadmaps/{ML}#item-{HOUSE}"
    # Phase 1 was never finished: after its end it is overdue and comes first.
    tick(session, "phase-2-ml-fundamentals")
    topic, _ = progress.next_items(session=session, today=date(2026, 11, 25))
    assert topic.key == "phase-1-python-and-maths-foundations" and topic.reason.startswith("overdue")


def test_items_for_skills(session) -> None:  # type: ignore[no-untyped-def]
    imp(session, load("ml-phases.md"))
    found = progress.items_for_skills(session=session, skills=["cnns"])
    assert {(f.kind, f.key) for f in found} >= {
        ("topic", "phase-3-deep-learning"),
        ("milestone", "phase-3-deep-learning/project-image-classifier"),
    }
    assert all("cnns" in f.reason for f in found)
    tick(session, "phase-3-deep-learning")
    assert ("topic", "phase-3-deep-learning") not in {
        (f.kind, f.key) for f in progress.items_for_skills(session=session, skills=["cnns"])
    }
    assert progress.items_for_skills(session=session, skills=["no-such-skill"]) == []


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("Just prose.\n\nMore prose.", "file", "no roadmap structure"),
        ("```\n## Phase 1 (Weeks 1-2)\n- [ ] task\n```", "file", "no roadmap structure"),
        ("## Resources\n\n- [x](https://example.org)", "file", "no roadmap structure"),
    ],
)
def test_no_structure_is_a_clear_error_and_writes_nothing(session, text, field, words) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RoadmapError) as info:
        imp(session, text, name="notes.md")
    assert (
        info.value.errors[0].field == field
        and words in info.value.message
        and "notes.md" in info.value.message
    )
    assert session.scalar(select(func.count()).select_from(Roadmap)) == 0


@pytest.mark.parametrize("slug", ["Has Spaces", "-leading", "x" * 65, "ünï"])
def test_bad_slug(session, slug) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RoadmapError) as info:
        imp(session, load("ml-phases.md"), slug=slug)
    assert info.value.errors[0].field == "slug"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "is empty"),
        (b"   \n", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
    ],
)
def test_decode_upload_refuses(data: bytes, words: str) -> None:
    with pytest.raises(RoadmapError) as info:
        reading.decode_upload(data, name="plan.md")
    assert (
        words in info.value.message
        and "plan.md" in info.value.message
        and info.value.errors[0].field == "file"
    )


def test_decode_upload_reads_utf8_bom_utf16_and_cp1252() -> None:
    assert reading.decode_upload("\ufeff# Plan".encode(), name="a") == "# Plan"
    assert reading.decode_upload("# Plan – é".encode("utf-16"), name="a") == "# Plan – é"
    assert reading.decode_upload("# Caf\u00e9".encode("cp1252"), name="a") == "# Café"


@pytest.mark.parametrize(
    ("key", "done", "link", "error", "field"),
    [
        (NUMPY, None, None, RoadmapError, "done"),
        (HOUSE, None, "ftp://example.org/x", RoadmapError, "link"),
        (HOUSE, None, "javascript:alert(1)", RoadmapError, "link"),
        (HOUSE, None, "https://exa mple.org", RoadmapError, "link"),
        (HOUSE, None, "https://" + "a" * 2000 + ".org", RoadmapError, "link"),
        ("deep-learning-course-notes-free-lecture-notes", True, None, RoadmapError, "done"),
        ("no/such/item", True, None, NotFound, None),
    ],
)
def test_set_item_refuses_bad_input_and_writes_nothing(session, key, done, link, error, field) -> None:  # type: ignore[no-untyped-def]
    imp(session, load("ml-phases.md"))
    with pytest.raises(error) as info:
        tick(session, key, done=done, link=link)
    if field:
        assert info.value.errors[0].field == field
    assert session.scalar(select(func.count()).select_from(ItemEvent)) == 0


def test_unknown_roadmap_is_not_found(session) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFound):
        service.roadmap_view(session=session, slug="nope", today=TODAY)


def test_link_can_be_cleared(session) -> None:  # type: ignore[no-untyped-def]
    imp(session, load("ml-phases.md"))
    assert tick(session, HOUSE, done=None, link=" https://example.org/x ").link == "https://example.org/x"
    assert tick(session, HOUSE, done=None, link="", at=NOW + timedelta(seconds=1)).link is None


def test_the_document_goes_to_the_knowledge_base(prepared, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from study_tracker.knowledge.search.knowledge_base import KnowledgeBase
    from tests.knowledge.kb_helpers import WordHashEncoder

    text = load("ml-phases.md")
    path = library.save_copy(data_dir=prepared.data_dir, slug=ML, text=text)
    assert path == prepared.data_dir / "roadmaps" / f"{ML}.md" and path.read_text(encoding="utf-8") == text
    report = library.ingest_now(path, settings=prepared, encoder=WordHashEncoder())
    assert report.files_new == 1 and report.chunks_total > 0
    kb = KnowledgeBase.open(prepared, encoder=WordHashEncoder())
    hit = kb.search("house price predictor deliverables", mode="bm25", k=1)[0]
    assert hit.source == str(path)


# --- start date and removal --------------------------------------------------------------------
DEC1 = date(2026, 12, 1)


def _dated(view: service.RoadmapView) -> dict[str, tuple[date, date]]:
    """Every dated item on the page: topics, their subtopics and milestones."""
    items = [t.item for t in view.topics] + [s for t in view.topics for s in t.subtopics]
    items += [m.item for m in view.milestones]
    return {i.key: (i.start, i.end) for i in items if i.start is not None and i.end is not None}


def test_set_start_date_moves_every_dated_item_by_the_same_delta(session) -> None:  # type: ignore[no-untyped-def]
    text = load("ml-phases.md")
    imp(session, text)
    tick(session, NUMPY)
    before = service.roadmap_view(session=session, slug=ML, today=TODAY)

    def states(today: date) -> list[str]:
        return [t.state for t in service.roadmap_view(session=session, slug=ML, today=today).topics]

    assert states(DEC1) == ["done", "current", "upcoming"]
    later = NOW + timedelta(days=1)
    roadmap = service.set_start_date(session=session, slug=ML, start_date=date(2027, 1, 4), now=later)
    assert roadmap.start_date == date(2027, 1, 4) and roadmap.updated_at == later
    after = service.roadmap_view(session=session, slug=ML, today=TODAY)
    delta = date(2027, 1, 4) - START
    moved = _dated(after)
    assert len(moved) == len(_dated(before)) >= 3
    assert moved == {k: (s + delta, e + delta) for k, (s, e) in _dated(before).items()}
    assert after.end_date == before.end_date + delta  # type: ignore[operator]
    assert (after.done, after.total) == (before.done, before.total)  # progress untouched
    # Phase 2, under way on 1 December before the move, now starts in February (Phase 1 is ticked).
    assert states(DEC1) == ["done", "upcoming", "upcoming"]
    # A re-import without a start date keeps the moved one.
    assert imp(session, text, start=None, now=later + timedelta(days=1)).start_date == date(2027, 1, 4)


@pytest.mark.parametrize(
    ("slug", "value", "error", "field"),
    [
        ("nope", date(2027, 1, 4), NotFound, None),
        (ML, "2027-01-04", RoadmapError, "start_date"),
        (ML, datetime(2027, 1, 4, tzinfo=UTC), RoadmapError, "start_date"),
        (ML, date(9999, 12, 1), RoadmapError, "start_date"),  # the plan would end after 9999-12-31
    ],
    ids=["unknown-slug", "string", "datetime", "overflow"],
)
def test_set_start_date_refuses_and_changes_nothing(session, slug, value, error, field) -> None:  # type: ignore[no-untyped-def]
    imp(session, load("ml-phases.md"))
    with pytest.raises(error) as info:
        service.set_start_date(session=session, slug=slug, start_date=value, now=NOW)
    if field:
        assert info.value.errors[0].field == field
    assert session.scalar(select(Roadmap.start_date).where(Roadmap.slug == ML)) == START


def _rows(session, roadmap_id: int) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    def count(model, column) -> int:  # type: ignore[no-untyped-def]
        return session.scalar(select(func.count()).select_from(model).where(column == roadmap_id))

    return (
        count(Roadmap, Roadmap.id),
        count(RoadmapItem, RoadmapItem.roadmap_id),
        count(ItemEvent, ItemEvent.roadmap_id),
    )


def test_delete_removes_the_roadmap_its_items_and_events_only(session) -> None:  # type: ignore[no-untyped-def]
    imp(session, load("ml-phases.md"))
    imp(session, load("projects.md"), name="projects.md", slug="portfolio")
    tick(session, NUMPY)
    tick(session, "project-2-recommendation-engine", slug="portfolio")
    ml_id = session.scalar(select(Roadmap.id).where(Roadmap.slug == ML))
    other_id = session.scalar(select(Roadmap.id).where(Roadmap.slug == "portfolio"))
    other_before = _rows(session, other_id)
    assert _rows(session, ml_id)[1:] > (0, 0) and other_before[1:] > (0, 0)

    service.delete_roadmap(session=session, slug=ML)
    session.commit()
    session.expire_all()
    assert _rows(session, ml_id) == (0, 0, 0)  # cascaded by the database
    assert _rows(session, other_id) == other_before
    assert [r.slug for r in service.list_roadmaps(session=session)] == ["portfolio"]
    assert service.roadmap_view(session=session, slug="portfolio", today=TODAY).done == 2
    with pytest.raises(NotFound):
        service.roadmap_view(session=session, slug=ML, today=TODAY)
    with pytest.raises(NotFound):
        service.delete_roadmap(session=session, slug=ML)
    # The slug is free again: a new import starts from scratch.
    again = imp(session, load("ml-phases.md"), now=NOW + timedelta(days=1))
    assert again.created and service.roadmap_view(session=session, slug=ML, today=TODAY).done == 1


def test_remove_copy_takes_the_document_out_of_the_knowledge_base(prepared) -> None:  # type: ignore[no-untyped-def]
    from study_tracker.knowledge.ingest.sources import list_sources
    from study_tracker.knowledge.search.knowledge_base import KnowledgeBase
    from tests.knowledge.kb_helpers import WordHashEncoder

    path = library.save_copy(data_dir=prepared.data_dir, slug=ML, text=load("ml-phases.md"))
    library.ingest_now(path, settings=prepared, encoder=WordHashEncoder())
    assert str(path) in [s.path for s in list_sources(prepared)]

    assert library.remove_copy(settings=prepared, slug=ML) is True
    assert not path.exists() and str(path) not in [s.path for s in list_sources(prepared)]
    kb = KnowledgeBase.open(prepared, encoder=WordHashEncoder())
    assert all(h.source != str(path) for h in kb.search("house price predictor", mode="bm25", k=20))


def test_remove_copy_of_a_document_never_indexed(prepared) -> None:  # type: ignore[no-untyped-def]
    path = library.save_copy(data_dir=prepared.data_dir, slug="notes", text="# Notes\n- [ ] a task\n")
    assert library.remove_copy(settings=prepared, slug="notes") is False
    assert not path.exists()
    assert library.remove_copy(settings=prepared, slug="notes") is False  # nothing left: still fine


@pytest.mark.postgres
def test_delete_cascades_on_postgres(pg_settings: Settings) -> None:
    from study_tracker.db.engine import session_scope
    from study_tracker.tracker.startup import prepare

    settings = pg_settings

    prepare(settings)
    with session_scope(settings.db_url) as s:
        imp(s, load("ml-phases.md"))
        imp(s, load("projects.md"), name="projects.md", slug="portfolio")
        tick(s, NUMPY)
        ml_id = s.scalar(select(Roadmap.id).where(Roadmap.slug == ML))
        other_id = s.scalar(select(Roadmap.id).where(Roadmap.slug == "portfolio"))
        other_before = _rows(s, other_id)
    with session_scope(settings.db_url) as s:
        service.delete_roadmap(session=s, slug=ML)
    with session_scope(settings.db_url) as s:
        assert _rows(s, ml_id) == (0, 0, 0) and _rows(s, other_id) == other_before
