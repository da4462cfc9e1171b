"""Tracker services: complete topics, log reviews, undo, and compute what is due today.

Every function takes the session and the clock (``now`` / ``today``) as keyword arguments;
handlers and CLI commands call these and never touch SQL themselves.

Writes are race-safe: each write service first calls ``begin_write`` (on SQLite, the write lock,
so its checks and its write see the same data), and the database refuses a second claim on a
slot (``db/models.py``), so two simultaneous requests for the same day, review step or undo end
with one success and one ``Conflict`` (409) that says what happened, never with two entries.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from sqlalchemy import Select, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from study_tracker.clock import local_date
from study_tracker.content.curriculum import GROUPS, Question, Topic, Track, load_tracks, tracks_in_group
from study_tracker.db.engine import begin_write
from study_tracker.db.models import (
    MAX_ID,
    Completion,
    GroupSetting,
    ReviewLog,
    ScheduledReview,
    TrackSetting,
    Undo,
    completion_slot,
    review_slot,
)
from study_tracker.errors import Conflict, InvalidInput, NotFound
from study_tracker.tracker.days import current_day, setting_day  # noqa: F401  (re-exported)
from study_tracker.tracker.questions import sample_questions
from study_tracker.tracker.srs import Event, Recall, ReviewType, Scheduler, make_scheduler, review_type

# The API's bound on notes (``max_length`` of its schemas); the CLI and imports apply it too.
MAX_NOTES = 20_000

# --- lookups -------------------------------------------------------------------------------


def get_track(slug: str) -> Track:
    track = load_tracks().get(slug)
    if track is None:
        raise NotFound(f"unknown track {slug!r}; tracks are {', '.join(load_tracks())}")
    return track


def get_topic(slug: str, day: int) -> Topic:
    track = get_track(slug)
    topic = track.topic(day)
    if topic is None:
        raise NotFound(f"No topic for day {day}: {track.title} has {track.length} days")
    return topic


def require_group(group: str) -> str:
    if group not in GROUPS:
        raise NotFound(f"unknown group {group!r}; groups are {', '.join(GROUPS)}")
    return group


def _check_notes(notes: str) -> str:
    if len(notes) > MAX_NOTES:
        raise InvalidInput.field("notes", f"must be at most {MAX_NOTES:,} characters (got {len(notes):,})")
    return notes.strip()


def _claim(session: Session, conflict: Conflict) -> None:
    """Flush the new entry; the unique index on its slot refusing it means a race was lost."""
    try:
        session.flush()
    except IntegrityError:
        raise conflict from None


def scheduler_for(session: Session, group: str) -> Scheduler:
    options = session.get(GroupSetting, group)
    if options is None:
        return make_scheduler("fixed", intervals=(1, 3, 7, 14), desired_retention=0.9)
    return make_scheduler(
        options.scheduler, intervals=options.review_intervals, desired_retention=options.desired_retention
    )


_UNDONE_COMPLETIONS = select(Undo.completion_id).where(Undo.completion_id.is_not(None))
_UNDONE_REVIEWS = select(Undo.review_id).where(Undo.review_id.is_not(None))


def live_completions(group: str | None = None) -> Select[Completion]:
    """Completions not undone (a select to refine)."""
    stmt = select(Completion).where(Completion.id.not_in(_UNDONE_COMPLETIONS))
    return stmt.where(Completion.group == group) if group else stmt


def live_reviews(group: str | None = None) -> Select[ReviewLog]:
    """Review logs not undone (a select to refine)."""
    stmt = select(ReviewLog).where(ReviewLog.id.not_in(_UNDONE_REVIEWS))
    return stmt.where(ReviewLog.group == group) if group else stmt


# --- days ------------------------------------------------------------------------------------


def track_day(session: Session, *, track: str, today: date) -> int:
    """The day a track is on today, from its start date (if any), acceleration and pauses."""
    get_track(track)
    return setting_day(session.get(TrackSetting, track), today)


def start_on_first_use(session: Session, *, track: str, today: date) -> bool:
    """Start a track that has no start date on ``today`` (its first completion); True if it did.

    A paused track started this way stays paused from that day on.
    """
    setting = session.get(TrackSetting, track)
    if setting is None:
        setting = TrackSetting(track=track, group=get_track(track).group, acceleration_days=0)
        session.add(setting)
    if setting.start_date is not None:
        return False
    setting.start_date = today
    if setting.paused_since is not None:
        setting.paused_since = today
    session.flush()
    return True


# --- scheduling ----------------------------------------------------------------------------


def _history(completion: Completion, reviews: Iterable[ReviewLog]) -> list[Event]:
    events = [Event("completion", completion.completed_at, completion.difficulty)]
    events += [
        Event("review", r.reviewed_at, r.rating) for r in sorted(reviews, key=lambda r: (r.reviewed_at, r.id))
    ]
    return events


def _schedule_one(
    session: Session, completion: Completion, reviews: list[ReviewLog], scheduler: Scheduler, zone: tzinfo
) -> ScheduledReview | None:
    """Add the completion's next review (the caller has removed any previous one)."""
    due = scheduler.next_review(_history(completion, reviews), zone)
    if due is None:
        return None
    row = ScheduledReview(
        completion_id=completion.id,
        group=completion.group,
        track=completion.track,
        day=completion.day,
        step=due.step,
        interval_days=due.interval_days,
        due_date=due.due_date,
        state=due.state,
    )
    session.add(row)
    return row


