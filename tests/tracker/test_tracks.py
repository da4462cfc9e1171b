"""Tracks start when first used, pause and resume without a catch-up pile, and can be hidden.

Every test pins the clock (``TODAY`` and days counted from it) and runs on a real SQLite file.
"""

from __future__ import annotations

import json
from datetime import UTC, date, timedelta

import pytest
from sqlalchemy.orm import Session

from study_tracker.config import Settings
from study_tracker.content.curriculum import load_tracks
from study_tracker.db.engine import session_scope
from study_tracker.db.models import TrackSetting
from study_tracker.errors import InvalidInput, NotFound
from study_tracker.tracker import agenda, service, settings_store, stats
from study_tracker.tracker.days import current_day
from study_tracker.tracker.startup import prepare
from tests.conftest import TODAY
from tests.tracker.test_service import complete, moment


def day(n: int) -> date:
    """TODAY + n days."""
    return TODAY + timedelta(days=n)


def update(session: Session, settings: Settings, track: str, on: date = TODAY, **changes: object):  # type: ignore[no-untyped-def]
    return settings_store.update_track(
        session, data_dir=settings.data_dir, track=track, changes=changes, zone=UTC, today=on
    )


def tracks(session: Session, group: str, on: date) -> dict[str, tuple[int, str, list[int]]]:
    view = agenda.today_view(session, group=group, today=on)
    return {t.track.slug: (t.day, t.status, t.missed) for t in view.tracks}


@pytest.mark.parametrize(
    ("start", "accel", "today", "paused_since", "paused_days", "expected"),
    [
        (None, 0, day(30), None, 0, 1),  # not started: day 1 whatever the date
        (None, 5, day(30), None, 0, 6),  # README: "5 on a track started today shows day 6"
        (TODAY, 5, TODAY, None, 0, 6),
        (TODAY, 0, day(3), None, 0, 4),
        (TODAY, 0, day(10), day(3), 0, 4),  # paused on day 4: stays there
        (TODAY, 0, day(10), day(3), 2, 2),  # earlier pauses are taken off
        (day(5), 0, TODAY, None, 0, -4),  # a start in the future
        (day(5), 0, day(8), day(1), 0, 1),  # paused before its start: day 1 once it starts
    ],
)
def test_day_arithmetic(start, accel, today, paused_since, paused_days, expected) -> None:  # type: ignore[no-untyped-def]
    assert current_day(start, accel, today, paused_since=paused_since, paused_days=paused_days) == expected


def test_an_unused_group_never_piles_up_catch_up_days(session: Session) -> None:
    """Two weeks of ML only: SWE still opens on day 1, with nothing to catch up."""
    for n in range(14):
        complete(session, "ml_algorithms", n + 1, on=day(n))
    swe = tracks(session, "swe", day(14))
    assert swe == {
        "coding_patterns": (1, "not_started", []),
        "system_design": (1, "not_started", []),
    }
    view = agenda.today_view(session, group="swe", today=day(14))
    firsts = [load_tracks()[slug].days[0].title for slug in ("coding_patterns", "system_design")]
    assert [t.topic.title for t in view.tracks if t.topic and t.offers_topic] == firsts
    assert tracks(session, "ml_specialist", day(14))["ml_algorithms"] == (15, "finished", [])


def test_the_first_completion_starts_the_track_that_day(session: Session) -> None:
    assert service.track_day(session, track="system_design", today=day(9)) == 1
    complete(session, "system_design", 1, on=day(9))
    assert session.get(TrackSetting, "system_design").start_date == day(9)  # type: ignore[union-attr]
    assert tracks(session, "swe", day(9))["system_design"] == (1, "active", [])
    # From then on days count: skipping two days leaves two to catch up.
    assert tracks(session, "swe", day(12))["system_design"] == (4, "active", [2, 3])
    # A second completion does not move the start.
    complete(session, "system_design", 4, on=day(12))
    assert session.get(TrackSetting, "system_design").start_date == day(9)  # type: ignore[union-attr]


