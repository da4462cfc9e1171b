"""The Sources page: what is in the knowledge base, adding files (upload or a folder path) and removing them.

Adding material embeds it, which needs torch; the server never loads torch, so uploads and folder
paths are ingested by a child process (``knowledge/jobs.py``) whose status the page polls (htmx).
Removing a source needs no model and runs here.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from study_tracker.config import Settings, get_settings
from study_tracker.knowledge import jobs
from study_tracker.knowledge.errors import IngestBusy, KnowledgeError
from study_tracker.tracker.errors import FieldError, InvalidInput, NotFound, TrackerError

router = APIRouter()


class PayloadTooLarge(InvalidInput):
    status = 413


def _settings(request: Request) -> Settings:
    return getattr(request.app.state, "settings", None) or get_settings()


_UNSAFE = re.compile(r"[^\w.\- ]+", re.UNICODE)


def safe_name(filename: str) -> str:
    """The last part of an uploaded file name with anything but letters, digits, ``.-_`` and spaces
    turned into ``_`` (no folders, no leading dots: uploads never land outside the uploads folder)."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", base).strip(" .")
    return name[:200] or "upload"


def save_uploads(*, settings: Settings, files: list[UploadFile]) -> list[Path]:
    """Validate and save uploaded files under the uploads folder; all or nothing.

    Raises:
        InvalidInput: no file, or an empty one (field ``files``).
        PayloadTooLarge: a file over ``knowledge_max_file_mb`` (field ``files``).
    """
    files = [f for f in files if f.filename]
    if not files:
        raise InvalidInput.field("files", "choose at least one file to upload")
    limit = int(settings.knowledge_max_file_mb * 1024 * 1024)
    folder = jobs.uploads_dir(settings)
    staging = folder / ".incoming"  # hidden: an ingest of the uploads folder never reads it
    staging.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for upload in files:
            name = safe_name(upload.filename or "")
            tmp = staging / f"{os.getpid()}-{len(staged)}-{name}"
            size = 0
            with tmp.open("wb") as out:
                staged.append((tmp, folder / name))
                while block := upload.file.read(1 << 20):
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


def _upload_files(settings: Settings) -> list[dict[str, Any]]:
    folder = jobs.uploads_dir(settings)
    if not folder.is_dir():
        return []
    return [
        {"name": p.name, "path": str(p.resolve()), "kb": max(1, round(p.stat().st_size / 1024))}
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.name.startswith(".")
    ]


def _context(settings: Settings, **extra: Any) -> dict[str, Any]:
    from study_tracker.knowledge.sources import list_sources

    ctx: dict[str, Any] = {
        "sources": list_sources(settings),
        "uploads": _upload_files(settings),
        "uploads_dir": str(jobs.uploads_dir(settings).resolve()),
        "jobs": jobs.recent_jobs(settings),
        "preparing": jobs.preparing(settings),
        "limit_mb": settings.knowledge_max_file_mb,
        "errors": [],
        "message": None,
        "form": {},
    }
    ctx.update(extra)
    return ctx


def _page(request: Request, status_code: int = 200, **extra: Any) -> Response:
    from study_tracker.web.rendering import render

    return render(request, "sources.html", _context(_settings(request), **extra), status_code=status_code)


def _refused(request: Request, exc: TrackerError, form: dict[str, str]) -> Response:
    from study_tracker.web.rendering import is_htmx, render

    if is_htmx(request):  # htmx swaps only 2xx answers: the message goes where the job would have
        ctx = {"errors": exc.errors, "message": None if exc.errors else exc.message}
        return render(request, "_errors.html", ctx, status_code=200)
    return _page(
        request,
        status_code=exc.status,
        errors=exc.errors,
        message=None if exc.errors else exc.message,
        form=form,
    )


def _started(request: Request, job: jobs.JobStatus) -> Response:
    from study_tracker.web.rendering import is_htmx, render

    if is_htmx(request):
        return render(request, "_source_job.html", {"job": job}, status_code=202)
    return RedirectResponse(f"/sources?job={job.id}", status_code=303)


@router.get("/sources", response_class=HTMLResponse)
def sources_page(request: Request, job: str = "", message: str = "") -> Response:
    """Ingested sources, uploads, recent jobs and the forms to add more."""
    settings = _settings(request)
    current = jobs.read_job(settings, job) if job else None
    return _page(request, current=current, message=message or None)


@router.post("/sources/upload", response_class=HTMLResponse)
def upload_form(request: Request, files: Annotated[list[UploadFile], File()] = []) -> Response:  # noqa: B006
    """Save the uploaded files and ingest the uploads folder in the background."""
    settings = _settings(request)
    try:
        save_uploads(settings=settings, files=files)
    except TrackerError as exc:
        return _refused(request, exc, {})
    job = jobs.start_ingest(settings, [jobs.uploads_dir(settings).resolve()], kind="upload")
    return _started(request, job)


