"""Simulated learners preparing for an interview, with and without the plan (coach/plan).

Each learner studies three bundled tracks (coding patterns, system design, ML algorithms; a
track starts over when it ends) one topic per track per study day, for 60 days up to the
interview. 20% of the days are missed at random (the plan does not know them in advance) and one
week is a planned break (the plan knows it). Memory is FSRS's model: a review is recalled with
the predicted probability, rated Good (80%), Hard (10%) or Easy (10%) when recalled and Again
when not. Every random draw is seeded per learner and per topic, so both runs of a seed see the
same missed days, the same difficulties and the same luck.

- **without the plan** the learner does every review the scheduler says is due (overdue ones
  included) on each study day: today's tracker.
- **with the plan** the learner does the reviews ``build_plan`` places on today, recomputing the
  plan each study day from the log.

Figures (median over seeds):
- peak / mean: the highest daily review load (minutes) over the mean, on the study days of the 60;
  also with the last 3 days before the interview left out (a day missed there leaves its reviews
  one or two days to be done in, whatever the plan does)
  (the learner studied the same way for 45 days before, without a plan in both runs, so the
  review load has built up when the 60 days start);
- below target: topics whose predicted recall on the interview day is under the desired retention
  (0.9), and of those, how many a review on one of the learner's study days before the date
  could have lifted to it ("savable");
- days to normal: days from the end of the break until every review that came due during it is
  done and the day's load is within 1.3x the median load of the two weeks before the break.

The plan's daily target is 150 minutes (``--target``), about the mean review load of these
learners over the 60 days. As in the app, the plan keeps room for the reviews of topics to come at
the learner's pace (new topics a day over the last 28 days) and the last two days before the
interview hold half the load.

    python bench/plan_sim.py                 # 5 seeds, FSRS and the fixed ladder
    python bench/plan_sim.py --seeds 3 --scheduler fsrs
"""

from __future__ import annotations

import argparse
import random
import statistics
import time as clock
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from study_tracker.coach.plan.calendar import Break, PlanSettings
from study_tracker.coach.plan.deadline import recall_after_review
from study_tracker.coach.plan.engine import build_plan
from study_tracker.coach.plan.model import TopicLog
from study_tracker.coach.study_plan import FINAL_SHARE
from study_tracker.content.curriculum import load_tracks
from study_tracker.tracker.srs import (
    Event,
    FixedIntervals,
    FsrsScheduler,
    Recall,
    Scheduler,
    recall_on,
    replay_memory,
    review_type,
)

TRACKS = ("coding_patterns", "system_design", "ml_algorithms")
START = date(2026, 3, 2)
DAYS = 60
WARM_UP = 45  # days of study before the 60 (the same for both runs), so the review load has built up
MISSED = 0.2
BREAK_FIRST = 35  # day index of the first day away
BREAK_DAYS = 7
TARGET = 0.9
MINUTES_PER_QUESTION = 2.5


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


