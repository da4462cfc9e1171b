"""Roadmaps and milestones pages, their htmx fragments, and the /api/roadmaps endpoints.

Handlers parse the request and call ``roadmaps.service``; an upload is also copied to
<data_dir>/roadmaps/<slug>.md and handed to a background ingest (the server never embeds); a
removal takes that copy out of the knowledge base again.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, RootModel
from sqlalchemy.orm import Session

from study_tracker.config import Settings
from study_tracker.errors import RoadmapError, StudyError
from study_tracker.roadmaps import library, progress, reading, service
from study_tracker.roadmaps.parse import repair
from study_tracker.roadmaps.views import ImportResult, ItemView, MilestoneView, TopicView
from study_tracker.web import errors
from study_tracker.web.deps import Clock, ClockDep, RoadmapItemDep, RoadmapItemForm, SessionDep, SettingsDep
from study_tracker.web.rendering import is_htmx, render, see_other
from study_tracker.web.security.flash import pop_flash, see_other_with

log = logging.getLogger(__name__)
router = APIRouter()


def _ingest(request: Request, settings: Settings, slug: str, text: str) -> None:
    """Copy the document into the data folder and ingest it in the background (never blocks)."""
    hand_off = getattr(request.app.state, "roadmap_ingest", library.ingest_in_background)
    try:
        path = library.save_copy(data_dir=settings.data_dir, slug=slug, text=text)
        hand_off(path, settings=settings)
    except Exception:  # noqa: BLE001 - the roadmap is imported; the knowledge base is a bonus
        log.exception("could not hand roadmap %s to the knowledge base", slug)


def _read_upload(file: UploadFile | None, settings: Settings) -> tuple[bytes, str]:
    if file is None or not file.filename:
        raise RoadmapError.field("file", "choose a Markdown file (.md) to upload")
    return reading.read_capped(file.file, name=file.filename, settings=settings), file.filename


def _start_date(value: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RoadmapError.field("start_date", f"must be a date like 2026-01-31, got {value!r}") from None


def _required_start_date(value: str) -> date:
    parsed = _start_date(value)
    if parsed is None:
        raise RoadmapError.field("start_date", "is required: a date like 2026-01-31")
    return parsed


def _remove_from_kb(settings: Settings, slug: str) -> str:
    """Take a deleted roadmap's document out of the knowledge base; returns a note for the user."""
    try:
        indexed = library.remove_copy(settings=settings, slug=slug, lock_timeout=2)
    except Exception as exc:  # noqa: BLE001 - the roadmap is gone; the knowledge base is a bonus
        log.warning("could not remove roadmap %s from the knowledge base: %s", slug, exc)
        path = library.copy_path(settings.data_dir, slug)
        return f" The knowledge base could not be updated ({exc}); remove {path} on the Sources page later."
    return " Its document was taken out of the knowledge base too." if indexed else ""


def _import(
    request: Request,
    *,
    session: Session,
    settings: Settings,
    clock: Clock,
    data: bytes,
    name: str,
    start: str,
    slug: str,
) -> ImportResult:
    start_date = _start_date(start)
    text = reading.decode_upload(data, name=name)
    result = service.import_roadmap(
        session=session,
        text=text,
        source_name=name,
        start_date=start_date,
        slug=slug.strip() or None,
        now=clock.now,
        zone=clock.zone,
    )
    if getattr(request.app.state, "roadmap_kb", True):
        _ingest(request, settings, result.slug, repair(text))
    else:  # practice questions are generated from the copy, in the knowledge base or not
        library.save_copy(data_dir=settings.data_dir, slug=result.slug, text=repair(text))
    return result


# --- pages -------------------------------------------------------------------------------------
def _list_context(session: Session) -> dict[str, Any]:
    return {"roadmaps": service.list_roadmaps(session=session), "form": {}}


@router.get("/roadmaps", response_class=HTMLResponse)
def roadmaps_page(request: Request, session: SessionDep) -> Response:
    ctx = _list_context(session) | {"message": pop_flash(request)}
    return render(request, "roadmaps.html", ctx)


# Plain ``def``: FastAPI runs it in its threadpool, so parsing a large roadmap and writing its items
# never hold up the event loop (every other request keeps being answered meanwhile).
@router.post("/roadmaps", response_class=HTMLResponse)
def upload_form(
    request: Request,
    *,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    file: Annotated[UploadFile | None, File()] = None,
    start_date: Annotated[str, Form()] = "",
    slug: Annotated[str, Form()] = "",
) -> Response:
    try:
        data, name = _read_upload(file, settings)
        result = _import(
            request,
            session=session,
            settings=settings,
            clock=clock,
            data=data,
            name=name,
            start=start_date,
            slug=slug,
        )
    except StudyError as exc:
        form = {"start_date": start_date, "slug": slug}
        return errors.refused(
            request, exc, "roadmaps.html", lambda: _list_context(session) | {"form": form}, session=session
        )
    verb = "Imported" if result.created else "Updated"
    counts = result.counts
    message = (
        f"{verb} {result.title}: {counts['topics']} topics, {counts['milestones']} milestones, "
        f"{counts['tasks']} tasks, {counts['resources']} resources."
    )
    return see_other_with(request, f"/roadmaps/{result.slug}", message)


