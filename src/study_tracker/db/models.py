"""SQLAlchemy models.

``completions``, ``review_logs`` and ``undos`` are an append-only log: nothing in them is
ever updated or deleted (an undo is a new row). ``scheduled_reviews`` is a projection of
that log through the group's scheduler and can be rebuilt from it at any time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store aware datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class Meta(Base):
    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class GroupSetting(Base):
    __tablename__ = "group_settings"

    group: Mapped[str] = mapped_column(String(64), primary_key=True)
    scheduler: Mapped[str] = mapped_column(String(16), default="fixed")
    review_intervals: Mapped[list[int]] = mapped_column(JSON)
    desired_retention: Mapped[float] = mapped_column(default=0.9)


class TrackSetting(Base):
    __tablename__ = "track_settings"

    track: Mapped[str] = mapped_column(String(64), primary_key=True)
    group: Mapped[str] = mapped_column(String(64), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    acceleration_days: Mapped[int] = mapped_column(Integer, default=0)


class Completion(Base):
    __tablename__ = "completions"
    __table_args__ = (Index("ix_completions_group_date", "group", "local_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group: Mapped[str] = mapped_column(String(64))
    track: Mapped[str] = mapped_column(String(64), index=True)
    day: Mapped[int] = mapped_column(Integer)
    difficulty: Mapped[int] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    local_date: Mapped[date] = mapped_column(Date)


class ReviewLog(Base):
    __tablename__ = "review_logs"
    __table_args__ = (Index("ix_review_logs_group_date", "group", "local_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    completion_id: Mapped[int] = mapped_column(ForeignKey("completions.id"), index=True)
    group: Mapped[str] = mapped_column(String(64))
    step: Mapped[int] = mapped_column(Integer)
    interval_days: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    rating: Mapped[int] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    local_date: Mapped[date] = mapped_column(Date)


class Undo(Base):
    __tablename__ = "undos"

    id: Mapped[int] = mapped_column(primary_key=True)
    completion_id: Mapped[int | None] = mapped_column(ForeignKey("completions.id"), unique=True)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("review_logs.id"), unique=True)
    undone_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ScheduledReview(Base):
    __tablename__ = "scheduled_reviews"
    __table_args__ = (Index("ix_scheduled_group_due", "group", "due_date"),)

    completion_id: Mapped[int] = mapped_column(ForeignKey("completions.id"), primary_key=True)
    group: Mapped[str] = mapped_column(String(64))
    track: Mapped[str] = mapped_column(String(64))
    day: Mapped[int] = mapped_column(Integer)
    step: Mapped[int] = mapped_column(Integer)
    interval_days: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    state: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
