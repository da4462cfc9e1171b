"""Export, import and backup of everything a user wrote: settings and the whole log.

The export is JSON and lossless: importing it into an empty data folder and exporting again
gives the same document. An import is validated whole before anything is written, and then
replaces the stored data in one transaction.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from study_tracker.db.models import Completion, GroupSetting, ReviewLog, ScheduledReview, TrackSetting, Undo
from study_tracker.tracker import settings_store
from study_tracker.tracker.curriculum import GROUPS, load_tracks
from study_tracker.tracker.errors import InvalidInput, invalid

FORMAT = "study-tracker-export"
VERSION = 1


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GroupRow(_Row):
    group: str
    scheduler: Literal["fixed", "fsrs"]
    review_intervals: list[int] = Field(min_length=1)
    desired_retention: float = Field(ge=0.7, le=0.99)


class TrackRow(_Row):
    track: str
    group: str
    start_date: date
    acceleration_days: int = Field(ge=0)


class CompletionRow(_Row):
    id: int = Field(ge=1)
    group: str
    track: str
    day: int = Field(ge=1)
    difficulty: int = Field(ge=1, le=5)
    notes: str
    completed_at: AwareDatetime
    local_date: date


class ReviewRow(_Row):
    id: int = Field(ge=1)
    completion_id: int
    group: str
    step: int = Field(ge=0)
    interval_days: int = Field(ge=0)
    due_date: date
    rating: int = Field(ge=1, le=4)
    notes: str
    reviewed_at: AwareDatetime
    local_date: date


class UndoRow(_Row):
    id: int = Field(ge=1)
    completion_id: int | None = None
    review_id: int | None = None
    undone_at: AwareDatetime


class Export(_Row):
    format: Literal["study-tracker-export"]
    version: Literal[1]
    exported_at: AwareDatetime
    groups: list[GroupRow]
    tracks: list[TrackRow]
    completions: list[CompletionRow]
    reviews: list[ReviewRow]
    undos: list[UndoRow]

    @model_validator(mode="after")
    def _references(self) -> Export:
        completion_ids = {c.id for c in self.completions}
        review_ids = {r.id for r in self.reviews}
        for i, r in enumerate(self.reviews):
            if r.completion_id not in completion_ids:
                raise ValueError(f"reviews.{i}.completion_id: no completion with id {r.completion_id}")
        for i, u in enumerate(self.undos):
            if (u.completion_id is None) == (u.review_id is None):
                raise ValueError(f"undos.{i}: needs exactly one of completion_id or review_id")
            if u.completion_id is not None and u.completion_id not in completion_ids:
                raise ValueError(f"undos.{i}.completion_id: no completion with id {u.completion_id}")
            if u.review_id is not None and u.review_id not in review_ids:
                raise ValueError(f"undos.{i}.review_id: no review with id {u.review_id}")
        tracks = load_tracks()
        for i, g in enumerate(self.groups):
            if g.group not in GROUPS:
                raise ValueError(f"groups.{i}.group: unknown group {g.group!r}")
        for i, t in enumerate(self.tracks):
            if t.track not in tracks:
                raise ValueError(f"tracks.{i}.track: unknown track {t.track!r}")
        for i, c in enumerate(self.completions):
            if c.track not in tracks:
                raise ValueError(f"completions.{i}.track: unknown track {c.track!r}")
        return self


def _dump(row: object, model: type[_Row]) -> dict:  # type: ignore[type-arg]
    return model.model_validate(row, from_attributes=True).model_dump(mode="json")


def export_data(session: Session, *, now: datetime) -> dict:  # type: ignore[type-arg]
    """Every setting and log entry as one JSON-ready document."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": now.isoformat(),
        "groups": [
            _dump(g, GroupRow) for g in session.scalars(select(GroupSetting).order_by(GroupSetting.group))
        ],
        "tracks": [
            _dump(t, TrackRow) for t in session.scalars(select(TrackSetting).order_by(TrackSetting.track))
        ],
        "completions": [
            _dump(c, CompletionRow) for c in session.scalars(select(Completion).order_by(Completion.id))
        ],
        "reviews": [_dump(r, ReviewRow) for r in session.scalars(select(ReviewLog).order_by(ReviewLog.id))],
        "undos": [_dump(u, UndoRow) for u in session.scalars(select(Undo).order_by(Undo.id))],
    }


def parse_export(text: str, source: str = "import") -> Export:
    """Validate an export document completely; raises InvalidInput naming the field."""
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput.field(source, f"not valid JSON ({exc})") from None
    try:
        return Export.model_validate(payload)
    except ValidationError as exc:
        raise invalid(exc) from None


def import_data(session: Session, document: Export) -> dict[str, int]:
    """Replace all stored settings and log entries with the document's; returns row counts.

    The caller reschedules afterwards (pending reviews are derived from the log).
    """
    for model in (ScheduledReview, Undo, ReviewLog, Completion, TrackSetting, GroupSetting):
        session.execute(delete(model))
    session.add_all(GroupSetting(**g.model_dump()) for g in document.groups)
    session.add_all(TrackSetting(**t.model_dump()) for t in document.tracks)
    session.flush()
    session.add_all(Completion(**c.model_dump()) for c in document.completions)
    session.flush()
    session.add_all(ReviewLog(**r.model_dump()) for r in document.reviews)
    session.flush()
    session.add_all(Undo(**u.model_dump()) for u in document.undos)
    session.flush()
    return {
        "groups": len(document.groups),
        "tracks": len(document.tracks),
        "completions": len(document.completions),
        "reviews": len(document.reviews),
        "undos": len(document.undos),
    }


def sync_config_files(session: Session, data_dir: Path) -> None:
    for group in GROUPS:
        settings_store.write_config_file(data_dir, settings_store.get_config(session, group))


def backup(*, db_url: str, data_dir: Path, export: dict, now: datetime) -> Path:  # type: ignore[type-arg]
    """Write a timestamped backup folder: a consistent SQLite copy (when on SQLite), the JSON
    export and the config files. Returns the folder."""
    folder = data_dir / "backups" / now.strftime("%Y%m%d-%H%M%S")
    folder.mkdir(parents=True, exist_ok=False)
    if db_url.startswith("sqlite:///"):
        # sqlite3's backup API copies a consistent snapshot even while the server writes.
        with (
            sqlite3.connect(db_url.removeprefix("sqlite:///")) as src,
            sqlite3.connect(folder / "study.db") as dst,
        ):
            src.backup(dst)
    (folder / "export.json").write_text(json.dumps(export, indent=2), encoding="utf-8")
    for group in GROUPS:
        path = settings_store.config_path(data_dir, group)
        if path.exists():
            (folder / group).mkdir()
            shutil.copy2(path, folder / group / "config.json")
    return folder


def has_history(session: Session) -> bool:
    return session.scalar(select(Completion.id).limit(1)) is not None