def test_a_later_topic_done_first_starts_the_track_on_day_one(session: Session) -> None:
    """Studying day 3 of a track not started (from a What-next link) starts it that day, on day 1:
    day 3 is done ahead and days 1-2 are not 'missed'."""
    complete(session, "recommendations", 3, on=day(2))
    assert tracks(session, "ml_specialist", day(2))["recommendations"] == (1, "active", [])
    assert tracks(session, "ml_specialist", day(4))["recommendations"] == (3, "active", [1, 2])


def test_an_explicit_start_date(session: Session, prepared: Settings) -> None:
    update(session, prepared, "coding_patterns", start_date=day(-3))
    assert tracks(session, "swe", TODAY)["coding_patterns"] == (4, "active", [1, 2, 3])
    update(session, prepared, "coding_patterns", start_date=day(2))
    assert tracks(session, "swe", TODAY)["coding_patterns"] == (-1, "upcoming", [])
    # Clearing it makes the track not started again: day 1, started by its next completion.
    update(session, prepared, "coding_patterns", start_date=None)
    assert tracks(session, "swe", day(40))["coding_patterns"] == (1, "not_started", [])


def test_pause_stops_the_count_and_resume_continues_where_it_stopped(
    session: Session, prepared: Settings
) -> None:
    complete(session, "ml_algorithms", 1, on=TODAY)
    complete(session, "ml_algorithms", 2, on=day(1))
    update(session, prepared, "ml_algorithms", on=day(2), paused=True)  # paused on day 3, not done
    for later in (day(2), day(6), day(20)):
        assert tracks(session, "ml_specialist", later)["ml_algorithms"] == (3, "paused", [])
    view = agenda.today_view(session, group="ml_specialist", today=day(20))
    assert not view.tracks[0].offers_topic
    # Resumed 18 days later: day 3 again, no catch-up pile; the days paused are remembered.
    update(session, prepared, "ml_algorithms", on=day(20), paused=False)
    assert tracks(session, "ml_specialist", day(20))["ml_algorithms"] == (3, "active", [])
    assert tracks(session, "ml_specialist", day(21))["ml_algorithms"] == (4, "active", [3])
    assert session.get(TrackSetting, "ml_algorithms").paused_days == 18  # type: ignore[union-attr]
    # A second pause adds to the first.
    update(session, prepared, "ml_algorithms", on=day(22), paused=True)
    update(session, prepared, "ml_algorithms", on=day(25), paused=False)
    assert tracks(session, "ml_specialist", day(25))["ml_algorithms"] == (5, "active", [3, 4])


def test_reviews_of_a_paused_track_are_still_listed_with_a_note(session: Session, prepared: Settings) -> None:
    c = complete(session, "ml_algorithms", 1)
    update(session, prepared, "ml_algorithms", paused=True)
    [review] = agenda.due_reviews(session, group="ml_specialist", today=day(1))
    assert review.completion_id == c.id and review.track_paused
    service.log_review(session=session, completion_id=c.id, rating=3, notes="", now=moment(day(1)), zone=UTC)
    assert agenda.next_review_date(session, completion_id=c.id) == day(3)


def test_a_paused_track_not_started_yet_starts_paused(session: Session, prepared: Settings) -> None:
    update(session, prepared, "recommendations", paused=True)
    complete(session, "recommendations", 1, on=day(4))
    assert tracks(session, "ml_specialist", day(9))["recommendations"] == (1, "paused", [])


