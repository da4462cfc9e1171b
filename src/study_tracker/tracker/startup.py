"""Start-up: migrate the database, seed settings for bundled tracks, and read back config.json edits."""

from __future__ import annotations

import logging

from study_tracker import clock
from study_tracker.config import Settings
from study_tracker.content.curriculum import GROUPS
from study_tracker.db.engine import migrate, session_scope
from study_tracker.tracker import settings_store
from study_tracker.tracker.service import reschedule

log = logging.getLogger(__name__)


def prepare(settings: Settings) -> None:
    """Make the data folder ready to serve.

    Raises:
        ConfigFileError: a hand-edited ``config.json`` is invalid (nothing is changed then).
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate(settings.db_url)
    zone = clock.local_zone(settings)
    today = clock.today(settings)
    with session_scope(settings.db_url) as session:
        # Validate every file before applying any, so one bad file changes nothing.
        outdated = settings_store.take_outdated_files_flag(session)
        edits = {} if outdated else {g: settings_store.read_config_file(settings.data_dir, g) for g in GROUPS}
        settings_store.ensure_defaults(session, today)
        for group, edited in edits.items():
            if edited is not None and settings_store.apply_config(
                session, edited, today=today, keep_started=True
            ):
                log.info("review settings of %s changed in config.json: rescheduling", group)
                reschedule(session, group=group, zone=zone)
        for group in GROUPS:
            settings_store.write_config_file(settings.data_dir, settings_store.get_config(session, group))
