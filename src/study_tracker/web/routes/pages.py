"""HTML pages. Handlers parse the request, call a service, and render a template."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from study_tracker.coach import what_next as guidance
from study_tracker.config import Settings
from study_tracker.content.curriculum import CONTENT_DIR, GROUPS, load_tracks, tracks_in_group
from study_tracker.errors import InvalidInput, NotFound, StudyError
from study_tracker.tracker import service, settings_store, stats
from study_tracker.web.deps import GROUP_COOKIE, Clock, SessionDep, current_group, get_clock, get_settings
from study_tracker.web.knowledge_views import topic_passages
from study_tracker.web.rendering import render, render_markdown

router = APIRouter(default_response_class=HTMLResponse)
REVIEWS_SHOWN = 25  # due reviews listed on Today before "Show all"

ClockDep = Annotated[Clock, Depends(get_clock)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def _remember_group(response: Response, request: Request) -> Response:
    chosen = request.query_params.get("group")
    if chosen in GROUPS:
        response.set_cookie(GROUP_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="lax")
    return response


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/")
def today_page(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    group = current_group(request)
    view = service.today_view(session, group=group, today=clock.today)
    # The What-next panel reuses this view; its passages load later (htmx), never blocking Today.
    next_up = guidance.what_next(session, now=clock.now, zone=clock.zone, groups=[group], views=[view])
    message = request.query_params.get("message")
    ctx = {
        "view": view,
        "message": message,
        "next_up": next_up,
        # after a long break hundreds are due: list the oldest, the rest on request
        "reviews_shown": REVIEWS_SHOWN,
        "all_reviews": request.query_params.get("reviews") == "all",
    }
    return _remember_group(render(request, "today.html", ctx), request)


@router.get("/tracks/{slug}/days/{day}")
def topic_page(request: Request, slug: str, day: int, session: SessionDep) -> Response:
    ctx = _topic_context(session, slug, day)
    ctx["related"] = _related(request, ctx["topic"])
    return render(request, "topic.html", ctx)


def _related(request: Request, topic) -> dict | None:  # type: ignore[no-untyped-def,type-arg]
    """The best passages for the topic, "From your materials"."""
    return topic_passages(request, title=topic.title, subtopics=topic.subtopics)


def _topic_context(session: Session, slug: str, day: int) -> dict:  # type: ignore[type-arg]
    track = service.get_track(slug)
    return {
        "track": track,
        "topic": service.get_topic(slug, day),
        "completion": service.completion_for(session, track=slug, day=day),
        "group": track.group,
        "guides": _guides(track),
    }


def _refused(exc: StudyError) -> dict:  # type: ignore[type-arg]
    """What a form page shows when a service refused the input: field errors, or one message."""
    return {"errors": exc.errors, "message": None if exc.errors else exc.message}


def _guides(track) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(label, file name) of the track's guide and, when there is one, its cheat sheet."""
    if not track.guide:
        return []
    guide = Path(track.guide).name
    out = [("Read this day in the study guide", guide)]
    cheatsheet = guide.replace(".md", "-cheatsheet.md")
    if (CONTENT_DIR / "guides" / cheatsheet).exists():
        out.append(("Cheat sheet for this day", cheatsheet))
    return out


@router.post("/tracks/{slug}/days/{day}/complete")
def complete_form(
    request: Request,
    slug: str,
    day: int,
    session: SessionDep,
    clock: ClockDep,
    difficulty: Annotated[str, Form()] = "",
    notes: Annotated[str, Form()] = "",
) -> Response:
    track = service.get_track(slug)
    service.get_topic(slug, day)
    try:
        if not difficulty.strip().isdigit():
            raise InvalidInput.field(
                "difficulty", "is required: rate the topic from 1 (easy) to 5 (very hard)"
            )
        service.complete_topic(
            session=session,
            track=slug,
            day=day,
            difficulty=int(difficulty),
            notes=notes,
            now=clock.now,
            zone=clock.zone,
        )
    except StudyError as exc:
        session.rollback()
        ctx = _topic_context(session, slug, day) | _refused(exc)
        ctx["form"] = {"difficulty": difficulty, "notes": notes}
        return render(request, "topic.html", ctx, status_code=exc.status)
    return _see_other(f"/?group={track.group}&message=Completed+{track.title}+day+{day}")


@router.get("/reviews/{completion_id}")
def review_page(request: Request, completion_id: int, session: SessionDep, clock: ClockDep) -> Response:
    review = service.get_due_review(session, completion_id=completion_id, today=clock.today)
    return render(request, "review.html", _review_context(review, clock))


def _review_context(review: service.DueReview, clock: Clock) -> dict:  # type: ignore[type-arg]
    return {
        "review": review,
        "questions": service.review_questions(review),
        "today": clock.today,
        "group": review.track.group,
    }


