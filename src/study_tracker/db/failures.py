"""What a database failure means to the user: each becomes one of the project's errors, a sentence
that names the file and what to do.

* locked past the busy timeout, a deadlock, a serialization failure -> ``DatabaseBusy`` (503)
* not a database, malformed, truncated, unreadable -> ``CorruptDatabase`` / ``DatabaseUnavailable``
  (503), naming the newest good backup and the ``study restore`` command that puts it back
* full disk -> ``DiskFull`` (507); read-only file or folder -> ``ReadOnlyData`` (507)
* a unique index refusing a row -> ``Conflict`` (409): two requests raced and this one lost
  (services catch the races they expect and say precisely what happened; this is the backstop)

Anything else (a bug, a schema mismatch) is left as it is, so it shows as one.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

from sqlalchemy.exc import DBAPIError, IntegrityError

from study_tracker.db.backup import backups_dir, newest_good
from study_tracker.errors import (
    Conflict,
    CorruptDatabase,
    DatabaseBusy,
    DatabaseUnavailable,
    DiskFull,
    InvalidInput,
    ReadOnlyData,
    StudyError,
)

_CORRUPT = ("file is not a database", "malformed", "not a database", "file is encrypted")
_BUSY = ("database is locked", "database is busy", "database table is locked")
# PostgreSQL SQLSTATEs: serialization failure, deadlock, lock not available; disk full; no
# privilege to write (read-only transaction, insufficient privilege).
_PG_BUSY = {"40001", "40P01", "55P03"}
_PG_FULL = {"53100"}
_PG_READ_ONLY = {"25006", "42501"}


def restore_hint(db_path: Path) -> str:
    """The sentence that points at the newest good backup and the command that restores it."""
    folder = backups_dir(db_path)
    good = newest_good(folder)
    if good is None:
        return (
            f"No verified backup was found in {folder}. If you have a copy of the file, put it back; "
            f"to start afresh, move {db_path.name} away."
        )
    when = good.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
    return (
        f"The newest good backup is {good.path} ({good.kind}, {when}); "
        f"restore it with: study restore {good.name}"
    )


def corrupt(db_path: Path, reason: str) -> CorruptDatabase:
    return CorruptDatabase(
        f"{db_path} is damaged or is not a study-tracker database ({reason}). {restore_hint(db_path)}"
    )


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK)


# SQLite's extended codes for an I/O error while writing, syncing or growing a file: on a working
# disk these mean no room (EFBIG past a file size limit, a quota, ENOSPC mid-write), not damage.
_IOERR_WRITING = {
    sqlite3.SQLITE_IOERR_WRITE,
    sqlite3.SQLITE_IOERR_FSYNC,
    sqlite3.SQLITE_IOERR_TRUNCATE,
    sqlite3.SQLITE_IOERR_DIR_FSYNC,
    sqlite3.SQLITE_IOERR_SHMSIZE,
}


def _sqlite(reason: str, db_path: Path, code: int | None = None) -> StudyError | None:
    text = reason.lower()
    folder = db_path.parent
    if any(s in text for s in _BUSY):
        return DatabaseBusy(
            f"{db_path} is busy: another request or program kept it locked for too long ({reason}); "
            "nothing was saved, try again in a moment"
        )
    if any(s in text for s in _CORRUPT):
        return corrupt(db_path, reason)
    if "database or disk is full" in text:
        return DiskFull(f"the disk holding {db_path} is full ({reason}); free some space (nothing was saved)")
    if (
        "readonly" in text
        or "read-only" in text
        or ("unable to open" in text and folder.is_dir() and not _writable(folder))
    ):
        return ReadOnlyData(
            f"cannot write {db_path}: it or its folder {folder} is read-only ({reason}); make it "
            "writable, or point STUDY_DATA_DIR at a writable copy (nothing was saved)"
        )
    if "unable to open" in text:
        return DatabaseUnavailable(
            f"cannot open {db_path} ({reason}): check that it is a file you may read and write"
        )
    if "disk i/o error" in text:
        try:
            free = shutil.disk_usage(folder).free
        except OSError:
            free = None
        if (free is not None and free < 1 << 20) or code in _IOERR_WRITING:
            return DiskFull(
                f"cannot write {db_path} ({reason} while writing): the disk is full or the file may not "
                "grow; free some space (nothing was saved)"
            )
        return DatabaseUnavailable(f"cannot read or write {db_path} ({reason}). {restore_hint(db_path)}")
    return None


def _postgres(exc: DBAPIError, url: str) -> StudyError | None:
    state = getattr(exc.orig, "sqlstate", None)
    where = url.split("@")[-1]  # host/database, without credentials
    if state in _PG_BUSY:
        return DatabaseBusy(f"the database {where} is busy ({exc.orig}); nothing was saved, try again")
    if state in _PG_FULL:
        return DiskFull(f"the database server of {where} has no disk space left ({exc.orig})")
    if state == "22003":  # numeric value out of range: an id no row of this database can have
        return InvalidInput(f"a number is out of range for the database ({exc.orig}); no such entry exists")
    if state in _PG_READ_ONLY:
        return ReadOnlyData(f"the database {where} refuses writes ({exc.orig})")
    if state is None and exc.connection_invalidated or state in {"08000", "08001", "08006", "57P01", "57P03"}:
        return DatabaseUnavailable(f"cannot reach the database {where} ({exc.orig}); is the server running?")
    return None


def translate(exc: DBAPIError, url: str) -> StudyError | None:
    """The project's error for a database failure; None for one that is a bug, not a condition."""
    if isinstance(exc, IntegrityError):
        unique = getattr(exc.orig, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(exc.orig)
        if not unique:
            return None  # a broken reference or a NULL: a bug, not a race
        return Conflict(
            "another request changed the same entry at the same moment; nothing was saved, try again"
        )
    path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    if path is None:
        return _postgres(exc, url)
    return _sqlite(str(exc.orig), path, getattr(exc.orig, "sqlite_errorcode", None))


def sqlite_error(exc: sqlite3.Error, db_path: Path) -> StudyError:
    """The project's error for a failure of Python's own sqlite3 module on ``db_path`` (backups)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return _sqlite(str(exc), db_path, code) or DatabaseUnavailable(f"cannot read {db_path} ({exc})")


def check_file(db_path: Path) -> None:
    """Refuse a database file SQLite would silently treat as a new, empty database.

    An empty ``study.db`` beside backups is a database that was lost (a full disk, a failed
    copy), not a first start: starting afresh on it would bury the backups' history.

    Raises:
        CorruptDatabase: the file is empty and backups exist.
    """
    try:
        empty = db_path.is_file() and db_path.stat().st_size == 0
    except OSError:
        return  # SQLite's own open says what is wrong
    if empty and newest_good(backups_dir(db_path)) is not None:
        raise corrupt(db_path, "the file is empty (0 bytes)")
