"""What is due: each track's topic for today, the reviews due, and what comes after.

Reads only (``service.py`` holds the writes); every function takes the session and the date as
keyword arguments.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from study_tracker.content.curriculum import Question, Topic, Track, load_tracks, tracks_in_group
from study_tracker.db.models import MAX_ID, Completion, ScheduledReview, TrackSetting
from study_tracker.errors import NotFound
from study_tracker.tracker.days import setting_day
from study_tracker.tracker.questions import sample_questions
from study_tracker.tracker.service import entry_key, last_entry, live_completions, require_group
from study_tracker.tracker.srs import ReviewType, review_type


@dataclass
class TrackToday:
    track: Track
    day: int
    topic: Topic | None
    start_date: date | None  # None: not started yet (its first completion starts it)
    acceleration_days: int
    completion: Completion | None = None
    missed: list[int] = field(default_factory=list)
    paused_since: date | None = None

    @property
    def not_started(self) -> bool:
        """No start date yet: day 1 (plus acceleration) is offered, nothing is ever missed."""
        return self.start_date is None

    @property
    def upcoming(self) -> bool:
        """A start date in the future: nothing is offered before it."""
        return self.start_date is not None and self.day < 1

    @property
    def paused(self) -> bool:
        """Paused: the day count stands still and no new topic is offered; reviews go on."""
        return self.paused_since is not None

    @property
    def finished(self) -> bool:
        return self.day > self.track.length

    @property
    def status(self) -> str:
        """One word for the API and the pages: paused, upcoming, not_started, finished or active."""
        if self.paused:
            return "paused"
        if self.upcoming:
            return "upcoming"
        if self.not_started:
            return "not_started"
        return "finished" if self.finished else "active"

    @property
    def note(self) -> str | None:
        """The one line its card (Today, the API, the MCP tool) says instead of or beside its topic."""
        if self.paused:
            return f"Paused since {self.paused_since} on day {self.day}: no new topic; its reviews still come up."
        if self.upcoming:
            return f"Starts on {self.start_date}"
        if self.topic is None:
            return f"No topic for day {self.day}"
        if self.not_started:
            return "Not started: your first completion starts it (no catch-up before that)."
        return None

    @property
    def offers_topic(self) -> bool:
        """Whether today's topic of this track is offered as something to study now."""
        return self.topic is not None and not (self.paused or self.upcoming)


@dataclass
class DueReview:
    completion_id: int
    track: Track
    day: int
    topic: Topic
    due_date: date
    step: int
    interval_days: int
    rtype: ReviewType
    completed_on: date
    overdue_days: int
    track_paused: bool = False  # its track is paused: reviews go on, with a note saying so
    plan_note: str = ""  # why the learner's plan put it on today ("moved from 14 Jan to 9 Jan: ...")


@dataclass
class TodayView:
    group: str
    today: date
    reviews: list[DueReview]
    tracks: list[TrackToday]  # the group's tracks that are not hidden
    hidden: list[Track] = field(default_factory=list)  # hidden on Config: kept, not shown
    last_entry: str | None = None  # what Undo would undo (``completion:<id>`` / ``review:<id>``)


def _track_flags(session: Session, group: str | None = None) -> tuple[set[str], set[str]]:
    """(hidden, paused) track slugs, of one group or of all."""
    stmt = select(TrackSetting.track, TrackSetting.hidden, TrackSetting.paused_since)
    if group is not None:
        stmt = stmt.where(TrackSetting.group == group)
    hidden, paused = set(), set()
    for slug, is_hidden, paused_since in session.execute(stmt):
        if is_hidden:
            hidden.add(slug)
        if paused_since is not None:
            paused.add(slug)
    return hidden, paused


def inactive_tracks(session: Session) -> set[str]:
    """Tracks the learner set aside (hidden or paused): suggestions leave them out."""
    hidden, paused = _track_flags(session)
    return hidden | paused


def due_reviews(
    session: Session,
    *,
    group: str,
    today: date,
    until: date | None = None,
    include_hidden: bool = False,
    flags: tuple[set[str], set[str]] | None = None,
) -> list[DueReview]:
    """Reviews due on or before ``until`` (default today): overdue first, oldest first.

    Reviews of hidden tracks wait (left out unless ``include_hidden``) and come back, overdue,
    when the track is shown again; reviews of paused tracks are listed, flagged ``track_paused``.

    Args:
        flags: the group's (hidden, paused) track slugs when the caller has them already.
    """
    until = until or today
    hidden, paused = flags or _track_flags(session, group)
    if include_hidden:
        hidden = set()
    # Columns, not entities: a long break leaves thousands due, and building ORM objects (and
    # parsing each FSRS card's JSON state) for them was most of Today's time.
    rows = session.execute(
        select(
            ScheduledReview.completion_id,
            ScheduledReview.track,
            ScheduledReview.day,
            ScheduledReview.due_date,
            ScheduledReview.step,
            ScheduledReview.interval_days,
            Completion.local_date,
        )
        .join(Completion, Completion.id == ScheduledReview.completion_id)
        .where(ScheduledReview.group == group, ScheduledReview.due_date <= until)
        .order_by(ScheduledReview.due_date, Completion.completed_at, Completion.id)
    ).all()
    out = []
    tracks = load_tracks()
    for completion_id, slug, day, due_date, step, interval_days, completed_on in rows:
        track = tracks.get(slug)
        topic = track.topic(day) if track else None
        if track is None or topic is None or slug in hidden:
            continue  # a track removed from the bundle keeps its log but has nothing to show
        out.append(
            DueReview(
                completion_id=completion_id,
                track=track,
                day=day,
                topic=topic,
                due_date=due_date,
                step=step,
                interval_days=interval_days,
                rtype=review_type(interval_days),
                completed_on=completed_on,
                overdue_days=max(0, (today - due_date).days),
                track_paused=slug in paused,
            )
        )
    return out


