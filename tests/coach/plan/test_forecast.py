"""Forecasts: the load per day ahead and the predicted-recall curve."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from study_tracker.coach.plan.calendar import Break, Calendar, PlanSettings
from study_tracker.coach.plan.engine import build_plan
from study_tracker.coach.plan.forecast import daily_load, retention_curve
from study_tracker.coach.plan.model import TopicLog
from study_tracker.tracker.srs import Event, FsrsScheduler, Recall


def at(day: date) -> datetime:
    return datetime.combine(day, time(9), tzinfo=UTC)


START = date(2026, 1, 1)


def topics() -> list[TopicLog]:
    return [TopicLog(f"t{i}", (Event("completion", at(START + timedelta(days=i)), 3),)) for i in range(10)]


def test_daily_load_adds_up_the_plan() -> None:
    settings = PlanSettings(easy_days={6: 0.5}, breaks=(Break(date(2026, 1, 20), date(2026, 1, 22)),))
    plan = build_plan(
        topics(), scheduler=FsrsScheduler(), settings=settings, now=at(date(2026, 1, 10)), zone=UTC
    )
    load = daily_load(plan, Calendar(settings))
    assert len(load) == 60 and load[0].day == date(2026, 1, 10)
    assert sum(x.reviews for x in load) == sum(1 for r in plan.reviews if r.day < date(2026, 3, 11))
    assert sum(x.minutes for x in load) == pytest.approx(
        sum(r.minutes for r in plan.reviews if r.day < date(2026, 3, 11))
    )
    by_day = {x.day: x for x in load}
    assert by_day[date(2026, 1, 21)].away and by_day[date(2026, 1, 21)].reviews == 0
    assert by_day[date(2026, 1, 11)].easy and by_day[date(2026, 1, 11)].capacity == 22.5


def test_retention_curve_falls_between_reviews_and_resets_on_a_review() -> None:
    one = [
        TopicLog(
            "t",
            (Event("completion", at(START), 3), Event("review", at(START + timedelta(days=2)), Recall.good)),
        )
    ]
    curve = retention_curve(one, start=START - timedelta(days=1), end=START + timedelta(days=12), zone=UTC)
    values = [v for _, v in curve]
    assert values[0] is None  # nothing completed yet
    assert values[1] == 1.0 and values[3] == 1.0  # the completion day and the review day
    assert values[2] is not None and values[2] < 1.0
    after = values[3:]
    assert all(a > b for a, b in zip(after[:-1], after[1:], strict=False))  # type: ignore[operator]
    assert 0.9 <= values[-1] < 0.95  # type: ignore[operator]


def test_retention_curve_uses_the_plan_ahead() -> None:
    settings = PlanSettings()
    now = at(date(2026, 1, 10))
    plan = build_plan(topics(), scheduler=FsrsScheduler(), settings=settings, now=now, zone=UTC)
    end = date(2026, 3, 1)
    with_plan = dict(retention_curve(topics(), start=START, end=end, zone=UTC, plan=plan))
    without = dict(retention_curve(topics(), start=START, end=end, zone=UTC))
    assert with_plan[date(2026, 1, 10)] == without[date(2026, 1, 10)]
    assert with_plan[end] > 0.85 > without[end]  # type: ignore[operator]
    with pytest.raises(ValueError, match="at most three years"):
        retention_curve(topics(), start=end, end=START, zone=UTC)
