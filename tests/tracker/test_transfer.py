"""Export and import: lossless round trip; an invalid document writes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from study_tracker.db.engine import session_scope
from study_tracker.db.models import (
    Completion,
    DrillResult,
    DrillSession,
    ItemEvent,
    QuestionOutcome,
    ReviewLog,
    Roadmap,
    RoadmapItem,
    TrackSetting,
)
from study_tracker.errors import InvalidInput
from study_tracker.roadmaps import service as roadmaps
from study_tracker.tracker import agenda, backups, service, settings_store, transfer
from study_tracker.tracker.startup import prepare
from tests.conftest import TODAY, make_settings
from tests.tracker.test_service import moment

SAMPLES = __import__("pathlib").Path(__file__).parents[1] / "roadmaps" / "samples"


@pytest.fixture
def populated(prepared):  # type: ignore[no-untyped-def]
    with session_scope(prepared.db_url) as s:
        a = service.complete_topic(
            session=s,
            track="ml_algorithms",
            day=1,
            difficulty=4,
            notes="**tricky** ✓",
            now=moment(TODAY),
            zone=UTC,
        )
        service.complete_topic(
            session=s, track="system_design", day=1, difficulty=2, notes="", now=moment(TODAY, 11), zone=UTC
        )
        service.log_review(
            session=s,
            completion_id=a.id,
            rating=2,
            notes="again soon",
            now=moment(TODAY + timedelta(days=1)),
            zone=UTC,
        )
        service.complete_topic(
            session=s,
            track="recommendations",
            day=1,
            difficulty=3,
            notes="",
            now=moment(TODAY + timedelta(days=1), 12),
            zone=UTC,
        )
        service.undo_last(
            session=s, group="ml_specialist", now=moment(TODAY + timedelta(days=1), 13), zone=UTC
        )
        # Track settings of version 3: a paused track (with days paused before) and a hidden one.
        for track, changes in (
            ("system_design", {"paused": True}),
            ("coding_patterns", {"start_date": "2026-11-01", "hidden": True, "paused": False}),
        ):
            settings_store.update_track(
                s, data_dir=prepared.data_dir, track=track, changes=changes, zone=UTC, today=TODAY
            )
        s.get(TrackSetting, "system_design").paused_days = 2  # type: ignore[union-attr]
        # Roadmaps: an import, a re-import that removed an item, ticks and a deliverable link.
        text = (SAMPLES / "ml-phases.md").read_text(encoding="utf-8")
        r = roadmaps.import_roadmap(
            session=s,
            text=text,
            source_name="ml-phases.md",
            start_date=TODAY,
            slug=None,
            now=moment(TODAY),
            zone=UTC,
        )
        key = "phase-1-python-and-maths-foundations/finish-20-numpy-exercises"
        roadmaps.set_item(
            session=s, slug=r.slug, key=key, done=True, link=None, now=moment(TODAY, 12), zone=UTC
        )
        milestone = "phase-2-ml-fundamentals/project-house-price-predictor"
        roadmaps.set_item(
            session=s,
            slug=r.slug,
            key=milestone,
            done=None,
            link="https://example.org/house",
            now=moment(TODAY, 13),
            zone=UTC,
        )
        roadmaps.import_roadmap(
            session=s,
            text=text.replace("- [x] Set up a Python environment with Jupyter\n", ""),
            source_name="ml-phases.md",
            start_date=None,
            slug=None,
            now=moment(TODAY, 14),
            zone=UTC,
        )
        # Drill rows as the drill service writes them (one session, one graded answer).
        drill = DrillSession(
            group="ml_specialist",
            filters={"track": "ml_algorithms"},
            time_limit_s=600,
            questions=[{"track": "ml_algorithms", "day": 1, "index": 0}],
            started_at=moment(TODAY, 15),
            ended_at=moment(TODAY, 16),
        )
        s.add(drill)
        s.flush()
        result = DrillResult(
            session_id=drill.id,
            track="ml_algorithms",
            day=1,
            question_index=0,
            skills=["neural-networks"],
            grade=3,
            seconds=95,
            answered_at=moment(TODAY, 15),
            local_date=TODAY,
        )
        s.add(result)
        s.flush()
        # Card-loop outcomes (version 4): one of the review logged above, one of the drill answer.
        review_id = s.scalar(select(func.min(ReviewLog.id)))
        for link, answer, grader in (
            ({"review_id": review_id}, "Gradients vanish <b>through</b> sigmoids ✓", "offline"),
            ({"drill_result_id": result.id}, "", "none"),
        ):
            s.add(
                QuestionOutcome(
                    **link,
                    position=0,
                    track="ml_algorithms",
                    day=1,
                    question_index=0,
                    skills=["neural-networks"],
                    answer=answer,
                    key_points=4,
                    covered=[0, 2] if answer else [],
                    contradicted=[1] if answer else [],
                    suggested=2 if answer else None,
                    grade=3,
                    grader=grader,
                    answered_at=moment(TODAY, 15),
                    local_date=TODAY,
                )
            )
    return prepared


def test_round_trip_is_lossless(populated, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with session_scope(populated.db_url) as s:
        first = transfer.export_data(s, now=moment(TODAY))
    assert len(first["completions"]) == 3 and len(first["reviews"]) == 1 and len(first["undos"]) == 1
    assert first["version"] == 4 and len(first["question_outcomes"]) == 2
    assert (
        first["question_outcomes"][0]["covered"] == [0, 2]
        and first["question_outcomes"][1]["grader"] == "none"
    )
    assert len(first["roadmaps"]) == 1 and len(first["item_events"]) == 2
    tracks = {t["track"]: t for t in first["tracks"]}
    assert tracks["system_design"] == {
        "track": "system_design",
        "group": "swe",
        "start_date": TODAY.isoformat(),  # started by its completion
        "acceleration_days": 0,
        "paused_since": TODAY.isoformat(),
        "paused_days": 2,
        "hidden": False,
    }
    assert tracks["coding_patterns"]["hidden"] is True
    assert tracks["ml_system_design"]["start_date"] is None  # never used: not started
    assert sum(i["removed"] for i in first["roadmap_items"]) == 1
    assert len(first["drill_sessions"]) == 1 and len(first["drill_results"]) == 1

    fresh = make_settings(tmp_path / "fresh")
    prepare(fresh)
    with session_scope(fresh.db_url) as s:
        transfer.import_data(s, transfer.parse_export(json.dumps(first)))
        for group in ("swe", "ml_specialist"):
            service.reschedule(s, group=group, zone=UTC)
    with session_scope(fresh.db_url) as s:
        again = transfer.export_data(s, now=moment(TODAY))
        assert again == first
        ml = agenda.today_view(s, group="swe", today=TODAY + timedelta(days=5))
        # Paused on its first day, with the 2 paused days set above taken off: the count stands still.
        assert [(t.track.slug, t.day, t.status) for t in ml.tracks] == [("system_design", -1, "paused")]
        # Schedules are derived from the imported log.
        assert agenda.next_review_date(s, completion_id=1) == TODAY + timedelta(days=3)
        # Roadmap progress is back as it was.
        view = roadmaps.roadmap_view(session=s, slug=first["roadmaps"][0]["slug"], today=TODAY)
        links = [m.item.link for m in view.milestones]
        assert "https://example.org/house" in links and view.removed == 1
        assert view.topics[0].tasks[0].done


def test_version_1_documents_still_import(populated, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with session_scope(populated.db_url) as s:
        doc = transfer.export_data(s, now=moment(TODAY))
    old = {
        k: v
        for k, v in doc.items()
        if k
        not in (
            "roadmaps",
            "roadmap_items",
            "item_events",
            "drill_sessions",
            "drill_results",
            "question_outcomes",
        )
    }
    old["version"] = 1
    old["tracks"] = [
        {"track": t["track"], "group": t["group"], "start_date": "2026-11-22", "acceleration_days": 0}
        for t in doc["tracks"]
    ]
    fresh = make_settings(tmp_path / "fresh")
    prepare(fresh)
    with session_scope(fresh.db_url) as s:
        counts = transfer.import_data(s, transfer.parse_export(json.dumps(old)))
    assert counts["completions"] == 3 and counts["roadmaps"] == 0
    with session_scope(fresh.db_url) as s:
        assert s.scalar(select(func.count()).select_from(Roadmap)) == 0
        assert transfer.has_history(s)


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["completions"][0].update(difficulty=9), "completions[0].difficulty"),
        (lambda d: d["reviews"][0].update(completion_id=77), "reviews[0].completion_id"),
        (lambda d: d["completions"][1].update(track="nope"), "completions[1].track"),
        (lambda d: d.update(format="something-else"), "format"),
        (lambda d: d["roadmap_items"][0].update(roadmap_id=99), "roadmap_items[0].roadmap_id"),
        (lambda d: d["roadmap_items"][0].update(kind="chapter"), "roadmap_items[0].kind"),
        (lambda d: d["item_events"][0].update(roadmap_id=5), "item_events[0].roadmap_id"),
        (lambda d: d["item_events"][0].update(source="robot"), "item_events[0].source"),
        (lambda d: d["roadmaps"][0].update(slug="Not A Slug"), "roadmaps[0].slug"),
        (lambda d: d["roadmap_items"][1].update(key=d["roadmap_items"][0]["key"]), "roadmap_items[1].key"),
        (lambda d: d["drill_results"][0].update(session_id=42), "drill_results[0].session_id"),
        (lambda d: d["drill_results"][0].update(grade=7), "drill_results[0].grade"),
        (lambda d: d.update(version=1), "version"),
        (lambda d: d["tracks"][0].update(paused_days=-1), "tracks[0].paused_days"),
        (lambda d: d.update(version=5), "version"),
        (lambda d: d.update(version=3), "version"),  # outcomes need version 4
        (lambda d: d["question_outcomes"][0].update(review_id=99), "question_outcomes[0].review_id"),
        (
            lambda d: d["question_outcomes"][1].update(drill_result_id=9),
            "question_outcomes[1].drill_result_id",
        ),
        (lambda d: d["question_outcomes"][0].update(drill_result_id=1), "question_outcomes[0]"),
        (lambda d: d["question_outcomes"][0].update(covered=[4]), "question_outcomes[0].covered"),
        (lambda d: d["question_outcomes"][0].update(answer="x" * 8_001), "question_outcomes[0].answer"),
        (lambda d: d["question_outcomes"][0].update(grader="oracle"), "question_outcomes[0].grader"),
        (
            lambda d: d["completions"][0].update(completed_at="2026-11-22T10:00:00"),
            "completions[0].completed_at",
        ),
    ],
)
def test_invalid_import_names_the_field_and_writes_nothing(populated, mutate, field) -> None:  # type: ignore[no-untyped-def]
    with session_scope(populated.db_url) as s:
        doc = transfer.export_data(s, now=moment(TODAY))
    mutate(doc)
    with pytest.raises(InvalidInput) as info:
        transfer.parse_export(json.dumps(doc))
    assert field in info.value.message
    with session_scope(populated.db_url) as s:
        assert s.scalar(select(func.count()).select_from(Completion)) == 3
        assert s.scalar(select(func.count()).select_from(RoadmapItem)) > 20
        assert s.scalar(select(func.count()).select_from(ItemEvent)) == 2


def test_backup_holds_a_database_copy_and_an_export(populated) -> None:  # type: ignore[no-untyped-def]
    folder = backups.make_backup(populated, kind="manual").backup.path
    assert (folder / "study.db").stat().st_size > 0
    doc = json.loads((folder / "export.json").read_text())
    with session_scope(populated.db_url) as s:
        assert doc == transfer.export_data(s, now=datetime.fromisoformat(doc["exported_at"]))
    assert (folder / "ml_specialist" / "config.json").exists()


def test_version_2_documents_import_with_unused_tracks_not_started(populated, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Before version 3 every track had a start date from install day: as the database migration
    does, tracks without a live completion become not started; the others keep their day."""
    with session_scope(populated.db_url) as s:
        doc = transfer.export_data(s, now=moment(TODAY + timedelta(days=9)))
    doc["version"] = 2
    del doc["question_outcomes"]
    install_day = (TODAY - timedelta(days=7)).isoformat()
    future = (TODAY + timedelta(days=30)).isoformat()
    starts = {"ml_system_design": future}
    doc["tracks"] = [
        {
            "track": t["track"],
            "group": t["group"],
            "start_date": starts.get(t["track"], install_day),
            "acceleration_days": 0,
        }
        for t in doc["tracks"]
    ]
    fresh = make_settings(tmp_path / "fresh")
    prepare(fresh)
    with session_scope(fresh.db_url) as s:
        transfer.import_data(s, transfer.parse_export(json.dumps(doc)))
    with session_scope(fresh.db_url) as s:
        got = {t.track: t.start_date for t in s.scalars(select(TrackSetting))}
    # ml_algorithms and system_design have live completions; recommendations' was undone.
    assert got == {
        "ml_algorithms": TODAY - timedelta(days=7),
        "system_design": TODAY - timedelta(days=7),
        "ml_system_design": TODAY + timedelta(days=30),  # a planned start is kept
        "recommendations": None,
        "coding_patterns": None,
    }