@router.get("/roadmaps/{slug}", response_class=HTMLResponse)
def roadmap_page(request: Request, slug: str, session: SessionDep, clock: ClockDep) -> Response:
    view = service.roadmap_view(session=session, slug=slug, today=clock.today)
    ctx: dict[str, Any] = {
        "view": view,
        "message": pop_flash(request),
        "today": clock.today,
        "paths": service.roadmap_paths(session=session, slug=slug),
    }
    return render(request, "roadmap.html", ctx)


@router.post("/roadmaps/{slug}/start", response_class=HTMLResponse)
def start_form(
    request: Request,
    slug: str,
    *,
    session: SessionDep,
    clock: ClockDep,
    start_date: Annotated[str, Form()] = "",
) -> Response:
    try:
        new = _required_start_date(start_date)
        service.set_start_date(session=session, slug=slug, start_date=new, now=clock.now)
    except RoadmapError as exc:

        def context() -> dict[str, Any]:
            view = service.roadmap_view(session=session, slug=slug, today=clock.today)  # 404 if unknown
            paths = service.roadmap_paths(session=session, slug=slug)
            return {"view": view, "today": clock.today, "start_value": start_date, "paths": paths}

        return errors.refused(request, exc, "roadmap.html", context, session=session)
    message = f"Start date set to {new}; every dated topic moved with it."
    return see_other_with(request, f"/roadmaps/{slug}", message)


@router.post("/roadmaps/{slug}/delete", response_class=HTMLResponse)
def delete_form(
    request: Request, slug: str, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> Response:
    title = service.roadmap_view(session=session, slug=slug, today=clock.today).title
    service.delete_roadmap(session=session, slug=slug)
    session.commit()  # the roadmap is gone before the knowledge base is touched
    message = f"Removed {title} with its progress." + _remove_from_kb(settings, slug)
    return see_other_with(request, "/roadmaps", message)


@router.get("/milestones", response_class=HTMLResponse)
def milestones_page(request: Request, session: SessionDep) -> Response:
    ctx = {
        "roadmaps": progress.milestone_progress(session=session),
        "message": pop_flash(request),
    }
    return render(request, "milestones.html", ctx)


def _set_item(
    form: RoadmapItemForm, session: Session, clock: Clock, *, done: bool | None, link: str | None
) -> ItemView:
    return service.set_item(
        session=session, slug=form.slug, key=form.key, done=done, link=link, now=clock.now, zone=clock.zone
    )


def _item_response(
    request: Request, form: RoadmapItemForm, item: ItemView, *, session: Session, clock: Clock
) -> Response:
    """The item again for htmx, with the progress it changed out of band (the roadmap's or the
    Milestones page's count, and its milestone's state); else back to the page the form was on."""
    if not is_htmx(request):
        return see_other(form.back)
    ctx: dict[str, Any] = {
        "slug": form.slug,
        "it": item,
        "back": form.back,
        "view": None,
        "m": None,
        "r": None,
    }
    if form.back.startswith("/milestones"):
        ctx["show_topic"] = True
        board = next((r for r in progress.milestone_progress(session=session) if r.slug == form.slug), None)
        ctx["r"] = board
        milestones = board.milestones if board else []
    else:
        ctx["view"] = service.roadmap_view(session=session, slug=form.slug, today=clock.today)
        milestones = ctx["view"].milestones
    ctx["m"] = next(
        (m for m in milestones if m.key == item.key or any(t.key == item.key for t in m.tasks)), None
    )
    return render(request, "_roadmap_tick.html", ctx)


@router.post("/roadmaps/{slug}/items/tick", response_class=HTMLResponse)
def tick_form(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    form: RoadmapItemDep,
    done: Annotated[str, Form()] = "",
) -> Response:
    if done not in ("true", "false"):
        raise RoadmapError.field("done", "must be true or false")
    item = _set_item(form, session, clock, done=done == "true", link=None)
    return _item_response(request, form, item, session=session, clock=clock)


@router.post("/roadmaps/{slug}/items/link", response_class=HTMLResponse)
def link_form(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    form: RoadmapItemDep,
    link: Annotated[str, Form()] = "",
) -> Response:
    try:
        item = _set_item(form, session, clock, done=None, link=link)
    except RoadmapError as exc:
        if not is_htmx(request):
            raise  # the error page says what was wrong with the link
        return errors.refused(
            request,
            exc,
            "_roadmap_item.html",
            lambda: {
                "slug": form.slug,
                "it": service.item_view(session=session, slug=form.slug, key=form.key),
                "back": form.back,
                "link_value": link,
            },
            session=session,
        )
    return _item_response(request, form, item, session=session, clock=clock)


# --- JSON API ----------------------------------------------------------------------------------
class ItemUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=1, max_length=255)
    done: bool | None = None
    link: str | None = Field(default=None, max_length=service.MAX_LINK)


class RoadmapUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # A string parsed at the edge (pydantic would also take a Unix timestamp as a date).
    start_date: str = Field(max_length=40)


# The API returns the service's view objects whole: their dataclasses are the schemas, but for
# the two with a time, which the API writes as ``isoformat()`` (``+00:00``, not pydantic's ``Z``).
IsoDatetime = Annotated[datetime, PlainSerializer(lambda d: d.isoformat(), return_type=str)]


class RoadmapSummaryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    slug: str
    title: str
    source_name: str
    start_date: date
    updated_at: IsoDatetime
    progress: float = Field(description="Done share of topics, milestones and tasks (0-1).")
    done: int
    total: int
    counts: dict[str, int]


class RoadmapList(RootModel[list[RoadmapSummaryPublic]]):
    pass


class RoadmapViewPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    slug: str
    title: str
    source_name: str
    start_date: date
    end_date: date | None
    updated_at: IsoDatetime
    progress: float
    done: int
    total: int
    topics: list[TopicView]
    milestones: list[MilestoneView] = Field(description="All of them, in document order.")
    tasks: list[ItemView] = Field(description="Tasks outside topics and milestones.")
    resources: list[ItemView] = Field(description="Resources outside topics and milestones.")
    removed: int = Field(description="Items gone from the file whose progress is kept.")


@router.get("/api/roadmaps", tags=["roadmaps"])
def api_list(session: SessionDep) -> RoadmapList:
    """Every imported roadmap with its progress."""
    return RoadmapList.model_validate(service.list_roadmaps(session=session), from_attributes=True)


@router.post("/api/roadmaps", tags=["roadmaps"], status_code=201, responses=errors.responses(413, 422))
def api_upload(
    request: Request,
    *,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    file: Annotated[UploadFile | None, File()] = None,
    start_date: Annotated[str, Form()] = "",
    slug: Annotated[str, Form()] = "",
) -> ImportResult:
    """Import a Markdown roadmap (or update the one with the same slug, keeping its progress)."""
    data, name = _read_upload(file, settings)
    return _import(
        request,
        session=session,
        settings=settings,
        clock=clock,
        data=data,
        name=name,
        start=start_date,
        slug=slug,
    )


@router.get("/api/roadmaps/{slug}", tags=["roadmaps"], responses=errors.responses(404, 422))
def api_view(slug: str, session: SessionDep, clock: ClockDep) -> RoadmapViewPublic:
    """A roadmap's topics, milestones, tasks and resources with their dates and progress."""
    return RoadmapViewPublic.model_validate(
        service.roadmap_view(session=session, slug=slug, today=clock.today)
    )


@router.patch("/api/roadmaps/{slug}", tags=["roadmaps"], responses=errors.responses(404, 422))
def api_update(
    slug: str, session: SessionDep, clock: ClockDep, update: Annotated[RoadmapUpdate, Body()]
) -> RoadmapViewPublic:
    """Move a roadmap's start date; every dated topic moves with it."""
    start = _required_start_date(update.start_date)
    service.set_start_date(session=session, slug=slug, start_date=start, now=clock.now)
    return RoadmapViewPublic.model_validate(
        service.roadmap_view(session=session, slug=slug, today=clock.today)
    )


@router.delete(
    "/api/roadmaps/{slug}",
    tags=["roadmaps"],
    status_code=204,
    response_class=Response,
    responses=errors.responses(404, 422),
)
def api_delete(slug: str, session: SessionDep, settings: SettingsDep) -> None:
    """Delete a roadmap with its progress, and take its document out of the knowledge base."""
    service.delete_roadmap(session=session, slug=slug)
    session.commit()
    _remove_from_kb(settings, slug)


@router.post("/api/roadmaps/{slug}/items", tags=["roadmaps"], responses=errors.responses(404, 422))
def api_set_item(
    slug: str, session: SessionDep, clock: ClockDep, update: Annotated[ItemUpdate, Body()]
) -> ItemView:
    """Tick or untick an item, or set its link (a deliverable's repository, say)."""
    return service.set_item(
        session=session,
        slug=slug,
        key=update.key,
        done=update.done,
        link=update.link,
        now=clock.now,
        zone=clock.zone,
    )
