"""Day arithmetic: which day of its curriculum a track is on, from its start date, acceleration
and pauses. Pure functions of the stored settings and the date (no session, no clock).
"""

from __future__ import annotations

from datetime import date

from study_tracker.db.models import TrackSetting


def current_day(
    start: date | None,
    acceleration_days: int,
    today: date,
    *,
    paused_since: date | None = None,
    paused_days: int = 0,
) -> int:
    """Day N of a track: one topic a calendar day from its start date, plus the days skipped ahead.

    A track not started yet (``start`` None) is on its first day: 1 + ``acceleration_days``.
    Days paused do not count: the count stands still from ``paused_since`` and ``paused_days``
    (earlier pauses of this run) are taken off, so a resumed track continues where it stopped.
    """
    if start is None:
        return 1 + acceleration_days
    end = today if paused_since is None else min(today, max(paused_since, start))
    return (end - start).days + 1 + acceleration_days - paused_days


def days_paused(start: date | None, paused_since: date, today: date) -> int:
    """The days a pause that began on ``paused_since`` held the count still, as of ``today``."""
    if start is None:
        return 0  # nothing was counting yet
    return max(0, (today - max(paused_since, start)).days)


def setting_day(setting: TrackSetting | None, today: date) -> int:
    """The day a track's stored settings put it on today (day 1 when it has none)."""
    if setting is None:
        return 1
    return current_day(
        setting.start_date,
        setting.acceleration_days,
        today,
        paused_since=setting.paused_since,
        paused_days=setting.paused_days or 0,
    )
