"""Writing the user's files so that a crash, a full disk or a read-only folder never leaves a half-
written one: a temporary file beside the target, flushed to disk, renamed over it, and removed
again when anything fails."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from study_tracker.db.backup import fsync_dir
from study_tracker.errors import storage_error


def atomic_write_text(path: Path, text: str) -> Path:
    """Replace ``path`` with ``text`` (UTF-8) atomically: readers see the old file or the new one.

    Raises:
        DiskFull: no room for the new file (the old one is untouched, no temporary file is left).
        ReadOnlyData: the folder cannot be written.
        Unavailable: another file-system error, named.
    """
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Replace ``path`` with ``data`` atomically (errors as ``atomic_write_text``)."""
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        tmp = None
        fsync_dir(path.parent)
    except OSError as exc:
        raise storage_error(exc, path) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return path