@router.post("/reviews/{completion_id}")
def review_form(
    request: Request,
    completion_id: int,
    session: SessionDep,
    clock: ClockDep,
    rating: Annotated[str, Form()] = "",
    notes: Annotated[str, Form()] = "",
) -> Response:
    review = service.get_due_review(session, completion_id=completion_id, today=clock.today)
    try:
        if not rating.strip().isdigit():
            raise InvalidInput.field("rating", "is required: choose Again, Hard, Good or Easy")
        service.log_review(
            session=session,
            completion_id=completion_id,
            rating=int(rating),
            notes=notes,
            now=clock.now,
            zone=clock.zone,
        )
    except StudyError as exc:
        session.rollback()
        return render(
            request, "review.html", _review_context(review, clock) | _refused(exc), status_code=exc.status
        )
    return _see_other(f"/?group={review.track.group}&message=Review+saved")


@router.post("/undo")
def undo_form(
    request: Request, session: SessionDep, clock: ClockDep, group: Annotated[str, Form()] = ""
) -> Response:
    group = group or current_group(request)
    try:
        undone = service.undo_last(session=session, group=group, now=clock.now, zone=clock.zone)
    except StudyError as exc:
        return _see_other(f"/?group={group}&message={exc.message}")
    title = load_tracks()[undone.track].title
    return _see_other(f"/?group={group}&message=Undid+{undone.kind}+of+{title}+day+{undone.day}")


def _config_context(session: Session, settings: Settings, group: str, clock: Clock) -> dict:  # type: ignore[type-arg]
    config = settings_store.get_config(session, group)
    tracks = tracks_in_group(group)
    days = {
        t.slug: service.current_day(
            config.tracks[t.slug].start_date, config.tracks[t.slug].acceleration_days, clock.today
        )
        for t in tracks
        if t.slug in config.tracks
    }
    return {
        "config": config,
        "tracks": [t for t in tracks if t.slug in config.tracks],
        "days": days,
        "config_file": settings_store.config_path(settings.data_dir, group),
        "form": {},
        "group": group,
    }


@router.get("/config")
def config_page(request: Request, session: SessionDep, settings: SettingsDep, clock: ClockDep) -> Response:
    group = current_group(request)
    ctx = _config_context(session, settings, group, clock)
    ctx["message"] = request.query_params.get("message")
    return _remember_group(render(request, "config.html", ctx), request)


def form_to_config(form: dict[str, str]) -> dict:  # type: ignore[type-arg]
    """Turn flat ``tracks.<slug>.<field>`` / ``settings.<field>`` form names into the config shape."""
    payload: dict = {"tracks": {}, "settings": {}}  # type: ignore[type-arg]
    for key, value in form.items():
        parts = key.split(".")
        if parts[0] == "tracks" and len(parts) == 3:
            payload["tracks"].setdefault(parts[1], {})[parts[2]] = value.strip()
        elif parts[0] == "settings" and len(parts) == 2:
            if parts[1] == "review_intervals":
                payload["settings"][parts[1]] = [
                    v.strip() for v in value.replace(";", ",").split(",") if v.strip()
                ]
            else:
                payload["settings"][parts[1]] = value.strip()
    return payload


@router.post("/config")
async def config_form(
    request: Request, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    group = form.pop("group", "") or current_group(request)
    try:
        settings_store.save_config(
            session, data_dir=settings.data_dir, group=group, payload=form_to_config(form), zone=clock.zone
        )
    except StudyError as exc:
        session.rollback()
        ctx = _config_context(session, settings, group, clock)
        ctx.update(_refused(exc), form=form)
        return render(request, "config.html", ctx, status_code=exc.status)
    return _see_other(f"/config?group={group}&message=Saved")


@router.get("/history")
def history_page(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    group = current_group(request)
    h = stats.history(session, group=group, today=clock.today)
    chart_data = {
        "from": (clock.today - timedelta(days=364)).isoformat(),
        "to": clock.today.isoformat(),
        "activity": [[d.isoformat(), c + r] for d, (c, r) in sorted(h.activity.items())],
        "max": max((c + r for c, r in h.activity.values()), default=0),
        "forecast": [[d.isoformat(), n] for d, n in h.forecast],
    }
    titles = {slug: t.title for slug, t in load_tracks().items()}
    ctx = {"h": h, "chart_data": chart_data, "titles": titles}
    return _remember_group(render(request, "history.html", ctx), request)


@router.get("/guides/{name}")
def guide_page(request: Request, name: str) -> Response:
    path = (CONTENT_DIR / "guides" / name).resolve()
    if path.parent != (CONTENT_DIR / "guides").resolve() or not path.is_file() or path.suffix != ".md":
        raise NotFound(f"no study guide named {name!r}")
    text = path.read_text(encoding="utf-8")
    title = next((line[2:] for line in text.splitlines() if line.startswith("# ")), name)
    return render(request, "guide.html", {"title": title, "body": render_markdown(text)})
