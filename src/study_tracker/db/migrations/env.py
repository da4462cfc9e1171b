"""Alembic environment: the URL comes from settings (or a connection passed in by ``migrate``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from study_tracker.config import get_settings
from study_tracker.db.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_with(connection)
        return
    section = {"sqlalchemy.url": get_settings().db_url}
    engine = engine_from_config(section, prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.begin() as conn:
        _run_with(conn)


def _run_with(connection) -> None:
    # render_as_batch: SQLite cannot ALTER most things, so Alembic copies tables instead.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run()
