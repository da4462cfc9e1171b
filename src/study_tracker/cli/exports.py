"""``study export calendar|csv|anki``: the plan and the practice questions out of the app (the
same bytes as ``/calendar.ics``, ``/export/plan.csv`` and ``/export/anki.apkg``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from study_tracker import clock
from study_tracker.coach import calendar_feed
from study_tracker.config import Settings
from study_tracker.content.curriculum import GROUPS
from study_tracker.practice import anki


@dataclass(frozen=True)
class ExportRequest:
    out: Path | None
    group: str | None
    track: str | None


def _groups(group: str | None) -> list[str]:
    return [group] if group is not None else list(GROUPS)


def calendar(session: Session, settings: Settings, req: ExportRequest) -> tuple[bytes, str]:
    data = calendar_feed.group_calendar(
        session, groups=_groups(req.group), now=clock.now(settings), zone=clock.local_zone(settings)
    )
    return data, "study-plan.ics"


def plan_csv(session: Session, settings: Settings, req: ExportRequest) -> tuple[bytes, str]:
    plans = calendar_feed.group_plans(
        session, groups=_groups(req.group), now=clock.now(settings), zone=clock.local_zone(settings)
    )
    return calendar_feed.plan_csv(plans).encode(), "study-plan.csv"


def anki_deck(session: Session, settings: Settings, req: ExportRequest) -> tuple[bytes, str]:
    return anki.deck_bytes(track=req.track, group=req.group if req.track is None else None)


# What `study export WHAT` writes besides the JSON of everything.
EXPORTS: dict[str, Callable[[Session, Settings, ExportRequest], tuple[bytes, str]]] = {
    "calendar": calendar,
    "csv": plan_csv,
    "anki": anki_deck,
}
