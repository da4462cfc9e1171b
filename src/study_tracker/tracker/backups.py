"""Backups of everything a user wrote, made by hand (``study backup``) or automatically, and restores.

A backup folder (``db/backup.py`` for the folder format) holds a verified copy of ``study.db``,
the JSON export (not in a pre-migration backup: the export needs the new schema) and each
group's ``config.json`` as it was on disk (even an invalid one: it is the user's file). Automatic
backups are written on the first start of each day, before every import, migration and
restore, and thinned to ``backup_keep_daily`` / ``_weekly`` / ``_monthly``.

On PostgreSQL (server mode) the database is the operator's to back up (``pg_dump``):
``study backup`` writes the export and config files only and says so, nothing automatic runs,
and ``study restore`` refuses, naming ``pg_restore`` and ``study import --replace``.
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from study_tracker import clock
from study_tracker.config import Settings
from study_tracker.content.curriculum import GROUPS
from study_tracker.db import backup as files
from study_tracker.db.engine import get_engine, session_scope, sqlite_path
from study_tracker.db.failures import restore_hint, sqlite_error
from study_tracker.errors import (
    Conflict,
    CorruptDatabase,
    InvalidInput,
    NotFound,
    StudyError,
    Unavailable,
    storage_error,
)
from study_tracker.tracker import settings_store, transfer
from study_tracker.tracker.files import atomic_write_text

log = logging.getLogger(__name__)

PG_NOTE = (
    "the database is PostgreSQL: backing it up is the server operator's job (pg_dump, pg_restore); "
    "study-tracker writes the JSON export and config files only"
)


@dataclass(frozen=True)
class Written:
    backup: files.Backup
    removed: list[str]  # older automatic backups thinned away
    note: str = ""  # e.g. the PostgreSQL note


def backups_folder(settings: Settings) -> Path:
    path = sqlite_path(settings.db_url)
    return files.backups_dir(path) if path else settings.data_dir / files.BACKUPS


def list_backups(settings: Settings) -> list[files.Backup]:
    """Every backup of this data folder, newest first."""
    return files.list_backups(backups_folder(settings))


def make_backup(settings: Settings, *, kind: str, export: bool = True, thin: bool = True) -> Written:
    """Write a backup folder: verified database copy, JSON export, config files, manifest.

    Args:
        settings: whose database and data folder.
        kind: ``manual`` (``study backup``, never thinned) or an automatic kind (``daily``,
            ``import``, ``migration``, ``restore``).
        export: include the JSON export (needs the database at the newest schema).
        thin: afterwards, thin the automatic backups (``backup_keep_*``).

    Raises:
        CorruptDatabase: the copy fails SQLite's integrity check (nothing is written; the existing
            backups are untouched).
        DiskFull, ReadOnlyData: no room or no permission in the backups folder (nothing is left).
    """
    folder = backups_folder(settings)
    db_path = sqlite_path(settings.db_url)
    now = datetime.now(UTC)
    local = now.astimezone(clock.local_zone(settings))
    partial = folder / f".partial-{kind}-{uuid.uuid4().hex[:12]}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial.mkdir()
        manifest: dict[str, object] = {"kind": kind, "created_at": now.isoformat(), "files": []}
        if db_path is not None:
            try:
                files.snapshot(db_path, partial / files.DB_FILE)
            except sqlite3.Error as exc:
                raise sqlite_error(exc, db_path) from None
            check = files.integrity(partial / files.DB_FILE)
            if check != "ok":
                raise CorruptDatabase(
                    f"{db_path} fails SQLite's integrity check ({check}): no backup was written and the "
                    f"existing ones are untouched. {restore_hint(db_path)}"
                )
            manifest |= {
                "integrity": "ok",
                "db_bytes": (partial / files.DB_FILE).stat().st_size,
                "revision": files.revision(partial / files.DB_FILE),
            }
        else:
            manifest["note"] = PG_NOTE
        if export:
            with session_scope(settings.db_url) as session:
                document = transfer.export_data(session, now=now)
            (partial / "export.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
            files.fsync_file(partial / "export.json")
        for group in GROUPS:
            config = settings_store.config_path(settings.data_dir, group)
            if config.is_file():
                (partial / group).mkdir()
                shutil.copy2(config, partial / group / "config.json")
        manifest["files"] = sorted(str(p.relative_to(partial)) for p in partial.rglob("*") if p.is_file())
        files.write_manifest(partial, manifest)
        target = files.publish(partial, folder, when=local, kind=kind)
    except OSError as exc:
        raise storage_error(exc, folder, "write a backup in") from None
    finally:
        if partial.exists():
            shutil.rmtree(partial, ignore_errors=True)
    written = files.read_backup(target)
    assert written is not None
    removed = thin_backups(settings) if thin else []
    return Written(written, removed, "" if db_path else PG_NOTE)


def thin_backups(settings: Settings) -> list[str]:
    """Delete the automatic backups the keep settings no longer cover; returns their names."""
    doomed = files.thin(
        list_backups(settings),
        keep_daily=settings.backup_keep_daily,
        keep_weekly=settings.backup_keep_weekly,
        keep_monthly=settings.backup_keep_monthly,
    )
    files.remove(doomed)
    if doomed:
        log.info("thinned %d old automatic backups: %s", len(doomed), ", ".join(b.name for b in doomed))
    return [b.name for b in doomed]


def holds_history(settings: Settings) -> bool:
    with session_scope(settings.db_url) as session:
        return transfer.has_history(session)


def backup_before(settings: Settings, session: Session | None, *, kind: str) -> files.Backup | None:
    """The automatic backup before an import or a restore, when there is history to keep.

    Raises:
        StudyError: as ``make_backup`` (the import or restore must then not go ahead).
    """
    if sqlite_path(settings.db_url) is None:
        return None
    history = transfer.has_history(session) if session is not None else holds_history(settings)
    return make_backup(settings, kind=kind).backup if history else None


def daily_backup(settings: Settings) -> files.Backup | None:
    """The first start of a day writes a backup (SQLite, with history, ``backup_daily`` on).

    A failure is logged, never raised: a backup that cannot be written must not stop the user
    from studying (the next start tries again).
    """
    db_path = sqlite_path(settings.db_url)
    if db_path is None or not settings.backup_daily:
        return None
    zone = clock.local_zone(settings)
    today = datetime.now(UTC).astimezone(zone).date()
    existing = list_backups(settings)
    if any(b.verified and b.created_at.astimezone(zone).date() == today for b in existing):
        return None
    try:
        if not holds_history(settings):
            return None
        return make_backup(settings, kind="daily").backup
    except StudyError as exc:
        log.warning("the daily backup was not written: %s", exc.message)
        return None


def find(settings: Settings, name: str) -> files.Backup:
    """A backup by its folder name (or its path).

    Raises:
        NotFound: no such backup (the message lists the newest ones).
    """
    folder = backups_folder(settings)
    candidate = Path(name)
    path = candidate if candidate.is_absolute() or len(candidate.parts) > 1 else folder / name
    found = files.read_backup(path) if path.is_dir() else None
    if found is None:
        names = [b.name for b in list_backups(settings)[:5]]
        hint = f"; the newest are {', '.join(names)} (`study restore` lists them all)" if names else ""
        raise NotFound(f"no backup named {name!r} in {folder}{hint}")
    return found


@dataclass(frozen=True)
class Restored:
    restored: files.Backup
    saved: files.Backup | None  # the copy of the database as it was before


def restore(settings: Settings, name: str) -> Restored:
    """Put a backup's database and config files back, after checking it and backing up the current one.

    The database file is swapped atomically (``db/backup.swap_in``); the config files are put back
    too, since they mirror the database's settings and a start-up would apply them over it.
    Callers hold the set-up lock. A server running on this data folder must be restarted.

    Raises:
        Unavailable: the database is PostgreSQL.
        NotFound: no such backup.
        InvalidInput: the backup holds no database copy (an export-only backup).
        Conflict: the backup's copy fails SQLite's integrity check (nothing is changed).
        StorageError: no room or no permission to write (nothing is changed).
    """
    db_path = sqlite_path(settings.db_url)
    if db_path is None:
        raise Unavailable(
            f"{PG_NOTE}: restore with pg_restore, or load an export with `study import --replace FILE`"
        )
    chosen = find(settings, name)
    source = chosen.path / files.DB_FILE
    if not source.is_file():
        raise InvalidInput(
            f"{chosen.path} holds no database copy; load its export with `study import --replace`"
        )
    check = files.integrity(source)
    if check != "ok":
        raise Conflict(
            f"{source} fails SQLite's integrity check ({check}): nothing was restored; pick another"
        )
    saved = _save_current(settings, db_path)
    try:
        files.swap_in(source, db_path)
        get_engine(settings.db_url).dispose()  # this process's pooled connections hold the old file
        for group in GROUPS:
            backed_up = chosen.path / group / "config.json"
            current = settings_store.config_path(settings.data_dir, group)
            if backed_up.is_file():
                atomic_write_text(current, backed_up.read_text(encoding="utf-8"))
            elif current.exists():
                current.unlink()  # the restored database's settings win; start-up writes the file again
    except OSError as exc:
        raise storage_error(exc, db_path, "restore") from None
    return Restored(chosen, saved)


def _save_current(settings: Settings, db_path: Path) -> files.Backup | None:
    """A backup of the database about to be replaced: verified when it can be read, else a raw copy."""
    if not db_path.exists():
        return None
    try:
        return make_backup(settings, kind="restore", export=False, thin=False).backup
    except CorruptDatabase:
        pass  # a damaged database is still kept, as it is, in case something can be saved from it
    folder = backups_folder(settings)
    when = datetime.now(UTC).astimezone(clock.local_zone(settings))
    partial = folder / f".partial-damaged-{uuid.uuid4().hex[:12]}"
    try:
        partial.mkdir(parents=True)
        for suffix in ("", "-wal", "-shm"):
            src = db_path.with_name(db_path.name + suffix)
            if src.exists():
                shutil.copy2(src, partial / src.name)
        files.write_manifest(
            partial, {"kind": "damaged", "created_at": when.isoformat(), "integrity": "not checked: damaged"}
        )
        target = files.publish(partial, folder, when=when, kind="damaged")
    except OSError as exc:
        raise storage_error(exc, folder, "keep a copy of the damaged database in") from None
    finally:
        if partial.exists():
            shutil.rmtree(partial, ignore_errors=True)
    return files.read_backup(target)
