"""The learner's plan to the interview date, read from the database: the stored plan settings,
every topic's log, and the clock turned into ``coach.plan``'s pure plan.

- ``plan_settings``: the stored ``PlanOptions`` as the engine's ``PlanSettings``.
- ``group_plan``: the plan of a group (None when the learner set none), with the pace to the date.
- ``due_by_plan``: what Today and ``study review`` list as due under the plan, each with the
  plan's explanation when it moved.
- ``log_planned_review``: log a review the plan placed on today (it may be before the scheduler's
  due day: pulled in for the interview, or balanced to a lighter day).

Topics are keyed by their completion id (as text), so a plan maps back to the tracker's reviews.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from study_tracker.clock import local_date
from study_tracker.coach.plan.calendar import Break, Calendar, PlanSettings
from study_tracker.coach.plan.engine import build_plan
from study_tracker.coach.plan.forecast import DayLoad, daily_load, retention_curve
from study_tracker.coach.plan.model import Plan, PlannedReview, TopicLog
from study_tracker.coach.plan.pace import (
    PaceAdvice,
    RemainingTopic,
    StudyDay,
    learner_pace,
    pace_to_date,
)
from study_tracker.content.curriculum import load_tracks, tracks_in_group
from study_tracker.db.models import Completion, GroupSetting, ReviewLog, TrackSetting
from study_tracker.errors import Conflict
from study_tracker.skills.evidence import skill_mastery
from study_tracker.skills.goal import get_goal
from study_tracker.tracker import agenda, service
from study_tracker.tracker.days import setting_day
from study_tracker.tracker.plan_options import MAX_DAILY_TARGET, WEEKDAY_NAMES, PlanOptions
from study_tracker.tracker.srs import Event, Recall

# A review's minutes: its questions at this many minutes each (the plan engine's default).
MINUTES_PER_QUESTION = PlanSettings().minutes_per_question
# The last two days before the interview hold half the usual review load (a day missed there
# has only the last one to take its reviews).
FINAL_SHARE = 0.5
# How far ahead a plan is built when there is no interview date (the forecast's 60 days).
HORIZON_DAYS = 60


def stored_options(session: Session, group: str) -> PlanOptions | None:
    """The group's plan settings, or None when no plan is set (or it is turned off)."""
    row = session.get(GroupSetting, service.require_group(group))
    if row is None or row.plan is None:
        return None
    options = PlanOptions.model_validate(row.plan)
    return options if options.enabled else None


def plan_settings(
    options: PlanOptions,
    *,
    desired_retention: float,
    interview: date | None = None,
    new_topics_per_day: float = 0.0,
) -> PlanSettings:
    """The engine's settings for ``options`` (``interview`` overrides the group's date;
    ``new_topics_per_day``, the learner's pace, keeps room for the reviews of topics to come)."""
    return PlanSettings(
        interview=interview if interview is not None else options.interview,
        daily_target=options.daily_target,
        target_unit=options.target_unit,
        easy_days={WEEKDAY_NAMES.index(d): options.easy_share for d in options.easy_days},
        breaks=tuple(Break(b.start, b.end) for b in options.breaks),
        balance=options.balance,
        ladder_fuzz_days=1 if options.balance else 0,
        horizon_days=HORIZON_DAYS,
        desired_retention=desired_retention,
        final_share=FINAL_SHARE,
        new_topics_per_day=min(new_topics_per_day, 50.0),
    )


def topic_logs(session: Session, group: str) -> list[TopicLog]:
    """Every live completion of the group's shown tracks with its live reviews, oldest first."""
    hidden = set(
        session.scalars(
            select(TrackSetting.track).where(TrackSetting.group == group, TrackSetting.hidden.is_(True))
        )
    )
    reviews: dict[int, list[ReviewLog]] = defaultdict(list)
    for r in session.scalars(service.live_reviews(group)):
        reviews[r.completion_id].append(r)
    tracks = load_tracks()
    out = []
    for c in session.scalars(
        service.live_completions(group).order_by(Completion.completed_at, Completion.id)
    ):
        if c.track in hidden:
            continue
        track = tracks.get(c.track)
        topic = track.topic(c.day) if track else None
        events = [Event("completion", c.completed_at, c.difficulty)]
        events += [
            Event("review", r.reviewed_at, r.rating)
            for r in sorted(reviews[c.id], key=lambda r: (r.reviewed_at, r.id))
        ]
        out.append(
            TopicLog(
                key=str(c.id),
                history=tuple(events),
                title=f"{track.title} · Day {c.day}: {topic.title}"
                if track and topic
                else f"{c.track} day {c.day}",
                skills=tuple(topic.skills) if topic else (),
            )
        )
    return out


def _interview_of(options: PlanOptions, track: str) -> date | None:
    return options.interviews.get(track, options.interview)


