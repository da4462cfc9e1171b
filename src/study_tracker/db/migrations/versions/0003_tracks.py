"""tracks start when first used, and can be paused or hidden (issue 14)

Until now every bundled track got a start date on install day, so a group left alone for two
weeks opened on day 15 with fourteen days to "catch up". From this revision a track's
``start_date`` is NULL until it is used: its first completion sets it (or the learner picks one
on Config / ``study config set --track T --start DATE`` / the API). ``paused_since`` and
``paused_days`` stop the day count while a track is paused; ``hidden`` keeps a track off Today
and History without touching its data.

Existing databases keep everyone's current day wherever there is one:

* a track with at least one completion that was not undone keeps its start date (and so its day);
* a track whose start date lies in the future keeps it (the learner planned that start);
* every other track (no live completion, a start date of today or earlier: almost always the
  install-day default) becomes "not started". It shows day 1 (plus its acceleration days) and
  starts on its first completion, instead of a pile of catch-up days nobody asked for.

"Today" is the configured clock's (``STUDY_TODAY``, ``STUDY_TIMEZONE``) at migration time.
Nothing is paused or hidden by the migration. When it cleared a start date, the ``config.json``
files (written before, with the old dates) would put it back on the next start, so it leaves a
``meta`` flag: that start rewrites them from the database instead of reading them (a hand edit
not yet applied when upgrading is lost; the upgrade is the start that would have applied it).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 09:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

from study_tracker import clock
from study_tracker.config import get_settings

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Tracks with a completion that was not undone: their start date (and current day) stays.
_UNUSED_TRACKS = """
UPDATE track_settings SET start_date = NULL
WHERE start_date <= :today
  AND track NOT IN (
    SELECT DISTINCT track FROM completions
    WHERE id NOT IN (SELECT completion_id FROM undos WHERE completion_id IS NOT NULL)
  )
"""


def upgrade() -> None:
    with op.batch_alter_table("track_settings", schema=None) as batch_op:
        batch_op.alter_column("start_date", existing_type=sa.Date(), nullable=True)
        batch_op.add_column(sa.Column("paused_since", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("paused_days", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("hidden", sa.Boolean(), server_default=sa.false(), nullable=False))
    today = clock.today(get_settings())
    bind = op.get_bind()
    cleared = bind.execute(
        sa.text(_UNUSED_TRACKS).bindparams(sa.bindparam("today", today, type_=sa.Date()))
    ).rowcount
    if cleared:
        # settings_store.CONFIG_FILES_OUTDATED: read by tracker.startup.prepare.
        bind.execute(sa.text("INSERT INTO meta (key, value) VALUES ('config_files_outdated', '0003')"))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM meta WHERE key = 'config_files_outdated'"))
    # The older schema needs a start date: a track not started yet starts on the day of the downgrade.
    today = clock.today(get_settings())
    op.execute(
        sa.text("UPDATE track_settings SET start_date = :today WHERE start_date IS NULL").bindparams(
            sa.bindparam("today", today, type_=sa.Date())
        )
    )
    with op.batch_alter_table("track_settings", schema=None) as batch_op:
        batch_op.drop_column("hidden")
        batch_op.drop_column("paused_days")
        batch_op.drop_column("paused_since")
        batch_op.alter_column("start_date", existing_type=sa.Date(), nullable=False)