def reschedule(
    session: Session, *, group: str, zone: tzinfo, completion_ids: Iterable[int] | None = None
) -> int:
    """Recompute pending reviews from the log (all of a group's, or just some completions)."""
    scheduler = scheduler_for(session, group)
    stmt = live_completions(group)
    stale = delete(ScheduledReview).where(ScheduledReview.group == group)
    if completion_ids is not None:
        completion_ids = list(completion_ids)
        stmt = stmt.where(Completion.id.in_(completion_ids))
        stale = stale.where(ScheduledReview.completion_id.in_(completion_ids))
    session.execute(stale)
    completions = session.scalars(stmt).all()
    by_completion: dict[int, list[ReviewLog]] = defaultdict(list)
    review_stmt = live_reviews(group)
    if completion_ids is not None:
        review_stmt = review_stmt.where(ReviewLog.completion_id.in_([c.id for c in completions]))
    for review in session.scalars(review_stmt):
        by_completion[review.completion_id].append(review)
    count = 0
    for completion in completions:
        if _schedule_one(session, completion, by_completion[completion.id], scheduler, zone):
            count += 1
    session.flush()
    return count


# --- writes --------------------------------------------------------------------------------


def complete_topic(
    *, session: Session, track: str, day: int, difficulty: int, notes: str, now: datetime, zone: tzinfo
) -> Completion:
    """Mark a track's day complete and schedule its first review.

    Raises:
        NotFound: unknown track or a day past its end.
        InvalidInput: difficulty outside 1-5.
        Conflict: the day is already complete in the track's current run (since its start date).
    """
    topic_track = get_track(track)
    get_topic(track, day)
    if not isinstance(difficulty, int) or not 1 <= difficulty <= 5:
        raise InvalidInput.field("difficulty", "must be a whole number from 1 (easy) to 5 (very hard)")
    notes = _check_notes(notes)
    begin_write(session)
    # The first completion of a track starts it (before the check: the run begins today).
    start_on_first_use(session, track=track, today=local_date(now, zone))
    existing = completion_for(session, track=track, day=day)
    if existing is not None:
        raise Conflict(f"{topic_track.title} day {day} is already complete (on {existing.local_date})")
    setting = session.get(TrackSetting, track)
    completion = Completion(
        group=topic_track.group,
        track=track,
        day=day,
        difficulty=difficulty,
        notes=notes,
        completed_at=now,
        local_date=local_date(now, zone),
        slot=completion_slot(track, day, setting.start_date if setting else None),
    )
    session.add(completion)
    _claim(session, Conflict(f"{topic_track.title} day {day} was completed by another request a moment ago"))
    _schedule_one(session, completion, [], scheduler_for(session, completion.group), zone)
    session.flush()
    return completion


def completion_for(session: Session, *, track: str, day: int) -> Completion | None:
    """The live completion of a track's day in its current run (on or after its start date;
    a track not started yet has no run, so none)."""
    setting = session.get(TrackSetting, track)
    stmt = live_completions().where(Completion.track == track, Completion.day == day)
    if setting is not None:
        if setting.start_date is None:
            return None
        stmt = stmt.where(Completion.local_date >= setting.start_date)
    return session.scalars(stmt.order_by(Completion.id.desc()).limit(1)).first()