def _merge(plans: list[Plan], today: date, interview: date | None) -> Plan:
    if len(plans) == 1:
        return plans[0]
    reviews = sorted((r for p in plans for r in p.reviews), key=lambda r: (r.day, r.topic, r.step))
    outlook = sorted((o for p in plans for o in p.outlook), key=lambda o: o.topic)
    target = plans[0].target
    return Plan(
        today=today, interview=interview, target=target, reviews=tuple(reviews), outlook=tuple(outlook)
    )


def build_group_plan(
    session: Session, *, group: str, options: PlanOptions, now: datetime, zone: tzinfo
) -> Plan:
    """The plan of a group's topics under ``options``.

    Tracks with their own interview date (``options.interviews``) are planned to that date, each
    set of tracks with the daily target shared in proportion to its topics.
    """
    row = session.get(GroupSetting, group)
    scheduler = service.scheduler_for(session, group)
    retention = row.desired_retention if row is not None else 0.9
    logs = topic_logs(session, group)
    track_of = {str(c.id): c.track for c in session.scalars(service.live_completions(group))}
    parts: dict[date | None, list[TopicLog]] = defaultdict(list)
    for log in logs:
        parts[_interview_of(options, track_of.get(log.key, ""))].append(log)
    if not parts:
        parts[options.interview] = []
    total = max(1, len(logs))
    today = local_date(now, zone)
    pace = learner_pace(_study_days(session, group), today=today).topics_per_day
    plans = []
    for interview, part in sorted(parts.items(), key=lambda kv: (kv[0] is None, kv[0] or date.max)):
        share = len(part) / total if len(parts) > 1 else 1.0
        settings = plan_settings(
            options, desired_retention=retention, interview=interview, new_topics_per_day=pace * share
        )
        if share < 1.0:
            settings = replace(settings, daily_target=max(options.daily_target * share, 1e-3))
        plans.append(build_plan(part, scheduler=scheduler, settings=settings, now=now, zone=zone))
    return _merge(plans, today, options.interview)


@dataclass(frozen=True)
class GroupPlan:
    """A group's plan and what the plan page shows beside it."""

    group: str
    options: PlanOptions
    plan: Plan
    calendar: Calendar
    titles: dict[str, str]  # topic key -> title
    pace: PaceAdvice | None  # None without an interview date


def _remaining(session: Session, group: str, today: date) -> list[RemainingTopic]:
    settings = {s.track: s for s in session.scalars(select(TrackSetting).where(TrackSetting.group == group))}
    done = {
        (c.track, c.day)
        for c in session.scalars(service.live_completions(group))
        if (s := settings.get(c.track)) is None or s.start_date is None or c.local_date >= s.start_date
    }
    out = []
    for track in tracks_in_group(group):
        s = settings.get(track.slug)
        if s is not None and s.hidden:
            continue
        first = max(1, setting_day(s, today)) if s is not None and s.start_date is not None else 1
        first = min(first, 1 + (s.acceleration_days if s else 0)) if s and s.start_date is None else first
        for topic in track.days:
            if topic.day >= first and (track.slug, topic.day) not in done:
                out.append(
                    RemainingTopic(
                        key=f"{track.slug}:{topic.day}",
                        title=f"{track.title} · Day {topic.day}: {topic.title}",
                        source=f"track:{track.slug}",
                        skills=tuple(topic.skills),
                    )
                )
    return out


def _study_days(session: Session, group: str) -> list[StudyDay]:
    tracks = load_tracks()
    per_day: dict[date, list[float]] = defaultdict(lambda: [0, 0.0])
    for c in session.scalars(service.live_completions(group)):
        track = tracks.get(c.track)
        topic = track.topic(c.day) if track else None
        entry = per_day[c.local_date]
        entry[0] += 1
        entry[1] += topic.estimated_minutes if topic else 0
    return [StudyDay(d, int(v[0]), float(v[1])) for d, v in sorted(per_day.items())]


def group_plan(session: Session, *, group: str, now: datetime, zone: tzinfo) -> GroupPlan | None:
    """The group's plan with its pace to the date; None when the learner set no plan."""
    options = stored_options(session, group)
    if options is None:
        return None
    plan = build_group_plan(session, group=group, options=options, now=now, zone=zone)
    row = session.get(GroupSetting, group)
    settings = plan_settings(options, desired_retention=row.desired_retention if row else 0.9)
    calendar = Calendar(settings)
    titles = {t.key: t.title for t in topic_logs(session, group)}
    today = local_date(now, zone)
    pace = None
    if options.interview is not None and options.interview > today:
        goal = get_goal(session)
        mastery = {k: m.score for k, m in skill_mastery(session, now=now, zone=zone).items()}
        ahead = [r.minutes for r in plan.reviews if today <= r.day < options.interview]
        days = max(1, (options.interview - today).days)
        pace = pace_to_date(
            _remaining(session, group, today),
            pace=learner_pace(_study_days(session, group), today=today),
            calendar=calendar,
            today=today,
            mastery=mastery,
            path_skills=goal.skills if goal else None,
            review_minutes_per_day=sum(ahead) / days,
        )
    return GroupPlan(group, options, plan, calendar, titles, pace)


