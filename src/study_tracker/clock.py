""" "Today" and "now" for the whole program.

Days are counted in the configured time zone; instants are stored in UTC. ``STUDY_TODAY``
(or ``--today``) pins the date, keeping the current time of day, so tests and users who
catch up after a break see the calendar they ask for.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from study_tracker.config import Settings


def local_zone(settings: Settings) -> tzinfo:
    if not settings.timezone:
        return datetime.now().astimezone().tzinfo or UTC
    try:
        return ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"STUDY_TIMEZONE: unknown time zone {settings.timezone!r}") from None


def now(settings: Settings) -> datetime:
    """The current instant in UTC, moved to ``settings.today`` when that is set."""
    real = datetime.now(UTC)
    if settings.today is None:
        return real
    zone = local_zone(settings)
    local_time = real.astimezone(zone).time().replace(tzinfo=None)
    return datetime.combine(settings.today, local_time, tzinfo=zone).astimezone(UTC)


def today(settings: Settings) -> date:
    return settings.today or datetime.now(UTC).astimezone(local_zone(settings)).date()


def local_date(instant: datetime, zone: tzinfo) -> date:
    if instant.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime in UTC")
    return instant.astimezone(zone).date()


def start_of_day(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
