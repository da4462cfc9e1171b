"""Guidance speed with three years of history plus drills: Today (with the What-next panel),
Skills and Report through a running server, and the services behind `study next`.

    python bench/guidance_pages.py [--requests 200] [--changes 40] [--fsrs]

History comes from ``history_gen.generate`` (every track in cycles, reviews on their due day);
this adds a drill of 5 questions every third day, graded like reviews. Skill mastery is
remembered per day and log state (``skills/evidence.py``), so the page figures are for an
unchanged log. The "log just changed" lines append one row (a review, a completion or a drill
answer, in turn) before each timed call, so mastery is extended from the new rows; the "full"
lines forget the remembered result first and read the whole log, as before that existed.
Prints medians and p95 in milliseconds; the target is p95 under 50 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from history_gen import generate  # noqa: E402
from served import pct, serve  # noqa: E402
from sqlalchemy import select  # noqa: E402

from study_tracker.coach import drills  # noqa: E402
from study_tracker.coach import what_next as guidance
from study_tracker.config import Settings  # noqa: E402
from study_tracker.db.engine import session_scope  # noqa: E402
from study_tracker.db.models import (  # noqa: E402
    Completion,
    DrillResult,
    DrillSession,
    GroupSetting,
    ReviewLog,
    ScheduledReview,
)
from study_tracker.skills import evidence as mastery_log  # noqa: E402
from study_tracker.skills.goal import set_goal  # noqa: E402
from study_tracker.tracker import service, settings_store  # noqa: E402

END = date(2026, 11, 22)


def add_drills(settings: Settings, *, years: int, every_days: int = 3, seed: int = 11) -> int:
    """A 5-question drill every ``every_days`` days, graded mostly Good, straight into the tables."""
    rng = random.Random(seed)
    pool = drills.candidates(drills.parse_filters({}))
    day = END - timedelta(days=365 * years)
    sessions, results = [], []
    while day <= END:
        started = datetime.combine(day, dtime(21, 0), tzinfo=UTC)
        picks = rng.sample(pool, 5)
        sessions.append(
            DrillSession(
                group=picks[0].track.group,
                filters={"track": None, "type": None, "skill": None},
                time_limit_s=600,
                questions=[p.ref() for p in picks],
                started_at=started,
                ended_at=started + timedelta(minutes=8),
            )
        )
        results.append(picks)
        day += timedelta(days=every_days)
    with session_scope(settings.db_url) as session:
        session.add_all(sessions)
        session.flush()
        rows = []
        for s, picks in zip(sessions, results, strict=True):
            for i, p in enumerate(picks):
                rows.append(
                    DrillResult(
                        session_id=s.id,
                        track=p.track.slug,
                        day=p.topic.day,
                        question_index=p.index,
                        skills=p.skills,
                        grade=rng.choices([1, 2, 3, 4], weights=[1, 2, 6, 2])[0],
                        seconds=90,
                        answered_at=s.started_at + timedelta(seconds=90 * (i + 1)),
                        local_date=s.started_at.date(),
                    )
                )
        session.add_all(rows)
        set_goal(session=session, path="machine-learning-engineer", level="12-24")
    return len(rows)


def append_row(settings: Settings, i: int, now: datetime) -> None:
    """One new log row the way the services write it: a review, a completion or a drill answer."""
    with session_scope(settings.db_url) as session:
        if i % 3 == 0:  # a review of a pending card (reschedules it, so FSRS memory changes)
            pending = session.scalars(select(ScheduledReview).order_by(ScheduledReview.completion_id)).all()
            sr = pending[i % len(pending)]
            session.add(
                ReviewLog(
                    completion_id=sr.completion_id,
                    group=sr.group,
                    step=sr.step,
                    interval_days=sr.interval_days,
                    due_date=sr.due_date,
                    rating=1 + i % 4,
                    notes="",
                    reviewed_at=now,
                    local_date=now.date(),
                )
            )
            session.flush()
            service.reschedule(session, group=sr.group, zone=UTC, completion_ids=[sr.completion_id])
        elif i % 3 == 1:
            c = Completion(
                group="ml_specialist",
                track="ml_algorithms",
                day=1 + i % 20,
                difficulty=1 + i % 5,
                notes="",
                completed_at=now,
                local_date=now.date(),
            )
            session.add(c)
            session.flush()
            service.reschedule(session, group=c.group, zone=UTC, completion_ids=[c.id])
        else:
            d = session.scalars(select(DrillResult).offset(i).limit(1)).one()
            session.add(
                DrillResult(
                    session_id=d.session_id,
                    track=d.track,
                    day=d.day,
                    question_index=d.question_index,
                    skills=d.skills,
                    grade=1 + i % 4,
                    seconds=30,
                    answered_at=now,
                    local_date=now.date(),
                )
            )


def time_calls(fn, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--changes", type=int, default=40, help="Timed calls after a change of the log.")
    parser.add_argument("--fsrs", action="store_true", help="Put both groups on FSRS (memory evidence).")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="bench-guidance-")) / "data"
    t = time.perf_counter()
    counts = generate(data_dir, years=3, end=END)
    settings = Settings(data_dir=data_dir, today=END, timezone="UTC", index_on_start=False)
    counts["drill answers"] = add_drills(settings, years=3)
    if args.fsrs:
        with session_scope(settings.db_url) as session:
            for g in session.query(GroupSetting):
                g.scheduler = "fsrs"
            session.flush()
            for g in ("swe", "ml_specialist"):
                service.reschedule(session, group=g, zone=UTC)
                # config.json is the user's copy of these settings: the server would restore "fixed".
                settings_store.write_config_file(data_dir, settings_store.get_config(session, g))
    print(
        f"generated {counts} in {time.perf_counter() - t:.1f}s ({'fsrs' if args.fsrs else 'fixed intervals'})"
    )

    # In-process services: mastery from scratch, and the plan `study next` prints.
    now = datetime.combine(END, dtime(12), tzinfo=UTC)
    # A fresh session per call, as `study next` opens one per run.
    with session_scope(settings.db_url) as session:
        n_evidence = len(mastery_log.collect_evidence(session, now=now, zone=UTC))

    def run(fn):  # type: ignore[no-untyped-def]
        def call() -> None:
            with session_scope(settings.db_url) as session:
                fn(session)

        return call

    def warm_next(session) -> None:  # type: ignore[no-untyped-def]
        guidance.what_next(session, now=now, zone=UTC)

    # Interleaved, so both ways see the same machine load: full (whole log) vs extended (new rows).
    appended = 0
    changed: dict[str, list[float]] = {
        k: [] for k in ("mastery full", "mastery new", "next full", "next new")
    }
    for _ in range(args.changes):
        for what, fn in (("mastery", mastery_log.skill_mastery), ("next", guidance.what_next)):
            for how in ("full", "new"):
                append_row(settings, appended, now)
                appended += 1
                if how == "full":
                    mastery_log.cache_clear()
                with session_scope(settings.db_url) as session:
                    t0 = time.perf_counter()
                    fn(session, now=now, zone=UTC)
                    changed[f"{what} {how}"].append((time.perf_counter() - t0) * 1000)
    services = {
        f"skill mastery, log just changed, full ({n_evidence} evidence)": changed["mastery full"],
        "skill mastery, log just changed, extended": changed["mastery new"],
        "what_next (study next), log just changed, full": changed["next full"],
        "what_next (study next), log just changed, extended": changed["next new"],
        "what_next (study next), log unchanged": time_calls(run(warm_next), 100),
    }
    print(
        f"\n{'service':56} {'median ms':>10} {'p95 ms':>8}  ({args.changes} calls each, {appended} rows appended)"
    )
    for name, values in services.items():
        print(f"{name:56} {statistics.median(values):10.1f} {pct(values, 95):8.1f}")
    for what in ("mastery", "next"):
        full, new = changed[f"{what} full"], changed[f"{what} new"]
        print(
            f"full / extended, {what}: median x{statistics.median(full) / statistics.median(new):.1f}, "
            f"p95 x{pct(full, 95) / pct(new, 95):.1f}"
        )

    with serve(
        data_dir, STUDY_TODAY=END.isoformat(), STUDY_TIMEZONE="UTC", STUDY_INDEX_ON_START="false"
    ) as base:
        with httpx.Client(base_url=base, timeout=10) as client:
            pages = ["/?group=ml_specialist", "/?group=swe", "/skills", "/api/next", "/report"]
            for path in pages:
                for _ in range(10):
                    assert client.get(path).status_code == 200
            timings: dict[str, list[float]] = {p: [] for p in pages}
            for _ in range(args.requests):
                for path in pages:
                    t0 = time.perf_counter()
                    r = client.get(path)
                    timings[path].append((time.perf_counter() - t0) * 1000)
                    assert r.status_code == 200
        print(
            f"\n{'page (log unchanged)':44} {'median ms':>10} {'p95 ms':>8}  ({args.requests} requests each)"
        )
        for path, values in timings.items():
            print(f"{path:44} {statistics.median(values):10.1f} {pct(values, 95):8.1f}")


if __name__ == "__main__":
    main()
