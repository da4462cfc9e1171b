"""The watched folders: the ones added by hand (kept in ``<knowledge dir>/watched.json``) and the
ones named by the ``knowledge_watch_folders`` setting.

The list lives beside the index it feeds, not in the tracker's database: the knowledge engine
knows nothing of the tracker (docs/architecture.md), and a knowledge folder moved to another
machine takes its watched folders with it. The file is small, bounded before it is read, and
replaced atomically under a lock so the CLI and the server can both change it.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock

from study_tracker.config import Settings
from study_tracker.errors import (
    FieldError,
    IndexNotBuilt,
    InvalidInput,
    NotFound,
    SourceNotFound,
    storage_error,
)
from study_tracker.knowledge.ingest.plan import is_under, norm_path
from study_tracker.knowledge.ingest.sources import remove_sources
from study_tracker.knowledge.ingest.state import IngestReport
from study_tracker.knowledge.progress import Progress

FILE_NAME = "watched.json"
MAX_FILE_BYTES = 1 << 20  # thousands of folders; anything bigger is not our file
MAX_FOLDERS = 200


@dataclass
class WatchedFolder:
    """One watched folder, as the CLI, the Sources page and ``/api/watch`` show it."""

    path: str
    added_at: str = ""
    from_setting: bool = False  # named by STUDY_KNOWLEDGE_WATCH_FOLDERS: removed there, not here
    exists: bool = True


def watched_file(settings: Settings) -> Path:
    return settings.knowledge_path / FILE_NAME


def _read(path: Path) -> list[WatchedFolder]:
    """The hand-added folders; a missing or unreadable file is an empty list (nothing is watched)."""
    try:
        with path.open("rb") as f:
            data = json.loads(f.read(MAX_FILE_BYTES + 1)[:MAX_FILE_BYTES] or b"{}")
        rows = data.get("folders", []) if isinstance(data, dict) else []
        return [
            WatchedFolder(path=str(r["path"]), added_at=str(r.get("added_at", "")))
            for r in rows
            if isinstance(r, dict) and isinstance(r.get("path"), str)
        ][:MAX_FOLDERS]
    except (OSError, ValueError):
        return []


def _write(path: Path, folders: list[WatchedFolder]) -> None:
    text = json.dumps({"folders": [{"path": f.path, "added_at": f.added_at} for f in folders]}, indent=1)
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise storage_error(exc, path) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _lock(settings: Settings) -> FileLock:
    settings.knowledge_path.mkdir(parents=True, exist_ok=True)
    return FileLock(str(watched_file(settings)) + ".lock", timeout=30)


def list_watched(settings: Settings) -> list[WatchedFolder]:
    """Every watched folder: the setting's first, then the hand-added ones, each once."""
    out: list[WatchedFolder] = []
    seen: set[str] = set()
    from_setting = [
        WatchedFolder(path=norm_path(p), from_setting=True) for p in settings.knowledge_watch_folders
    ]
    for f in [*from_setting, *_read(watched_file(settings))]:
        if f.path in seen:
            continue
        seen.add(f.path)
        f.exists = os.path.isdir(f.path)
        out.append(f)
    return out


def watched_paths(settings: Settings) -> list[str]:
    """The watched folders' paths (what the watcher watches and ingests)."""
    return [f.path for f in list_watched(settings)]


def stamp(settings: Settings) -> tuple[int, int]:
    """Changes whenever the hand-added list does (mtime and size), so a watcher can notice cheaply."""
    try:
        st = watched_file(settings).stat()
    except OSError:
        return (0, 0)
    return (st.st_mtime_ns, st.st_size)


def _bad_path(message: str) -> InvalidInput:
    return InvalidInput(f"path: {message}", [FieldError("path", message)])


def check_new_folder(settings: Settings, path: str) -> str:
    """The normalised folder ``path`` names, if it may be watched.

    Raises:
        InvalidInput: empty, relative, not a folder, the knowledge folder itself, or inside (or
            around) a folder already watched (field ``path``).
    """
    text = path.strip()
    if not text:
        raise _bad_path("is required: the full path of a folder on this computer")
    p = Path(text).expanduser()
    if not p.is_absolute():
        raise _bad_path(f"{text} is not an absolute path (start it with / or ~)")
    if not p.is_dir():
        raise _bad_path(f"{p} is not a folder on this computer")
    folder = norm_path(p)
    knowledge = norm_path(settings.knowledge_path)
    if is_under(folder, knowledge):
        raise _bad_path(f"{folder} is where the index itself is kept")
    for f in list_watched(settings):
        if f.path == folder:
            continue
        if is_under(folder, f.path) or is_under(f.path, folder):
            raise _bad_path(f"{folder} overlaps the watched folder {f.path}: remove that one first")
    return folder


def add_watched(settings: Settings, path: str, *, now: datetime | None = None) -> tuple[WatchedFolder, bool]:
    """Watch the folder ``path``; returns it and whether it is new (adding it twice is not an error).

    Raises:
        InvalidInput: see :func:`check_new_folder`, or too many folders.
        StorageError: the list cannot be written.
    """
    folder = check_new_folder(settings, path)
    with _lock(settings):
        for f in list_watched(settings):
            if f.path == folder:
                return f, False
        rows = _read(watched_file(settings))
        if len(rows) >= MAX_FOLDERS:
            raise _bad_path(f"at most {MAX_FOLDERS} folders can be watched")
        added = WatchedFolder(path=folder, added_at=(now or datetime.now(UTC)).isoformat(timespec="seconds"))
        _write(watched_file(settings), [*rows, added])
    return added, True


def remove_watched(
    settings: Settings, path: str, *, lock_timeout: float | None = None, progress: Progress | None = None
) -> IngestReport | None:
    """Stop watching ``path`` and remove its files from the index.

    Returns:
        The removal's report, or None when nothing of the folder was indexed.

    Raises:
        InvalidInput: no path given (field ``path``), or the folder comes from the setting.
        NotFound: the folder is not watched.
        IngestBusy: an ingest holds the index past ``lock_timeout`` (the folder is no longer
            watched; remove its source again once the ingest is done).
    """
    if not path.strip():
        raise _bad_path("is required: which folder to stop watching")
    folder = norm_path(path.strip())
    with _lock(settings):
        rows = _read(watched_file(settings))
        kept = [f for f in rows if f.path != folder]
        if len(kept) == len(rows):
            if folder in {norm_path(p) for p in settings.knowledge_watch_folders}:
                raise _bad_path(
                    f"{folder} is watched by the setting STUDY_KNOWLEDGE_WATCH_FOLDERS: change it there"
                )
            raise NotFound(
                f"{folder} is not a watched folder (see `study watch list`).",
                [FieldError("path", "not watched")],
            )
        _write(watched_file(settings), kept)
    try:
        return remove_sources([folder], settings=settings, lock_timeout=lock_timeout, progress=progress)
    except (SourceNotFound, IndexNotBuilt):
        return None
