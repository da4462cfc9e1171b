"""Watched folders on the Sources page and in the JSON API: add one (it is indexed at once by a
background job, then kept in step while the server runs), list them, stop watching one (its files
leave the index). The list and the checks live in ``knowledge/watch/folders.py``; the watching
itself runs in a thread started by the app's lifespan (``web/knowledge.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from study_tracker.config import Settings
from study_tracker.errors import StudyError
from study_tracker.knowledge.jobs import runner as jobs
from study_tracker.knowledge.jobs.status import JobStatus
from study_tracker.knowledge.watch.background import WATCH_JOB_KIND
from study_tracker.knowledge.watch.folders import WatchedFolder, add_watched, list_watched, remove_watched
from study_tracker.web import errors
from study_tracker.web.deps import SettingsDep
from study_tracker.web.rendering import see_other
from study_tracker.web.routes.sources import _refused
from study_tracker.web.security.flash import see_other_with

router = APIRouter()

MAX_PATH_CHARS = 4096  # PATH_MAX on Linux
# Seconds a removal waits for a running ingest before answering 409 (the folder is already
# unwatched by then; removing its source again finishes the job).
REMOVE_WAIT_S = 10.0


class WatchCreate(BaseModel):
    path: str = Field(min_length=1, max_length=MAX_PATH_CHARS, description="An absolute folder path.")


class WatchedList(BaseModel):
    folders: list[WatchedFolder]
    watching: bool = Field(description="Whether this server is watching them now.")


class WatchAdded(BaseModel):
    folder: WatchedFolder
    new: bool = Field(description="False when the folder was already watched.")
    job: JobStatus | None = Field(
        description="The ingest started for it (poll /api/sources/jobs/{id}); null when the server's "
        "watcher indexes it (see /api/sources) or it was already watched."
    )


class WatchRemoved(BaseModel):
    path: str
    files_removed: int


def _add(request: Request, settings: Settings, path: str) -> WatchAdded:
    folder, new = add_watched(settings, path)
    # A watching server indexes a new folder itself within a second (one job, not two racing);
    # otherwise a job indexes it now and the next `study watch` or server start keeps it in step.
    job = None
    if new and not _watching(request):
        job = jobs.start_ingest(settings, [folder.path], kind=WATCH_JOB_KIND)
    return WatchAdded(folder=folder, new=new, job=job)


def _remove(settings: Settings, path: str) -> WatchRemoved:
    report = remove_watched(settings, path, lock_timeout=REMOVE_WAIT_S)
    return WatchRemoved(path=path, files_removed=report.files_removed if report is not None else 0)


def _watching(request: Request) -> bool:
    watch = getattr(request.app.state, "knowledge_watch", None)
    return watch is not None and watch.alive


@router.post("/sources/watch", response_class=HTMLResponse)
def watch_form(
    request: Request, settings: SettingsDep, path: Annotated[str, Form(max_length=MAX_PATH_CHARS)] = ""
) -> Response:
    """Watch a folder: index it now (background job) and whenever its files change."""
    try:
        added = _add(request, settings, path)
    except StudyError as exc:
        return _refused(request, settings, exc, {"watch": path})
    if added.job is not None:
        return see_other(f"/sources?job={added.job.id}")
    message = (
        f"Watching {added.folder.path}: it is indexed in the background"
        if added.new
        else (f"Already watching {added.folder.path}")
    )
    return see_other_with(request, "/sources", message)


@router.post("/sources/watch/remove", response_class=HTMLResponse)
def unwatch_form(
    request: Request, settings: SettingsDep, path: Annotated[str, Form(max_length=MAX_PATH_CHARS)] = ""
) -> Response:
    """Stop watching a folder and remove its files from the index."""
    try:
        removed = _remove(settings, path)
    except StudyError as exc:
        return _refused(request, settings, exc, {"unwatch": path})
    message = f"Stopped watching {Path(path).name}; removed {removed.files_removed} file(s) from the index"
    return see_other_with(request, "/sources", message)


@router.get("/api/watch", tags=["sources"])
def api_watched(request: Request, settings: SettingsDep) -> WatchedList:
    """The watched folders (``from_setting``: named by STUDY_KNOWLEDGE_WATCH_FOLDERS)."""
    return WatchedList(folders=list_watched(settings), watching=_watching(request))


@router.post("/api/watch", status_code=201, tags=["sources"], responses=errors.responses(422))
def api_watch(request: Request, settings: SettingsDep, body: WatchCreate) -> WatchAdded:
    """Watch a folder; a new one is indexed at once in the background."""
    return _add(request, settings, body.path)


@router.delete("/api/watch", tags=["sources"], responses=errors.responses(404, 409, 422))
def api_unwatch(
    settings: SettingsDep,
    path: Annotated[str, Query(min_length=1, max_length=MAX_PATH_CHARS, description="A watched folder.")],
) -> WatchRemoved:
    """Stop watching a folder and remove its files from the index (409 while an ingest runs)."""
    return _remove(settings, path)
