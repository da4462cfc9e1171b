"""Material a user adds or removes by hand: uploaded files, a folder path to ingest, removing a source.

Uploads are kept in ``<data dir>/uploads`` (``job_status.uploads_dir``) and ingested from there by a
background job. These checks come before any job starts, so bad input is refused with a message
naming the field and nothing is half-written. The errors are the tracker's input errors, which
the web maps to status codes.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from study_tracker.config import Settings
from study_tracker.errors import (
    FieldError,
    IndexNotBuilt,
    IngestBusy,
    InvalidInput,
    KnowledgeError,
    NotFound,
    PayloadTooLarge,
    SourceNotFound,
    StudyError,
)
from study_tracker.knowledge.ingest.sources import remove_sources
from study_tracker.knowledge.jobs import status as job_status

_UNSAFE = re.compile(r"[^\w.\- ]+", re.UNICODE)


def safe_name(filename: str) -> str:
    """The last part of an uploaded file name with anything but letters, digits, ``.-_`` and spaces
    turned into ``_`` (no folders, no leading dots: uploads never land outside the uploads folder)."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", base).strip(" .")
    return name[:200] or "upload"


def save_uploads(*, settings: Settings, files: Sequence[tuple[str, IO[bytes]]]) -> list[Path]:
    """Validate and save uploaded files under the uploads folder; all or nothing.

    Args:
        files: (file name as sent, readable binary file) pairs; pairs without a name are skipped.

    Returns:
        The saved files.

    Raises:
        InvalidInput: no file, or an empty one (field ``files``).
        PayloadTooLarge: a file over ``knowledge_max_file_mb`` (field ``files``).
    """
    files = [(filename, file) for filename, file in files if filename]
    if not files:
        raise InvalidInput.field("files", "choose at least one file to upload")
    limit = int(settings.knowledge_max_file_mb * 1024 * 1024)
    folder = job_status.uploads_dir(settings)
    staging = folder / ".incoming"  # hidden: an ingest of the uploads folder never reads it
    staging.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for filename, file in files:
            name = safe_name(filename)
            tmp = staging / f"{os.getpid()}-{len(staged)}-{name}"
            size = 0
            with tmp.open("wb") as out:
                staged.append((tmp, folder / name))
                while block := file.read(1 << 20):
                    size += len(block)
                    if limit and size > limit:
                        raise PayloadTooLarge(
                            f"files: {name} is over the {settings.knowledge_max_file_mb:g} MB limit",
                            [
                                FieldError(
                                    "files",
                                    f"{name} is over the {settings.knowledge_max_file_mb:g} MB limit "
                                    "(setting STUDY_KNOWLEDGE_MAX_FILE_MB)",
                                )
                            ],
                        )
                    out.write(block)
            if size == 0:
                raise InvalidInput.field("files", f"{name} is empty")
        saved = []
        for tmp, final in staged:
            os.replace(tmp, final)
            saved.append(final)
        return saved
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)


def list_uploads(settings: Settings) -> list[dict[str, Any]]:
    """The files in the uploads folder: ``name``, absolute ``path`` and size in ``kb`` (at least 1)."""
    folder = job_status.uploads_dir(settings)
    if not folder.is_dir():
        return []
    return [
        {"name": p.name, "path": str(p.resolve()), "kb": max(1, round(p.stat().st_size / 1024))}
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.name.startswith(".")
    ]


def check_folder(path: str) -> Path:
    """An absolute, existing file or folder named in the form's ``path`` field.

    Raises:
        InvalidInput: empty, relative, or not there (status 400, field ``path``).
    """
    text = path.strip()
    if not text:
        raise _bad_path("is required: the full path of a folder or file on this computer")
    p = Path(text).expanduser()
    if not p.is_absolute():
        raise _bad_path(f"{text} is not an absolute path (start it with / or ~)")
    if not p.exists():
        raise _bad_path(f"{p} does not exist on this computer")
    return p.resolve()


def _bad_path(message: str) -> InvalidInput:
    exc = InvalidInput.field("path", message)
    exc.status = 400
    return exc


def remove_source(*, settings: Settings, path: str) -> int:
    """Remove an ingested source (and, for an uploaded file, the file itself); returns files removed.

    Raises:
        InvalidInput: no path given (field ``path``).
        NotFound: the path is not an ingested source.
        StudyError (409): an ingest is running; try again when it is done.
    """
    # on use: knowledge.sources pulls in the ingest pipeline; importing this module stays light

    if not path.strip():
        raise InvalidInput.field("path", "is required: which source to remove")
    uploads = job_status.uploads_dir(settings).resolve()
    uploaded = Path(path)
    try:
        report = remove_sources([path], settings=settings, lock_timeout=0)
    except (SourceNotFound, IndexNotBuilt) as exc:
        if uploaded.parent == uploads and uploaded.is_file() and not uploaded.name.startswith("."):
            # An upload whose ingest failed (or has not run): it is in no index, only the file goes.
            uploaded.unlink()
            return 1
        raise NotFound(str(exc), [FieldError("path", str(exc))]) from None
    except IngestBusy:
        exc2 = StudyError("An ingest is running: remove the source when it has finished.")
        exc2.status = 409
        raise exc2 from None
    except KnowledgeError as exc:
        raise StudyError(str(exc)) from None
    if uploaded.parent == uploads and uploaded.is_file():
        uploaded.unlink()  # else the next upload's ingest of the folder would add it back
    elif uploaded == uploads and uploaded.is_dir():
        shutil.rmtree(uploaded)
    return report.files_removed