@router.post("/sources/folder", response_class=HTMLResponse)
def folder_form(request: Request, path: Annotated[str, Form()] = "") -> Response:
    """Ingest a folder (or file) on this computer in the background."""
    settings = _settings(request)
    try:
        target = check_folder(path)
    except TrackerError as exc:
        return _refused(request, exc, {"path": path})
    job = jobs.start_ingest(settings, [target], kind="folder")
    return _started(request, job)


def remove_source(*, settings: Settings, path: str) -> int:
    """Remove an ingested source (and, for an uploaded file, the file itself); returns files removed.

    Raises:
        InvalidInput: no path given (field ``path``).
        NotFound: the path is not an ingested source.
        TrackerError (409): an ingest is running; try again when it is done.
    """
    from study_tracker.knowledge.errors import IndexNotBuilt, SourceNotFound
    from study_tracker.knowledge.sources import remove_sources

    if not path.strip():
        raise InvalidInput.field("path", "is required: which source to remove")
    try:
        report = remove_sources([path], settings=settings, lock_timeout=0)
    except (SourceNotFound, IndexNotBuilt) as exc:
        raise NotFound(str(exc), [FieldError("path", str(exc))]) from None
    except IngestBusy:
        exc2 = TrackerError("An ingest is running: remove the source when it has finished.")
        exc2.status = 409
        raise exc2 from None
    except KnowledgeError as exc:
        raise TrackerError(str(exc)) from None
    uploaded = Path(path)
    if uploaded.parent == jobs.uploads_dir(settings).resolve() and uploaded.is_file():
        uploaded.unlink()  # else the next upload's ingest of the folder would add it back
    elif uploaded == jobs.uploads_dir(settings).resolve() and uploaded.is_dir():
        shutil.rmtree(uploaded)
    return report.files_removed


@router.post("/sources/remove", response_class=HTMLResponse)
def remove_form(request: Request, path: Annotated[str, Form()] = "") -> Response:
    """Remove a source from every index."""
    try:
        n = remove_source(settings=_settings(request), path=path)
    except TrackerError as exc:
        return _refused(request, exc, {"remove": path})
    return RedirectResponse(f"/sources?message=Removed+{n}+file(s)+of+{Path(path).name}", status_code=303)


@router.get("/sources/jobs/{job_id}", response_class=HTMLResponse)
def job_fragment(request: Request, job_id: str) -> Response:
    """One job's progress (htmx polls it while it runs), then its report."""
    from study_tracker.web.rendering import render

    job = jobs.read_job(_settings(request), job_id)
    if job is None:
        raise NotFound(f"no ingest job {job_id!r}")
    return render(request, "_source_job.html", {"job": job})


# --- JSON ---


@router.get("/api/sources")
def api_sources(request: Request) -> Response:
    """The ingested sources with file, document and chunk counts, and the running jobs."""
    from dataclasses import asdict

    from study_tracker.knowledge.sources import list_sources

    settings = _settings(request)
    prep = jobs.preparing(settings)
    return JSONResponse(
        {
            "sources": [asdict(s) for s in list_sources(settings)],
            "jobs": [j.to_dict() for j in jobs.recent_jobs(settings)],
            "preparing": prep.to_dict() if prep else None,
        }
    )


@router.get("/api/sources/jobs/{job_id}")
def api_job(request: Request, job_id: str) -> Response:
    """A background ingest's status (``state`` running/done/failed, ``percent``, ``report``)."""
    job = jobs.read_job(_settings(request), job_id)
    if job is None:
        raise NotFound(f"no ingest job {job_id!r}")
    return JSONResponse(job.to_dict())


@router.post("/api/sources/upload", status_code=202)
def api_upload(request: Request, files: Annotated[list[UploadFile], File()] = []) -> Response:  # noqa: B006
    """Upload files and start their ingest; returns the job (poll ``/api/sources/jobs/{id}``)."""
    settings = _settings(request)
    save_uploads(settings=settings, files=files)
    job = jobs.start_ingest(settings, [jobs.uploads_dir(settings).resolve()], kind="upload")
    return JSONResponse(job.to_dict(), status_code=202)


@router.post("/api/sources/folder", status_code=202)
def api_folder(request: Request, path: Annotated[str, Form()] = "") -> Response:
    """Start the ingest of a folder or file on this computer (form field ``path``)."""
    settings = _settings(request)
    job = jobs.start_ingest(settings, [check_folder(path)], kind="folder")
    return JSONResponse(job.to_dict(), status_code=202)
