"""Migrations: Alembic's head is the one start-up expects, and it matches the models."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from study_tracker.config import get_settings
from study_tracker.db.engine import (
    HEAD_REVISION,
    MIGRATIONS,
    current_revision,
    get_engine,
    migrate,
    session_scope,
)
from study_tracker.db.models import Base
from study_tracker.tracker import agenda, settings_store
from study_tracker.tracker.startup import prepare
from tests.conftest import make_settings


def test_head_constant_matches_alembic() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_current_head() == HEAD_REVISION


def test_migrated_schema_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate(url)
    assert current_revision(url) == HEAD_REVISION
    with get_engine(url).connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    migrate(url)  # idempotent


def _database_at_0002(url: str) -> None:
    """A database migrated to 0002 (every track with an install-day start date) holding data."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with get_engine(url).begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0002")
        connection.execute(
            text(
                'INSERT INTO track_settings (track, "group", start_date, acceleration_days) VALUES '
                "('ml_algorithms', 'ml_specialist', '2026-11-01', 0),"
                "('ml_system_design', 'ml_specialist', '2026-11-01', 0),"
                "('recommendations', 'ml_specialist', '2026-11-01', 0),"
                "('coding_patterns', 'swe', '2026-11-01', 3),"
                "('system_design', 'swe', '2026-12-01', 0)"
            )
        )
        connection.execute(
            text(
                'INSERT INTO group_settings ("group", scheduler, review_intervals, desired_retention) VALUES '
                "('ml_specialist', 'fixed', '[1, 3, 7, 14]', 0.9), ('swe', 'fixed', '[1, 3, 7, 14]', 0.9)"
            )
        )
        connection.execute(text("INSERT INTO meta (key, value) VALUES ('first_run_date', '2026-11-01')"))
        # ml_algorithms and coding_patterns were used; recommendations' only completion was undone.
        connection.execute(
            text(
                'INSERT INTO completions (id, "group", track, day, difficulty, notes, completed_at, local_date) '
                "VALUES (1, 'ml_specialist', 'ml_algorithms', 1, 3, '', '2026-11-01 10:00:00', '2026-11-01'),"
                "(2, 'swe', 'coding_patterns', 5, 2, '', '2026-11-05 10:00:00', '2026-11-05'),"
                "(3, 'ml_specialist', 'recommendations', 1, 3, '', '2026-11-02 10:00:00', '2026-11-02')"
            )
        )
        connection.execute(
            text("INSERT INTO undos (id, completion_id, undone_at) VALUES (1, 3, '2026-11-02 11:00:00')")
        )


def test_0003_keeps_every_used_track_on_its_day(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Migrating a database with data: tracks with live completions keep their start date (and
    day), a planned future start is kept, the unused ones become not started (day 1, nothing to
    catch up), and the config.json files written before do not put the old dates back."""
    monkeypatch.setenv("STUDY_TODAY", "2026-11-22")  # the migration's "today" (future starts are kept)
    monkeypatch.setenv("STUDY_TIMEZONE", "UTC")
    get_settings.cache_clear()
    settings = make_settings(tmp_path / "data", today=date(2026, 11, 22))
    settings.data_dir.mkdir()
    _database_at_0002(settings.db_url)
    for group, tracks in {
        "ml_specialist": ("ml_algorithms", "ml_system_design", "recommendations"),
        "swe": ("coding_patterns", "system_design"),
    }.items():  # the files as the old version wrote them: every track with its start date
        path = settings_store.config_path(settings.data_dir, group)
        path.parent.mkdir()
        with get_engine(settings.db_url).connect() as conn:
            rows = dict(conn.execute(text("SELECT track, start_date FROM track_settings")).all())
        path.write_text(
            json.dumps(
                {
                    "group": group,
                    "tracks": {
                        t: {"start_date": rows[t], "acceleration_days": 0 if t != "coding_patterns" else 3}
                        for t in tracks
                    },
                }
            )
        )
    try:
        prepare(settings)  # migrates to head, then reads back (or here rewrites) config.json
    finally:
        get_settings.cache_clear()
    assert current_revision(settings.db_url) == HEAD_REVISION
    today = date(2026, 11, 22)
    with session_scope(settings.db_url) as s:
        ml = {
            t.track.slug: (t.day, t.status, len(t.missed))
            for t in agenda.today_view(s, group="ml_specialist", today=today).tracks
        }
        swe = {
            t.track.slug: (t.day, t.status, len(t.missed))
            for t in agenda.today_view(s, group="swe", today=today).tracks
        }
    assert ml == {
        "ml_algorithms": (22, "finished", 13),  # as before: started 2026-11-01, day 1 done, 14-day track
        "ml_system_design": (1, "not_started", 0),  # was day 22 with 14 days to catch up
        "recommendations": (1, "not_started", 0),  # its one completion was undone
    }
    assert swe == {
        "coding_patterns": (25, "active", 20),  # as before: 21 days since the start + 1 + 3 skipped
        "system_design": (-8, "upcoming", 0),  # starts 2026-12-01, as planned
    }
    ml_file = json.loads(settings_store.config_path(settings.data_dir, "ml_specialist").read_text())
    assert ml_file["tracks"]["ml_system_design"]["start_date"] is None
    assert ml_file["tracks"]["ml_algorithms"]["start_date"] == "2026-11-01"
    # The flag is used once: a hand edit after the upgrade is read back as before.
    ml_file["tracks"]["ml_system_design"]["paused"] = True
    settings_store.config_path(settings.data_dir, "ml_specialist").write_text(json.dumps(ml_file))
    prepare(settings)
    with session_scope(settings.db_url) as s:
        assert settings_store.get_config(s, "ml_specialist").tracks["ml_system_design"].paused
