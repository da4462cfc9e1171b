"""Engine, sessions, write transactions, the set-up lock and migrations (Alembic, applied on start).

Concurrency, in one place:

* SQLite runs in WAL mode: readers never wait for the writer. Python's sqlite3 module starts a
  transaction only at the first INSERT/UPDATE/DELETE, so reads before it see the latest commit.
* A service that checks something before writing it (is this day done yet? which entry is last?)
  calls ``begin_write`` first. On SQLite that is ``BEGIN IMMEDIATE``: it takes the database's one
  write lock before the check, so check and write see the same data and writers queue (each
  waiting up to ``db_busy_timeout_s``, then ``DatabaseBusy``, 503). On PostgreSQL it does nothing:
  the unique indexes on ``slot`` and on ``undos`` end a race in an ``IntegrityError``, which the
  service reports as a 409 naming what happened.
* ``session_scope`` turns what is left of a database failure into the project's errors
  (``db/failures.py``): busy -> 503, damaged -> 503 naming the newest good backup, full disk or
  read-only folder -> 507, a leftover unique-index race -> 409.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from filelock import FileLock, Timeout
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from study_tracker.config import get_settings
from study_tracker.db import failures
from study_tracker.errors import DatabaseBusy, DatabaseUnavailable, storage_error

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The newest revision in migrations/versions; tests check it matches Alembic's own head, and it
# lets a start-up on an up-to-date database skip importing Alembic (about half a second).
HEAD_REVISION = "0008"
# How long a process waits for another one to finish migrating and seeding the data folder.
SETUP_LOCK_TIMEOUT_S = 120.0
# pg_advisory_lock key of the set-up lock on PostgreSQL (any constant shared by every process).
_PG_SETUP_LOCK = 5_318_008_112


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for any other database."""
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets the CLI read while the server writes; foreign keys are off by default in SQLite.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


@functools.cache
def get_engine(url: str) -> Engine:
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # ``timeout`` is SQLite's busy timeout: BEGIN IMMEDIATE and writes wait that long for the lock
        # (STUDY_DB_BUSY_TIMEOUT_S, 30 s: 50 clients writing without a pause on a loaded 2-core
        # machine all get through, bench/write_load.py; a lock held longer is another program's).
        timeout = get_settings().db_busy_timeout_s
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": timeout})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(get_engine(url), expire_on_commit=False)


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A session committed on success and rolled back on any error.

    Raises:
        StudyError: a database failure, translated (``db/failures.py``): DatabaseBusy,
            CorruptDatabase, DatabaseUnavailable, DiskFull, ReadOnlyData, or Conflict.
    """
    session = session_factory(url)()
    try:
        yield session
        session.commit()
    except DBAPIError as exc:
        session.rollback()
        _reraise(exc, url)
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def begin_write(session: Session) -> None:
    """Start the session's write transaction now, before the checks that decide the write.

    On SQLite this takes the write lock (``BEGIN IMMEDIATE``, waiting up to ``db_busy_timeout_s``),
    so concurrent writers run one after the other and each sees what the previous one committed.
    Elsewhere the database's unique indexes settle races (see the module docstring).

    Raises:
        DatabaseBusy: the lock stayed held by someone else for ``db_busy_timeout_s``.
    """
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return
    driver = conn.connection.driver_connection
    if driver is not None and not driver.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def current_revision(url: str) -> str | None:
    """The database's Alembic revision; None for a new (empty) database.

    Raises:
        StudyError: the database cannot be opened or read (translated, see ``session_scope``).
    """
    try:
        with get_engine(url).connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError as exc:
        _reraise(exc, url)


def migrate(url: str) -> bool:
    """Bring the database schema to the newest Alembic revision; True when it changed anything.

    Callers hold ``setup_lock`` so two processes starting at once do not both migrate.

    Raises:
        StudyError: the database cannot be opened, read or written (translated).
    """
    if current_revision(url) == HEAD_REVISION:
        return False
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with get_engine(url).begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")
    except DBAPIError as exc:
        _reraise(exc, url)
    return True


@contextmanager
def setup_lock(url: str) -> Iterator[None]:
    """Held while a process migrates and seeds the database, so two starting at once take turns.

    SQLite: a lock file beside the database (``study.db.lock``). PostgreSQL: a session-level
    advisory lock.

    Raises:
        DatabaseBusy: another process held it for ``SETUP_LOCK_TIMEOUT_S``.
        ReadOnlyData: the lock file cannot be created (a read-only data folder).
    """
    path = sqlite_path(url)
    if path is None:
        with _pg_setup_lock(url):
            yield
        return
    lock_file = path.with_name(path.name + ".lock")
    try:
        lock_file.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(lock_file, timeout=SETUP_LOCK_TIMEOUT_S)
        lock.acquire()
    except Timeout:
        raise DatabaseBusy(
            f"another study-tracker process has been setting up {path.parent} for "
            f"{SETUP_LOCK_TIMEOUT_S:.0f} s ({lock_file} is held); try again when it is done"
        ) from None
    except OSError as exc:
        raise storage_error(exc, lock_file, "create") from None
    try:
        yield
    finally:
        lock.release()


@contextmanager
def _pg_setup_lock(url: str) -> Iterator[None]:
    try:
        conn = get_engine(url).connect()
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_SETUP_LOCK})
        conn.commit()
    except DBAPIError as exc:
        _reraise(exc, url)
    try:
        yield
    finally:
        try:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_SETUP_LOCK})
            conn.commit()
        finally:
            conn.close()


def _reraise(exc: DBAPIError, url: str) -> NoReturn:
    """Raise the project's error for ``exc`` (or ``exc`` itself when it is a bug, not a condition).

    When the database cannot be used, the pooled connections are closed too: they may point at a
    file that a restore has since replaced, and the next attempt must open the file anew.
    """
    known = failures.translate(exc, url)
    if known is None:
        raise exc
    if isinstance(known, DatabaseUnavailable):
        get_engine(url).dispose()
    raise known from exc
