"""The first-run welcome on Today: the study loop in three lines and a choice of tracks to start.

It is offered while nothing was ever completed and the learner has not dismissed it; choosing
tracks goes through the same configuration service as the Config page (``settings_store``), and
dismissing it (or choosing) is remembered in the database's ``meta`` table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, tzinfo
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from study_tracker.content.curriculum import tracks_in_group
from study_tracker.db.models import Completion, Meta
from study_tracker.errors import InvalidInput
from study_tracker.tracker import settings_store
from study_tracker.tracker.service import require_group

WELCOME_DISMISSED = "welcome_dismissed"  # meta key: when the welcome was dismissed (an ISO instant)


def welcome_pending(session: Session) -> bool:
    """Whether Today shows the welcome: no completion yet (even undone) and never dismissed."""
    if session.get(Meta, WELCOME_DISMISSED) is not None:
        return False
    return session.scalar(select(Completion.id).limit(1)) is None


def dismiss_welcome(session: Session, *, now: datetime) -> None:
    """Stop offering the welcome (for good: it is a first-run aid)."""
    if session.get(Meta, WELCOME_DISMISSED) is None:
        session.add(Meta(key=WELCOME_DISMISSED, value=now.isoformat()))
        session.flush()


def start_chosen_tracks(
    session: Session,
    *,
    data_dir: Path,
    group: str,
    tracks: Sequence[str],
    zone: tzinfo,
    now: datetime,
    today: date,
) -> settings_store.GroupConfig:
    """Start the chosen tracks of a group today (one already under way keeps its start date), hide
    its other tracks (Config shows them again), and dismiss the welcome. The other group is left
    as it is.

    Returns:
        The group's configuration as saved.

    Raises:
        NotFound: unknown group.
        InvalidInput: ``tracks`` is empty or names a track outside the group (nothing is saved).
    """
    require_group(group)
    known = [t.slug for t in tracks_in_group(group)]
    chosen = list(dict.fromkeys(tracks))
    if not chosen:
        raise InvalidInput.field("tracks", "pick at least one track to start")
    strangers = [t for t in chosen if t not in known]
    if strangers:
        raise InvalidInput.field(
            "tracks", f"{', '.join(strangers)} is not a track of {group} (its tracks: {', '.join(known)})"
        )
    payload = settings_store.get_config(session, group).model_dump(mode="json")
    for slug in known:
        entry = payload["tracks"].setdefault(slug, {})
        if slug in chosen:
            started = entry.get("start_date")
            # A track already under way keeps its start (and day); any other starts today.
            if started is None or started > today.isoformat():
                entry["start_date"] = today.isoformat()
            entry.update(paused=False, hidden=False)
        else:
            entry.update(hidden=True)
    saved = settings_store.save_config(
        session, data_dir=data_dir, group=group, payload=payload, zone=zone, today=today
    )
    dismiss_welcome(session, now=now)
    return saved
