"""Pace to the date: the learner's pace from history, whether the rest fits, and what to compress."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from study_tracker.coach.plan.calendar import Break, Calendar, PlanSettings
from study_tracker.coach.plan.pace import RemainingTopic, StudyDay, learner_pace, pace_to_date, priority

TODAY = date(2026, 3, 2)  # a Monday


def history(per_day: list[int], minutes: float = 30.0) -> list[StudyDay]:
    start = TODAY - timedelta(days=len(per_day))
    return [StudyDay(start + timedelta(days=i), n, minutes * n) for i, n in enumerate(per_day) if n]


def test_pace_counts_missed_days_and_leaves_today_out() -> None:
    days = history([2, 0, 1, 0] * 7)  # 21 topics over 28 days, every other day missed
    days.append(StudyDay(TODAY, 5, 150))  # today is not over: not counted
    pace = learner_pace(days, today=TODAY)
    assert (pace.topics_per_day, pace.minutes_per_day, pace.minutes_per_topic, pace.days) == (
        0.75,
        22.5,
        30.0,
        28,
    )
    assert learner_pace([], today=TODAY).topics_per_day == 0


def test_pace_over_a_short_history_counts_from_the_first_study_day() -> None:
    pace = learner_pace(history([1, 1, 0, 2]), today=TODAY)
    assert (pace.topics_per_day, pace.days) == (1.0, 4)


SKILLS = {"python": 0.9, "sql": 0.85, "ml": 0.2, "stats": 0.5, "deep": 0.35}
PATH = {"python", "sql", "ml", "stats", "deep"}


def remaining() -> list[RemainingTopic]:
    return [
        RemainingTopic("py-1", "Python idioms", "track:python", ("python",)),
        RemainingTopic("sql-1", "Window functions", "track:sql", ("sql",)),
        RemainingTopic("ml-1", "Bias and variance", "track:ml", ("ml",)),
        RemainingTopic("st-1", "Hypothesis tests", "track:ml", ("stats",)),
        RemainingTopic("dl-1", "Backprop", "roadmap:dl", ("deep", "python")),
        RemainingTopic("git", "Git rebase", "roadmap:tools", ("git",)),
        RemainingTopic("ml-2", "Regularisation", "track:ml", ("ml",)),
        RemainingTopic("py-2", "Packaging", "track:python", ("python",)),
    ]


def test_priority_puts_the_weakest_path_skills_first_and_mastered_topics_last() -> None:
    order = priority(remaining(), mastery=SKILLS, path_skills=PATH)
    assert [t.key for t in order] == ["ml-1", "ml-2", "dl-1", "st-1", "git", "py-1", "sql-1", "py-2"]


def test_topics_that_fit_say_when_they_are_done() -> None:
    cal = Calendar(PlanSettings(interview=TODAY + timedelta(days=20)))
    advice = pace_to_date(
        remaining(),
        pace=learner_pace(history([1] * 28), today=TODAY),
        calendar=cal,
        today=TODAY,
        mastery=SKILLS,
    )
    assert advice.fits and not advice.compress
    assert advice.finish == TODAY + timedelta(days=7)
    assert advice.message == (
        "At your pace (1.0 topics a day) the 8 remaining topics fit: done by 9 Mar, "
        "before the interview on 22 Mar."
    )


def test_a_faster_pace_is_proposed_when_it_is_within_reach() -> None:
    # 8 topics, 6 study days left, 1 topic a day now: 1.4 a day is within 1.5x.
    cal = Calendar(PlanSettings(interview=TODAY + timedelta(days=6)))
    advice = pace_to_date(
        remaining(),
        pace=learner_pace(history([1] * 28), today=TODAY),
        calendar=cal,
        today=TODAY,
        mastery=SKILLS,
        review_minutes_per_day=20,
    )
    assert advice.fits and advice.compress == ()
    assert advice.proposed_topics_per_day == 1.4
    assert advice.proposed_minutes_per_day == pytest.approx(1.4 * 30 + 20)
    assert advice.message.startswith("Study 1.4 topics a day (about 62 minutes with reviews)")


def test_compression_keeps_the_weakest_skills_and_compresses_mastered_topics_first() -> None:
    # 4 study days at up to 1.5 topics a day: 6 of the 8 fit. The two Python/SQL topics the learner
    # has mastered are compressed; what is kept stays in its original order.
    cal = Calendar(PlanSettings(interview=TODAY + timedelta(days=4)))
    advice = pace_to_date(
        remaining(),
        pace=learner_pace(history([1] * 28), today=TODAY),
        calendar=cal,
        today=TODAY,
        mastery=SKILLS,
        path_skills=PATH,
    )
    assert not advice.fits
    assert [t.key for t in advice.keep] == ["py-1", "ml-1", "st-1", "dl-1", "git", "ml-2"]
    assert [t.key for t in advice.compress] == ["py-2", "sql-1"]
    assert advice.message.startswith(
        "The 8 remaining topics do not fit before the interview on 6 Mar even at 1.5"
    )


def test_easy_days_and_breaks_shrink_the_days_left() -> None:
    settings = PlanSettings(
        interview=TODAY + timedelta(days=14),
        easy_days={6: 0.5},
        breaks=(Break(TODAY + timedelta(days=2), TODAY + timedelta(days=5)),),
    )
    advice = pace_to_date(
        remaining(),
        pace=learner_pace(history([1] * 28), today=TODAY),
        calendar=Calendar(settings),
        today=TODAY,
        mastery=SKILLS,
    )
    assert advice.study_days == 14 - 4 - 2 * 0.5


def test_pace_needs_an_interview_date() -> None:
    with pytest.raises(ValueError, match="interview date"):
        pace_to_date(
            remaining(),
            pace=learner_pace([], today=TODAY),
            calendar=Calendar(PlanSettings()),
            today=TODAY,
            mastery={},
        )


def test_with_no_study_day_left_everything_is_compressed() -> None:
    # The interview is today; the only day before it is inside a break.
    settings = PlanSettings(
        interview=TODAY, breaks=(Break(TODAY - timedelta(days=1), TODAY - timedelta(days=1)),)
    )
    advice = pace_to_date(
        remaining(),
        pace=learner_pace(history([1] * 28), today=TODAY),
        calendar=Calendar(settings),
        today=TODAY,
        mastery=SKILLS,
        path_skills=PATH,
    )
    assert not advice.fits and advice.keep == () and len(advice.compress) == 8
    assert (
        advice.compress[0].key == "py-2" and advice.compress[-1].key == "ml-1"
    )  # mastered first, weakest last
    assert advice.message == "No study day is left before the interview on 2 Mar."
