"""The JSON API under /api: everything the pages do, documented at /docs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query

from study_tracker.config import Settings
from study_tracker.content.curriculum import GROUPS, Topic, Track, load_tracks
from study_tracker.errors import Conflict
from study_tracker.tracker import service, settings_store, stats, transfer
from study_tracker.web.deps import Clock, SessionDep, get_clock, get_settings
from study_tracker.web.schemas import (
    CompletionCreate,
    CompletionPublic,
    DueReviewPublic,
    QuestionPublic,
    ReviewCreate,
    ReviewPublic,
    TodayPublic,
    TrackTodayPublic,
    UndonePublic,
)

router = APIRouter(prefix="/api", tags=["api"])

ClockDep = Annotated[Clock, Depends(get_clock)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
GroupQuery = Annotated[str, Query(description="swe or ml_specialist")]


def _questions(qs) -> list[QuestionPublic]:  # type: ignore[no-untyped-def]
    return [
        QuestionPublic(type=q.type.value, level=q.level, prompt=q.prompt, key_points=list(q.key_points))
        for q in qs
    ]


def today_public(view: service.TodayView) -> TodayPublic:
    reviews = [
        DueReviewPublic(
            completion_id=r.completion_id,
            track=r.track.slug,
            day=r.day,
            title=r.topic.title,
            due_date=r.due_date,
            overdue_days=r.overdue_days,
            interval_days=r.interval_days,
            review_type=r.rtype.key,
            questions=_questions(service.review_questions(r)),
        )
        for r in view.reviews
    ]
    tracks = [
        TrackTodayPublic(
            track=t.track.slug,
            title=t.track.title,
            day=t.day,
            length=t.track.length,
            topic=t.topic.title if t.topic else None,
            subtopics=list(t.topic.subtopics) if t.topic else [],
            estimated_minutes=t.topic.estimated_minutes if t.topic else None,
            completed=t.completion is not None,
            message=(
                f"Starts on {t.start_date}"
                if t.not_started
                else f"No topic for day {t.day}"
                if t.topic is None
                else None
            ),
            missed_days=t.missed,
        )
        for t in view.tracks
    ]
    return TodayPublic(group=view.group, today=view.today, reviews=reviews, tracks=tracks)


@router.get("/groups")
def list_groups() -> list[dict[str, Any]]:
    return [
        {
            "slug": g.slug,
            "title": g.title,
            "icon": g.icon,
            "tracks": [t.slug for t in load_tracks().values() if t.group == g.slug],
        }
        for g in GROUPS.values()
    ]


@router.get("/tracks")
def list_tracks() -> list[dict[str, Any]]:
    return [
        {"slug": t.slug, "group": t.group, "title": t.title, "days": t.length} for t in load_tracks().values()
    ]


@router.get("/tracks/{slug}")
def get_track(slug: str) -> Track:
    return service.get_track(slug)


@router.get("/tracks/{slug}/days/{day}")
def get_topic(slug: str, day: int) -> Topic:
    return service.get_topic(slug, day)


@router.get("/today")
def today(session: SessionDep, clock: ClockDep, group: GroupQuery = "swe") -> TodayPublic:
    return today_public(service.today_view(session, group=group, today=clock.today))


@router.post("/completions", status_code=201)
def create_completion(body: CompletionCreate, session: SessionDep, clock: ClockDep) -> CompletionPublic:
    day = body.day or service.track_day(session, track=body.track, today=clock.today)
    completion = service.complete_topic(
        session=session,
        track=body.track,
        day=day,
        difficulty=body.difficulty,
        notes=body.notes,
        now=clock.now,
        zone=clock.zone,
    )
    return CompletionPublic.model_validate(completion)


@router.get("/reviews")
def due(session: SessionDep, clock: ClockDep, group: GroupQuery = "swe") -> list[DueReviewPublic]:
    return today_public(service.today_view(session, group=group, today=clock.today)).reviews


@router.post("/reviews/{completion_id}", status_code=201)
def create_review(
    completion_id: int, body: ReviewCreate, session: SessionDep, clock: ClockDep
) -> ReviewPublic:
    review = service.log_review(
        session=session,
        completion_id=completion_id,
        rating=body.rating,
        notes=body.notes,
        now=clock.now,
        zone=clock.zone,
    )
    return ReviewPublic.model_validate(review)


@router.post("/undo")
def undo(session: SessionDep, clock: ClockDep, group: GroupQuery = "swe") -> UndonePublic:
    done = service.undo_last(session=session, group=group, now=clock.now, zone=clock.zone)
    return UndonePublic(kind=done.kind, track=done.track, day=done.day)


@router.get("/config/{group}")
def get_config(group: str, session: SessionDep) -> settings_store.GroupConfig:
    return settings_store.get_config(session, group)


@router.put("/config/{group}")
def put_config(
    group: str,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    body: Annotated[Any, Body()] = None,
) -> settings_store.GroupConfig:
    return settings_store.save_config(
        session, data_dir=settings.data_dir, group=group, payload=body, zone=clock.zone
    )


@router.get("/history")
def history(session: SessionDep, clock: ClockDep, group: GroupQuery = "swe") -> dict[str, Any]:
    h = stats.history(session, group=group, today=clock.today)
    return {
        "group": h.group,
        "today": h.today,
        "streak": h.streak,
        "longest_streak": h.longest_streak,
        "totals": h.totals,
        "retention": h.retention,
        "activity": [{"date": d, "completions": c, "reviews": r} for d, (c, r) in sorted(h.activity.items())],
        "progress": [
            {"track": p.track.slug, "completed_days": p.completed_days, "days": p.track.length}
            for p in h.progress
        ],
        "forecast": [{"date": d, "due": n} for d, n in h.forecast],
        "recent": [e.__dict__ for e in h.recent],
    }


@router.get("/export")
def export(session: SessionDep, clock: ClockDep) -> dict[str, Any]:
    return transfer.export_data(session, now=clock.now)


@router.post("/import")
def import_(
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    body: Annotated[Any, Body()] = None,
    replace: bool = False,
) -> dict[str, int]:
    """Replace all settings and history with an export document (validated first).

    Refused with 409 unless ``replace=true`` when the database already holds history.
    """
    import json

    document = transfer.parse_export(json.dumps(body))
    if not replace and transfer.has_history(session):
        raise Conflict("the database already holds history: pass replace=true to overwrite it")
    counts = transfer.import_data(session, document)
    for group in GROUPS:
        service.reschedule(session, group=group, zone=clock.zone)
    transfer.sync_config_files(session, settings.data_dir)
    return counts
