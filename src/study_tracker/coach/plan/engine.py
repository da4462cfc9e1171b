"""``build_plan``: every review of the coming weeks placed on a day, each move explained.

Reviews are taken in order of their due day (a topic's later reviews are projected: each earlier
one assumed done on its planned day and recalled) and each is placed by these rules:

1. **Window.** A review may move within its window: the FSRS fuzz range of its interval
   (``srs.fuzz_bounds``), or +-``ladder_fuzz_days`` on the fixed ladder; never before today or
   the day after the topic's last review, and never past the interview when due before it.
2. **Load balancing.** Within its window, it takes the day that is least full relative to that
   day's capacity (reviews already placed plus those due there and not yet placed); ties go to
   the day nearest its due day, then the earlier one. Easy Days have a smaller capacity, so they
   fill up sooner and get their lower share.
3. **Breaks and gaps.** A review due inside a break, or past its window today (an unplanned
   gap), waits for the first study day after it; those waiting are placed lowest predicted recall
   first, each on the first of ``spread_days`` study days that still has room (what fits nowhere
   is shared out over them), so a backlog is spread rather than piled on the first day back. A
   gap's days are counted from the first day the learner was back, so recomputing the plan on
   the following days keeps the same spread instead of pushing the backlog ahead.
4. **The interview date** (``deadline``): a review that would land on or after the date is pulled
   in when that keeps recall on the day at the target (FSRS), or compressed before it (ladder).

Nothing here reads the clock or the database: the same inputs give the same plan.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from study_tracker.clock import local_date
from study_tracker.coach.plan.calendar import WEEKDAYS, Break, Calendar, PlanSettings, fmt_day
from study_tracker.coach.plan.deadline import ladder_slot, pull_in_days, recall_after_review, review_instant
from study_tracker.coach.plan.model import Plan, PlannedReview, TopicLog, TopicOutlook, sort_reviews
from study_tracker.tracker.srs import (
    Event,
    FixedIntervals,
    FsrsScheduler,
    Recall,
    Scheduler,
    fuzz_bounds,
    recall_on,
    replay_memory,
    review_memory,
    review_type,
)

if TYPE_CHECKING:
    from fsrs import Card

BACKLOG, REGULAR = 0, 1
DEADLINE_WIDTH = 14  # study days before the latest valid one a pulled-in final review may take
EXPECTED = "~expected:"  # key prefix of topics not studied yet (room kept for their reviews)
EPS = 1e-9


@dataclass(frozen=True)
class _Job:
    topic: TopicLog
    step: int  # reviews of this topic before this one (real and projected)
    due: date
    interval: int
    last_day: date
    card: Card  # memory before this review
    history: tuple[Event, ...]  # real and projected events before this review
    projected: bool
    cost: float
    minutes: float
    held: str = ""  # why it waits for a later study day (a break, a gap)
    release: date | None = None
    anchor: date | None = None  # a gap's backlog is spread over the study days from here


class _Planner:
    def __init__(self, scheduler: Scheduler, settings: PlanSettings, *, today: date, zone: tzinfo) -> None:
        self.scheduler = scheduler
        self.s = settings
        self.cal = Calendar(settings)
        self.today = today
        self.zone = zone
        self.interview = settings.interview
        self.fsrs = isinstance(scheduler, FsrsScheduler)
        self.retention = scheduler.desired_retention if isinstance(scheduler, FsrsScheduler) else 0.9
        self.target = self.retention if self.fsrs else settings.desired_retention
        end = today + timedelta(days=settings.horizon_days)
        if self.interview is not None:
            end = max(end, min(self.interview, today + timedelta(days=366)))
        self.end = end
        self.loads: dict[date, float] = {}
        self.pending: dict[date, float] = {}
        self.waiting: dict[date, float] = {}  # release day -> cost of the backlog still to place
        self.heap: list[tuple[date, int, float, str, int, int]] = []
        self.jobs: list[_Job] = []
        self.placed: list[PlannedReview] = []
        self.before_interview: dict[str, tuple[Card, date]] = {}

    # --- costs and queue -----------------------------------------------------------------
    def price(self, interval: int) -> tuple[float, float]:
        minutes = review_type(interval).questions * self.s.minutes_per_question
        return (minutes if self.s.target_unit == "minutes" else 1.0), minutes

    def push(self, job: _Job) -> None:
        self.jobs.append(job)
        if job.release is not None:
            self.waiting[job.release] = self.waiting.get(job.release, 0.0) + job.cost
            prio = recall_on(job.card, job.release, self.zone)
            heapq.heappush(
                self.heap, (job.release, BACKLOG, prio, job.topic.key, job.step, len(self.jobs) - 1)
            )
        else:
            self.pending[job.due] = self.pending.get(job.due, 0.0) + job.cost
            heapq.heappush(self.heap, (job.due, REGULAR, 0.0, job.topic.key, job.step, len(self.jobs) - 1))

    def fill(self, day: date, cost: float) -> float:
        """How full ``day`` would be with ``cost`` more, relative to its capacity."""
        return (self.loads.get(day, 0.0) + self.pending.get(day, 0.0) + cost) / self.cal.capacity(day)

    def expected_topics(self) -> list[TopicLog]:
        """Topics the learner is expected to study on the coming days at their pace (from
        tomorrow: today's may be done already). Their reviews take room in the plan and are not
        shown; they start as of medium difficulty."""
        out: list[TopicLog] = []
        rate = self.s.new_topics_per_day
        if rate <= 0:
            return out
        owed = 0.0
        last = min(self.end, self.today + timedelta(days=self.s.new_topics_days))
        for day in self.cal.days(self.today + timedelta(days=1), last):
            owed += rate * self.cal.share(day)
            while owed >= 1 - EPS:
                owed -= 1
                at = review_instant(day, self.zone)
                out.append(TopicLog(f"{EXPECTED}{day.isoformat()}:{len(out)}", (Event("completion", at, 3),)))
        return out

    def start(self, topics: Sequence[TopicLog]) -> None:
        # Days the learner did reviews: being back after a gap means reviewing again (a day with
        # only new topics studied leaves the backlog where it was).
        active = sorted(
            {local_date(e.at, self.zone) for t in topics for e in t.history if e.kind == "review"}
        )
        for topic in topics:
            # Reviews already done today count against today's capacity.
            for prev, event in zip(topic.history, topic.history[1:], strict=False):
                if event.kind == "review" and local_date(event.at, self.zone) == self.today:
                    gap = (self.today - local_date(prev.at, self.zone)).days
                    self.loads[self.today] = self.loads.get(self.today, 0.0) + self.price(max(gap, 1))[0]
            card = replay_memory(topic.history, self.retention)
            last_day = local_date(topic.history[-1].at, self.zone)
            self.before_interview[topic.key] = (card, last_day)
            due = self.scheduler.next_review(topic.history, self.zone)
            if due is None:
                continue
            cost, minutes = self.price(due.interval_days)
            job = _Job(
                topic=topic,
                step=len(topic.history) - 1,
                due=due.due_date,
                interval=due.interval_days,
                last_day=last_day,
                card=card,
                history=topic.history,
                projected=False,
                cost=cost,
                minutes=minutes,
            )
            if self.latest(job) < self.today:
                job = self.overdue(job, active)
            self.push(job)

    def latest(self, job: _Job) -> date:
        """The last day of a review's window (before clamping to today and the interview)."""
        if not self.s.balance:
            return job.due
        if self.fsrs:
            return job.last_day + timedelta(days=fuzz_bounds(job.interval)[1])
        if isinstance(self.scheduler, FixedIntervals):
            return job.due + timedelta(days=self.s.ladder_fuzz_days)
        return job.due

    def overdue(self, job: _Job, active: Sequence[date]) -> _Job:
        """A review past its window: it waits in the backlog of the gap it fell in.

        The backlog is spread from the first day the learner was back after the window closed
        (the first day with a review in the log), or today: so a plan recomputed on the next
        days, after the learner followed it, spreads over the same days instead of pushing the
        backlog a day further each time.
        """
        after = bisect.bisect_right(active, self.latest(job))
        back = active[after] if after < len(active) else self.today
        return replace(
            job, held="gap", release=self.cal.next_available(self.today), anchor=min(back, self.today)
        )

    # --- placement ------------------------------------------------------------------------
    def window(self, job: _Job) -> tuple[date, date]:
        lo = hi = job.due
        if self.s.balance:
            if self.fsrs:
                short, long = fuzz_bounds(job.interval)
                lo, hi = job.last_day + timedelta(days=short), job.last_day + timedelta(days=long)
            elif isinstance(self.scheduler, FixedIntervals):
                fuzz = timedelta(days=self.s.ladder_fuzz_days)
                lo, hi = job.due - fuzz, job.due + fuzz
        lo = max(lo, self.today, job.last_day + timedelta(days=1))
        if self.interview is not None and job.due < self.interview:
            hi = min(hi, self.interview - timedelta(days=1))
        return lo, max(hi, lo)

    def lightest(self, days: Sequence[date], job: _Job, near: date) -> date:
        """The least full of ``days`` relative to capacity; ties go nearest ``near``, then earlier."""
        return min(days, key=lambda d: (round(self.fill(d, job.cost), 9), abs((d - near).days), d))

    def place_regular(self, job: _Job) -> tuple[date, tuple[date, date], list[str]] | _Job:
        brk = self.cal.break_on(job.due)
        lo, hi = self.window(job)
        days = self.cal.days(lo, hi)
        if brk is not None:
            early = self.before_break(job, brk)
            if early is not None:
                return early
        if brk is not None or not days:
            held = brk.label if brk else "no study day in its window"
            return replace(job, held=held, release=self.cal.next_available(max(job.due, lo)))
        day = self.lightest(days, job, job.due)
        reasons = []
        if job.due < self.today:
            reasons.append(f"due {fmt_day(job.due)} and not done yet: still within its window")
        elif day != job.due:
            why = (
                f"{WEEKDAYS[job.due.weekday()]} is an easy day"
                if self.cal.is_easy(job.due)
                else "lighter day"
            )
            reasons.append(f"moved from {fmt_day(job.due)} to {fmt_day(day)}: {why}")
        return day, (lo, hi), reasons

    def before_break(self, job: _Job, brk: Break) -> tuple[date, tuple[date, date], list[str]] | None:
        """A review due in a planned break, done early before it where a day there has room.

        The break's reviews would otherwise all wait for the days after it, on top of those days'
        own. A review may come early by up to half its interval (the memory it strengthens has
        had most of its spacing); the lightest such day before the break takes it if it has room.
        """
        if not self.s.balance:
            return None
        back = self.cal.next_available(brk.end + timedelta(days=1))
        if self.interview is not None and back >= self.interview:
            return None  # a break up to the interview: the interview rule places it
        first = max(self.today, job.last_day + timedelta(days=max(1, math.ceil(job.interval / 2))))
        days = self.cal.days(first, brk.start - timedelta(days=1))
        if not days:
            return None
        day = self.lightest(days, job, brk.start)
        if self.fill(day, job.cost) > 1 + EPS:
            return None
        return (
            day,
            (days[0], days[-1]),
            [f"moved from {fmt_day(job.due)} to {fmt_day(day)}: before the {brk.label}"],
        )

    def place_backlog(self, job: _Job) -> tuple[date, tuple[date, date], list[str]]:
        assert job.release is not None
        spread = self.cal.next_study_days(job.anchor or job.release, self.s.spread_days)
        days = [d for d in spread if d >= job.release] or [job.release]
        before_interview = (
            self.interview is not None and job.due < self.interview and job.release < self.interview
        )
        if before_interview:
            days = [d for d in days if d < self.interview]  # type: ignore[operator]
        # Fill the earliest days up to their capacity; what cannot fit anywhere in the window is
        # shared out over it in proportion to capacity. (Sending the excess to the lightest day
        # would defer it: days ahead always look lighter than they will be, as topics not
        # studied yet bring reviews there too.)
        known = {d: self.loads.get(d, 0.0) + self.pending.get(d, 0.0) for d in days}
        caps = {d: self.cal.capacity(d) for d in days}
        free = sum(max(0.0, caps[d] - known[d]) for d in days)
        # A backlog bigger than the room in ``spread_days`` takes more days (up to four times as
        # many, and never past the interview): spread thinner rather than piled.
        limit = min(60, 4 * self.s.spread_days)
        while free < self.waiting[job.release] - EPS and len(days) < limit:
            nxt = self.cal.next_available(days[-1] + timedelta(days=1))
            if nxt > self.end or (before_interview and nxt >= self.interview):  # type: ignore[operator]
                break
            days.append(nxt)
            known[nxt] = self.loads.get(nxt, 0.0) + self.pending.get(nxt, 0.0)
            caps[nxt] = self.cal.capacity(nxt)
            free += max(0.0, caps[nxt] - known[nxt])
        lo, hi = days[0], days[-1]
        excess = max(0.0, self.waiting[job.release] - free) / sum(caps.values())
        self.waiting[job.release] -= job.cost
        fits = [d for d in days if known[d] + job.cost <= caps[d] * (1 + excess) + EPS]
        day = fits[0] if fits else min(days, key=lambda d: (round(self.fill(d, job.cost), 9), d))
        if job.held == "gap":
            why = f"overdue since {fmt_day(job.due)}: spread over the days after the gap, lowest recall first"
            reasons = [why if day == lo else f"{why} (placed on {fmt_day(day)})"]
        else:
            reasons = [f"moved from {fmt_day(job.due)} to {fmt_day(day)}: {job.held}"]
        return day, (lo, hi), reasons

    def respect_interview(
        self, job: _Job, day: date, window: tuple[date, date], reasons: list[str]
    ) -> tuple[date, tuple[date, date], list[str]]:
        """Rule 4: move a review landing on or after the interview before it, where that helps."""
        interview = self.interview
        if interview is None or day < interview:
            return day, window, reasons
        first = max(self.today, job.last_day + timedelta(days=1))
        days = self.cal.days(first, interview - timedelta(days=1))
        if not days:
            return day, window, reasons
        short_of = ""
        if isinstance(self.scheduler, FixedIntervals):
            completed = local_date(job.history[0].at, self.zone)
            ladder_step = sum(1 for e in job.history[1:] if e.grade != Recall.again)
            slot = ladder_slot(
                intervals=self.scheduler.intervals,
                completed=completed,
                step=ladder_step,
                last_day=job.last_day,
                interview=interview,
                free_days=len(days),
            )
            if slot is None:
                return day, window, reasons
            fuzz = self.s.ladder_fuzz_days if self.s.balance else 0
            later = sum(
                1
                for i in self.scheduler.intervals[ladder_step + 1 :]
                if completed + timedelta(days=i) >= interview
            )
            top = max(slot, len(days) - 1 - later)
            options = days[max(0, slot - fuzz) : min(slot + fuzz, top) + 1]
            anchor = days[slot]
        else:
            if recall_on(job.card, interview, self.zone) >= self.target:
                return day, window, reasons
            # Any day of the valid run may take it (up to two weeks): final reviews all drawn
            # to the last days before the date would pile up there.
            width = DEADLINE_WIDTH if self.s.balance else 0
            options, enough = pull_in_days(
                job.card,
                days,
                interview,
                target=self.target,
                width=width,
                zone=self.zone,
                desired_retention=self.retention,
            )
            anchor = options[-1]
            if not enough:
                short_of = f"; recall on {fmt_day(interview)} stays below {self.target:.0%} even so"
        # The day nearest the anchor that has room (closer to the date keeps more recall on the
        # day); when none has, the least full.
        room = [d for d in options if self.fill(d, job.cost) <= 1 + EPS]
        chosen = (
            min(room, key=lambda d: (abs((d - anchor).days), d))
            if room
            else self.lightest(options, job, anchor)
        )
        why = (
            f"moved from {fmt_day(job.due)} to {fmt_day(chosen)}: interview on {fmt_day(interview)}{short_of}"
        )
        return chosen, (options[0], options[-1]), [why]

    def place(self, job: _Job) -> None:
        if job.release is None:
            self.pending[job.due] -= job.cost
            got = self.place_regular(job)
            if isinstance(got, _Job):
                self.push(got)
                return
            day, window, reasons = got
        else:
            day, window, reasons = self.place_backlog(job)
        day, window, reasons = self.respect_interview(job, day, window, reasons)
        self.loads[day] = self.loads.get(day, 0.0) + job.cost
        self.placed.append(
            PlannedReview(
                topic=job.topic.key,
                step=job.step,
                due=job.due,
                day=day,
                window=window,
                interval_days=job.interval,
                cost=job.cost,
                minutes=job.minutes,
                projected=job.projected,
                reasons=tuple(reasons),
            )
        )
        self.project(job, day)

    def project(self, job: _Job, day: date) -> None:
        """Queue the topic's next review, assuming this one is done on ``day`` and recalled."""
        at = review_instant(day, self.zone)
        card = review_memory(job.card, Recall.good, at, self.retention)
        if self.interview is not None and day < self.interview:
            self.before_interview[job.topic.key] = (card, day)
        if day >= self.end:
            return
        history = (*job.history, Event("review", at, int(Recall.good)))
        if self.fsrs:
            due = max(local_date(card.due, self.zone), day + timedelta(days=1))
        else:
            nxt = self.scheduler.next_review(history, self.zone)
            if nxt is None:
                return
            due = nxt.due_date
        if due > self.end:
            return
        interval = (due - day).days
        cost, minutes = self.price(interval)
        self.push(
            _Job(
                topic=job.topic,
                step=job.step + 1,
                due=due,
                interval=interval,
                last_day=day,
                card=card,
                history=history,
                projected=True,
                cost=cost,
                minutes=minutes,
            )
        )

    def run(self) -> None:
        while self.heap:
            *_, index = heapq.heappop(self.heap)
            self.place(self.jobs[index])

    def outlook(self) -> tuple[TopicOutlook, ...]:
        interview = self.interview
        if interview is None or interview < self.today or interview > self.end:
            return ()
        out = []
        for key in sorted(self.before_interview):
            card, last = self.before_interview[key]
            recall = recall_on(card, interview, self.zone)
            savable = recall >= self.target
            if not savable:
                days = self.cal.days(max(self.today, last + timedelta(days=1)), interview - timedelta(days=1))
                savable = bool(days) and (
                    recall_after_review(
                        card, days[-1], interview, zone=self.zone, desired_retention=self.retention
                    )
                    >= self.target
                )
            out.append(TopicOutlook(key, recall, recall < self.target, savable))
        return tuple(out)


def build_plan(
    topics: Sequence[TopicLog],
    *,
    scheduler: Scheduler,
    settings: PlanSettings,
    now: datetime,
    zone: tzinfo,
) -> Plan:
    """Place every review from today to the horizon (and at least to the interview).

    Args:
        topics: studied topics with their logs; keys must be unique.
        scheduler: the tracker's scheduler (``FixedIntervals`` or ``FsrsScheduler``).
        settings: the learner's plan settings.
        now: the current instant (aware); today is its local day in ``zone``.

    Returns:
        The plan: reviews by day with their windows and reasons, and, with an interview date,
        each topic's predicted recall on that day.

    Raises:
        ValueError: a naive ``now`` or a repeated topic key.
    """
    if now.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime for now")
    keys = [t.key for t in topics]
    if len(set(keys)) != len(keys):
        raise ValueError("topic keys must be unique")
    planner = _Planner(scheduler, settings, today=local_date(now, zone), zone=zone)
    planner.start([*topics, *planner.expected_topics()])
    planner.run()
    return Plan(
        today=planner.today,
        interview=settings.interview,
        target=planner.target,
        reviews=sort_reviews([r for r in planner.placed if not r.topic.startswith(EXPECTED)]),
        outlook=tuple(o for o in planner.outlook() if not o.topic.startswith(EXPECTED)),
    )
