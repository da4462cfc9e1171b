"""Backups of the SQLite database file: a verified copy, the list of copies, thinning, putting one back.

A backup is a folder in ``<folder of study.db>/backups`` named ``YYYYMMDD-HHMMSS-<kind>`` (local
time; ``-2``, ``-3``... when two land in the same second) holding ``study.db``, a copy taken with
SQLite's online backup API (consistent even while the server writes), ``manifest.json`` (when,
why, sizes, and the result of ``PRAGMA integrity_check`` on the copy) and whatever the caller adds
(the JSON export, the config files: ``tracker/backups.py``).

A folder is written under a hidden temporary name and renamed into place only after its copy
passed the check, so every listed backup is complete, two backups never share a name, and a
failed one never replaces or hides a good one. Only automatic backups (``AUTO_KINDS``) that were
verified are ever thinned; ``study backup`` copies and unknown folders are left alone.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

BACKUPS = "backups"
DB_FILE = "study.db"
MANIFEST = "manifest.json"
# Kinds of backup study-tracker makes by itself; only these are thinned.
AUTO_KINDS = frozenset({"daily", "import", "migration", "restore"})
# ``20261122-101500-daily`` or ``20261122-101500-daily-2``; plain ``20261122-101500`` is what
# ``study backup`` wrote before backups had kinds.
_NAME = re.compile(r"^(\d{8}-\d{6})(?:-([a-z]+))?(?:-(\d+))?$")


def backups_dir(db_path: Path) -> Path:
    return db_path.parent / BACKUPS


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new file in ``folder`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


# --- copying and checking a database file ---


def snapshot(source: Path, dest: Path, *, timeout: float = 30.0) -> None:
    """Copy the database at ``source`` to the new file ``dest`` with SQLite's online backup API.

    The copy is a single self-contained file (rollback journal mode, nothing left in a WAL).

    Raises:
        sqlite3.DatabaseError: the source cannot be read (damaged, locked past ``timeout``).
        OSError: ``dest`` cannot be written.
    """
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=timeout)
    try:
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
            dst.commit()
        finally:
            dst.close()
    finally:
        src.close()
    fsync_file(dest)


def integrity(path: Path) -> str:
    """``"ok"`` when SQLite's ``PRAGMA integrity_check`` passes on the file, else what it found.

    The file is opened immutable: read as it is, with no lock, journal or WAL file created.
    """
    if not path.is_file():
        return "no database file"
    if path.stat().st_size == 0:
        return "the file is empty (0 bytes)"
    try:
        conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        rows = conn.execute("PRAGMA integrity_check(5)").fetchall()
        found = [str(r[0]) for r in rows]
        if found == ["ok"] and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
            return "the database has no tables"
        return "ok" if found == ["ok"] else "; ".join(found)
    except sqlite3.Error as exc:
        return str(exc)
    finally:
        conn.close()


def revision(path: Path) -> str | None:
    """The Alembic revision recorded in a database file (None when it has none or cannot be read)."""
    try:
        conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    except sqlite3.Error:
        return None
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return str(row[0]) if row else None
    except sqlite3.Error:
        return None
    finally:
        conn.close()


# --- the backups folder ---


@dataclass(frozen=True)
class Backup:
    name: str
    path: Path
    created_at: datetime  # aware (UTC from the manifest; local time of the name for old folders)
    kind: str  # daily | import | migration | restore | manual | damaged
    verified: bool | None  # the copy passed integrity_check when written; None: never checked
    detail: str = ""  # what the check found, when it failed

    @property
    def has_database(self) -> bool:
        return (self.path / DB_FILE).is_file()

    @property
    def size_bytes(self) -> int:
        """Bytes in the whole folder (read when asked: listing backups stays cheap)."""
        return sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())


def new_name(folder: Path, when: datetime, kind: str) -> str:
    """A name no backup in ``folder`` has yet: ``YYYYMMDD-HHMMSS-kind``, then ``-2``, ``-3``..."""
    base = f"{when:%Y%m%d-%H%M%S}-{kind}"
    name, n = base, 1
    while (folder / name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def read_backup(path: Path) -> Backup | None:
    """The backup in ``path``; None when the folder is not one (a temporary folder, another name)."""
    match = _NAME.match(path.name)
    if not path.is_dir() or match is None:
        return None
    manifest: dict[str, object] = {}
    with contextlib.suppress(OSError, ValueError):
        loaded = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        manifest = loaded if isinstance(loaded, dict) else {}
    try:
        created = datetime.fromisoformat(str(manifest["created_at"]))
    except (KeyError, ValueError):
        created = datetime.strptime(match.group(1), "%Y%m%d-%H%M%S").astimezone()
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    check = manifest.get("integrity")
    return Backup(
        name=path.name,
        path=path,
        created_at=created,
        kind=str(manifest.get("kind") or match.group(2) or "manual"),
        verified=None if check is None else check == "ok",
        detail="" if check in (None, "ok") else str(check),
    )


def list_backups(folder: Path) -> list[Backup]:
    """Every backup in ``folder``, newest first (an unreadable folder lists none)."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    found = [b for b in (read_backup(p) for p in entries) if b is not None]
    return sorted(found, key=lambda b: (b.created_at, b.name), reverse=True)


