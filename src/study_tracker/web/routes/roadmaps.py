"""Roadmaps and milestones pages, their htmx fragments, and the /api/roadmaps endpoints.

Handlers parse the request and call ``roadmaps.service``; an upload is also copied to
<data_dir>/roadmaps/<slug>.md and handed to a background ingest (the server never embeds); a
removal takes that copy out of the knowledge base again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from study_tracker.config import Settings
from study_tracker.errors import RoadmapError, StudyError
from study_tracker.roadmaps import library, service
from study_tracker.roadmaps.parse import repair
from study_tracker.web.deps import Clock, SessionDep, get_clock, get_settings
from study_tracker.web.rendering import is_htmx, render

log = logging.getLogger(__name__)
router = APIRouter(default_response_class=HTMLResponse)

ClockDep = Annotated[Clock, Depends(get_clock)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

MAX_UPLOAD_BYTES = 2 * 1024 * 1024  # roadmaps are documents, not data sets


def _ingest(request: Request, settings: Settings, slug: str, text: str) -> None:
    """Copy the document into the data folder and ingest it in the background (never blocks)."""
    hand_off = getattr(request.app.state, "roadmap_ingest", library.ingest_in_background)
    try:
        path = library.save_copy(data_dir=settings.data_dir, slug=slug, text=text)
        hand_off(path, settings=settings)
    except Exception:  # noqa: BLE001 - the roadmap is imported; the knowledge base is a bonus
        log.exception("could not hand roadmap %s to the knowledge base", slug)


async def _read_upload(file: UploadFile | None) -> tuple[bytes, str]:
    if file is None or not file.filename:
        raise RoadmapError.field("file", "choose a Markdown file (.md) to upload")
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise RoadmapError.field("file", f"{file.filename} is larger than {MAX_UPLOAD_BYTES // 1024} KB")
    return data, file.filename


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
    session: Session,
    settings: Settings,
    clock: Clock,
    data: bytes,
    name: str,
    start: str,
    slug: str,
) -> service.ImportResult:
    start_date = _start_date(start)
    text = service.decode_upload(data, name=name)
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
    return result


# --- pages -------------------------------------------------------------------------------------
def _list_context(session: Session) -> dict[str, Any]:
    return {"roadmaps": service.list_roadmaps(session=session), "form": {}}


@router.get("/roadmaps")
def roadmaps_page(request: Request, session: SessionDep) -> Response:
    ctx = _list_context(session) | {"message": request.query_params.get("message")}
    return render(request, "roadmaps.html", ctx)


@router.post("/roadmaps")
async def upload_form(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    file: Annotated[UploadFile | None, File()] = None,
    start_date: Annotated[str, Form()] = "",
    slug: Annotated[str, Form()] = "",
) -> Response:
    try:
        data, name = await _read_upload(file)
        result = _import(request, session, settings, clock, data, name, start_date, slug)
    except StudyError as exc:
        session.rollback()
        ctx = _list_context(session) | {
            "errors": exc.errors,
            "message": None if exc.errors else exc.message,
            "form": {"start_date": start_date, "slug": slug},
        }
        return render(request, "roadmaps.html", ctx, status_code=exc.status)
    verb = "Imported" if result.created else "Updated"
    counts = result.counts
    message = (
        f"{verb} {result.title}: {counts['topics']} topics, {counts['milestones']} milestones, "
        f"{counts['tasks']} tasks, {counts['resources']} resources."
    )
    return RedirectResponse(f"/roadmaps/{result.slug}?message={quote(message)}", status_code=303)


@router.get("/roadmaps/{slug}")
def roadmap_page(request: Request, slug: str, session: SessionDep, clock: ClockDep) -> Response:
    view = service.roadmap_view(session=session, slug=slug, today=clock.today)
    ctx = {"view": view, "message": request.query_params.get("message"), "today": clock.today}
    return render(request, "roadmap.html", ctx)


@router.post("/roadmaps/{slug}/start")
def start_form(
    request: Request,
    slug: str,
    session: SessionDep,
    clock: ClockDep,
    start_date: Annotated[str, Form()] = "",
) -> Response:
    try:
        new = _required_start_date(start_date)
        service.set_start_date(session=session, slug=slug, start_date=new, now=clock.now)
    except RoadmapError as exc:
        session.rollback()
        view = service.roadmap_view(session=session, slug=slug, today=clock.today)  # 404 if unknown
        ctx = {"view": view, "today": clock.today, "errors": exc.errors, "start_value": start_date}
        return render(request, "roadmap.html", ctx, status_code=exc.status)
    message = f"Start date set to {new}; every dated topic moved with it."
    return RedirectResponse(f"/roadmaps/{slug}?message={quote(message)}", status_code=303)


@router.post("/roadmaps/{slug}/delete")
def delete_form(slug: str, session: SessionDep, settings: SettingsDep, clock: ClockDep) -> Response:
    title = service.roadmap_view(session=session, slug=slug, today=clock.today).title
    service.delete_roadmap(session=session, slug=slug)
    session.commit()  # the roadmap is gone before the knowledge base is touched
    message = f"Removed {title} with its progress." + _remove_from_kb(settings, slug)
    return RedirectResponse(f"/roadmaps?message={quote(message)}", status_code=303)


@router.get("/milestones")
def milestones_page(request: Request, session: SessionDep) -> Response:
    ctx = {
        "roadmaps": service.milestone_progress(session=session),
        "message": request.query_params.get("message"),
    }
    return render(request, "milestones.html", ctx)


@dataclass(frozen=True)
class ItemForm:
    """What both item forms post besides their own field: the roadmap, the item, where to go back."""

    slug: str
    key: str
    back: str

    def set(self, session: Session, clock: Clock, *, done: bool | None, link: str | None) -> service.ItemView:
        return service.set_item(
            session=session,
            slug=self.slug,
            key=self.key,
            done=done,
            link=link,
            now=clock.now,
            zone=clock.zone,
        )

    def response(self, request: Request, item: service.ItemView) -> Response:
        if is_htmx(request):
            return render(request, "_roadmap_item.html", {"slug": self.slug, "it": item, "back": self.back})
        return RedirectResponse(self.back, status_code=303)


def _item_form(slug: str, key: Annotated[str, Form()] = "", back: Annotated[str, Form()] = "") -> ItemForm:
    # Only same-site paths: the form's "back" must never redirect elsewhere.
    safe = back.startswith("/") and not back.startswith("//")
    return ItemForm(slug=slug, key=key, back=back if safe else f"/roadmaps/{slug}")


ItemFormDep = Annotated[ItemForm, Depends(_item_form)]


@router.post("/roadmaps/{slug}/items/tick")
def tick_form(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    form: ItemFormDep,
    done: Annotated[str, Form()] = "",
) -> Response:
    if done not in ("true", "false"):
        raise RoadmapError.field("done", "must be true or false")
    return form.response(request, form.set(session, clock, done=done == "true", link=None))


@router.post("/roadmaps/{slug}/items/link")
def link_form(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    form: ItemFormDep,
    link: Annotated[str, Form()] = "",
) -> Response:
    try:
        item = form.set(session, clock, done=None, link=link)
    except RoadmapError as exc:
        session.rollback()
        if not is_htmx(request):
            raise
        current = service.item_view(session=session, slug=form.slug, key=form.key)
        ctx = {"slug": form.slug, "it": current, "back": form.back, "errors": exc.errors, "link_value": link}
        return render(request, "_roadmap_item.html", ctx, status_code=exc.status)
    return form.response(request, item)


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


@router.get("/api/roadmaps", tags=["api"], response_class=JSONResponse)
def api_list(session: SessionDep) -> list[dict[str, Any]]:
    return [_plain(r) for r in service.list_roadmaps(session=session)]


@router.post("/api/roadmaps", tags=["api"], response_class=JSONResponse, status_code=201)
async def api_upload(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    file: Annotated[UploadFile | None, File()] = None,
    start_date: Annotated[str, Form()] = "",
    slug: Annotated[str, Form()] = "",
) -> dict[str, Any]:
    data, name = await _read_upload(file)
    return _plain(_import(request, session, settings, clock, data, name, start_date, slug))


@router.get("/api/roadmaps/{slug}", tags=["api"], response_class=JSONResponse)
def api_view(slug: str, session: SessionDep, clock: ClockDep) -> dict[str, Any]:
    return _plain(service.roadmap_view(session=session, slug=slug, today=clock.today))


@router.patch("/api/roadmaps/{slug}", tags=["api"], response_class=JSONResponse)
def api_update(
    slug: str, session: SessionDep, clock: ClockDep, update: Annotated[RoadmapUpdate, Body()]
) -> dict[str, Any]:
    start = _required_start_date(update.start_date)
    service.set_start_date(session=session, slug=slug, start_date=start, now=clock.now)
    return _plain(service.roadmap_view(session=session, slug=slug, today=clock.today))


@router.delete("/api/roadmaps/{slug}", tags=["api"], status_code=204, response_class=Response)
def api_delete(slug: str, session: SessionDep, settings: SettingsDep) -> Response:
    service.delete_roadmap(session=session, slug=slug)
    session.commit()
    _remove_from_kb(settings, slug)
    return Response(status_code=204)


@router.post("/api/roadmaps/{slug}/items", tags=["api"], response_class=JSONResponse)
def api_set_item(
    slug: str, session: SessionDep, clock: ClockDep, update: Annotated[ItemUpdate, Body()]
) -> dict[str, Any]:
    item = service.set_item(
        session=session,
        slug=slug,
        key=update.key,
        done=update.done,
        link=update.link,
        now=clock.now,
        zone=clock.zone,
    )
    return _plain(item)


def _plain(obj: Any) -> Any:
    """Dataclass views as JSON-ready dicts (dates as ISO strings)."""
    import dataclasses

    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, date):
        return obj.isoformat()
    return obj