@dataclass
class Learner:
    seed: int
    scheduler: Scheduler
    planned: bool
    daily_target: float
    spread_days: int = 7
    expect_new: bool = True
    elapsed_cost: bool = False
    logs: dict[str, list[Event]] = field(default_factory=dict)
    load: dict[date, float] = field(default_factory=dict)
    studied: list[date] = field(default_factory=list)

    @property
    def interview(self) -> date:
        return START + timedelta(days=DAYS)

    @property
    def away(self) -> Break:
        first = START + timedelta(days=BREAK_FIRST)
        return Break(first, first + timedelta(days=BREAK_DAYS - 1))

    def missed(self) -> set[date]:
        rng = random.Random(f"missed:{self.seed}")
        days = [START + timedelta(days=n) for n in range(-WARM_UP, DAYS)]
        return {d for d in days if d not in self.away and rng.random() < MISSED}

    def pace(self, day: date) -> float:
        """New topics a calendar day over the 28 days before ``day`` (as ``coach.plan.pace`` reads it)."""
        first = day - timedelta(days=28)
        done = sum(1 for h in self.logs.values() if first <= h[0].at.date() < day)
        return done / 28

    def due_today(self, day: date) -> list[str]:
        if self.planned and day >= START:
            settings = PlanSettings(
                interview=self.interview,
                daily_target=self.daily_target,
                breaks=(self.away,),
                minutes_per_question=MINUTES_PER_QUESTION,
                spread_days=self.spread_days,
                new_topics_per_day=self.pace(day) if self.expect_new else 0.0,
                final_share=FINAL_SHARE,
            )
            topics = [TopicLog(k, tuple(h)) for k, h in self.logs.items()]
            plan = build_plan(topics, scheduler=self.scheduler, settings=settings, now=at(day, 8), zone=UTC)
            return [r.topic for r in plan.on(day)]
        out = []
        for key, history in self.logs.items():
            due = self.scheduler.next_review(history, UTC)
            if due is not None and due.due_date <= day:
                out.append(key)
        return sorted(out)

    def review(self, key: str, day: date) -> None:
        history = self.logs[key]
        last = history[-1].at.date()
        luck = random.Random(f"recall:{self.seed}:{key}:{len(history)}")
        recalled = luck.random() < recall_on(replay_memory(history), day, UTC)
        grade = Recall.again
        if recalled:
            grade = luck.choices([Recall.good, Recall.hard, Recall.easy], [0.8, 0.1, 0.1])[0]
        # As the app: a review asks the questions of its scheduled interval (``agenda.DueReview``);
        # ``--cost elapsed`` prices it by the days since the last review instead (an overdue one
        # then costs more than the plan counted).
        scheduled = self.scheduler.next_review(history, UTC)
        days = (day - last).days if self.elapsed_cost or scheduled is None else scheduled.interval_days
        history.append(Event("review", at(day, 9), int(grade)))
        minutes = review_type(days).questions * MINUTES_PER_QUESTION
        self.load[day] = self.load.get(day, 0.0) + minutes

    def study_new(self, day: date, studied_days: int, sizes: dict[str, int]) -> None:
        for track in TRACKS:
            cycle, n = divmod(studied_days, sizes[track])
            key = f"{track}/c{cycle + 1}/day-{n + 1:02d}"
            difficulty = random.Random(f"difficulty:{self.seed}:{key}").choices(
                [1, 2, 3, 4, 5], [1, 3, 4, 2, 1]
            )[0]
            self.logs[key] = [Event("completion", at(day, 10), difficulty)]

    def run(self, sizes: dict[str, int]) -> None:
        missed = self.missed()
        for n in range(-WARM_UP, DAYS):
            day = START + timedelta(days=n)
            if day in missed or day in self.away:
                continue
            for key in self.due_today(day):
                self.review(key, day)
            self.study_new(day, len(self.studied), sizes)
            self.studied.append(day)


@dataclass(frozen=True)
class Result:
    peak_over_mean: float
    early_peak_over_mean: float  # leaving out the last 3 days before the interview
    peak: float
    mean: float
    below: int
    savable: int
    days_to_normal: int | None


def measure(learner: Learner) -> Result:
    interview = learner.interview
    steady = [d for d in learner.studied if START <= d < interview]
    loads = [learner.load.get(d, 0.0) for d in steady]
    peak, mean = max(loads), statistics.fmean(loads)
    early = max(learner.load.get(d, 0.0) for d in steady if d < interview - timedelta(days=3))
    last_study = max(learner.studied)
    below = savable = 0
    for history in learner.logs.values():
        card = replay_memory(history)
        if recall_on(card, interview, UTC) >= TARGET:
            continue
        below += 1
        after = [d for d in learner.studied if d > history[-1].at.date()]
        if (
            after
            and recall_after_review(card, last_study, interview, zone=UTC, desired_retention=0.9) >= TARGET
        ):
            savable += 1
    return Result(peak / mean, early / mean, peak, mean, below, savable, days_to_normal(learner))


