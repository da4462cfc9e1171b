"""plan: a group's plan to the interview date (interview date, daily target, Easy Days, breaks)

One JSON column on group_settings: the plan's settings are read and written whole (the Config
page, ``study plan set``, ``PUT /api/plan/{group}``) and validated by ``PlanOptions``; NULL means
no plan was set (reviews follow the scheduler alone, as before).

Revision ID: 0008
Revises: 0004
Create Date: 2026-12-02 13:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("group_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plan", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("group_settings", schema=None) as batch_op:
        batch_op.drop_column("plan")
