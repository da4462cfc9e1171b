"""Tracker services on a real SQLite file: today, complete, review, undo, groups kept apart."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from study_tracker.db.models import Completion, ReviewLog, TrackSetting, Undo
from study_tracker.errors import Conflict, InvalidInput, NotFound
from study_tracker.tracker import agenda, service, settings_store
from study_tracker.tracker.srs import Recall
from tests.conftest import TODAY


def moment(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def complete(session: Session, track: str, day: int, on: date = TODAY, difficulty: int = 3, notes: str = ""):  # type: ignore[no-untyped-def]
    return service.complete_topic(
        session=session, track=track, day=day, difficulty=difficulty, notes=notes, now=moment(on), zone=UTC
    )


def test_ml_group_shows_three_tracks_on_day_one(session: Session) -> None:
    view = agenda.today_view(session, group="ml_specialist", today=TODAY)
    assert [(t.track.title, t.day) for t in view.tracks] == [
        ("ML Algorithms", 1),
        ("ML System Design", 1),
        ("Recommendations", 1),
    ]
    assert [t.topic.title for t in view.tracks] == [
        "Neural Network Fundamentals",
        "Recommendation System Architecture",
        "Intro to RecSys & Problem Framing",
    ]
    assert view.reviews == []


def test_completion_schedules_reviews_at_1_3_7_14_days(session: Session) -> None:
    c = complete(session, "ml_algorithms", 1, notes="backprop = chain rule")
    seen = []
    day = TODAY
    for _ in range(4):
        due_date = agenda.next_review_date(session, completion_id=c.id)
        seen.append((due_date - TODAY).days)
        day = due_date
        assert agenda.due_reviews(session, group="ml_specialist", today=day - timedelta(days=1)) == []
        [review] = agenda.due_reviews(session, group="ml_specialist", today=day)
        service.log_review(
            session=session, completion_id=c.id, rating=Recall.good, notes="", now=moment(day), zone=UTC
        )
    assert seen == [1, 3, 7, 14]
    assert agenda.next_review_date(session, completion_id=c.id) is None


def test_review_types_and_questions_grow_with_the_interval(session: Session) -> None:
    c = complete(session, "ml_algorithms", 1)
    kinds = []
    for _ in range(4):
        due_date = agenda.next_review_date(session, completion_id=c.id)
        review = agenda.get_due_review(session, completion_id=c.id, today=due_date)
        questions = agenda.review_questions(review)
        assert questions == agenda.review_questions(review)  # seeded: a reload shows the same ones
        kinds.append((review.rtype.label, len(questions)))
        service.log_review(
            session=session, completion_id=c.id, rating=3, notes="", now=moment(due_date), zone=UTC
        )
    assert kinds == [
        ("Quick refresh", 2),
        ("Moderate depth", 3),
        ("Full recall", 4),
        ("Long-term retention", 5),
    ]


def test_due_reviews_list_overdue_first_then_oldest(session: Session) -> None:
    a = complete(session, "ml_algorithms", 1, on=TODAY)
    b = complete(session, "recommendations", 1, on=TODAY + timedelta(days=2))
    later = TODAY + timedelta(days=5)
    due = agenda.due_reviews(session, group="ml_specialist", today=later)
    assert [r.completion_id for r in due] == [a.id, b.id]
    assert [r.overdue_days for r in due] == [4, 2]


def test_groups_keep_separate_progress_and_reviews(session: Session) -> None:
    complete(session, "coding_patterns", 1)
    assert agenda.due_reviews(session, group="swe", today=TODAY + timedelta(days=1))
    assert agenda.due_reviews(session, group="ml_specialist", today=TODAY + timedelta(days=1)) == []
    ml = agenda.today_view(session, group="ml_specialist", today=TODAY)
    assert all(t.completion is None for t in ml.tracks)
    with pytest.raises(Conflict, match="nothing to undo in ML"):
        service.undo_last(session=session, group="ml_specialist", now=moment(TODAY), zone=UTC)


def start_tracks(session: Session, *slugs: str, on: date = TODAY) -> None:
    for slug in slugs:
        session.get(TrackSetting, slug).start_date = on  # type: ignore[union-attr]
    session.flush()


def test_no_topic_past_the_end_of_a_track(session: Session) -> None:
    start_tracks(session, "ml_algorithms", "ml_system_design", "recommendations")
    view = agenda.today_view(session, group="ml_specialist", today=TODAY + timedelta(days=14))
    assert [(t.day, t.topic) for t in view.tracks] == [(15, None)] * 3
    with pytest.raises(NotFound, match="No topic for day 15"):
        complete(session, "ml_algorithms", 15)


def test_acceleration_skips_ahead(session: Session, prepared) -> None:  # type: ignore[no-untyped-def]
    config = settings_store.get_config(session, "ml_specialist").model_dump(mode="json")
    config["tracks"]["ml_algorithms"]["acceleration_days"] = 5
    settings_store.save_config(
        session, data_dir=prepared.data_dir, group="ml_specialist", payload=config, zone=UTC
    )
    view = agenda.today_view(session, group="ml_specialist", today=TODAY)
    assert [t.day for t in view.tracks] == [6, 1, 1]
    assert view.tracks[0].missed == []  # skipped days are not "missed"


def test_missed_days_offer_catch_up(session: Session) -> None:
    complete(session, "ml_algorithms", 1)
    view = agenda.today_view(session, group="ml_specialist", today=TODAY + timedelta(days=3))
    assert view.tracks[0].day == 4 and view.tracks[0].missed == [2, 3]


@pytest.mark.parametrize("difficulty", [0, 6, -1])
def test_difficulty_must_be_1_to_5(session: Session, difficulty: int) -> None:
    with pytest.raises(InvalidInput, match="difficulty"):
        complete(session, "ml_algorithms", 1, difficulty=difficulty)
    assert session.scalar(select(func.count()).select_from(Completion)) == 0


def test_completing_twice_is_refused(session: Session) -> None:
    complete(session, "ml_algorithms", 1)
    with pytest.raises(Conflict, match="already complete"):
        complete(session, "ml_algorithms", 1)


def test_review_before_due_and_bad_rating_are_refused(session: Session) -> None:
    c = complete(session, "ml_algorithms", 1)
    with pytest.raises(Conflict, match="not due until 2026-11-23"):
        service.log_review(
            session=session, completion_id=c.id, rating=3, notes="", now=moment(TODAY), zone=UTC
        )
    with pytest.raises(InvalidInput, match="rating"):
        service.log_review(
            session=session, completion_id=c.id, rating=7, notes="", now=moment(TODAY), zone=UTC
        )
    with pytest.raises(NotFound):
        service.log_review(
            session=session, completion_id=999, rating=3, notes="", now=moment(TODAY), zone=UTC
        )


def test_undo_appends_and_restores_the_schedule(session: Session) -> None:
    c = complete(session, "ml_algorithms", 1)
    tomorrow = TODAY + timedelta(days=1)
    service.log_review(
        session=session, completion_id=c.id, rating=3, notes="", now=moment(tomorrow), zone=UTC
    )
    assert agenda.next_review_date(session, completion_id=c.id) == TODAY + timedelta(days=3)

    undone = service.undo_last(session=session, group="ml_specialist", now=moment(tomorrow, 11), zone=UTC)
    assert undone.kind == "review"
    assert agenda.next_review_date(session, completion_id=c.id) == tomorrow  # the 1-day review is due again

    undone = service.undo_last(session=session, group="ml_specialist", now=moment(tomorrow, 12), zone=UTC)
    assert (undone.kind, undone.track, undone.day) == ("completion", "ml_algorithms", 1)
    assert agenda.next_review_date(session, completion_id=c.id) is None
    # Append-only: the rows are still there, marked by undo entries.
    assert session.scalar(select(func.count()).select_from(Completion)) == 1
    assert session.scalar(select(func.count()).select_from(ReviewLog)) == 1
    assert session.scalar(select(func.count()).select_from(Undo)) == 2
    assert agenda.today_view(session, group="ml_specialist", today=TODAY).tracks[0].completion is None


def test_switching_to_fsrs_recomputes_pending_reviews(session: Session, prepared) -> None:  # type: ignore[no-untyped-def]
    c = complete(session, "ml_algorithms", 1, difficulty=1)
    assert agenda.next_review_date(session, completion_id=c.id) == TODAY + timedelta(days=1)
    config = settings_store.get_config(session, "ml_specialist").model_dump(mode="json")
    config["settings"]["scheduler"] = "fsrs"
    settings_store.save_config(
        session, data_dir=prepared.data_dir, group="ml_specialist", payload=config, zone=UTC
    )
    # FSRS reads difficulty 1 as "Easy": the first review moves out to 8 days.
    assert agenda.next_review_date(session, completion_id=c.id) == TODAY + timedelta(days=8)


def test_unknown_track_and_group(session: Session) -> None:
    with pytest.raises(NotFound, match="unknown track 'nope'"):
        complete(session, "nope", 1)
    with pytest.raises(NotFound, match="unknown group"):
        agenda.today_view(session, group="nope", today=TODAY)


def test_streaks() -> None:
    from study_tracker.tracker.stats import streaks

    days = {TODAY - timedelta(days=i) for i in (1, 2, 3, 7, 8, 9, 10, 11)}
    assert streaks(days, TODAY) == (3, 5)  # today not done yet: the streak still counts from yesterday
    assert streaks(days | {TODAY}, TODAY) == (4, 5)
    assert streaks({TODAY - timedelta(days=2)}, TODAY) == (0, 1)
    assert streaks(set(), TODAY) == (0, 0)


def test_history_counts_retention_progress_and_forecast(session: Session) -> None:
    from study_tracker.tracker.stats import history

    a = complete(session, "ml_algorithms", 1)
    complete(session, "recommendations", 1)
    day2 = TODAY + timedelta(days=1)
    service.log_review(
        session=session, completion_id=a.id, rating=Recall.again, notes="", now=moment(day2), zone=UTC
    )
    day3 = TODAY + timedelta(days=2)
    service.log_review(
        session=session, completion_id=a.id, rating=Recall.good, notes="", now=moment(day3), zone=UTC
    )
    h = history(session, group="ml_specialist", today=day3)
    assert h.retention == 0.5
    assert h.totals == {"completions": 2, "reviews": 2, "active_days": 3}
    assert h.activity == {TODAY: (2, 0), day2: (0, 1), day3: (0, 1)}
    assert [(p.track.slug, p.completed_days) for p in h.progress] == [
        ("ml_algorithms", 1),
        ("ml_system_design", 0),
        ("recommendations", 1),
    ]
    # Recommendations' 1-day review is overdue (counted today); ML Algorithms' 3-day review falls on day 4
    # (completion + 3), then 7 and 14 days after completion.
    due = {d: n for d, n in h.forecast if n}
    assert due == {
        day3: 1,
        TODAY + timedelta(days=3): 2,
        TODAY + timedelta(days=7): 2,
        TODAY + timedelta(days=14): 2,
    }
    assert [e.kind for e in h.recent] == ["review", "review", "completion", "completion"]


def test_ids_past_what_the_database_holds_are_not_found(session: Session) -> None:
    for completion_id in (0, 2**63, 10**30):
        with pytest.raises(NotFound, match="no review is scheduled"):
            service.log_review(
                session=session, completion_id=completion_id, rating=3, notes="", now=moment(TODAY), zone=UTC
            )
        with pytest.raises(NotFound):
            agenda.get_due_review(session, completion_id=completion_id, today=TODAY)
        assert agenda.next_review_date(session, completion_id=completion_id) is None


def test_notes_longer_than_the_api_allows_are_refused(session: Session) -> None:
    with pytest.raises(InvalidInput, match="notes: must be at most 20,000 characters"):
        complete(session, "ml_algorithms", 1, notes="x" * 20_001)
