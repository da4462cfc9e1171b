"""practice_questions: generated practice questions waiting for the learner (queued, accepted, rejected)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 14:00:00
"""

import sqlalchemy as sa
from alembic import op

from study_tracker.db.models import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "practice_questions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column(
            "roadmap_id", sa.Integer(), sa.ForeignKey("roadmaps.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column("topic_key", sa.String(255), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("doc_id", sa.Text(), nullable=True),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("heading_path", sa.JSON(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("generator", sa.String(16), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("key_points", sa.JSON(), nullable=False),
        sa.Column("edited", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_practice_questions_status", "practice_questions", ["status"])
    op.create_index("ix_practice_questions_roadmap_id", "practice_questions", ["roadmap_id"])


def downgrade() -> None:
    op.drop_index("ix_practice_questions_roadmap_id", table_name="practice_questions")
    op.drop_index("ix_practice_questions_status", table_name="practice_questions")
    op.drop_table("practice_questions")