def review_questions(review: DueReview) -> list[Question]:
    return sample_questions(review.topic, review.rtype, seed=f"{review.completion_id}:{review.step}")


def get_due_review(session: Session, *, completion_id: int, today: date) -> DueReview:
    """The pending review of a completion (due or not yet due).

    Raises:
        NotFound: no review is scheduled for that completion.
    """
    if not 1 <= completion_id <= MAX_ID:
        raise NotFound(f"no review is scheduled for completion {completion_id}")
    sched = session.get(ScheduledReview, completion_id)
    if sched is None:
        raise NotFound(f"no review is scheduled for completion {completion_id}")
    for review in due_reviews(
        session, group=sched.group, today=today, until=sched.due_date, include_hidden=True
    ):
        if review.completion_id == completion_id:
            return review
    raise NotFound(f"no review is scheduled for completion {completion_id}")


def today_view(session: Session, *, group: str, today: date) -> TodayView:
    """What a group asks of the user today: due reviews, then each shown track's day.

    A track not started yet is on day 1 (plus its acceleration) with nothing to catch up; a
    paused one keeps the day it was paused on and offers no catch-up; hidden tracks are listed
    apart (``hidden``) and their reviews wait.
    """
    require_group(group)
    settings = {s.track: s for s in session.scalars(select(TrackSetting).where(TrackSetting.group == group))}
    done: dict[str, dict[int, Completion]] = defaultdict(dict)
    starts = [s.start_date for s in settings.values() if s.start_date is not None]
    earliest = min(starts, default=today)
    # Only the current run of each track counts (on or after its start date): old runs stay in history.
    for c in session.scalars(
        live_completions(group).where(Completion.local_date >= earliest).order_by(Completion.id)
    ):
        s = settings.get(c.track)
        if s is None or (s.start_date is not None and c.local_date >= s.start_date):
            done[c.track][c.day] = c
    tracks, hidden = [], []
    for track in tracks_in_group(group):
        s = settings.get(track.slug)
        if s is not None and s.hidden:
            hidden.append(track)
            continue
        start = s.start_date if s else None
        accel = s.acceleration_days if s else 0
        paused_since = s.paused_since if s else None
        day = setting_day(s, today)
        first = 1 + accel
        missed = []
        if start is not None and paused_since is None:
            missed = [d for d in range(first, min(day, track.length + 1)) if d not in done[track.slug]]
        tracks.append(
            TrackToday(
                track=track,
                day=day,
                topic=track.topic(day),
                start_date=start,
                acceleration_days=accel,
                completion=done[track.slug].get(day),
                missed=missed,
                paused_since=paused_since,
            )
        )
    flags = (
        {slug for slug, s in settings.items() if s.hidden},
        {slug for slug, s in settings.items() if s.paused_since is not None},
    )
    last = last_entry(session, group=group)
    return TodayView(
        group=group,
        today=today,
        reviews=due_reviews(session, group=group, today=today, flags=flags),
        tracks=tracks,
        hidden=hidden,
        last_entry=entry_key(last) if last else None,
    )


@dataclass(frozen=True)
class UpcomingReviews:
    due_date: date
    count: int


def next_reviews_after(session: Session, *, group: str, today: date) -> UpcomingReviews | None:
    """The first day after ``today`` with reviews due in a group (hidden tracks left out), and
    how many fall on it; None when nothing is scheduled."""
    hidden, _ = _track_flags(session, group)
    rows = session.execute(
        select(ScheduledReview.due_date, ScheduledReview.track)
        .where(ScheduledReview.group == group, ScheduledReview.due_date > today)
        .order_by(ScheduledReview.due_date)
    )
    first: date | None = None
    count = 0
    for due_date, slug in rows:
        if slug in hidden:
            continue
        if first is not None and due_date != first:
            break
        first, count = due_date, count + 1
    return UpcomingReviews(first, count) if first is not None else None


def next_review_date(session: Session, *, completion_id: int) -> date | None:
    """When the topic's next review falls, or None once it has graduated."""
    if not 1 <= completion_id <= MAX_ID:
        return None
    pending = session.get(ScheduledReview, completion_id)
    return pending.due_date if pending else None
