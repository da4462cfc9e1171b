"""The plan engine with a pinned clock: exact days for the interview date, breaks, gaps, Easy Days
and load balancing."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from study_tracker.coach.plan.calendar import Break, Calendar, PlanSettings
from study_tracker.coach.plan.engine import build_plan
from study_tracker.coach.plan.model import Plan, TopicLog
from study_tracker.errors import InvalidInput
from study_tracker.tracker.srs import (
    Event,
    FixedIntervals,
    FsrsScheduler,
    Recall,
    fuzz_bounds,
    recall_on,
    replay_memory,
)


def at(day: date) -> datetime:
    return datetime.combine(day, time(9), tzinfo=UTC)


def d(month: int, day: int) -> date:
    return date(2026, month, day)


def topic(key: str, completed: date, *reviews: date, difficulty: int = 3) -> TopicLog:
    return TopicLog(
        key,
        (
            Event("completion", at(completed), difficulty),
            *(Event("review", at(r), Recall.good) for r in reviews),
        ),
    )


def rows(plan: Plan, key: str) -> list[tuple[date, date, str]]:
    return [(r.due, r.day, r.reason) for r in plan.reviews if r.topic == key]


# --- the interview date -------------------------------------------------------------------------
def test_fsrs_pulls_a_final_review_in_when_recall_on_the_day_would_fall_below_target() -> None:
    # Completed 1 Jan, reviewed 3 Jan: FSRS asks next on 14 Jan, when recall is just under 90%.
    bayes = topic("bayes", d(1, 1), d(1, 3))
    assert recall_on(replay_memory(bayes.history), d(1, 14), UTC) < 0.9
    plan = build_plan(
        [bayes],
        scheduler=FsrsScheduler(),
        settings=PlanSettings(interview=d(1, 14)),
        now=at(d(1, 4)),
        zone=UTC,
    )
    first = plan.reviews[0]
    # Any day of the valid run (a review there lifts recall on the day to 90%) may take it; with
    # room on every day, the latest.
    assert (first.due, first.day, first.window) == (d(1, 14), d(1, 13), (d(1, 4), d(1, 13)))
    assert first.reason == "moved from 14 Jan to 13 Jan: interview on 14 Jan"
    (outlook,) = plan.outlook
    assert outlook.recall >= 0.9 and not outlook.below_target


def test_fsrs_leaves_a_review_after_the_date_alone_when_recall_on_the_day_is_on_target() -> None:
    bayes = topic("bayes", d(1, 1), d(1, 3))
    plan = build_plan(
        [bayes],
        scheduler=FsrsScheduler(),
        settings=PlanSettings(interview=d(1, 10)),
        now=at(d(1, 4)),
        zone=UTC,
    )
    assert rows(plan, "bayes")[0] == (d(1, 14), d(1, 14), "")
    assert plan.outlook[0].recall >= 0.9


def test_fsrs_pulls_in_before_a_break_that_ends_on_the_interview_day() -> None:
    # Due 14 Jan, inside a break 12-19 Jan; the first day back is the interview itself, too late:
    # the review goes to the latest study day before the break that keeps recall on target.
    settings = PlanSettings(interview=d(1, 20), breaks=(Break(d(1, 12), d(1, 19)),))
    plan = build_plan(
        [topic("bayes", d(1, 1), d(1, 3))],
        scheduler=FsrsScheduler(),
        settings=settings,
        now=at(d(1, 4)),
        zone=UTC,
    )
    first = plan.reviews[0]
    assert (first.day, first.window) == (d(1, 11), (d(1, 5), d(1, 11)))
    assert first.reason == "moved from 14 Jan to 11 Jan: interview on 20 Jan"
    assert plan.at_risk() == []


def test_ladder_steps_after_the_date_are_compressed_before_it() -> None:
    plan = build_plan(
        [topic("sql", d(1, 1))],
        scheduler=FixedIntervals(),
        settings=PlanSettings(interview=d(1, 10)),
        now=at(d(1, 1)),
        zone=UTC,
    )
    assert rows(plan, "sql") == [
        (d(1, 2), d(1, 2), ""),
        (d(1, 4), d(1, 4), ""),
        (d(1, 8), d(1, 8), ""),
        (d(1, 15), d(1, 9), "moved from 15 Jan to 9 Jan: interview on 10 Jan"),
    ]


def test_ladder_compression_keeps_order_and_leaves_what_does_not_fit_after_the_date() -> None:
    # Completed 5 Jan: steps 6, 8, 12 and 19 Jan. Only 9 Jan is left before a 10 Jan interview: the
    # 7-day step takes it, the 14-day step stays after the date.
    plan = build_plan(
        [topic("sql", d(1, 5))],
        scheduler=FixedIntervals(),
        settings=PlanSettings(interview=d(1, 10)),
        now=at(d(1, 5)),
        zone=UTC,
    )
    assert [(due, day) for due, day, _ in rows(plan, "sql")] == [
        (d(1, 6), d(1, 6)),
        (d(1, 8), d(1, 8)),
        (d(1, 12), d(1, 9)),
        (d(1, 19), d(1, 19)),
    ]


def test_ladder_compression_spreads_two_late_steps_in_proportion() -> None:
    # Completed 1 Jan with a 20 Jan interview and a (1, 3, 30, 60) ladder: the 30- and 60-day steps
    # both fall after the date. After the 4 Jan step, 15 days are left (5-19 Jan): the 30-day step
    # keeps its share of the way to the 60-day one (27 of 57 days: the 8th day, 12 Jan), the
    # 60-day step takes the last day.
    plan = build_plan(
        [topic("sql", d(1, 1))],
        scheduler=FixedIntervals((1, 3, 30, 60)),
        settings=PlanSettings(interview=d(1, 20), ladder_fuzz_days=0),
        now=at(d(1, 1)),
        zone=UTC,
    )
    assert [day for _, day, _ in rows(plan, "sql")] == [d(1, 2), d(1, 4), d(1, 12), d(1, 19)]


# --- breaks, gaps and Easy Days --------------------------------------------------------------------
def test_a_break_moves_due_reviews_out_and_spreads_them_lowest_recall_first() -> None:
    # Twelve topics, two completed a day from 8 Jan, first review 3 days later: all due in a 10-16
    # Jan break. With room for 4 reviews a day they come back 4 a day, oldest (lowest recall)
    # first, leaving room for the second steps the first ones bring.
    topics = [topic(f"topic-{i:02d}", d(1, 8) + timedelta(days=i // 2)) for i in range(12)]
    settings = PlanSettings(daily_target=4, target_unit="reviews", breaks=(Break(d(1, 10), d(1, 16)),))
    plan = build_plan(topics, scheduler=FixedIntervals((3, 7)), settings=settings, now=at(d(1, 9)), zone=UTC)
    first = {r.topic: r.day for r in plan.reviews if r.step == 0}
    assert first == {f"topic-{i:02d}": [d(1, 17), d(1, 19), d(1, 21)][i // 4] for i in range(12)}
    assert not any(d(1, 10) <= r.day <= d(1, 16) for r in plan.reviews)
    assert max(Counter(r.day for r in plan.reviews).values()) == 4
    assert rows(plan, "topic-05")[0] == (d(1, 13), d(1, 19), "moved from 13 Jan to 19 Jan: break 10-16 Jan")


def test_after_an_unplanned_gap_overdue_reviews_are_spread_lowest_recall_first() -> None:
    # Nine reviews fell due 3-7 Jan and nothing was done; on 10 Jan they are spread 3 a day.
    topics = [topic(f"t{i}", d(1, 1 + i // 2)) for i in range(9)]
    settings = PlanSettings(daily_target=3, target_unit="reviews")
    plan = build_plan(
        topics, scheduler=FixedIntervals((2, 30)), settings=settings, now=at(d(1, 10)), zone=UTC
    )
    first = [(r.topic, r.day) for r in plan.reviews if r.step == 0]
    assert first == [(f"t{i}", d(1, 10 + i // 3)) for i in range(9)]
    recalls = [recall_on(replay_memory(t.history), d(1, 10), UTC) for t in topics]
    assert recalls == sorted(recalls)  # oldest first is lowest recall first
    assert (
        plan.reviews[0].reason
        == "overdue since 3 Jan: spread over the days after the gap, lowest recall first"
    )
    assert [r for r in plan.reviews if r.step == 0][-1].reason.endswith("(placed on 12 Jan)")


def test_a_gap_backlog_keeps_its_days_when_the_plan_is_recomputed_after_following_it() -> None:
    # Twelve reviews overdue on 10 Jan, room for 3 a day, spread over 2 days or more: a backlog
    # bigger than the room takes more days, 3 a day on 10-13 Jan. The learner does 10 Jan's
    # share; the plan recomputed on 11 Jan keeps the rest on 11-13 Jan, not a day later.
    topics = [topic(f"t{i:02d}", d(1, 1) + timedelta(days=i // 3)) for i in range(12)]
    settings = PlanSettings(daily_target=3, target_unit="reviews", spread_days=2)
    ladder = FixedIntervals((2, 30))
    first = build_plan(topics, scheduler=ladder, settings=settings, now=at(d(1, 10)), zone=UTC)
    days = {r.topic: r.day for r in first.reviews if r.step == 0}
    assert sorted(Counter(days.values()).items()) == [(d(1, n), 3) for n in (10, 11, 12, 13)]
    followed = [
        TopicLog(t.key, (*t.history, Event("review", at(d(1, 10)), Recall.good)))
        if days[t.key] == d(1, 10)
        else t
        for t in topics
    ]
    again = build_plan(followed, scheduler=ladder, settings=settings, now=at(d(1, 11)), zone=UTC)
    assert {r.topic: r.day for r in again.reviews if r.step == 0} == {
        k: v for k, v in days.items() if v != d(1, 10)
    }


def _long_interval_topics() -> list[TopicLog]:
    # 56 topics, four completed a day from 1 Jan, reviewed on FSRS's days (2 and 13 days later):
    # their next reviews fall 46 days after that, 1-14 Mar, each with a 9-day window.
    return [
        topic(
            f"t{i:02d}",
            d(1, 1) + timedelta(days=i // 4),
            d(1, 3) + timedelta(days=i // 4),
            d(1, 14) + timedelta(days=i // 4),
        )
        for i in range(56)
    ]


def test_easy_days_get_their_lower_share() -> None:
    def sundays(easy: dict[int, float]) -> tuple[list[int], float]:
        settings = PlanSettings(daily_target=6, target_unit="reviews", easy_days=easy)
        plan = build_plan(
            _long_interval_topics(), scheduler=FsrsScheduler(), settings=settings, now=at(d(1, 28)), zone=UTC
        )
        load = Counter(r.day for r in plan.reviews)
        days = [d(2, 26) + timedelta(days=n) for n in range(18)]
        sun = [load[x] for x in days if x.weekday() == 6]
        others = [load[x] for x in days if x.weekday() != 6]
        return sun, sum(others) / len(others)

    plain, plain_mean = sundays({})
    easy, easy_mean = sundays({6: 0.3})
    assert plain == [3, 4, 2]
    assert easy == [1, 1, 1]
    assert sum(easy) / len(easy) <= 0.45 * easy_mean  # about the 30% share, never an ordinary day's
    assert sum(plain) / len(plain) >= 0.9 * plain_mean


def test_reviews_moved_off_an_easy_day_say_so() -> None:
    settings = PlanSettings(daily_target=6, target_unit="reviews", easy_days={6: 0.3})
    plan = build_plan(
        _long_interval_topics(), scheduler=FsrsScheduler(), settings=settings, now=at(d(1, 28)), zone=UTC
    )
    moved = [r.reason for r in plan.reviews if r.due == d(3, 1) and r.day != d(3, 1)]
    assert moved and all(m.endswith("Sunday is an easy day") for m in moved)


@pytest.mark.parametrize("scheduler", [FsrsScheduler(), FixedIntervals()], ids=["fsrs", "fixed"])
def test_load_balancing_never_moves_a_review_outside_its_window(
    scheduler: FsrsScheduler | FixedIntervals,
) -> None:
    rng = random.Random(7)
    topics = []
    for i in range(120):
        done = d(1, 1) + timedelta(days=rng.randrange(40))
        reviews, last = [], done
        for _ in range(rng.randrange(3)):
            last += timedelta(days=rng.randint(1, 12))
            if last < d(2, 12):
                reviews.append(last)
        topics.append(topic(f"t{i:03d}", done, *reviews, difficulty=rng.randint(1, 5)))
    settings = PlanSettings(daily_target=30, easy_days={5: 0.5, 6: 0.3}, breaks=(Break(d(2, 20), d(2, 24)),))
    plan = build_plan(topics, scheduler=scheduler, settings=settings, now=at(d(2, 12)), zone=UTC)
    balanced = [r for r in plan.reviews if not r.reason or r.reason.endswith(("lighter day", "easy day"))]
    assert len(balanced) > 60  # the others: out of the break (some done early, before it)
    for r in plan.reviews:
        assert r.window[0] <= r.day <= r.window[1]
        assert not d(2, 20) <= r.day <= d(2, 24)
    for r in balanced:
        if isinstance(scheduler, FsrsScheduler):
            short, long = fuzz_bounds(r.interval_days)
            allowed = (
                r.due - timedelta(days=r.interval_days - short),
                r.due + timedelta(days=long - r.interval_days),
            )
        else:
            allowed = (r.due - timedelta(days=1), r.due + timedelta(days=1))
        assert allowed[0] <= r.window[0] and r.window[1] <= allowed[1]
    assert sum(r.moved for r in balanced) > 10  # balancing did move reviews


def test_balancing_off_keeps_every_review_on_its_due_day() -> None:
    settings = PlanSettings(daily_target=1, target_unit="reviews", balance=False)
    topics = _long_interval_topics()
    plan = build_plan(topics, scheduler=FsrsScheduler(), settings=settings, now=at(d(1, 28)), zone=UTC)
    assert all(r.day == r.due for r in plan.reviews)
    first = {r.topic: r.due for r in plan.reviews if not r.projected}
    assert first == {t.key: FsrsScheduler().next_review(t.history, UTC).due_date for t in topics}  # type: ignore[union-attr]


def test_recomputing_from_the_same_inputs_gives_the_same_plan() -> None:
    topics = _long_interval_topics() + [topic(f"new{i}", d(1, 20) + timedelta(days=i % 7)) for i in range(20)]
    settings = PlanSettings(interview=d(3, 5), easy_days={6: 0.3}, breaks=(Break(d(2, 10), d(2, 14)),))
    kwargs = {"scheduler": FsrsScheduler(), "settings": settings, "now": at(d(1, 28)), "zone": UTC}
    one = build_plan(topics, **kwargs)  # type: ignore[arg-type]
    shuffled = list(topics)
    random.Random(3).shuffle(shuffled)
    two = build_plan(shuffled, **kwargs)  # type: ignore[arg-type]
    assert one.reviews == two.reviews and one.outlook == two.outlook
    assert any(r.moved for r in one.reviews)


def test_reviews_done_today_count_against_todays_capacity() -> None:
    # Two reviews already done today fill a 2-review day: the one due today moves to tomorrow.
    ladder = FixedIntervals((1, 30))
    due = topic("c", d(1, 9))
    settings = PlanSettings(daily_target=2, target_unit="reviews")
    alone = build_plan([due], scheduler=ladder, settings=settings, now=at(d(1, 10)), zone=UTC)
    assert rows(alone, "c")[0] == (d(1, 10), d(1, 10), "")
    done = [topic("a", d(1, 9), d(1, 10)), topic("b", d(1, 9), d(1, 10))]
    plan = build_plan([*done, due], scheduler=ladder, settings=settings, now=at(d(1, 10)), zone=UTC)
    assert rows(plan, "c")[0] == (d(1, 10), d(1, 11), "moved from 10 Jan to 11 Jan: lighter day")


def test_settings_are_checked_with_the_field_named() -> None:
    with pytest.raises(InvalidInput, match="easy_days"):
        PlanSettings(easy_days={7: 0.5})
    with pytest.raises(InvalidInput, match="easy_days"):
        PlanSettings(easy_days={w: 0.0 for w in range(7)})
    with pytest.raises(InvalidInput, match="daily_target"):
        PlanSettings(daily_target=0)
    with pytest.raises(InvalidInput, match="breaks"):
        Break(d(1, 5), d(1, 4))
    with pytest.raises(ValueError, match="naive"):
        build_plan([], scheduler=FsrsScheduler(), settings=PlanSettings(), now=datetime(2026, 1, 1), zone=UTC)


def test_a_missed_review_still_within_its_window_is_not_a_gap() -> None:
    # Due 14 Jan with an FSRS window of 12-16 Jan: on 15 Jan it is late but still in its window.
    bayes = topic("bayes", d(1, 1), d(1, 3))
    late = build_plan([bayes], scheduler=FsrsScheduler(), settings=PlanSettings(), now=at(d(1, 15)), zone=UTC)
    first = late.reviews[0]
    assert (first.day, first.window) == (d(1, 15), (d(1, 15), d(1, 16)))
    assert first.reason == "due 14 Jan and not done yet: still within its window"
    gap = build_plan([bayes], scheduler=FsrsScheduler(), settings=PlanSettings(), now=at(d(1, 17)), zone=UTC)
    assert (
        gap.reviews[0].reason
        == "overdue since 14 Jan: spread over the days after the gap, lowest recall first"
    )


# --- breaks, topics not studied yet, the last days ---------------------------------------------
def test_a_review_due_in_a_break_is_done_early_before_it_where_there_is_room() -> None:
    # Ladder 1-8: completed 1 Jan, reviewed 2 Jan, next due 9 Jan, inside a break 8-12 Jan. It may
    # come early by up to half its 8-day interval (from 6 Jan): the day nearest the break, 7 Jan.
    plan = build_plan(
        [topic("sql", d(1, 1), d(1, 2))],
        scheduler=FixedIntervals((1, 8)),
        settings=PlanSettings(breaks=(Break(d(1, 8), d(1, 12)),)),
        now=at(d(1, 3)),
        zone=UTC,
    )
    first = plan.reviews[0]
    assert (first.due, first.day, first.window) == (d(1, 9), d(1, 7), (d(1, 6), d(1, 7)))
    assert first.reason == "moved from 9 Jan to 7 Jan: before the break 8-12 Jan"


def test_room_is_kept_for_the_reviews_of_topics_not_studied_yet() -> None:
    # Eight reviews overdue on 10 Jan, room for 2 a day. At one new topic a day from 11 Jan (its
    # first review on the next day, ladder 1-30), each day from 12 Jan keeps one place for it.
    topics = [topic(f"t{i}", d(1, 1)) for i in range(8)]
    ladder = FixedIntervals((1, 30))
    plain = PlanSettings(daily_target=2, target_unit="reviews", spread_days=2)
    days = Counter(
        r.day
        for r in build_plan(topics, scheduler=ladder, settings=plain, now=at(d(1, 10)), zone=UTC).reviews
        if r.step == 0
    )
    assert sorted(days.items()) == [(d(1, n), 2) for n in (10, 11, 12, 13)]
    paced = replace(plain, new_topics_per_day=1)
    plan = build_plan(topics, scheduler=ladder, settings=paced, now=at(d(1, 10)), zone=UTC)
    days = Counter(r.day for r in plan.reviews if r.step == 0)
    assert sorted(days.items()) == [
        (d(1, 10), 2),
        (d(1, 11), 2),
        (d(1, 12), 1),
        (d(1, 13), 1),
        (d(1, 14), 1),
        (d(1, 15), 1),
    ]
    assert all(r.topic.startswith("t") for r in plan.reviews)  # the expected topics are not shown


def test_the_last_days_before_the_interview_hold_less() -> None:
    settings = PlanSettings(interview=d(1, 20), daily_target=4, target_unit="reviews", final_share=0.5)
    cal = Calendar(settings)
    assert [cal.capacity(d(1, n)) for n in (17, 18, 19, 20)] == [4, 2, 2, 4]
    assert cal.study_days(d(1, 17), d(1, 19)) == 3  # new study is not reduced