def test_hidden_tracks_leave_today_history_and_the_review_lists(session: Session, prepared: Settings) -> None:
    c = complete(session, "coding_patterns", 1)
    complete(session, "system_design", 1)
    update(session, prepared, "coding_patterns", on=day(1), hidden=True)
    view = agenda.today_view(session, group="swe", today=day(1))
    assert [t.track.slug for t in view.tracks] == ["system_design"]
    assert [t.slug for t in view.hidden] == ["coding_patterns"]
    assert [r.track.slug for r in view.reviews] == ["system_design"]  # its review waits
    h = stats.history(session, group="swe", today=day(1))
    assert [p.track.slug for p in h.progress] == ["system_design"]
    assert sum(n for _, n in h.forecast) == 4  # system design's four reviews only
    assert h.totals["completions"] == 2  # the log keeps everything
    # Hiding a started track pauses it: shown again ten days later, it is where it was.
    config = settings_store.get_config(session, "swe").tracks["coding_patterns"]
    assert config.hidden and config.paused
    update(session, prepared, "coding_patterns", on=day(10), hidden=False, paused=False)
    assert tracks(session, "swe", day(10))["coding_patterns"] == (2, "active", [])
    # Its review came back, overdue, and the review page still opened it while hidden.
    assert c.id in [r.completion_id for r in agenda.due_reviews(session, group="swe", today=day(10))]


def test_a_hidden_review_can_still_be_opened_by_id(session: Session, prepared: Settings) -> None:
    c = complete(session, "coding_patterns", 1)
    update(session, prepared, "coding_patterns", hidden=True)
    assert agenda.get_due_review(session, completion_id=c.id, today=day(1)).completion_id == c.id


def test_next_reviews_after_today(session: Session, prepared: Settings) -> None:
    assert agenda.next_reviews_after(session, group="ml_specialist", today=TODAY) is None
    complete(session, "ml_algorithms", 1)
    complete(session, "recommendations", 1)
    complete(session, "ml_system_design", 1, on=day(1))
    upcoming = agenda.next_reviews_after(session, group="ml_specialist", today=TODAY)
    assert upcoming is not None and (upcoming.due_date, upcoming.count) == (day(1), 2)
    update(session, prepared, "ml_algorithms", hidden=True)
    upcoming = agenda.next_reviews_after(session, group="ml_specialist", today=TODAY)
    assert upcoming is not None and upcoming.count == 1


@pytest.mark.parametrize(
    ("track", "changes", "field"),
    [
        ("ml_algorithms", {"start_date": "someday"}, "tracks.ml_algorithms.start_date"),
        ("ml_algorithms", {"acceleration_days": -1}, "tracks.ml_algorithms.acceleration_days"),
        ("ml_algorithms", {"paused": "maybe"}, "tracks.ml_algorithms.paused"),
        ("ml_algorithms", {"colour": "blue"}, "tracks.ml_algorithms.colour"),
    ],
)
def test_update_track_names_the_field_and_saves_nothing(
    session: Session, prepared: Settings, track, changes, field
) -> None:  # type: ignore[no-untyped-def]
    before = settings_store.get_config(session, "ml_specialist")
    with pytest.raises(InvalidInput) as info:
        update(session, prepared, track, **changes)
    assert info.value.errors[0].field == field
    assert settings_store.get_config(session, "ml_specialist") == before


def test_update_track_of_an_unknown_track(session: Session, prepared: Settings) -> None:
    with pytest.raises(NotFound, match="unknown track"):
        update(session, prepared, "nope", paused=True)


def test_config_file_mirrors_the_new_fields_and_a_first_use_survives_a_restart(prepared: Settings) -> None:
    """config.json still says "not started" after a completion starts a track: a restart (which
    reads the file back) keeps the track started; a hand edit of pause and hide is applied."""
    with session_scope(prepared.db_url) as s:
        complete(s, "ml_algorithms", 1)
    path = settings_store.config_path(prepared.data_dir, "ml_specialist")
    edited = json.loads(path.read_text())
    assert edited["tracks"]["ml_algorithms"]["start_date"] is None  # written before the completion
    edited["tracks"]["recommendations"]["hidden"] = True
    edited["tracks"]["ml_system_design"]["paused"] = True
    path.write_text(json.dumps(edited))
    prepare(prepared)
    with session_scope(prepared.db_url) as s:
        config = settings_store.get_config(s, "ml_specialist").tracks
        assert config["ml_algorithms"].start_date == TODAY
        assert config["recommendations"].hidden and config["ml_system_design"].paused
    assert json.loads(path.read_text())["tracks"]["ml_algorithms"]["start_date"] == TODAY.isoformat()
