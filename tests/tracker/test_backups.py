"""Backups: thinning (pure, pinned dates), verified copies that never replace a good one with a bad one,
unique names, the daily backup, and a backup-restore round trip."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from study_tracker.config import Settings
from study_tracker.db import backup as files
from study_tracker.db.engine import HEAD_REVISION, get_engine, session_scope
from study_tracker.db.models import Completion
from study_tracker.errors import Conflict, CorruptDatabase, NotFound
from study_tracker.tracker import backups, service
from tests.cli_helpers import study
from tests.conftest import TODAY
from tests.tracker.test_service import moment

# --- thinning ---


def _b(when: datetime, kind: str = "daily", verified: bool | None = True) -> files.Backup:
    return files.Backup(
        name=f"{when:%Y%m%d-%H%M%S}-{kind}", path=Path("/x"), created_at=when, kind=kind, verified=verified
    )


def _kept(backups_: list[files.Backup], **keep: int) -> list[str]:
    doomed = {b.name for b in files.thin(backups_, **keep)}
    return sorted(b.created_at.strftime("%Y-%m-%d %H") for b in backups_ if b.name not in doomed)


def test_thinning_keeps_7_days_4_weeks_12_months() -> None:
    # A backup every day at 09:00 from 2025-01-01 to 2026-11-22 (Sunday), and two on the last day.
    start = datetime(2025, 1, 1, 9, tzinfo=UTC)
    daily = [_b(start + timedelta(days=i)) for i in range((date(2026, 11, 22) - date(2025, 1, 1)).days + 1)]
    daily.append(_b(datetime(2026, 11, 22, 18, tzinfo=UTC), kind="import"))
    kept = _kept(daily, keep_daily=7, keep_weekly=4, keep_monthly=12)
    days = [f"2026-11-{d} 09" for d in range(16, 22)] + ["2026-11-22 18"]  # 7 days, the newest of the 22nd
    weeks = ["2026-11-01 09", "2026-11-08 09", "2026-11-15 09"]  # Sundays end ISO weeks; the 4th is this week
    months = [
        f"2026-{m:02d}-{31 if m in (1, 3, 5, 7, 8, 10) else 30 if m != 2 else 28} 09" for m in range(1, 11)
    ]
    months += ["2025-12-31 09"]  # the 12th month
    assert kept == sorted(set(days + weeks + months))


def test_thinning_after_a_long_break_counts_days_that_have_backups() -> None:
    old = [_b(datetime(2026, 1, d, 9, tzinfo=UTC)) for d in range(1, 11)]
    # Ten months without studying: the last seven days with backups are all kept.
    assert _kept(old, keep_daily=7, keep_weekly=0, keep_monthly=0) == [
        f"2026-01-{d:02d} 09" for d in range(4, 11)
    ]


def test_thinning_never_touches_manual_unverified_or_the_newest() -> None:
    when = datetime(2026, 1, 1, 9, tzinfo=UTC)
    mixed = [
        _b(when, kind="manual"),
        _b(when + timedelta(hours=1), verified=None),
        _b(when + timedelta(hours=2), verified=False),
        _b(when + timedelta(hours=3)),
        _b(when + timedelta(hours=4)),
    ]
    assert [b.created_at.hour for b in files.thin(mixed, keep_daily=1, keep_weekly=0, keep_monthly=0)] == [12]
    assert files.thin(mixed[:3], keep_daily=1, keep_weekly=0, keep_monthly=0) == []


# --- writing and restoring ---


def _complete(settings: Settings, day: int) -> None:
    with session_scope(settings.db_url) as s:
        service.complete_topic(
            session=s,
            track="ml_algorithms",
            day=day,
            difficulty=3,
            notes=f"day {day}",
            now=moment(TODAY),
            zone=UTC,
        )


def _days(settings: Settings) -> list[int]:
    with session_scope(settings.db_url) as s:
        return sorted(c.day for c in s.scalars(select(Completion)))


def test_backup_then_restore_round_trip(prepared: Settings) -> None:
    _complete(prepared, 1)
    written = backups.make_backup(prepared, kind="manual").backup
    assert written.verified and written.kind == "manual"
    manifest = json.loads((written.path / "manifest.json").read_text())
    assert manifest["integrity"] == "ok" and manifest["revision"] == HEAD_REVISION
    assert {"study.db", "export.json", "swe/config.json", "manifest.json"} <= set(manifest["files"]) | {
        "manifest.json"
    }

    _complete(prepared, 2)
    config = prepared.data_dir / "swe" / "config.json"
    edited = config.read_text().replace('"fixed"', '"fsrs"')
    config.write_text(edited)
    done = backups.restore(prepared, written.name)
    assert done.restored.name == written.name and done.saved is not None and done.saved.kind == "restore"
    get_engine(prepared.db_url).dispose()  # as a restarted server would
    assert _days(prepared) == [1]
    assert '"fixed"' in config.read_text()  # the config mirror is put back with the database
    # What was replaced is itself a verified backup: restoring it brings day 2 back.
    backups.restore(prepared, done.saved.name)
    get_engine(prepared.db_url).dispose()
    assert _days(prepared) == [1, 2]


def test_two_backups_in_one_second_get_two_names(prepared: Settings) -> None:
    _complete(prepared, 1)
    names = {backups.make_backup(prepared, kind="manual").backup.name for _ in range(3)}
    assert len(names) == 3
    when = datetime(2026, 11, 22, 10, 0, 0)
    folder = prepared.data_dir / "backups"
    taken = []
    for _ in range(2):
        partial = folder / f".partial-{len(taken)}"
        partial.mkdir()
        (partial / "x").write_text("x")
        taken.append(files.publish(partial, folder, when=when, kind="manual").name)
    assert taken == ["20261122-100000-manual", "20261122-100000-manual-2"]


def test_a_damaged_database_never_becomes_a_backup(prepared: Settings) -> None:
    _complete(prepared, 1)
    good = backups.make_backup(prepared, kind="daily").backup
    get_engine(prepared.db_url).dispose()
    db = prepared.data_dir / "study.db"
    with get_engine(prepared.db_url).connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    get_engine(prepared.db_url).dispose()
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptDatabase) as info:
        backups.make_backup(prepared, kind="daily")
    assert f"study restore {good.name}" in info.value.message
    assert [b.name for b in backups.list_backups(prepared)] == [good.name]
    assert not [p for p in (prepared.data_dir / "backups").iterdir() if p.name.startswith(".")]
    # Restoring over the damaged file keeps a raw copy of it first.
    done = backups.restore(prepared, good.name)
    assert done.saved is not None and done.saved.kind == "damaged" and done.saved.verified is False
    get_engine(prepared.db_url).dispose()
    assert _days(prepared) == [1]


def test_restore_refuses_a_damaged_or_unknown_backup(prepared: Settings) -> None:
    _complete(prepared, 1)
    b = backups.make_backup(prepared, kind="manual").backup
    (b.path / "study.db").write_bytes(b"not a database at all" * 100)
    with pytest.raises(Conflict, match="fails SQLite's integrity check"):
        backups.restore(prepared, b.name)
    with pytest.raises(NotFound, match="no backup named 'nope'"):
        backups.restore(prepared, "nope")
    assert _days(prepared) == [1]


def test_the_first_start_of_a_day_writes_one_backup(prepared: Settings) -> None:
    assert backups.daily_backup(prepared) is None  # nothing worth keeping yet
    _complete(prepared, 1)
    first = backups.daily_backup(prepared)
    assert first is not None and first.kind == "daily" and first.verified
    assert backups.daily_backup(prepared) is None  # once a day
    prepared.backup_daily = False
    (first.path / "manifest.json").unlink()  # even with today's gone, the setting turns it off
    assert backups.daily_backup(prepared) is None


def test_study_restore_lists_backups_and_restores_one(prepared: Settings) -> None:
    data = prepared.data_dir
    assert study(data, "complete", "ml_algorithms", "-d", "3").returncode == 0
    out = study(data, "backup")
    assert out.returncode == 0 and "verified" in out.stdout
    name = out.stdout.split("backups/")[1].split()[0].rstrip(".")
    assert study(data, "complete", "ml_algorithms", "-d", "3", "--day", "2").returncode == 0
    listing = study(data, "restore")
    assert listing.returncode == 0 and name in listing.stdout and "manual" in listing.stdout
    assert "yes" in listing.stdout and "KB" in listing.stdout
    out = study(data, "restore", name)
    assert out.returncode == 0 and f"Restored {name}" in out.stdout, out.stderr
    get_engine(prepared.db_url).dispose()
    assert _days(prepared) == [1]
