"""Schedulers with a pinned clock: exact intervals for fixed intervals and for FSRS."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from study_tracker.tracker.srs import (
    Event,
    FixedIntervals,
    FsrsScheduler,
    Recall,
    make_scheduler,
    review_type,
)

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def walk(scheduler, first_grade: int, ratings: list[int]) -> list[tuple[date, int]]:  # type: ignore[no-untyped-def]
    """Review each time exactly on the due day; return (due date, interval) of every review asked for."""
    history = [Event("completion", T0, first_grade)]
    out = []
    for rating in [*ratings, None]:
        due = scheduler.next_review(history, UTC)
        if due is None:
            break
        out.append((due.due_date, due.interval_days))
        if rating is None:
            break
        history.append(Event("review", at(due.due_date), rating))
    return out


def test_fixed_intervals_follow_the_quick_start_days() -> None:
    # Completed on day 1 -> reviews on day 2, 4, 8 and 15, then none.
    got = walk(FixedIntervals(), 3, [Recall.good] * 4)
    assert got == [
        (date(2026, 1, 2), 1),
        (date(2026, 1, 4), 3),
        (date(2026, 1, 8), 7),
        (date(2026, 1, 15), 14),
    ]
    history = [Event("completion", T0, 3)] + [Event("review", at(d), Recall.good) for d, _ in got]
    assert FixedIntervals().next_review(history, UTC) is None


def test_fixed_again_repeats_the_step_the_next_day() -> None:
    history = [Event("completion", T0, 3), Event("review", at(date(2026, 1, 2)), Recall.again)]
    due = FixedIntervals().next_review(history, UTC)
    assert (due.due_date, due.interval_days, due.step) == (date(2026, 1, 3), 1, 1)


def test_fixed_late_review_never_schedules_the_next_one_in_the_past() -> None:
    # The 1-day review done 5 days late: the 3-day review (Jan 4) has passed, so it is due the next day.
    history = [Event("completion", T0, 3), Event("review", at(date(2026, 1, 6)), Recall.good)]
    due = FixedIntervals().next_review(history, UTC)
    assert (due.due_date, due.interval_days) == (date(2026, 1, 7), 3)


def test_fixed_custom_intervals() -> None:
    got = walk(FixedIntervals((2, 5)), 3, [Recall.good, Recall.good])
    assert got == [(date(2026, 1, 3), 2), (date(2026, 1, 6), 5)]


@pytest.mark.parametrize("bad", [(), (0, 3), (-1,)])
def test_fixed_refuses_bad_intervals(bad: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        FixedIntervals(bad)


@pytest.mark.parametrize(
    ("difficulty", "due", "interval"),
    [
        (1, date(2026, 1, 9), 8),
        (2, date(2026, 1, 3), 2),
        (3, date(2026, 1, 3), 2),
        (4, date(2026, 1, 2), 1),
        (5, date(2026, 1, 2), 1),
    ],
)
def test_fsrs_first_review_from_difficulty(difficulty: int, due: date, interval: int) -> None:
    got = FsrsScheduler().next_review([Event("completion", T0, difficulty)], UTC)
    assert (got.due_date, got.interval_days, got.step) == (due, interval, 0)
    assert got.state is not None and got.state["stability"] > 0


def test_fsrs_good_chain_grows_exactly() -> None:
    got = walk(FsrsScheduler(), 3, [Recall.good] * 3)
    assert got == [
        (date(2026, 1, 3), 2),
        (date(2026, 1, 14), 11),
        (date(2026, 3, 1), 46),
        (date(2026, 8, 11), 163),
    ]


@pytest.mark.parametrize(
    ("rating", "interval"), [(Recall.again, 1), (Recall.hard, 8), (Recall.good, 11), (Recall.easy, 19)]
)
def test_fsrs_rating_sets_the_next_interval(rating: Recall, interval: int) -> None:
    history = [Event("completion", T0, 3), Event("review", at(date(2026, 1, 3)), rating)]
    got = FsrsScheduler().next_review(history, UTC)
    assert got.interval_days == interval
    assert got.due_date == date(2026, 1, 3) + timedelta(days=interval)


def test_fsrs_lower_desired_retention_spaces_reviews_further() -> None:
    first = [Event("completion", T0, 3)]
    assert FsrsScheduler(0.8).next_review(first, UTC).interval_days == 8
    assert FsrsScheduler(0.9).next_review(first, UTC).interval_days == 2


def test_replay_is_pure_and_repeatable() -> None:
    history = [Event("completion", T0, 3), Event("review", at(date(2026, 1, 3)), Recall.good)]
    assert FsrsScheduler().next_review(history, UTC) == FsrsScheduler().next_review(list(history), UTC)


def test_days_are_counted_in_the_configured_zone() -> None:
    # 23:30 on Dec 31 in New York is already Jan 1 in UTC: the review falls a day later there.
    late = datetime(2026, 1, 1, 4, 30, tzinfo=UTC)
    ny = FixedIntervals().next_review([Event("completion", late, 3)], ZoneInfo("America/New_York"))
    utc = FixedIntervals().next_review([Event("completion", late, 3)], UTC)
    assert (ny.due_date, utc.due_date) == (date(2026, 1, 1), date(2026, 1, 2))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        Event("completion", datetime(2026, 1, 1), 3)


def test_factory_and_review_types() -> None:
    assert make_scheduler("fixed", intervals=[1, 2], desired_retention=0.9) == FixedIntervals((1, 2))
    assert isinstance(make_scheduler("fsrs", intervals=[], desired_retention=0.85), FsrsScheduler)
    with pytest.raises(ValueError, match="scheduler"):
        make_scheduler("sm2", intervals=[1], desired_retention=0.9)
    assert [review_type(d).key for d in (1, 3, 7, 14, 40)] == [
        "quick",
        "moderate",
        "full",
        "long_term",
        "long_term",
    ]
    assert [review_type(d).questions for d in (1, 3, 7, 14)] == [2, 3, 4, 5]
