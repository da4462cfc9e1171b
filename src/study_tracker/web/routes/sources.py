"""Sources: what is in the knowledge base, adding files (upload or a folder path), removing them,
and the source viewer (a document with a passage marked).

Adding material embeds it, which needs torch; the server never loads torch, so uploads and folder
paths are ingested by a child process (``knowledge/jobs/runner.py``) whose status the page polls
(htmx). Removing a source needs no model and runs in the server. The checks and file handling live
in ``knowledge/jobs/uploads.py``; the viewer's text comes from the index
(``knowledge/search/viewer.py``); this module only parses forms and renders.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from study_tracker.config import Settings
from study_tracker.errors import NotFound, StudyError
from study_tracker.knowledge.ingest.sources import SourceInfo, list_sources
from study_tracker.knowledge.jobs import runner as jobs
from study_tracker.knowledge.jobs import status as job_status
from study_tracker.knowledge.jobs.status import JobStatus
from study_tracker.knowledge.jobs.uploads import check_folder, list_uploads, remove_source, save_uploads
from study_tracker.knowledge.search.viewer import load_passage
from study_tracker.knowledge.watch.folders import list_watched
from study_tracker.web import errors
from study_tracker.web.deps import SettingsDep
from study_tracker.web.knowledge_views import web_link
from study_tracker.web.rendering import is_htmx, render, see_other
from study_tracker.web.security.flash import pop_flash, see_other_with

router = APIRouter()


class SourcesPublic(BaseModel):
    sources: list[SourceInfo]
    jobs: list[JobStatus]
    preparing: JobStatus | None


def _named(files: list[UploadFile]) -> list[tuple[str, IO[bytes]]]:
    """The uploads as (file name, file) pairs for ``save_uploads``."""
    return [(f.filename or "", f.file) for f in files]


def _ingest_uploads(settings: Settings, saved: list[Path]) -> JobStatus:
    """Queue the ingest of the uploads folder (the new files join what it holds)."""
    folder = job_status.uploads_dir(settings).resolve()
    return jobs.start_ingest(settings, [folder], kind="upload", files=saved)


def _context(settings: Settings, **extra: Any) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "sources": list_sources(settings),
        "uploads": list_uploads(settings),
        "uploads_dir": str(job_status.uploads_dir(settings).resolve()),
        "jobs": job_status.recent_jobs(settings),
        "preparing": job_status.preparing(settings),
        "limit_mb": settings.knowledge_max_file_mb,
        "watched": list_watched(settings),
        "errors": [],
        "message": None,
        "form": {},
    }
    ctx.update(extra)
    return ctx


def _refused(request: Request, settings: Settings, exc: StudyError, form: dict[str, str]) -> Response:
    if is_htmx(request):  # htmx swaps only 2xx answers: the message goes where the job would have
        return errors.refused(request, exc, "_errors.html", lambda: {}, status_code=200)
    return errors.refused(request, exc, "sources.html", lambda: _context(settings, form=form))


def _started(request: Request, job: JobStatus) -> Response:
    if is_htmx(request):
        return render(request, "_source_job.html", {"job": job}, status_code=202)
    return see_other(f"/sources?job={job.id}")


@router.get("/sources", response_class=HTMLResponse)
def sources_page(request: Request, settings: SettingsDep, job: str = "") -> Response:
    """Ingested sources, uploads, recent jobs and the forms to add more."""
    current = job_status.read_job(settings, job) if job else None
    return render(request, "sources.html", _context(settings, current=current, message=pop_flash(request)))


@router.post("/sources/upload", response_class=HTMLResponse)
def upload_form(
    request: Request,
    settings: SettingsDep,
    files: Annotated[list[UploadFile], File()] = [],  # noqa: B006
) -> Response:
    """Save the uploaded files and ingest the uploads folder in the background."""
    try:
        saved = save_uploads(settings=settings, files=_named(files))
    except StudyError as exc:
        return _refused(request, settings, exc, {})
    return _started(request, _ingest_uploads(settings, saved))


@router.post("/sources/folder", response_class=HTMLResponse)
def folder_form(request: Request, settings: SettingsDep, path: Annotated[str, Form()] = "") -> Response:
    """Ingest a folder (or file) on this computer in the background."""
    try:
        target = check_folder(path)
    except StudyError as exc:
        return _refused(request, settings, exc, {"path": path})
    job = jobs.start_ingest(settings, [target], kind="folder")
    return _started(request, job)


@router.get("/sources/remove", response_class=HTMLResponse)
def remove_confirm(
    request: Request, settings: SettingsDep, path: Annotated[str, Query(max_length=4096)] = ""
) -> Response:
    """The confirm step before removing a source: what leaves search and Ask, what stays on disk."""
    source = next((s for s in list_sources(settings) if s.path == path), None)
    upload = next((u for u in list_uploads(settings) if u["path"] == path), None)
    return render(request, "source_remove.html", {"path": path, "source": source, "upload": upload})


@router.post("/sources/remove", response_class=HTMLResponse)
def remove_form(request: Request, settings: SettingsDep, path: Annotated[str, Form()] = "") -> Response:
    """Remove a source from every index."""
    try:
        n = remove_source(settings=settings, path=path)
    except StudyError as exc:
        return _refused(request, settings, exc, {"remove": path})
    return see_other_with(request, "/sources", f"Removed {n} file(s) of {Path(path).name}")


def _job(settings: Settings, job_id: str) -> JobStatus:
    job = job_status.read_job(settings, job_id)
    if job is None:
        raise NotFound(f"no ingest job {job_id!r}")
    if job.state == "queued":
        jobs.ensure_worker(settings)  # a worker killed half-way is replaced by the next poll
    return job


@router.get("/sources/jobs/{job_id}", response_class=HTMLResponse)
def job_fragment(request: Request, settings: SettingsDep, job_id: str) -> Response:
    """One job's progress (htmx polls it while it runs), then its report; when it has ended, the
    polling request also gets the sources and uploads again (out of band), so the page is current."""
    job = _job(settings, job_id)
    if job.running or not is_htmx(request):
        return render(request, "_source_job.html", {"job": job})
    return render(request, "_source_job.html", _context(settings, job=job, refresh=True))


# --- the viewer: search results and Ask sources link here when there is no better place ---

_STATE_NOTES = {
    "changed": "This file has changed on disk since it was indexed. The text below is the indexed "
    "copy, so the marked passage is what search found; run the ingest again to refresh it.",
    "missing": "This file no longer exists on disk. The text below is the copy kept in the index; "
    "remove the source or ingest again to drop it from search.",
}


@router.get("/sources/view", response_class=HTMLResponse)
def source_page(
    request: Request,
    *,
    settings: SettingsDep,
    source: Annotated[str, Query(min_length=1, description="The file, as a search hit names it.")],
    start: Annotated[int, Query(ge=0, description="The passage's first character.")],
    end: Annotated[int, Query(ge=1, description="One past the passage's last character.")],
    doc: Annotated[str | None, Query(description="The document of a file of records.")] = None,
) -> Response:
    """An indexed document with the passage ``start..end`` in ``<mark id="passage">``."""
    p = load_passage(settings=settings, source=source, start=start, end=end, doc_id=doc)
    ctx = {
        "p": p,
        "name": p.source.rsplit("/", 1)[-1],
        "path": " › ".join(p.heading_path),
        "state_note": _STATE_NOTES.get(p.file_state),
        "permalink": web_link(p.meta.get("permalink")),
    }
    return render(request, "source_view.html", ctx)


# --- JSON ---


@router.get("/api/sources", tags=["sources"])
def api_sources(settings: SettingsDep) -> SourcesPublic:
    """The ingested sources with file, document and chunk counts, and the running jobs."""
    return SourcesPublic(
        sources=list_sources(settings),
        jobs=job_status.recent_jobs(settings),
        preparing=job_status.preparing(settings),
    )


@router.get("/api/sources/jobs/{job_id}", tags=["sources"], responses=errors.responses(404, 422))
def api_job(settings: SettingsDep, job_id: str) -> JobStatus:
    """A background ingest's status (``state`` running/done/failed, ``percent``, ``report``)."""
    return _job(settings, job_id)


@router.post("/api/sources/upload", status_code=202, tags=["sources"], responses=errors.responses(413, 422))
def api_upload(
    settings: SettingsDep,
    files: Annotated[list[UploadFile], File()] = [],  # noqa: B006
) -> JobStatus:
    """Upload files and start their ingest; returns the job (poll ``/api/sources/jobs/{id}``)."""
    saved = save_uploads(settings=settings, files=_named(files))
    return _ingest_uploads(settings, saved)


@router.post("/api/sources/folder", status_code=202, tags=["sources"], responses=errors.responses(400, 422))
def api_folder(settings: SettingsDep, path: Annotated[str, Form()] = "") -> JobStatus:
    """Start the ingest of a folder or file on this computer (form field ``path``)."""
    return jobs.start_ingest(settings, [check_folder(path)], kind="folder")
