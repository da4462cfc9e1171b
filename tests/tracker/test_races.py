"""Simultaneous writes over real HTTP end with one entry and 409s, never two entries or a 500.

Ten threads wait on one barrier and then send the same request to the real app served by
uvicorn; afterwards the log is read back from the database file.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, timedelta

from sqlalchemy import func, select

from study_tracker.config import Settings
from study_tracker.db.engine import session_scope
from study_tracker.db.models import Completion, ReviewLog, Undo
from study_tracker.tracker import agenda, service
from tests.conftest import TODAY
from tests.served_app import at_once, served
from tests.tracker.test_service import moment

N = 10


def _statuses(responses) -> Counter[int]:  # type: ignore[no-untyped-def]
    return Counter(r.status_code for r in responses)


def test_ten_simultaneous_completions_of_a_day_log_one(prepared: Settings) -> None:
    with served(prepared) as url:
        answers = at_once(
            N,
            lambda c: c.post("/api/completions", json={"track": "ml_algorithms", "day": 2, "difficulty": 3}),
            url,
        )
    assert _statuses(answers) == {201: 1, 409: N - 1}, [r.text for r in answers]
    refused = [r.json()["detail"] for r in answers if r.status_code == 409]
    assert all("ML Algorithms day 2" in m for m in refused), refused
    with session_scope(prepared.db_url) as s:
        rows = s.scalars(
            select(Completion).where(Completion.track == "ml_algorithms", Completion.day == 2)
        ).all()
        assert len(rows) == 1 and rows[0].slot == f"ml_algorithms:2:{TODAY}"


def test_ten_simultaneous_good_ratings_log_one_review_and_keep_the_schedule(prepared: Settings) -> None:
    yesterday = TODAY - timedelta(days=1)
    with session_scope(prepared.db_url) as s:
        c = service.complete_topic(
            session=s, track="ml_algorithms", day=1, difficulty=3, notes="", now=moment(yesterday), zone=UTC
        )
    with served(prepared) as url:
        answers = at_once(N, lambda client: client.post(f"/api/reviews/{c.id}", json={"rating": 3}), url)
    assert _statuses(answers) == {201: 1, 409: N - 1}, [r.text for r in answers]
    with session_scope(prepared.db_url) as s:
        assert s.scalar(select(func.count()).select_from(ReviewLog)) == 1
        # The topic stays on the schedule: the next review is the 3-day one (not graduated).
        assert agenda.next_review_date(s, completion_id=c.id) == TODAY - timedelta(days=1) + timedelta(days=3)


def test_ten_simultaneous_undos_of_one_entry_undo_it_once(prepared: Settings) -> None:
    with session_scope(prepared.db_url) as s:
        service.complete_topic(
            session=s, track="system_design", day=1, difficulty=2, notes="", now=moment(TODAY), zone=UTC
        )
    with served(prepared) as url:
        answers = at_once(N, lambda c: c.post("/api/undo", params={"group": "swe"}), url)
    assert _statuses(answers) == {200: 1, 409: N - 1}, [r.text for r in answers]
    assert all("nothing to undo" in r.json()["detail"] for r in answers if r.status_code == 409)
    with session_scope(prepared.db_url) as s:
        assert s.scalar(select(func.count()).select_from(Undo)) == 1


def test_simultaneous_undos_pinned_to_the_last_entry_undo_only_that_one(prepared: Settings) -> None:
    with session_scope(prepared.db_url) as s:
        for day in (1, 2, 3):
            last = service.complete_topic(
                session=s,
                track="coding_patterns",
                day=day,
                difficulty=2,
                notes="",
                now=moment(TODAY, 9 + day),
                zone=UTC,
            )
    entry = f"completion:{last.id}"
    with served(prepared) as url:
        # What a double-click (or ten) on Today's Undo sends: the entry the page showed as last.
        answers = at_once(N, lambda c: c.post("/api/undo", params={"group": "swe", "entry": entry}), url)
    assert _statuses(answers) == {200: 1, 409: N - 1}, [r.text for r in answers]
    with session_scope(prepared.db_url) as s:
        assert [u.completion_id for u in s.scalars(select(Undo))] == [last.id]
        assert service.completion_for(s, track="coding_patterns", day=2) is not None


def test_unpinned_simultaneous_undos_undo_each_entry_at_most_once(prepared: Settings) -> None:
    with session_scope(prepared.db_url) as s:
        made = [
            service.complete_topic(
                session=s,
                track="coding_patterns",
                day=d,
                difficulty=2,
                notes="",
                now=moment(TODAY, 9 + d),
                zone=UTC,
            ).id
            for d in (1, 2, 3)
        ]
    with served(prepared) as url:
        answers = at_once(N, lambda c: c.post("/api/undo", params={"group": "swe"}), url)
    # Each request undoes whatever is last when it runs: three entries, three undos, no entry twice.
    assert _statuses(answers) == {200: 3, 409: N - 3}, [r.text for r in answers]
    assert sorted(r.json()["entry"] for r in answers if r.status_code == 200) == sorted(
        f"completion:{i}" for i in made
    )
    with session_scope(prepared.db_url) as s:
        assert sorted(u.completion_id for u in s.scalars(select(Undo))) == made
        # An undone completion frees its day: it can be completed again.
        service.complete_topic(
            session=s, track="coding_patterns", day=1, difficulty=1, notes="", now=moment(TODAY, 15), zone=UTC
        )


def test_a_double_click_on_todays_undo_undoes_one_entry(client) -> None:  # type: ignore[no-untyped-def]
    for day in (1, 2):
        assert (
            client.post(
                "/api/completions", json={"track": "system_design", "day": day, "difficulty": 2}
            ).status_code
            == 201
        )
    # Today's Undo opens a confirm page that names the entry; its button posts it.
    page = client.get("/undo", params={"group": "swe"}).text
    entry = page.split('name="entry" value="')[1].split('"')[0]
    assert entry.startswith("completion:")
    first = client.post("/undo", data={"group": "swe", "entry": entry}, follow_redirects=False)
    assert "Undid" in client.get(first.headers["location"]).text
    second = client.post("/undo", data={"group": "swe", "entry": entry}, follow_redirects=False)
    assert "nothing to undo" in client.get(second.headers["location"]).text
    assert client.get("/api/history", params={"group": "swe"}).json()["totals"]["completions"] == 1