def due_by_plan(session: Session, *, view: agenda.TodayView, now: datetime, zone: tzinfo) -> agenda.TodayView:
    """``view`` with its reviews as the plan places them on today (unchanged without a plan).

    A review the plan moves to a later day leaves today's list; one it pulls in (the interview) or
    balances onto today joins it, with the plan's reason as its ``plan_note``.
    """
    options = stored_options(session, view.group)
    if options is None:
        return view
    plan = build_group_plan(session, group=view.group, options=options, now=now, zone=zone)
    today = local_date(now, zone)
    placed = {r.topic: r for r in plan.reviews if not r.projected}
    # Those placed on today may be due later by the scheduler (pulled in, or balanced earlier).
    until = max((r.due for r in placed.values() if r.day <= today), default=today)
    candidates = agenda.due_reviews(session, group=view.group, today=today, until=max(until, today))
    due = []
    for review in candidates:
        planned = placed.get(str(review.completion_id))
        if planned is None or planned.day > today:
            continue
        due.append(replace(review, plan_note=planned.reason))
    return replace(view, reviews=due)


def planned_review(
    session: Session, *, group: str, completion_id: int, now: datetime, zone: tzinfo
) -> PlannedReview | None:
    """The plan's next review of a completion (None without a plan or when none is placed)."""
    options = stored_options(session, group)
    if options is None:
        return None
    plan = build_group_plan(session, group=group, options=options, now=now, zone=zone)
    return plan.next_for(str(completion_id))


def planned_early(*, session: Session, completion_id: int, now: datetime, zone: tzinfo) -> bool:
    """Whether a review is logged early: False when the scheduler has it due, True when only the
    group's plan placed it on today (or earlier).

    Raises:
        Conflict: neither the scheduler nor the plan has it due today.
    """
    pending = agenda.next_review_date(session, completion_id=completion_id)
    today = local_date(now, zone)
    if pending is None or pending <= today:
        return False
    completion = session.get(Completion, completion_id)
    group = completion.group if completion is not None else ""
    planned = planned_review(session, group=group, completion_id=completion_id, now=now, zone=zone)
    if planned is None or planned.day > today:
        when = planned.day if planned is not None else pending
        raise Conflict(f"this review is not due until {when}")
    return True


def log_planned_review(
    *, session: Session, completion_id: int, rating: Recall | int, notes: str, now: datetime, zone: tzinfo
) -> ReviewLog:
    """Log a review: due by the scheduler, or placed on today (or earlier) by the group's plan.

    Raises:
        NotFound, InvalidInput, Conflict: as ``service.log_review``; Conflict also when neither
            the scheduler nor the plan has it due today.
    """
    early = planned_early(session=session, completion_id=completion_id, now=now, zone=zone)
    return service.log_review(
        session=session,
        completion_id=completion_id,
        rating=rating,
        notes=notes,
        now=now,
        zone=zone,
        allow_early=early,
    )


def today_load(plan: Plan, today: date) -> tuple[int, float]:
    """(reviews, minutes) the plan places on ``today``."""
    reviews = plan.on(today)
    return len(reviews), sum(r.minutes for r in reviews)


def next_days(plan: Plan, days: int) -> list[date]:
    return [plan.today + timedelta(days=n) for n in range(days)]


@dataclass(frozen=True)
class Outlook:
    """History's view ahead: the load of each coming day and the mean predicted recall curve."""

    load: list[DayLoad]
    curve: list[tuple[date, float | None]]  # 60 days back to 60 days ahead
    planned: bool  # the learner's plan placed the reviews (else: the scheduler's due days)


def outlook(session: Session, *, group: str, now: datetime, zone: tzinfo, days: int = 60) -> Outlook:
    """The next ``days`` days' reviews and minutes (under the plan, or on their due days without
    one) and the retention curve from ``days`` ago to ``days`` ahead."""
    options = stored_options(session, group)
    planned = options is not None
    if options is None:
        # No plan: the scheduler's own days (no balancing, no target to speak of).
        options = PlanOptions(balance=False, daily_target=MAX_DAILY_TARGET)
    plan = build_group_plan(session, group=group, options=options, now=now, zone=zone)
    row = session.get(GroupSetting, group)
    calendar = Calendar(plan_settings(options, desired_retention=row.desired_retention if row else 0.9))
    today = local_date(now, zone)
    curve = retention_curve(
        topic_logs(session, group),
        start=today - timedelta(days=days),
        end=today + timedelta(days=days),
        zone=zone,
        plan=plan,
    )
    return Outlook(daily_load(plan, calendar, days=days), curve, planned)
