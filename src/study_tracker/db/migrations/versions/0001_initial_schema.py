"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 09:02:06.440092
"""

import sqlalchemy as sa
from alembic import op

import study_tracker.db.models

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "completions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group", sa.String(length=64), nullable=False),
        sa.Column("track", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("difficulty", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("completed_at", study_tracker.db.models.UTCDateTime(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("completions", schema=None) as batch_op:
        batch_op.create_index("ix_completions_group_date", ["group", "local_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_completions_track"), ["track"], unique=False)

    op.create_table(
        "group_settings",
        sa.Column("group", sa.String(length=64), nullable=False),
        sa.Column("scheduler", sa.String(length=16), nullable=False),
        sa.Column("review_intervals", sa.JSON(), nullable=False),
        sa.Column("desired_retention", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("group"),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "track_settings",
        sa.Column("track", sa.String(length=64), nullable=False),
        sa.Column("group", sa.String(length=64), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("acceleration_days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("track"),
    )
    with op.batch_alter_table("track_settings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_track_settings_group"), ["group"], unique=False)

    op.create_table(
        "review_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("completion_id", sa.Integer(), nullable=False),
        sa.Column("group", sa.String(length=64), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("interval_days", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("reviewed_at", study_tracker.db.models.UTCDateTime(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["completion_id"],
            ["completions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("review_logs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_logs_completion_id"), ["completion_id"], unique=False)
        batch_op.create_index("ix_review_logs_group_date", ["group", "local_date"], unique=False)

    op.create_table(
        "scheduled_reviews",
        sa.Column("completion_id", sa.Integer(), nullable=False),
        sa.Column("group", sa.String(length=64), nullable=False),
        sa.Column("track", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("interval_days", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["completion_id"],
            ["completions.id"],
        ),
        sa.PrimaryKeyConstraint("completion_id"),
    )
    with op.batch_alter_table("scheduled_reviews", schema=None) as batch_op:
        batch_op.create_index("ix_scheduled_group_due", ["group", "due_date"], unique=False)

    op.create_table(
        "undos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("completion_id", sa.Integer(), nullable=True),
        sa.Column("review_id", sa.Integer(), nullable=True),
        sa.Column("undone_at", study_tracker.db.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["completion_id"],
            ["completions.id"],
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review_logs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("completion_id"),
        sa.UniqueConstraint("review_id"),
    )


def downgrade() -> None:
    op.drop_table("undos")
    with op.batch_alter_table("scheduled_reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_scheduled_group_due")

    op.drop_table("scheduled_reviews")
    with op.batch_alter_table("review_logs", schema=None) as batch_op:
        batch_op.drop_index("ix_review_logs_group_date")
        batch_op.drop_index(batch_op.f("ix_review_logs_completion_id"))

    op.drop_table("review_logs")
    with op.batch_alter_table("track_settings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_track_settings_group"))

    op.drop_table("track_settings")
    op.drop_table("meta")
    op.drop_table("group_settings")
    with op.batch_alter_table("completions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_completions_track"))
        batch_op.drop_index("ix_completions_group_date")

    op.drop_table("completions")