def newest_good(folder: Path) -> Backup | None:
    """The newest backup whose database copy passed its check."""
    return next((b for b in list_backups(folder) if b.verified and b.has_database), None)


def write_manifest(folder: Path, manifest: dict[str, object]) -> None:
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    fsync_file(path)


def publish(partial: Path, folder: Path, *, when: datetime, kind: str) -> Path:
    """Rename a finished temporary backup folder into place under a name no other backup has.

    Raises:
        OSError: the rename failed for a reason other than the name being taken.
    """
    for _ in range(100):
        target = folder / new_name(folder, when, kind)
        try:
            # Renaming onto an existing (non-empty) folder fails: a backup is never replaced.
            os.rename(partial, target)
        except OSError:
            if target.exists():
                continue  # another process took the name a moment ago
            raise
        fsync_dir(folder)
        return target
    raise FileExistsError(f"no free backup name in {folder}")


# --- thinning (pure) ---


def thin(backups: Iterable[Backup], *, keep_daily: int, keep_weekly: int, keep_monthly: int) -> list[Backup]:
    """The automatic backups to delete so that what is left is the newest backup of each of the
    last ``keep_daily`` days, ``keep_weekly`` ISO weeks and ``keep_monthly`` months that have one.

    Periods are counted among the days that have backups (as borg's ``prune`` does), so a long
    break never leaves you without a copy; the newest automatic backup is always kept. Manual,
    unverified and unknown backups are never returned.
    """
    candidates = sorted(
        (b for b in backups if b.kind in AUTO_KINDS and b.verified),
        key=lambda b: (b.created_at, b.name),
        reverse=True,
    )
    keep: set[str] = {candidates[0].name} if candidates else set()
    rules = (
        (keep_daily, lambda d: (d.year, d.month, d.day)),
        (keep_weekly, lambda d: tuple(d.isocalendar())[:2]),
        (keep_monthly, lambda d: (d.year, d.month)),
    )
    for count, period in rules:
        seen: list[object] = []
        for b in candidates:
            key = period(b.created_at.date())
            if key in seen:
                continue
            if len(seen) >= count:
                break
            seen.append(key)
            keep.add(b.name)
    return [b for b in candidates if b.name not in keep]


def remove(backups: Sequence[Backup]) -> None:
    for b in backups:
        shutil.rmtree(b.path, ignore_errors=True)


# --- putting a copy back ---


def swap_in(source: Path, db_path: Path) -> None:
    """Replace the database file at ``db_path`` by a copy of ``source``, atomically.

    The copy is written beside the database and renamed over it; the old database's WAL and
    shared-memory files are removed first, so SQLite never applies the old log to the new file.
    Callers take a backup of the current database first and hold the set-up lock.

    Raises:
        OSError: the copy cannot be written (the current database is then untouched).
    """
    staging = db_path.with_name(f".{db_path.name}.restoring")
    try:
        shutil.copyfile(source, staging)
        fsync_file(staging)
        with contextlib.suppress(sqlite3.Error):
            # Fold the WAL into the old file first: after this the -wal file holds nothing.
            conn = sqlite3.connect(db_path, timeout=5)
            try:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                conn.close()
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                db_path.with_name(db_path.name + suffix).unlink()
        os.replace(staging, db_path)
        fsync_dir(db_path.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            staging.unlink()
