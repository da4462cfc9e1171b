"""slots: a day completed once per run, a review step logged once (unique indexes), written by hand

Older versions checked these in Python only, so simultaneous requests could log a day or a
review step twice. This migration gives every live entry its slot and, where the old race left
duplicates, keeps the earliest entry and marks the others undone (each one is logged as a
warning); start-up then recomputes the schedule from the log.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 09:00:00
"""

import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from study_tracker.db.models import UTCDateTime
from study_tracker.db.slots import CompletionEntry, ReviewEntry, completion_slots, review_slots

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

log = logging.getLogger("study_tracker.migrations")

completions = sa.table(
    "completions",
    sa.column("id", sa.Integer),
    sa.column("track", sa.String),
    sa.column("day", sa.Integer),
    sa.column("local_date", sa.Date),
    sa.column("completed_at", UTCDateTime()),
    sa.column("slot", sa.String),
)
review_logs = sa.table(
    "review_logs",
    sa.column("id", sa.Integer),
    sa.column("completion_id", sa.Integer),
    sa.column("step", sa.Integer),
    sa.column("reviewed_at", UTCDateTime()),
    sa.column("slot", sa.String),
)
undos = sa.table(
    "undos",
    sa.column("completion_id", sa.Integer),
    sa.column("review_id", sa.Integer),
    sa.column("undone_at", UTCDateTime()),
)
track_settings = sa.table("track_settings", sa.column("track", sa.String), sa.column("start_date", sa.Date))
scheduled = sa.table("scheduled_reviews", sa.column("completion_id", sa.Integer))


def upgrade() -> None:
    op.add_column("completions", sa.Column("slot", sa.String(length=200), nullable=True))
    op.add_column("review_logs", sa.Column("slot", sa.String(length=200), nullable=True))
    _assign_slots(op.get_bind())
    op.create_index("uq_completions_slot", "completions", ["slot"], unique=True)
    op.create_index("uq_review_logs_slot", "review_logs", ["slot"], unique=True)


def _assign_slots(conn: sa.Connection) -> None:
    now = datetime.now(UTC)
    undone_c = {r[0] for r in conn.execute(sa.select(undos.c.completion_id)) if r[0] is not None}
    undone_r = {r[0] for r in conn.execute(sa.select(undos.c.review_id)) if r[0] is not None}
    starts = {r.track: r.start_date for r in conn.execute(sa.select(track_settings))}
    rows = conn.execute(sa.select(completions)).all()
    c_slots = completion_slots(
        (CompletionEntry(r.id, r.track, r.day, r.local_date, r.completed_at) for r in rows),
        undone=undone_c,
        run_starts=starts,
    )
    for dup, kept in c_slots.duplicates:
        log.warning(
            "completion %d repeats completion %d (same track, day and run, logged twice by a race in an "
            "older version): marked undone",
            dup,
            kept,
        )
        conn.execute(undos.insert().values(completion_id=dup, review_id=None, undone_at=now))
        conn.execute(scheduled.delete().where(scheduled.c.completion_id == dup))
    r_slots = review_slots(
        (
            ReviewEntry(r.id, r.completion_id, r.step, r.reviewed_at)
            for r in conn.execute(sa.select(review_logs))
        ),
        undone=undone_r,
    )
    for dup, kept in r_slots.duplicates:
        log.warning(
            "review %d repeats review %d (same completion and step, logged twice by a race in an older "
            "version): marked undone",
            dup,
            kept,
        )
        conn.execute(undos.insert().values(completion_id=None, review_id=dup, undone_at=now))
    for table, slots in ((completions, c_slots), (review_logs, r_slots)):
        values = [{"key": i, "value": s} for i, s in slots.by_id.items() if s is not None]
        if values:
            conn.execute(
                table.update().where(table.c.id == sa.bindparam("key")).values(slot=sa.bindparam("value")),
                values,
            )


def downgrade() -> None:
    op.drop_index("uq_review_logs_slot", table_name="review_logs")
    op.drop_index("uq_completions_slot", table_name="completions")
    with op.batch_alter_table("review_logs") as batch:
        batch.drop_column("slot")
    with op.batch_alter_table("completions") as batch:
        batch.drop_column("slot")
