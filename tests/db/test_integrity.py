"""The database enforces the log's invariants (SQLite here; tests/tracker/test_postgres.py does the
same on PostgreSQL), and migration 0004 repairs a log that an older version's race left doubled."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from study_tracker.db.backup import list_backups
from study_tracker.db.engine import (
    HEAD_REVISION,
    MIGRATIONS,
    current_revision,
    get_engine,
    session_factory,
    session_scope,
)
from study_tracker.db.models import Completion, ReviewLog, ScheduledReview, Undo
from study_tracker.db.slots import CompletionEntry, completion_slots
from study_tracker.tracker import service
from study_tracker.tracker.startup import prepare
from tests.conftest import TODAY, make_settings


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


ROW = {"group": "ml_specialist", "track": "ml_algorithms", "day": 1, "difficulty": 3, "notes": ""}


def test_sqlite_refuses_a_second_completion_slot_review_slot_and_undo(session) -> None:  # type: ignore[no-untyped-def]
    c = service.complete_topic(
        session=session, track="ml_algorithms", day=1, difficulty=3, notes="", now=at(TODAY), zone=UTC
    )
    session.commit()
    url = str(session.get_bind().url)
    cases = [
        [Completion(**ROW, completed_at=at(TODAY, 11), local_date=TODAY, slot=c.slot)],
        [
            ReviewLog(**_review(c.id), slot=f"{c.id}:0"),
            ReviewLog(**_review(c.id), slot=f"{c.id}:0"),
        ],
        [Undo(completion_id=c.id, undone_at=at(TODAY)), Undo(completion_id=c.id, undone_at=at(TODAY))],
    ]
    for rows in cases:
        with pytest.raises(IntegrityError), session_factory(url)() as s:
            s.add_all(rows)
            s.flush()
    with session_factory(url)() as s:  # NULL slots (undone entries, earlier runs) never collide
        s.add_all([Completion(**ROW, completed_at=at(TODAY), local_date=TODAY, slot=None) for _ in range(2)])
        s.commit()


def _review(completion_id: int) -> dict[str, object]:
    return {
        "completion_id": completion_id,
        "group": "ml_specialist",
        "step": 0,
        "interval_days": 1,
        "due_date": TODAY,
        "rating": 3,
        "notes": "",
        "reviewed_at": at(TODAY, 12),
        "local_date": TODAY,
    }


def test_slots_keep_the_earliest_and_leave_earlier_runs_and_undone_entries_free() -> None:
    e = [
        CompletionEntry(3, "ml_algorithms", 1, TODAY, at(TODAY, 12)),
        CompletionEntry(1, "ml_algorithms", 1, TODAY, at(TODAY, 10)),
        CompletionEntry(2, "ml_algorithms", 1, TODAY, at(TODAY, 11)),  # undone
        CompletionEntry(4, "ml_algorithms", 1, TODAY - timedelta(days=40), at(TODAY - timedelta(days=40))),
    ]
    slots = completion_slots(e, undone={2}, run_starts={"ml_algorithms": TODAY - timedelta(days=3)})
    assert slots.by_id == {1: f"ml_algorithms:1:{TODAY - timedelta(days=3)}", 2: None, 3: None, 4: None}
    assert slots.duplicates == [(3, 1)]


def _at_revision_0002(url: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with get_engine(url).begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")


def test_migration_0004_keeps_the_earliest_of_doubled_entries_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path / "data")
    settings.data_dir.mkdir()
    url = settings.db_url
    _at_revision_0002(url)
    yesterday = TODAY - timedelta(days=1)
    stamp = "%Y-%m-%d %H:%M:%S.000000"
    with get_engine(url).begin() as conn:
        conn.execute(
            text(
                "INSERT INTO track_settings VALUES ('ml_algorithms', 'ml_specialist', :d, 0), "
                "('system_design', 'swe', :d, 0)"
            ),
            {"d": str(yesterday)},
        )
        # What the old race left: day 1 completed three times, the first one's review logged four times.
        for i, hour in enumerate((9, 9, 10), start=1):
            conn.execute(
                text(
                    'INSERT INTO completions (id, "group", track, day, difficulty, notes, completed_at, local_date) '
                    "VALUES (:id, 'ml_specialist', 'ml_algorithms', 1, 3, '', :at, :d)"
                ),
                {"id": i, "at": at(yesterday, hour).strftime(stamp), "d": str(yesterday)},
            )
        for i in range(1, 5):
            conn.execute(
                text(
                    'INSERT INTO review_logs (id, completion_id, "group", step, interval_days, due_date, rating, '
                    "notes, reviewed_at, local_date) VALUES (:id, 1, 'ml_specialist', 0, 1, :due, 3, '', :at, :due)"
                ),
                {"id": i, "due": str(TODAY), "at": at(TODAY, 8).strftime(stamp)},
            )
    get_engine(url).dispose()
    assert current_revision(url) == "0002"

    with caplog.at_level(logging.WARNING, logger="study_tracker.migrations"):
        prepare(settings)

    assert current_revision(url) == HEAD_REVISION
    warned = [r.getMessage() for r in caplog.records if r.name == "study_tracker.migrations"]
    assert sum(m.startswith("completion") and "marked undone" in m for m in warned) == 2
    assert sum(m.startswith("review") and "marked undone" in m for m in warned) == 3
    with session_scope(url) as s:
        assert sorted(u.completion_id for u in s.scalars(select(Undo)) if u.completion_id) == [2, 3]
        assert sorted(u.review_id for u in s.scalars(select(Undo)) if u.review_id) == [2, 3, 4]
        assert s.get(Completion, 1).slot == f"ml_algorithms:1:{yesterday}"  # type: ignore[union-attr]
        assert s.get(ReviewLog, 1).slot == "1:0"  # type: ignore[union-attr]
        # The schedule is recomputed from the repaired log: one review done, the 3-day one next.
        [pending] = s.scalars(select(ScheduledReview)).all()
        assert (pending.completion_id, pending.step, pending.due_date) == (
            1,
            1,
            yesterday + timedelta(days=3),
        )
    # The database was backed up, as it was, before the migration touched it.
    [saved] = [b for b in list_backups(settings.data_dir / "backups") if b.kind == "migration"]
    assert saved.verified
    assert saved.path.joinpath("study.db").stat().st_size > 0