def days_to_normal(learner: Learner) -> int | None:
    away = learner.away
    before = [d for d in learner.studied if away.start - timedelta(days=14) <= d < away.start]
    normal = statistics.median(learner.load.get(d, 0.0) for d in before)
    back = away.end + timedelta(days=1)
    # The reviews that came due during the break: the next review of each topic, as of its start.
    owed = {}
    for key, history in learner.logs.items():
        earlier = [e for e in history if e.at.date() < away.start]
        if not earlier:
            continue
        due = learner.scheduler.next_review(earlier, UTC)
        if due is not None and away.start <= due.due_date <= away.end:
            owed[key] = len(earlier)
    for d in sorted(x for x in learner.studied if x >= back):
        done = all(any(e.at.date() <= d for e in learner.logs[key][count:]) for key, count in owed.items())
        if done and learner.load.get(d, 0.0) <= 1.3 * normal:
            return (d - away.end).days
    return None


def simulate(
    name: str,
    make: Callable[[], Scheduler],
    seeds: int,
    target: float,
    spread: int = 7,
    *,
    elapsed: bool = False,
) -> list[str]:
    sizes = {t: len(load_tracks()[t].days) for t in TRACKS}
    rows = []
    for planned in (False, True):
        results = []
        started = clock.perf_counter()
        for seed in range(seeds):
            learner = Learner(seed, make(), planned, target, spread, elapsed_cost=elapsed)
            learner.run(sizes)
            results.append(measure(learner))
        took = clock.perf_counter() - started

        def med(values: list[float]) -> float:
            return statistics.median(values)

        normal = [r.days_to_normal for r in results if r.days_to_normal is not None]
        rows.append(
            f"| {name} | {'plan' if planned else 'no plan'} | {med([r.peak_over_mean for r in results]):.2f} "
            f"| {med([r.early_peak_over_mean for r in results]):.2f} "
            f"| {med([r.peak for r in results]):.0f} | {med([r.mean for r in results]):.1f} "
            f"| {med([r.below for r in results]):.0f} | {med([r.savable for r in results]):.0f} "
            f"| {med(normal) if normal else 'never'} | {took / seeds:.1f} s |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--scheduler", choices=["fsrs", "fixed", "both"], default="both")
    parser.add_argument(
        "--target", type=float, default=150.0, help="the plan's daily review target in minutes"
    )
    parser.add_argument("--spread", type=int, default=7, help="the plan's spread_days setting")
    parser.add_argument(
        "--cost",
        choices=["scheduled", "elapsed"],
        default="scheduled",
        help="a review's minutes: its scheduled interval's questions (as the app) or the days since the last one",
    )
    args = parser.parse_args()
    print(
        f"{args.seeds} seeds; 3 tracks, {DAYS} days to the interview, {MISSED:.0%} of days missed, "
        f"a {BREAK_DAYS}-day break from day {BREAK_FIRST}; daily target {args.target:.0f} min; "
        f"review cost by {args.cost} interval; medians"
    )
    print(
        "| scheduler | run | peak/mean | same, last 3 days left out | peak min | mean min "
        "| below 0.9 on the day | of which savable | days to normal after break | time per learner |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    if args.scheduler in ("fsrs", "both"):
        print(
            "\n".join(
                simulate(
                    "fsrs",
                    FsrsScheduler,
                    args.seeds,
                    args.target,
                    args.spread,
                    elapsed=args.cost == "elapsed",
                )
            )
        )
    if args.scheduler in ("fixed", "both"):
        print(
            "\n".join(
                simulate(
                    "fixed 1-3-7-14",
                    FixedIntervals,
                    args.seeds,
                    args.target,
                    args.spread,
                    elapsed=args.cost == "elapsed",
                )
            )
        )


if __name__ == "__main__":
    main()
