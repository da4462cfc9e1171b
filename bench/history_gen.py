"""Generate years of realistic study history into a data folder (for benchmarks and demos).

Every track runs in cycles (the start date moves to the day after a cycle ends); on a given
day a topic is studied with probability ``p``; every review is done on its due day with a
mostly-Good rating. Rows go through the real scheduler and models.

    python bench/history_gen.py DATA_DIR --years 3 --end 2026-11-22
"""

from __future__ import annotations

import argparse
import random
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import func, select

from study_tracker.config import Settings
from study_tracker.content.curriculum import GROUPS, load_tracks
from study_tracker.db.engine import session_scope
from study_tracker.db.models import Completion, ReviewLog, TrackSetting
from study_tracker.tracker import service
from study_tracker.tracker.srs import Event, FixedIntervals
from study_tracker.tracker.startup import prepare


def generate(data_dir: Path, *, years: int, end: date, p: float = 0.37, seed: int = 7) -> dict[str, int]:
    settings = Settings(data_dir=data_dir, today=end, timezone="UTC", index_on_start=False)
    prepare(settings)
    rng = random.Random(seed)
    scheduler = FixedIntervals()
    start = end - timedelta(days=365 * years)
    completions: list[Completion] = []
    reviews: list[tuple[int, list[tuple[datetime, int, int, date, int]]]] = []
    starts: dict[str, date] = {}
    for track in load_tracks().values():
        cycle_start = start
        day = start
        while day <= end:
            n = (day - cycle_start).days + 1
            if n > track.length:
                cycle_start = day
                n = 1
            if rng.random() < p:
                at = datetime.combine(day, time(8 + rng.randrange(12), rng.randrange(60)), tzinfo=UTC)
                history = [Event("completion", at, rng.randint(1, 5))]
                logs = []
                while (due := scheduler.next_review(history, UTC)) and due.due_date <= end:
                    r_at = datetime.combine(due.due_date, time(19, rng.randrange(60)), tzinfo=UTC)
                    rating = rng.choices([1, 2, 3, 4], weights=[1, 2, 6, 2])[0]
                    logs.append((r_at, rating, due.step, due.due_date, due.interval_days))
                    history.append(Event("review", r_at, rating))
                completions.append(
                    Completion(
                        group=track.group,
                        track=track.slug,
                        day=n,
                        difficulty=history[0].grade,
                        notes=rng.choice(["", "", "Revisit the edge cases.", "**Key:** invariants"]),
                        completed_at=at,
                        local_date=day,
                    )
                )
                reviews.append((len(completions) - 1, logs))
            day += timedelta(days=1)
        starts[track.slug] = cycle_start
    with session_scope(settings.db_url) as session:
        session.add_all(completions)
        session.flush()
        session.add_all(
            ReviewLog(
                completion_id=completions[i].id,
                group=completions[i].group,
                step=step,
                interval_days=interval,
                due_date=due,
                rating=rating,
                notes="",
                reviewed_at=at,
                local_date=at.date(),
            )
            for i, logs in reviews
            for at, rating, step, due, interval in logs
        )
        for slug, when in starts.items():
            session.get(TrackSetting, slug).start_date = when  # type: ignore[union-attr]
        for group in GROUPS:
            service.reschedule(session, group=group, zone=UTC)
        counts = {
            "completions": session.scalar(select(func.count()).select_from(Completion)) or 0,
            "reviews": session.scalar(select(func.count()).select_from(ReviewLog)) or 0,
        }
    prepare(settings)  # mirror the new start dates into config.json
    return counts


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--end", type=date.fromisoformat, default=date(2026, 11, 22))
    args = parser.parse_args()
    print(generate(args.data_dir, years=args.years, end=args.end))
