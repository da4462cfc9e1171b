"""The plan out of the app: an iCalendar feed (one all-day study block a day with its topics and
review count, and the interview) and a CSV of the planned reviews.

Both are built from a ``GroupPlan`` (``coach.study_plan``) and today's topics, so they say what
the plan page says. Event UIDs are stable (group and day), so a calendar app that subscribes to
``/calendar.ics`` updates each day's block instead of adding a new one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from study_tracker.coach.study_plan import GroupPlan, group_plan, today_load
from study_tracker.content.curriculum import GROUPS
from study_tracker.tracker import agenda
from study_tracker.wording import plural

if TYPE_CHECKING:
    from icalendar import Event

PRODID = "-//study-tracker//plan//EN"
FEED_DAYS = 60


def plan_calendar(
    plans: Sequence[tuple[str, GroupPlan]],
    *,
    topics_today: dict[str, list[str]],
    stamp: datetime,
    days: int = FEED_DAYS,
) -> bytes:
    """An iCalendar document for ``plans`` ((group title, plan) pairs).

    Args:
        topics_today: group title -> today's topics (only today is known; later days say
            "new topics as on Today").
        stamp: DTSTAMP of every event (the current instant, aware).
    """
    # icalendar takes ~0.1 s to import: only the feed loads it, not every command.
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Study plan")
    for title, gp in plans:
        plan = gp.plan
        for n in range(days):
            day = plan.today + timedelta(days=n)
            if gp.calendar.break_on(day) is not None:
                continue
            count, minutes = today_load(plan, day)
            topics = topics_today.get(title, []) if n == 0 else []
            if not count and not topics:
                continue
            lines = [f"{plural(count, 'review')}, about {minutes:.0f} minutes"]
            lines += [f"- {t}" for t in topics]
            lines += [f"- review: {gp.titles.get(r.topic, r.topic)}" for r in plan.on(day)]
            summary = f"Study ({title}): {plural(count, 'review')}" + (
                f", {plural(len(topics), 'topic')}" if topics else ""
            )
            cal.add_component(
                _all_day(f"{gp.group}-{day.isoformat()}", day, summary, "\n".join(lines), stamp)
            )
        if plan.interview is not None:
            cal.add_component(
                _all_day(f"{gp.group}-interview", plan.interview, f"Interview ({title})", "", stamp)
            )
    return bytes(cal.to_ical())


def _all_day(uid: str, day: date, summary: str, description: str, stamp: datetime) -> Event:
    from icalendar import Event

    event = Event()
    event.add("uid", f"{uid}@study-tracker")
    event.add("dtstamp", stamp)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", summary)
    if description:
        event.add("description", description)
    return event


CSV_FIELDS = (
    "day",
    "group",
    "completion_id",
    "topic",
    "due",
    "window_start",
    "window_end",
    "minutes",
    "projected",
    "reason",
)


def plan_csv(plans: Sequence[GroupPlan]) -> str:
    """Every planned review as a CSV row (a spreadsheet's view of the plan)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for gp in plans:
        for r in gp.plan.reviews:
            writer.writerow(
                [
                    r.day.isoformat(),
                    gp.group,
                    r.topic,
                    _cell(gp.titles.get(r.topic, r.topic)),
                    r.due.isoformat(),
                    r.window[0].isoformat(),
                    r.window[1].isoformat(),
                    f"{r.minutes:g}",
                    "yes" if r.projected else "no",
                    _cell(r.reason),
                ]
            )
    return out.getvalue()


def _cell(text: str) -> str:
    # A cell starting with = + - @ is a formula to a spreadsheet: keep it text.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def group_plans(session: Session, *, groups: Sequence[str], now: datetime, zone: tzinfo) -> list[GroupPlan]:
    """The plans of ``groups`` that have one."""
    plans = (group_plan(session, group=g, now=now, zone=zone) for g in groups)
    return [gp for gp in plans if gp is not None]


def group_calendar(session: Session, *, groups: Sequence[str], now: datetime, zone: tzinfo) -> bytes:
    """The iCalendar feed of ``groups`` with a plan, with today's topics in today's block."""
    plans = group_plans(session, groups=groups, now=now, zone=zone)
    topics = {}
    for gp in plans:
        view = agenda.today_view(session, group=gp.group, today=gp.plan.today)
        topics[GROUPS[gp.group].title] = [
            f"{t.track.title} · Day {t.day}: {t.topic.title}"
            for t in view.tracks
            if t.offers_topic and t.completion is None and t.topic is not None
        ]
    return plan_calendar([(GROUPS[gp.group].title, gp) for gp in plans], topics_today=topics, stamp=now)
