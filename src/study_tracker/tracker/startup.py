"""Start-up: migrate the database, seed settings for bundled tracks, read back config.json edits,
and write the day's automatic backup.

Two processes starting at once on a fresh data folder (``study today`` twice, a server and a
command) take turns under the set-up lock (``db.engine.setup_lock``), so one migrates and seeds
and the other finds it done.
"""

from __future__ import annotations

import logging

from study_tracker import clock
from study_tracker.config import Settings
from study_tracker.content.curriculum import GROUPS
from study_tracker.db.engine import (
    HEAD_REVISION,
    current_revision,
    migrate,
    session_scope,
    setup_lock,
    sqlite_path,
)
from study_tracker.db.failures import check_file
from study_tracker.errors import storage_error
from study_tracker.tracker import backups, settings_store
from study_tracker.tracker.service import reschedule

log = logging.getLogger(__name__)


def prepare(settings: Settings, *, config_files: bool = True, auto_backup: bool = True) -> None:
    """Make the data folder ready to serve.

    Args:
        settings: where the data is.
        config_files: read back hand edits of each group's ``config.json`` and rewrite the files.
            ``study export`` and ``study backup`` pass False, so they work while a file is invalid.
        auto_backup: write the day's first automatic backup (``study backup`` writes its own).

    Raises:
        ConfigFileError: a hand-edited ``config.json`` is invalid (nothing is changed then).
        CorruptDatabase, DatabaseUnavailable: the database cannot be used (the message names the
            newest good backup and the ``study restore`` command).
        DiskFull, ReadOnlyData: the data folder cannot be written.
        DatabaseBusy: another process kept the database or the set-up lock too long.
    """
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error(exc, settings.data_dir, "create") from None
    with setup_lock(settings.db_url):
        _migrate(settings)
        zone = clock.local_zone(settings)
        today = clock.today(settings)
        with session_scope(settings.db_url) as session:
            # After the tracks migration the files hold install-day start dates: rewrite them from
            # the database once instead of reading them back (0003_tracks).
            outdated = config_files and settings_store.take_outdated_files_flag(session)
            # Validate every file before applying any, so one bad file changes nothing.
            edits = (
                {group: settings_store.read_config_file(settings.data_dir, group) for group in GROUPS}
                if config_files and not outdated
                else {}
            )
            settings_store.ensure_defaults(session, today)
            for group, edited in edits.items():
                if edited is not None and settings_store.apply_config(
                    session, edited, today=today, keep_started=True
                ):
                    log.info("review settings of %s changed in config.json: rescheduling", group)
                    reschedule(session, group=group, zone=zone)
            if config_files:
                for group in GROUPS:
                    settings_store.write_config_file(
                        settings.data_dir, settings_store.get_config(session, group)
                    )
        if auto_backup:
            backups.daily_backup(settings)


def _migrate(settings: Settings) -> None:
    """Migrate, first backing up a database that has a schema to change; then recompute every
    schedule, since a migration may change the log (0004 marks old duplicates undone)."""
    db_path = sqlite_path(settings.db_url)
    if db_path is not None:
        check_file(db_path)
    revision = current_revision(settings.db_url)
    if revision == HEAD_REVISION:
        return
    if revision is not None and db_path is not None:
        written = backups.make_backup(settings, kind="migration", export=False)
        log.info("backed up %s to %s before migrating it from %s", db_path, written.backup.path, revision)
    migrate(settings.db_url)
    if revision is not None:
        zone = clock.local_zone(settings)
        with session_scope(settings.db_url) as session:
            for group in GROUPS:
                reschedule(session, group=group, zone=zone)
