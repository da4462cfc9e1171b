"""SQLAlchemy models.

``completions``, ``review_logs`` and ``undos`` are an append-only log: nothing in them is
ever deleted and nothing is updated but ``slot`` (an undo is a new row). ``scheduled_reviews``
is a projection of that log through the group's scheduler and can be rebuilt from it at any time.

The database enforces the log's invariants, so two requests racing can never both succeed:

* ``completions.slot`` = ``"<track>:<day>:<start date of the run>"`` is unique: a day is
  completed at most once per run of its track (a run begins at the track's start date).
* ``review_logs.slot`` = ``"<completion id>:<step>"`` is unique: each review step of a
  completion is logged at most once.
* ``undos.completion_id`` and ``undos.review_id`` are unique: an entry is undone at most once.

An undo sets the entry's ``slot`` to NULL in the same transaction (NULLs never collide), which
frees the day or the step for a new entry; entries of an earlier run hold no slot either.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text, TypeDecorator, false
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


# A ``meta`` key rewritten whenever an import replaces the log wholesale: caches of values
# computed from the log (skill mastery) compare it, since an import can leave ids and counts alike.
LOG_EPOCH_KEY = "log_epoch"


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
    # The plan to the interview date (``tracker.plan_options.PlanOptions``); NULL: no plan set.
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class TrackSetting(Base):
    """A track's run: when it started, how far it skipped ahead, and whether it is paused or hidden.

    ``start_date`` is NULL until the track is used (its first completion sets it) or the learner
    picks one; a paused track's day count stands still from ``paused_since``, and ``paused_days``
    sums the days of earlier pauses in this run (``tracker.service.current_day``).
    """

    __tablename__ = "track_settings"

    track: Mapped[str] = mapped_column(String(64), primary_key=True)
    group: Mapped[str] = mapped_column(String(64), index=True)
    start_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    acceleration_days: Mapped[int] = mapped_column(Integer, default=0)
    paused_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    paused_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    hidden: Mapped[bool] = mapped_column(default=False, server_default=false())


# The largest id any table accepts (SQLite's INTEGER is a signed 64-bit number): ids in paths and
# imports are checked against it, so a bigger one is a 404 or a 422, never an overflow.
MAX_ID = 2**63 - 1


def completion_slot(track: str, day: int, run_start: date | None) -> str:
    """The claim a live completion holds: one per track, day and run (``*``: the track has no start)."""
    return f"{track}:{day}:{run_start.isoformat() if run_start else '*'}"


def review_slot(completion_id: int, step: int) -> str:
    """The claim a live review holds: one per completion and step."""
    return f"{completion_id}:{step}"


class Completion(Base):
    __tablename__ = "completions"
    __table_args__ = (
        Index("ix_completions_group_date", "group", "local_date"),
        Index("uq_completions_slot", "slot", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group: Mapped[str] = mapped_column(String(64))
    track: Mapped[str] = mapped_column(String(64), index=True)
    day: Mapped[int] = mapped_column(Integer)
    difficulty: Mapped[int] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    local_date: Mapped[date] = mapped_column(Date)
    # completion_slot() while live in its run; NULL once undone (or from an earlier run).
    slot: Mapped[str | None] = mapped_column(String(200), nullable=True, default=None)


class ReviewLog(Base):
    __tablename__ = "review_logs"
    __table_args__ = (
        Index("ix_review_logs_group_date", "group", "local_date"),
        Index("uq_review_logs_slot", "slot", unique=True),
    )

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
    # review_slot() while live; NULL once undone.
    slot: Mapped[str | None] = mapped_column(String(200), nullable=True, default=None)


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


# --- Roadmaps, milestones, drills (issue 6) -------------------------------------------------
# An imported roadmap is a track of its own: its items (topics, subtopics, milestones, tasks,
# resources) are rebuilt from the Markdown on every import, keyed by a stable ``key`` derived
# from the heading path, while the user's progress lives in ``item_events`` keyed by
# (roadmap, key) - so re-importing an edited file never loses a tick.


class Roadmap(Base):
    __tablename__ = "roadmaps"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(Text)
    source_name: Mapped[str] = mapped_column(Text)  # the file name it was imported from
    content_hash: Mapped[str] = mapped_column(String(64))
    start_date: Mapped[date] = mapped_column(Date)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The alternative path the learner follows (an item's ``path``); NULL: none chosen.
    chosen_path: Mapped[str | None] = mapped_column(String(255), nullable=True)


class RoadmapItem(Base):
    __tablename__ = "roadmap_items"
    __table_args__ = (Index("ix_roadmap_items_key", "roadmap_id", "key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    roadmap_id: Mapped[int] = mapped_column(ForeignKey("roadmaps.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))  # stable identity from the heading path
    parent_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))  # topic | subtopic | milestone | task | resource
    position: Mapped[int] = mapped_column(Integer)  # document order
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text, default="")
    offset_days: Mapped[int | None] = mapped_column(Integer, nullable=True)  # from the roadmap start
    duration_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    checked_in_file: Mapped[bool] = mapped_column(default=False)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Items that disappear from the file are kept (flagged) so their progress is not lost.
    removed: Mapped[bool] = mapped_column(default=False)
    # The alternative path (a section key) it belongs to, when the roadmap offers several.
    path: Mapped[str | None] = mapped_column(String(255), nullable=True)
    path_title: Mapped[str | None] = mapped_column(Text, nullable=True)


class ItemEvent(Base):
    """Append-only progress on a roadmap item: ticked, unticked, a deliverable link."""

    __tablename__ = "item_events"
    __table_args__ = (Index("ix_item_events_item", "roadmap_id", "item_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    roadmap_id: Mapped[int] = mapped_column(ForeignKey("roadmaps.id", ondelete="CASCADE"))
    item_key: Mapped[str] = mapped_column(String(255))
    done: Mapped[bool | None] = mapped_column(nullable=True)  # None: the event only sets a link
    link: Mapped[str | None] = mapped_column(Text, nullable=True)
    source: Mapped[str] = mapped_column(String(16), default="user")  # user | file
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    local_date: Mapped[date] = mapped_column(Date)


class DrillSession(Base):
    __tablename__ = "drill_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    group: Mapped[str] = mapped_column(String(64))
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # track, type, skill
    time_limit_s: Mapped[int] = mapped_column(Integer)
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{track, day, index}] in order
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DrillResult(Base):
    __tablename__ = "drill_results"
    __table_args__ = (Index("ix_drill_results_date", "local_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("drill_sessions.id", ondelete="CASCADE"), index=True)
    track: Mapped[str] = mapped_column(String(64))
    day: Mapped[int] = mapped_column(Integer)
    question_index: Mapped[int] = mapped_column(Integer)
    skills: Mapped[list[str]] = mapped_column(JSON)
    grade: Mapped[int] = mapped_column(Integer)  # 1 Again, 2 Hard, 3 Good, 4 Easy (as review ratings)
    seconds: Mapped[int] = mapped_column(Integer)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    local_date: Mapped[date] = mapped_column(Date)


# --- Per-question outcomes of the card loop (issue 13) ---------------------------------------
# One row per question answered in a review or a drill: what the learner typed, which key points
# counted as covered, the grader's suggestion and the learner's own grade. Append-only like the
# rest of the log: a review's outcomes are live while the review is (an undo of the review
# leaves them in place and every reader skips them), a drill's hang off its drill result.


class QuestionOutcome(Base):
    __tablename__ = "question_outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("review_logs.id"), nullable=True, index=True)
    drill_result_id: Mapped[int | None] = mapped_column(
        ForeignKey("drill_results.id", ondelete="CASCADE"), nullable=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer)  # order of the question in its review or drill
    track: Mapped[str] = mapped_column(String(64))
    day: Mapped[int] = mapped_column(Integer)
    question_index: Mapped[int] = mapped_column(Integer)  # position of the question in its topic
    skills: Mapped[list[str]] = mapped_column(JSON)
    answer: Mapped[str] = mapped_column(Text, default="")  # the typed answer (blank: answered aloud)
    key_points: Mapped[int] = mapped_column(Integer)  # how many the question had when answered
    covered: Mapped[list[int]] = mapped_column(JSON)  # indices the learner kept ticked
    contradicted: Mapped[list[int]] = mapped_column(JSON)
    suggested: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the grader's grade 1-4
    grade: Mapped[int] = mapped_column(Integer)  # the learner's grade 1 Again .. 4 Easy
    grader: Mapped[str] = mapped_column(String(16))  # offline | llm | none (a blank answer)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    local_date: Mapped[date] = mapped_column(Date)


# --- Generated practice questions (issue 13) --------------------------------------------------
# Candidates made from a roadmap's document or the user's own file wait here for the learner:
# queued -> accepted (an accepted roadmap question joins its roadmap's drills) or rejected.
# Rows are kept when rejected, so the same question is not proposed again.


class PracticeQuestion(Base):
    __tablename__ = "practice_questions"
    __table_args__ = (Index("ix_practice_questions_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued | accepted | rejected
    roadmap_id: Mapped[int | None] = mapped_column(
        ForeignKey("roadmaps.id", ondelete="CASCADE"), nullable=True, index=True
    )
    topic_key: Mapped[str | None] = mapped_column(String(255), nullable=True)  # the roadmap item
    source: Mapped[str] = mapped_column(Text)  # the file path, as the knowledge catalog names it
    doc_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    start: Mapped[int] = mapped_column(Integer)  # character offsets into the document's text
    end: Mapped[int] = mapped_column(Integer)
    heading_path: Mapped[list[str]] = mapped_column(JSON, default=list)
    kind: Mapped[str] = mapped_column(String(16))  # explain | definition | compare | list | llm
    type: Mapped[str] = mapped_column(String(16))  # a QuestionType
    generator: Mapped[str] = mapped_column(String(16))  # structure | llm
    prompt: Mapped[str] = mapped_column(Text)
    key_points: Mapped[list[str]] = mapped_column(JSON)
    edited: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


# --- who may use the web app when it is served off this computer (web/security/auth.py) ---
# Kept small and generic: a later version adds roles and per-user data on top of ``users``.


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)  # argon2id, with its parameters and salt
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebSession(Base):
    """A signed-in browser; the cookie holds the token, the table only its SHA-256."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A token for API clients (``Authorization: Bearer``), shown once; the table keeps its SHA-256."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
