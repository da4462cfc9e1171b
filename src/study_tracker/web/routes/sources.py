"""The Sources page: what is in the knowledge base, adding files (upload or a folder path) and removing them.

Adding material embeds it, which needs torch; the server never loads torch, so uploads and folder
paths are ingested by a child process (``knowledge/jobs/runner.py``) whose status the page polls (htmx).
Removing a source needs no model and runs in the server. The checks and file handling live in
``knowledge/jobs/uploads.py``; this module only parses forms and renders.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from study_tracker.config import Settings
from study_tracker.errors import NotFound, StudyError
from study_tracker.knowledge.ingest.sources import list_sources
from study_tracker.knowledge.jobs import runner as jobs
from study_tracker.knowledge.jobs import status as job_status
from study_tracker.knowledge.jobs.uploads import check_folder, list_uploads, remove_source, save_uploads
from study_tracker.web.deps import get_settings
from study_tracker.web.rendering import is_htmx, render

router = APIRouter()


def _named(files: list[UploadFile]) -> list[tuple[str, IO[bytes]]]:
    """The uploads as (file name, file) pairs for ``save_uploads``."""
    return [(f.filename or "", f.file) for f in files]


def _context(settings: Settings, **extra: Any) -> dict[str, Any]:

    ctx: dict[str, Any] = {
        "sources": list_sources(settings),
        "uploads": list_uploads(settings),
        "uploads_dir": str(job_status.uploads_dir(settings).resolve()),
        "jobs": job_status.recent_jobs(settings),
        "preparing": job_status.preparing(settings),
        "limit_mb": settings.knowledge_max_file_mb,
        "errors": [],
        "message": None,
        "form": {},
    }
    ctx.update(extra)
    return ctx


def _page(request: Request, status_code: int = 200, **extra: Any) -> Response:

    return render(request, "sources.html", _context(get_settings(request), **extra), status_code=status_code)


def _refused(request: Request, exc: StudyError, form: dict[str, str]) -> Response:

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


def _started(request: Request, job: job_status.JobStatus) -> Response:

    if is_htmx(request):
        return render(request, "_source_job.html", {"job": job}, status_code=202)
    return RedirectResponse(f"/sources?job={job.id}", status_code=303)


@router.get("/sources", response_class=HTMLResponse)
def sources_page(request: Request, job: str = "", message: str = "") -> Response:
    """Ingested sources, uploads, recent jobs and the forms to add more."""
    settings = get_settings(request)
    current = job_status.read_job(settings, job) if job else None
    return _page(request, current=current, message=message or None)


@router.post("/sources/upload", response_class=HTMLResponse)
def upload_form(request: Request, files: Annotated[list[UploadFile], File()] = []) -> Response:  # noqa: B006
    """Save the uploaded files and ingest the uploads folder in the background."""
    settings = get_settings(request)
    try:
        save_uploads(settings=settings, files=_named(files))
    except StudyError as exc:
        return _refused(request, exc, {})
    job = jobs.start_ingest(settings, [job_status.uploads_dir(settings).resolve()], kind="upload")
    return _started(request, job)


@router.post("/sources/folder", response_class=HTMLResponse)
def folder_form(request: Request, path: Annotated[str, Form()] = "") -> Response:
    """Ingest a folder (or file) on this computer in the background."""
    settings = get_settings(request)
    try:
        target = check_folder(path)
    except StudyError as exc:
        return _refused(request, exc, {"path": path})
    job = jobs.start_ingest(settings, [target], kind="folder")
    return _started(request, job)


@router.post("/sources/remove", response_class=HTMLResponse)
def remove_form(request: Request, path: Annotated[str, Form()] = "") -> Response:
    """Remove a source from every index."""
    try:
        n = remove_source(settings=get_settings(request), path=path)
    except StudyError as exc:
        return _refused(request, exc, {"remove": path})
    return RedirectResponse(f"/sources?message=Removed+{n}+file(s)+of+{Path(path).name}", status_code=303)


@router.get("/sources/jobs/{job_id}", response_class=HTMLResponse)
def job_fragment(request: Request, job_id: str) -> Response:
    """One job's progress (htmx polls it while it runs), then its report."""

    job = job_status.read_job(get_settings(request), job_id)
    if job is None:
        raise NotFound(f"no ingest job {job_id!r}")
    return render(request, "_source_job.html", {"job": job})


# --- JSON ---


@router.get("/api/sources")
def api_sources(request: Request) -> Response:
    """The ingested sources with file, document and chunk counts, and the running jobs."""
    from dataclasses import asdict

    settings = get_settings(request)
    prep = job_status.preparing(settings)
    return JSONResponse(
        {
            "sources": [asdict(s) for s in list_sources(settings)],
            "jobs": [j.to_dict() for j in job_status.recent_jobs(settings)],
            "preparing": prep.to_dict() if prep else None,
        }
    )


@router.get("/api/sources/jobs/{job_id}")
def api_job(request: Request, job_id: str) -> Response:
    """A background ingest's status (``state`` running/done/failed, ``percent``, ``report``)."""
    job = job_status.read_job(get_settings(request), job_id)
    if job is None:
        raise NotFound(f"no ingest job {job_id!r}")
    return JSONResponse(job.to_dict())


@router.post("/api/sources/upload", status_code=202)
def api_upload(request: Request, files: Annotated[list[UploadFile], File()] = []) -> Response:  # noqa: B006
    """Upload files and start their ingest; returns the job (poll ``/api/sources/jobs/{id}``)."""
    settings = get_settings(request)
    save_uploads(settings=settings, files=_named(files))
    job = jobs.start_ingest(settings, [job_status.uploads_dir(settings).resolve()], kind="upload")
    return JSONResponse(job.to_dict(), status_code=202)


@router.post("/api/sources/folder", status_code=202)
def api_folder(request: Request, path: Annotated[str, Form()] = "") -> Response:
    """Start the ingest of a folder or file on this computer (form field ``path``)."""
    settings = get_settings(request)
    job = jobs.start_ingest(settings, [check_folder(path)], kind="folder")
    return JSONResponse(job.to_dict(), status_code=202)
