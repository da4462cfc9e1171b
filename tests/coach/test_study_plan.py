"""The plan read from the database: what Today lists as due under the plan, with exact dates for a
deadline, a break, Easy Days, and logging a review the plan pulled in."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from study_tracker.coach import study_plan
from study_tracker.errors import Conflict, InvalidInput
from study_tracker.tracker import agenda, service, settings_store
from study_tracker.tracker.srs import Recall


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def nov(day: int) -> date:
    return date(2026, 11, day)


def set_plan(session: Session, tmp_path: Path, today: date, **plan: object) -> None:
    settings_store.save_plan(session, data_dir=tmp_path, group="swe", plan=plan, zone=UTC, today=today)


def ladder_topic(session: Session, day: int = 1) -> int:
    """Coding patterns day ``day``: completed 1 Nov, reviewed on 2, 4 and 8 Nov (1-3-7 days):
    the ladder's last step (14 days) is due on 15 Nov."""
    c = service.complete_topic(
        session=session, track="coding_patterns", day=day, difficulty=3, notes="", now=at(nov(1)), zone=UTC
    )
    for when in (nov(2), nov(4), nov(8)):
        service.log_review(
            session=session, completion_id=c.id, rating=Recall.good, notes="", now=at(when), zone=UTC
        )
    assert agenda.next_review_date(session, completion_id=c.id) == nov(15)
    return c.id


def due_ids(session: Session, today: date) -> list[int]:
    view = agenda.today_view(session, group="swe", today=today)
    planned = study_plan.due_by_plan(session, view=view, now=at(today, 8), zone=UTC)
    return [r.completion_id for r in planned.reviews]


def test_without_a_plan_today_lists_what_the_scheduler_says(session: Session) -> None:
    cid = ladder_topic(session)
    assert due_ids(session, nov(14)) == []
    assert due_ids(session, nov(15)) == [cid]


def test_the_interview_pulls_the_last_ladder_step_in_and_it_can_be_logged_then(
    session: Session, tmp_path: Path
) -> None:
    cid = ladder_topic(session)
    set_plan(session, tmp_path, nov(10), interview="2026-11-14", daily_target=60)
    # 15 Nov is after the interview: the step is compressed onto the last day before it.
    assert due_ids(session, nov(12)) == []
    view = study_plan.due_by_plan(
        session, view=agenda.today_view(session, group="swe", today=nov(13)), now=at(nov(13), 8), zone=UTC
    )
    assert [(r.completion_id, r.plan_note) for r in view.reviews] == [
        (cid, "moved from 15 Nov to 13 Nov: interview on 14 Nov")
    ]
    with pytest.raises(Conflict, match="not due until 2026-11-13"):
        study_plan.log_planned_review(
            session=session, completion_id=cid, rating=Recall.good, notes="", now=at(nov(12)), zone=UTC
        )
    log = study_plan.log_planned_review(
        session=session, completion_id=cid, rating=Recall.good, notes="", now=at(nov(13)), zone=UTC
    )
    assert log.local_date == nov(13) and log.due_date == nov(15)


def test_a_break_moves_due_reviews_out_and_spreads_them(session: Session, tmp_path: Path) -> None:
    ids = [ladder_topic(session, day) for day in range(1, 5)]  # four reviews due on 15 Nov
    set_plan(
        session,
        tmp_path,
        nov(10),
        daily_target=2,
        target_unit="reviews",
        breaks=[{"start": "2026-11-14", "end": "2026-11-16"}],
        balance=False,
    )
    assert due_ids(session, nov(15)) == []
    # Spread over the study days after the break, not four on 17 Nov: two a day at most (the
    # target), less where room is kept for the reviews of topics to come at the learner's pace
    # (four topics in the nine days before 10 Nov).
    gp = study_plan.group_plan(session, group="swe", now=at(nov(10), 8), zone=UTC)
    assert gp is not None
    days = {int(r.topic): r.day for r in gp.plan.reviews if not r.projected}
    assert sorted(days.values()) == [nov(17), nov(18), nov(19), nov(20)]
    first = [r for r in gp.plan.reviews if int(r.topic) == ids[0] and not r.projected][0]
    assert first.reason.startswith("moved from 15 Nov to 1") and "break 14-16 Nov" in first.reason


def test_an_easy_day_gets_its_lower_share(session: Session, tmp_path: Path) -> None:
    for day in range(1, 5):
        ladder_topic(session, day)
    # All four are due on Sunday 15 Nov; an Easy Sunday holds a quarter of the 4-review target, so
    # they go to the lighter ordinary days either side (the +-1 day window of the ladder).
    set_plan(
        session, tmp_path, nov(10), daily_target=4, target_unit="reviews", easy_days=["sun"], easy_share=0.25
    )
    gp = study_plan.group_plan(session, group="swe", now=at(nov(10), 8), zone=UTC)
    assert gp is not None
    days = sorted(r.day for r in gp.plan.reviews if not r.projected)
    assert days == [nov(14), nov(14), nov(16), nov(16)]
    notes = {r.reason for r in gp.plan.reviews if not r.projected}
    assert notes == {
        "moved from 15 Nov to 14 Nov: Sunday is an easy day",
        "moved from 15 Nov to 16 Nov: Sunday is an easy day",
    }


def test_the_plan_is_the_same_when_recomputed_from_the_log(session: Session, tmp_path: Path) -> None:
    for day in range(1, 6):
        ladder_topic(session, day)
    set_plan(session, tmp_path, nov(10), interview="2026-11-20", daily_target=3, target_unit="reviews")
    one = study_plan.group_plan(session, group="swe", now=at(nov(10), 8), zone=UTC)
    two = study_plan.group_plan(session, group="swe", now=at(nov(10), 20), zone=UTC)
    assert one is not None and two is not None and one.plan.reviews == two.plan.reviews


def test_plan_settings_are_checked_with_the_field_named(session: Session, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as bad:
        set_plan(session, tmp_path, nov(10), daily_target=0)
    assert bad.value.errors[0].field == "settings.plan.daily_target"
    with pytest.raises(InvalidInput) as bad:
        set_plan(session, tmp_path, nov(10), breaks=[{"start": "2026-11-20", "end": "2026-11-18"}])
    assert bad.value.errors[0].field.startswith("settings.plan.breaks")
    with pytest.raises(InvalidInput) as bad:
        set_plan(session, tmp_path, nov(10), easy_days=["someday"])
    assert bad.value.errors[0].field.startswith("settings.plan.easy_days")
    assert settings_store.get_config(session, "swe").settings.plan is None  # nothing saved


def test_a_plan_turned_off_leaves_the_scheduler_alone(session: Session, tmp_path: Path) -> None:
    cid = ladder_topic(session)
    set_plan(session, tmp_path, nov(10), interview="2026-11-14", enabled=False)
    assert due_ids(session, nov(13)) == []
    assert due_ids(session, nov(15)) == [cid]
    assert study_plan.group_plan(session, group="swe", now=at(nov(13)), zone=UTC) is None
