"""plan: a group's plan to the interview date; a roadmap's alternative paths and the one chosen

One JSON column on group_settings: the plan's settings are read and written whole (the Config
page, ``study plan set``, ``PUT /api/plan/{group}``) and validated by ``PlanOptions``; NULL means
no plan was set (reviews follow the scheduler alone, as before).

Roadmap items record the alternative path they belong to (``path``, ``path_title``; filled on the
next import of the roadmap) and a roadmap the path its learner chose (``chosen_path``; NULL: none
chosen, every path is offered).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 13:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("group_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plan", sa.JSON(), nullable=True))
    with op.batch_alter_table("roadmap_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("path", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("path_title", sa.Text(), nullable=True))
    with op.batch_alter_table("roadmaps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chosen_path", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("roadmaps", schema=None) as batch_op:
        batch_op.drop_column("chosen_path")
    with op.batch_alter_table("roadmap_items", schema=None) as batch_op:
        batch_op.drop_column("path_title")
        batch_op.drop_column("path")
    with op.batch_alter_table("group_settings", schema=None) as batch_op:
        batch_op.drop_column("plan")
