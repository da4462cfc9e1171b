"""Export, import and backup of everything a user wrote: settings and the whole log.

The export is JSON and lossless: importing it into an empty data folder and exporting again
gives the same document. An import is validated whole before anything is written, and then
replaces the stored data in one transaction.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from study_tracker.content.curriculum import GROUPS, load_tracks
from study_tracker.db.models import (
    LOG_EPOCH_KEY,
    Completion,
    DrillResult,
    DrillSession,
    GroupSetting,
    ItemEvent,
    Meta,
    ReviewLog,
    Roadmap,
    RoadmapItem,
    ScheduledReview,
    TrackSetting,
    Undo,
)
from study_tracker.errors import InvalidInput, invalid
from study_tracker.tracker import settings_store

FORMAT = "study-tracker-export"
# 2 adds roadmaps, roadmap_items, item_events, drill_sessions, drill_results; 3 lets a track's
# start_date be null (not started) and adds its paused_since, paused_days and hidden.
VERSION = 3


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
    start_date: date | None  # null: not started yet (version 3)
    acceleration_days: int = Field(ge=0)
    # Version 3; older documents have none (nothing paused or hidden).
    paused_since: date | None = None
    paused_days: int = Field(0, ge=0)
    hidden: bool = False


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


class RoadmapRow(_Row):
    id: int = Field(ge=1)
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    title: str
    source_name: str
    content_hash: str = Field(max_length=64)
    start_date: date
    imported_at: AwareDatetime
    updated_at: AwareDatetime


class RoadmapItemRow(_Row):
    id: int = Field(ge=1)
    roadmap_id: int
    key: str = Field(min_length=1, max_length=255)
    parent_key: str | None = Field(default=None, max_length=255)
    kind: Literal["topic", "subtopic", "milestone", "task", "resource"]
    position: int = Field(ge=0)
    title: str
    body: str
    offset_days: int | None = None
    duration_days: int | None = Field(default=None, ge=1)
    url: str | None = None
    checked_in_file: bool
    skills: list[str]
    removed: bool


class ItemEventRow(_Row):
    id: int = Field(ge=1)
    roadmap_id: int
    item_key: str = Field(min_length=1, max_length=255)
    done: bool | None = None
    link: str | None = None
    source: Literal["user", "file"]
    at: AwareDatetime
    local_date: date


class DrillSessionRow(_Row):
    id: int = Field(ge=1)
    group: str
    filters: dict[str, Any]
    time_limit_s: int = Field(ge=0)
    questions: list[dict[str, Any]]
    started_at: AwareDatetime
    ended_at: AwareDatetime | None = None


class DrillResultRow(_Row):
    id: int = Field(ge=1)
    session_id: int
    track: str
    day: int = Field(ge=1)
    question_index: int = Field(ge=0)
    skills: list[str]
    grade: int = Field(ge=1, le=4)
    seconds: int = Field(ge=0)
    answered_at: AwareDatetime
    local_date: date


class Export(_Row):
    format: Literal["study-tracker-export"]
    version: Literal[1, 2, 3]
    exported_at: AwareDatetime
    groups: list[GroupRow]
    tracks: list[TrackRow]
    completions: list[CompletionRow]
    reviews: list[ReviewRow]
    undos: list[UndoRow]
    # Version 2; a version-1 document has none of these (an import leaves them empty).
    roadmaps: list[RoadmapRow] = Field(default_factory=list)
    roadmap_items: list[RoadmapItemRow] = Field(default_factory=list)
    item_events: list[ItemEventRow] = Field(default_factory=list)
    drill_sessions: list[DrillSessionRow] = Field(default_factory=list)
    drill_results: list[DrillResultRow] = Field(default_factory=list)

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
        self._roadmap_references()
        if self.version < 3:
            self._unused_tracks_not_started()
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

    def _unused_tracks_not_started(self) -> None:
        """Before version 3 every track had a start date, set on install day whether used or not;
        as migration 0003 does, a track without a live completion and whose start date is not
        after the export becomes not started (day 1, no catch-up pile)."""
        undone = {u.completion_id for u in self.undos if u.completion_id is not None}
        used = {c.track for c in self.completions if c.id not in undone}
        exported_on = self.exported_at.date()
        for t in self.tracks:
            if t.track not in used and t.start_date is not None and t.start_date <= exported_on:
                t.start_date = None

    def _roadmap_references(self) -> None:
        if self.version == 1 and (
            self.roadmaps
            or self.roadmap_items
            or self.item_events
            or self.drill_sessions
            or self.drill_results
        ):
            raise ValueError("version: roadmaps and drills need a version-2 document")
        _unique("roadmaps", "id", [r.id for r in self.roadmaps])
        _unique("roadmaps", "slug", [r.slug for r in self.roadmaps])
        _unique("roadmap_items", "id", [r.id for r in self.roadmap_items])
        _unique("item_events", "id", [e.id for e in self.item_events])
        _unique("drill_sessions", "id", [d.id for d in self.drill_sessions])
        _unique("drill_results", "id", [d.id for d in self.drill_results])
        roadmap_ids = {r.id for r in self.roadmaps}
        keys: set[tuple[int, str]] = set()
        for i, item in enumerate(self.roadmap_items):
            if item.roadmap_id not in roadmap_ids:
                raise ValueError(f"roadmap_items.{i}.roadmap_id: no roadmap with id {item.roadmap_id}")
            if (item.roadmap_id, item.key) in keys:
                raise ValueError(
                    f"roadmap_items.{i}.key: {item.key!r} appears twice in roadmap {item.roadmap_id}"
                )
            keys.add((item.roadmap_id, item.key))
        for i, e in enumerate(self.item_events):
            if e.roadmap_id not in roadmap_ids:
                raise ValueError(f"item_events.{i}.roadmap_id: no roadmap with id {e.roadmap_id}")
        session_ids = {d.id for d in self.drill_sessions}
        for i, r in enumerate(self.drill_results):
            if r.session_id not in session_ids:
                raise ValueError(f"drill_results.{i}.session_id: no drill session with id {r.session_id}")


def _unique(table: str, column: str, values: list[Any]) -> None:
    seen = set()
    for i, v in enumerate(values):
        if v in seen:
            raise ValueError(f"{table}.{i}.{column}: {v!r} appears twice")
        seen.add(v)


def _dump(row: object, model: type[_Row]) -> dict:
    return model.model_validate(row, from_attributes=True).model_dump(mode="json")


def export_data(session: Session, *, now: datetime) -> dict:
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
        "roadmaps": [_dump(r, RoadmapRow) for r in session.scalars(select(Roadmap).order_by(Roadmap.id))],
        "roadmap_items": [
            _dump(i, RoadmapItemRow) for i in session.scalars(select(RoadmapItem).order_by(RoadmapItem.id))
        ],
        "item_events": [
            _dump(e, ItemEventRow) for e in session.scalars(select(ItemEvent).order_by(ItemEvent.id))
        ],
        "drill_sessions": [
            _dump(d, DrillSessionRow) for d in session.scalars(select(DrillSession).order_by(DrillSession.id))
        ],
        "drill_results": [
            _dump(d, DrillResultRow) for d in session.scalars(select(DrillResult).order_by(DrillResult.id))
        ],
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
    for model in (
        DrillResult,
        DrillSession,
        ItemEvent,
        RoadmapItem,
        Roadmap,
        ScheduledReview,
        Undo,
        ReviewLog,
        Completion,
        TrackSetting,
        GroupSetting,
    ):
        session.execute(delete(model))
    session.add_all(GroupSetting(**g.model_dump()) for g in document.groups)
    session.add_all(TrackSetting(**t.model_dump()) for t in document.tracks)
    session.flush()
    session.add_all(Completion(**c.model_dump()) for c in document.completions)
    session.flush()
    session.add_all(ReviewLog(**r.model_dump()) for r in document.reviews)
    session.flush()
    session.add_all(Undo(**u.model_dump()) for u in document.undos)
    session.add_all(Roadmap(**r.model_dump()) for r in document.roadmaps)
    session.add_all(DrillSession(**d.model_dump()) for d in document.drill_sessions)
    session.flush()
    session.add_all(RoadmapItem(**i.model_dump()) for i in document.roadmap_items)
    session.add_all(ItemEvent(**e.model_dump()) for e in document.item_events)
    session.add_all(DrillResult(**d.model_dump()) for d in document.drill_results)
    session.merge(Meta(key=LOG_EPOCH_KEY, value=uuid.uuid4().hex))
    session.flush()
    return {
        "groups": len(document.groups),
        "tracks": len(document.tracks),
        "completions": len(document.completions),
        "reviews": len(document.reviews),
        "undos": len(document.undos),
        "roadmaps": len(document.roadmaps),
        "roadmap items": len(document.roadmap_items),
        "item events": len(document.item_events),
        "drill sessions": len(document.drill_sessions),
        "drill results": len(document.drill_results),
    }


def sync_config_files(session: Session, data_dir: Path) -> None:
    for group in GROUPS:
        settings_store.write_config_file(data_dir, settings_store.get_config(session, group))


def backup(*, db_url: str, data_dir: Path, export: dict, now: datetime) -> Path:
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
    return any(
        session.scalar(select(model.id).limit(1)) is not None for model in (Completion, Roadmap, DrillSession)
    )
