"""Per-group study configuration: track start dates, acceleration, pauses, hidden tracks, review
intervals, scheduler.

The database is the store; ``<data_dir>/<group>/config.json`` mirrors it both ways: every
save rewrites the file, and a hand edit is read back on the next start.

A track's ``start_date`` is empty (null) until the track is used: its first completion sets it
(``tracker.service.start_on_first_use``), or the learner picks one. ``paused`` stops its day
count (the days paused are remembered in the database, so resuming continues where it stopped);
``hidden`` keeps it off Today and History without touching its data.
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from study_tracker.clock import local_date
from study_tracker.content.curriculum import GROUPS, tracks_in_group
from study_tracker.db.models import GroupSetting, Meta, TrackSetting
from study_tracker.errors import ConfigFileError, InvalidInput, NotFound, invalid
from study_tracker.tracker.days import days_paused
from study_tracker.tracker.files import atomic_write_text
from study_tracker.tracker.plan_options import PlanOptions
from study_tracker.tracker.service import get_track, reschedule
from study_tracker.tracker.srs import DEFAULT_INTERVALS

# Dates a study plan may use (start dates, and every date of an import): far enough either way
# for any real plan, near enough that day arithmetic never overflows.
FIRST_DATE = date(2000, 1, 1)
LAST_DATE = date(2100, 12, 31)
MAX_ACCELERATION_DAYS = 3650
MAX_INTERVAL_DAYS = 3650
MAX_INTERVALS = 50
# A group's config.json is a few hundred bytes; anything far bigger is not one.
MAX_CONFIG_FILE_BYTES = 1 << 20


def check_date(value: date | None) -> date | None:
    """A pydantic validator: ``value`` within ``FIRST_DATE``..``LAST_DATE`` (None passes: not set)."""
    if value is not None and not FIRST_DATE <= value <= LAST_DATE:
        raise ValueError(f"must be between {FIRST_DATE} and {LAST_DATE}")
    return value


def check_intervals(value: list[int]) -> list[int]:
    """A pydantic validator: review intervals in days, each 1..``MAX_INTERVAL_DAYS``, increasing."""
    if any(v < 1 or v > MAX_INTERVAL_DAYS for v in value):
        raise ValueError(f"each interval must be between 1 and {MAX_INTERVAL_DAYS} days")
    if any(b <= a for a, b in zip(value, value[1:], strict=False)):
        raise ValueError("intervals must increase, e.g. [1, 3, 7, 14]")
    return value


class TrackConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start_date: date | None = Field(
        None, description="Day 1 of the track; null until it is used (its first completion sets it)."
    )
    acceleration_days: int = Field(0, ge=0, le=MAX_ACCELERATION_DAYS)
    paused: bool = Field(False, description="Paused: the day count stops and no new topic is offered.")
    hidden: bool = Field(False, description="Hidden from Today and History (its data is kept).")

    check_start = field_validator("start_date")(check_date)


class TrackUpdate(BaseModel):
    """A change to one track: only the fields given change (``PATCH``, ``study config set``)."""

    model_config = ConfigDict(extra="forbid")

    start_date: date | None = None
    acceleration_days: int | None = Field(None, ge=0, le=MAX_ACCELERATION_DAYS)
    paused: bool | None = None
    hidden: bool | None = None

    check_start = field_validator("start_date")(check_date)


class GroupOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    review_intervals: list[int] = Field(
        default_factory=lambda: list(DEFAULT_INTERVALS), min_length=1, max_length=MAX_INTERVALS
    )
    scheduler: Literal["fixed", "fsrs"] = "fixed"
    desired_retention: float = Field(0.9, ge=0.7, le=0.99)
    plan: PlanOptions | None = Field(
        None, description="The plan to the interview date; null: reviews follow the scheduler alone."
    )

    check_review_intervals = field_validator("review_intervals")(check_intervals)


class GroupConfig(BaseModel):
    """What the Config page, ``PUT /api/config/{group}`` and ``config.json`` carry."""

    model_config = ConfigDict(extra="forbid")

    group: str
    tracks: dict[str, TrackConfig] = Field(default_factory=dict)
    settings: GroupOptions = Field(default_factory=GroupOptions)


# A ``meta`` key left by migration 0003 when it cleared start dates: the config.json files hold
# the old ones, so the next start rewrites them from the database instead of reading them back.
CONFIG_FILES_OUTDATED = "config_files_outdated"


def take_outdated_files_flag(session: Session) -> bool:
    """True (once) when the config.json files must be rewritten from the database, not read back."""
    flag = session.get(Meta, CONFIG_FILES_OUTDATED)
    if flag is None:
        return False
    session.delete(flag)
    session.flush()
    return True


def _require_group(group: str) -> None:
    if group not in GROUPS:
        raise NotFound(f"unknown group {group!r}; groups are {', '.join(GROUPS)}")


def validate_config(group: str, payload: object, prefix: str = "") -> GroupConfig:
    """Parse and check a whole group configuration; raises InvalidInput naming the field."""
    _require_group(group)
    if isinstance(payload, dict):
        payload = {"group": group, **payload}
    try:
        config = GroupConfig.model_validate(payload)
    except ValidationError as exc:
        raise invalid(exc, prefix) from None
    if config.group != group:
        raise InvalidInput.field(f"{prefix}group".lstrip("."), f"is {config.group!r}, expected {group!r}")
    known = {t.slug for t in tracks_in_group(group)}
    for slug in config.tracks:
        if slug not in known:
            field = ".".join(p for p in (prefix, "tracks", slug) if p)
            raise InvalidInput.field(
                field, f"unknown track {slug!r} in group {group} (known: {', '.join(sorted(known))})"
            )
    return config


def ensure_defaults(session: Session, today: date) -> None:
    """Give every bundled group and track its settings row; a new track is not started yet."""
    meta = session.get(Meta, "first_run_date")
    if meta is None:
        session.add(Meta(key="first_run_date", value=today.isoformat()))
    for group in GROUPS:
        if session.get(GroupSetting, group) is None:
            session.add(GroupSetting(group=group, review_intervals=list(DEFAULT_INTERVALS)))
        for track in tracks_in_group(group):
            if session.get(TrackSetting, track.slug) is None:
                session.add(
                    TrackSetting(
                        track=track.slug, group=group, start_date=None, acceleration_days=0, paused_days=0
                    )
                )
    session.flush()


def get_config(session: Session, group: str) -> GroupConfig:
    _require_group(group)
    options = session.get(GroupSetting, group)
    rows = session.scalars(select(TrackSetting).where(TrackSetting.group == group)).all()
    by_slug = {r.track: r for r in rows}
    tracks = {
        t.slug: TrackConfig(
            start_date=row.start_date,
            acceleration_days=row.acceleration_days,
            paused=row.paused_since is not None,
            hidden=bool(row.hidden),
        )
        for t in tracks_in_group(group)
        if (row := by_slug.get(t.slug)) is not None
    }
    settings = (
        GroupOptions(
            review_intervals=list(options.review_intervals),
            scheduler=options.scheduler,
            desired_retention=options.desired_retention,
            plan=_stored_plan(options.plan),
        )
        if options
        else GroupOptions()
    )
    return GroupConfig(group=group, tracks=tracks, settings=settings)


def _stored_plan(value: object) -> PlanOptions | None:
    """The stored plan, or None when there is none (or it no longer validates: a plan is advice,
    and a bad one must not keep the Config page from opening; saving again replaces it)."""
    if value is None:
        return None
    try:
        return PlanOptions.model_validate(value)
    except ValidationError:
        return None


def _apply_track(row: TrackSetting, tc: TrackConfig, today: date, *, keep_started: bool) -> None:
    """Store one track's configuration; a pause or a resume is dated ``today``.

    Hiding a started track pauses it too, so its days do not pile up while it is out of sight
    (showing it again leaves it paused until the learner resumes it).
    """
    if keep_started and tc.start_date is None and row.start_date is not None:
        tc = tc.model_copy(update={"start_date": row.start_date})
    paused = tc.paused or (tc.hidden and not row.hidden and tc.start_date is not None)
    if row.start_date != tc.start_date:
        # A new start date begins a new run: pauses of the old one no longer count.
        row.paused_days = 0
        if row.paused_since is not None:
            row.paused_since = today
    row.start_date = tc.start_date
    row.acceleration_days = tc.acceleration_days
    if paused and row.paused_since is None:
        row.paused_since = today
    elif not paused and row.paused_since is not None:
        row.paused_days = (row.paused_days or 0) + days_paused(row.start_date, row.paused_since, today)
        row.paused_since = None
    row.hidden = tc.hidden


def apply_config(
    session: Session, config: GroupConfig, *, today: date | None = None, keep_started: bool = False
) -> bool:
    """Write a validated configuration to the database; True when the schedule must be recomputed.

    Args:
        today: the date a pause or a resume takes effect (default: the system's date).
        keep_started: a track the configuration calls not started (``start_date`` null) keeps
            the start date it has in the database. ``config.json`` is read back this way: a track
            started by its first completion since the file was written stays started.
    """
    today = today or date.today()
    options = session.get(GroupSetting, config.group)
    if options is None:
        options = GroupSetting(group=config.group, review_intervals=list(DEFAULT_INTERVALS))
        session.add(options)
    s = config.settings
    reschedule = (
        list(options.review_intervals) != s.review_intervals
        or options.scheduler != s.scheduler
        or options.desired_retention != s.desired_retention
    )
    options.review_intervals = list(s.review_intervals)
    options.scheduler = s.scheduler
    options.desired_retention = s.desired_retention
    options.plan = s.plan.model_dump(mode="json") if s.plan is not None else None
    for slug, tc in config.tracks.items():
        row = session.get(TrackSetting, slug)
        if row is None:
            row = TrackSetting(track=slug, group=config.group, paused_days=0, hidden=False)
            session.add(row)
        _apply_track(row, tc, today, keep_started=keep_started)
    session.flush()
    return reschedule


def config_path(data_dir: Path, group: str) -> Path:
    return data_dir / group / "config.json"


def write_config_file(data_dir: Path, config: GroupConfig) -> Path:
    """Atomically rewrite the group's config.json (a crash leaves the old file or the new one).

    Raises:
        StorageError: the disk is full or the folder read-only (no partial file is left).
    """
    path = config_path(data_dir, config.group)
    document = config.model_dump(mode="json")
    if document["settings"].get("plan") is None:
        document["settings"].pop("plan", None)  # no plan set: the file stays as it was before plans
    text = json.dumps(document, indent=2) + "\n"
    with contextlib.suppress(OSError, UnicodeDecodeError):
        if path.read_text(encoding="utf-8") == text:
            return path  # every CLI command passes here: leave an unchanged file (and its mtime) alone
    return atomic_write_text(path, text)


def read_config_file(data_dir: Path, group: str) -> GroupConfig | None:
    """The hand-editable file, validated; None when it does not exist."""
    path = config_path(data_dir, group)
    if not path.exists():
        return None
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_FILE_BYTES:
            raise ConfigFileError(
                f"{path}: {size:,} bytes is too large for a config file (at most {MAX_CONFIG_FILE_BYTES:,})"
            )
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigFileError(f"{path}: not valid JSON ({exc})") from None
    except RecursionError:
        raise ConfigFileError(f"{path}: not valid JSON (nested too deeply)") from None
    if not isinstance(payload, dict):
        raise ConfigFileError(f"{path}: must hold a JSON object")
    try:
        return validate_config(group, payload)
    except InvalidInput as exc:
        raise ConfigFileError(f"{path}: {exc.message}", exc.errors) from None


def save_config(
    session: Session,
    *,
    data_dir: Path,
    group: str,
    payload: object,
    zone: tzinfo,
    today: date | None = None,
) -> GroupConfig:
    """Validate, store and mirror a group's configuration; recompute reviews when their rules changed.

    Args:
        today: the date a pause or resume takes effect (default: today in ``zone``).

    Raises:
        NotFound: unknown group.
        InvalidInput: any invalid field (nothing is saved).
    """

    config = validate_config(group, payload)
    if apply_config(session, config, today=today or local_date(datetime.now(UTC), zone)):
        reschedule(session, group=group, zone=zone)
    saved = get_config(session, group)
    write_config_file(data_dir, saved)
    return saved


def update_track(
    session: Session, *, data_dir: Path, track: str, changes: object, zone: tzinfo, today: date
) -> GroupConfig:
    """Change some settings of one track (``start_date``, ``acceleration_days``, ``paused``,
    ``hidden``), checked as part of its whole group's configuration; returns the group's.

    Raises:
        NotFound: unknown track.
        InvalidInput: an unknown or invalid field, named ``tracks.<track>.<field>`` (nothing is saved).
    """
    group = get_track(track).group
    try:
        update = TrackUpdate.model_validate(changes)
    except ValidationError as exc:
        raise invalid(exc, f"tracks.{track}") from None
    current = get_config(session, group).model_dump(mode="json")
    entry = current["tracks"].setdefault(track, {})
    entry.update(update.model_dump(mode="json", exclude_unset=True))
    return save_config(session, data_dir=data_dir, group=group, payload=current, zone=zone, today=today)


def save_plan(
    session: Session, *, data_dir: Path, group: str, plan: object, zone: tzinfo, today: date
) -> GroupConfig:
    """Replace a group's plan settings (None removes the plan), checked as part of its whole
    configuration; returns the group's configuration.

    Raises:
        NotFound: unknown group.
        InvalidInput: an invalid field, named ``settings.plan.<field>`` (nothing is saved).
    """
    current = get_config(session, group).model_dump(mode="json")
    current["settings"]["plan"] = plan
    return save_config(session, data_dir=data_dir, group=group, payload=current, zone=zone, today=today)
