"""Export and import: lossless round trip; an invalid document writes nothing."""

from __future__ import annotations

import json
from datetime import UTC, timedelta

import pytest
from sqlalchemy import func, select

from study_tracker.db.engine import session_scope
from study_tracker.db.models import Completion
from study_tracker.tracker import service, transfer
from study_tracker.tracker.errors import InvalidInput
from study_tracker.tracker.startup import prepare
from tests.conftest import TODAY, make_settings
from tests.tracker.test_service import moment


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
    return prepared


def test_round_trip_is_lossless(populated, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with session_scope(populated.db_url) as s:
        first = transfer.export_data(s, now=moment(TODAY))
    assert len(first["completions"]) == 3 and len(first["reviews"]) == 1 and len(first["undos"]) == 1

    fresh = make_settings(tmp_path / "fresh")
    prepare(fresh)
    with session_scope(fresh.db_url) as s:
        transfer.import_data(s, transfer.parse_export(json.dumps(first)))
        for group in ("swe", "ml_specialist"):
            service.reschedule(s, group=group, zone=UTC)
    with session_scope(fresh.db_url) as s:
        again = transfer.export_data(s, now=moment(TODAY))
        assert again == first
        # Schedules are derived from the imported log.
        assert service.next_review_date(s, completion_id=1) == TODAY + timedelta(days=3)


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["completions"][0].update(difficulty=9), "completions.0.difficulty"),
        (lambda d: d["reviews"][0].update(completion_id=77), "reviews.0.completion_id"),
        (lambda d: d["completions"][1].update(track="nope"), "completions.1.track"),
        (lambda d: d.update(format="something-else"), "format"),
        (
            lambda d: d["completions"][0].update(completed_at="2026-11-22T10:00:00"),
            "completions.0.completed_at",
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


def test_backup_holds_a_database_copy_and_an_export(populated) -> None:  # type: ignore[no-untyped-def]
    with session_scope(populated.db_url) as s:
        doc = transfer.export_data(s, now=moment(TODAY))
    folder = transfer.backup(
        db_url=populated.db_url, data_dir=populated.data_dir, export=doc, now=moment(TODAY)
    )
    assert (folder / "study.db").stat().st_size > 0
    assert json.loads((folder / "export.json").read_text()) == doc
    assert (folder / "ml_specialist" / "config.json").exists()
