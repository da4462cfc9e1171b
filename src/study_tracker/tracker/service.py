"""Tracker services: complete topics, log reviews, undo (what is due today is ``agenda.py``).

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
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from sqlalchemy import Select, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from study_tracker.clock import local_date
from study_tracker.content.curriculum import GROUPS, Topic, Track, load_tracks
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
from study_tracker.tracker.srs import Due, Event, Recall, Scheduler, make_scheduler

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


def preview_review(
    session: Session, *, completion_id: int, now: datetime, zone: tzinfo
) -> dict[Recall, Due | None]:
    """What logging the completion's review now with each rating would schedule next (None: the
    topic graduates), from its group's scheduler, fixed ladder or FSRS: the card loop's buttons.

    Raises:
        NotFound: no live completion with that id.
    """
    completion = session.get(Completion, completion_id) if 1 <= completion_id <= MAX_ID else None
    if completion is None:
        raise NotFound(f"no completion with id {completion_id}")
    reviews = session.scalars(live_reviews().where(ReviewLog.completion_id == completion_id)).all()
    history = _history(completion, reviews)
    scheduler = scheduler_for(session, completion.group)
    return {r: scheduler.next_review([*history, Event("review", now, int(r))], zone) for r in Recall}


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
    *,
    session: Session,
    completion_id: int,
    rating: Recall | int,
    notes: str,
    now: datetime,
    zone: tzinfo,
    allow_early: bool = False,
) -> ReviewLog:
    """Record a due review with its recall rating and schedule the next one.

    Args:
        allow_early: log it before its due day (the learner's plan placed it on today).

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
    if pending.due_date > today and not allow_early:
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


def entry_completion(session: Session, entry: Completion | ReviewLog) -> Completion:
    """The completion an entry is about: the entry itself, or the completion a review reviewed."""
    if isinstance(entry, Completion):
        return entry
    completion = session.get(Completion, entry.completion_id)
    assert completion is not None  # a foreign key: a review always has its completion
    return completion


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