def log_review(
    *, session: Session, completion_id: int, rating: Recall | int, notes: str, now: datetime, zone: tzinfo
) -> ReviewLog:
    """Record a due review with its recall rating and schedule the next one.

    Raises:
        NotFound: no pending review for that completion.
        InvalidInput: rating outside 1-4.
        Conflict: the review is not due yet.
    """
    try:
        rating = Recall(int(rating))
    except (ValueError, TypeError):
        raise InvalidInput.field("rating", "must be one of again, hard, good, easy (1-4)") from None
    notes = _check_notes(notes)
    begin_write(session)
    # An id past MAX_ID cannot exist (and SQLite could not even take it as a parameter).
    pending = session.get(ScheduledReview, completion_id) if 1 <= completion_id <= MAX_ID else None
    if pending is None:
        raise NotFound(f"no review is scheduled for completion {completion_id}")
    today = local_date(now, zone)
    if pending.due_date > today:
        raise Conflict(f"this review is not due until {pending.due_date}")
    review = ReviewLog(
        completion_id=completion_id,
        group=pending.group,
        step=pending.step,
        interval_days=pending.interval_days,
        due_date=pending.due_date,
        rating=int(rating),
        notes=notes,
        reviewed_at=now,
        local_date=today,
        slot=review_slot(completion_id, pending.step),
    )
    session.add(review)
    _claim(
        session,
        Conflict(
            f"review {pending.step + 1} of completion {completion_id} was logged by another request a moment ago"
        ),
    )
    reschedule(session, group=pending.group, zone=zone, completion_ids=[completion_id])
    return review


@dataclass(frozen=True)
class Undone:
    kind: str  # "completion" | "review"
    track: str
    day: int
    when: datetime
    entry: str  # "completion:<id>" | "review:<id>"


def last_entry(session: Session, *, group: str) -> Completion | ReviewLog | None:
    """The group's most recent live completion or review: what an undo would undo."""
    last_completion = session.scalars(
        live_completions(group).order_by(Completion.completed_at.desc(), Completion.id.desc()).limit(1)
    ).first()
    last_review = session.scalars(
        live_reviews(group).order_by(ReviewLog.reviewed_at.desc(), ReviewLog.id.desc()).limit(1)
    ).first()
    if last_review and (last_completion is None or last_review.reviewed_at >= last_completion.completed_at):
        return last_review
    return last_completion


def entry_key(entry: Completion | ReviewLog) -> str:
    """How an undo names the entry it expects to undo: ``completion:<id>`` or ``review:<id>``."""
    return f"{'review' if isinstance(entry, ReviewLog) else 'completion'}:{entry.id}"


def undo_last(
    *, session: Session, group: str, now: datetime, zone: tzinfo, entry: str | None = None
) -> Undone:
    """Undo the group's most recent completion or review by appending an undo entry.

    Each undo undoes one entry, and an entry is undone at most once (the database refuses a
    second undo row for it). ``entry`` (``completion:<id>`` or ``review:<id>``, what the page
    showed as last) pins the request to that entry: a double-click, or two tabs, undo it once and
    the other request gets a Conflict instead of undoing the entry before it. Without ``entry``
    each request undoes whatever is last when it runs, so N requests undo up to N entries.

    Raises:
        NotFound: unknown group.
        InvalidInput: ``entry`` is not ``completion:<id>`` or ``review:<id>``.
        Conflict: nothing left to undo in this group, or ``entry`` is no longer the last entry.
    """
    require_group(group)
    title = GROUPS[group].title
    if entry is not None and not _ENTRY.match(entry):
        raise InvalidInput.field("entry", "must be completion:<id> or review:<id>")
    begin_write(session)
    last = last_entry(session, group=group)
    if entry is not None and (last is None or entry_key(last) != entry):
        raise Conflict(
            f"nothing to undo: {entry.replace(':', ' ')} is no longer the last entry of {title} "
            "(it was just undone, or something newer was logged)"
        )
    if last is None:
        raise Conflict(f"nothing to undo in {title}")
    lost = Conflict(
        f"nothing to undo: {entry_key(last).replace(':', ' ')} was just undone by another request"
    )
    if isinstance(last, ReviewLog):
        session.add(Undo(review_id=last.id, undone_at=now))
        _claim(session, lost)
        # The slot is released in the same transaction as the undo that frees it.
        session.execute(update(ReviewLog).where(ReviewLog.id == last.id).values(slot=None))
        reschedule(session, group=group, zone=zone, completion_ids=[last.completion_id])
        parent = session.get(Completion, last.completion_id)
        assert parent is not None
        return Undone("review", parent.track, parent.day, last.reviewed_at, entry_key(last))
    session.add(Undo(completion_id=last.id, undone_at=now))
    _claim(session, lost)
    session.execute(update(Completion).where(Completion.id == last.id).values(slot=None))
    session.execute(delete(ScheduledReview).where(ScheduledReview.completion_id == last.id))
    session.flush()
    return Undone("completion", last.track, last.day, last.completed_at, entry_key(last))


_ENTRY = re.compile(r"^(completion|review):[1-9][0-9]{0,18}$")


# --- reads ---------------------------------------------------------------------------------


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
