"""question_outcomes: per-question answers, covered key points and grades of reviews and drills

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 13:45:00
"""

import sqlalchemy as sa
from alembic import op

import study_tracker.db.models

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "question_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=True),
        sa.Column("drill_result_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("track", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("question_index", sa.Integer(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("key_points", sa.Integer(), nullable=False),
        sa.Column("covered", sa.JSON(), nullable=False),
        sa.Column("contradicted", sa.JSON(), nullable=False),
        sa.Column("suggested", sa.Integer(), nullable=True),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("grader", sa.String(length=16), nullable=False),
        sa.Column("answered_at", study_tracker.db.models.UTCDateTime(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["drill_result_id"], ["drill_results.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["review_id"], ["review_logs.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_question_outcomes_review_id", "question_outcomes", ["review_id"])
    op.create_index("ix_question_outcomes_drill_result_id", "question_outcomes", ["drill_result_id"])


def downgrade() -> None:
    op.drop_index("ix_question_outcomes_drill_result_id", table_name="question_outcomes")
    op.drop_index("ix_question_outcomes_review_id", table_name="question_outcomes")
    op.drop_table("question_outcomes")
