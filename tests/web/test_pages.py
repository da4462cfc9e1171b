"""Pages through the real app and test client: the quick-start steps and their bad inputs."""

from __future__ import annotations

import json
import re

import pytest

from study_tracker.tracker import settings_store


def headings(html: str) -> list[str]:
    return re.findall(r"<h3>(.*?)</h3>", html)


def test_switching_to_ml_shows_three_day_one_sections(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/?group=ml_specialist")
    assert page.status_code == 200
    assert headings(page.text) == [
        "🤖 ML Algorithms - Day 1",
        "🏗️ ML System Design - Day 1",
        "🎯 Recommendations - Day 1",
    ]
    assert "Neural Network Fundamentals" in page.text
    # The choice is remembered: the next page without ?group stays on ML.
    assert "ML Algorithms - Day 1" in client.get("/").text


def test_swe_is_separate(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/?group=swe")
    assert [h.split(" ", 1)[1] for h in headings(page.text)] == [
        "Coding Patterns - Day 1",
        "System Design - Day 1",
    ]


def test_complete_with_difficulty_and_notes_then_review_tomorrow(client, settings) -> None:  # type: ignore[no-untyped-def]
    done = client.post(
        "/tracks/ml_algorithms/days/1/complete",
        data={
            "difficulty": "4",
            "notes": "Vanishing gradients: **sigmoid** saturates <script>alert(1)</script>",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    topic = client.get("/tracks/ml_algorithms/days/1").text
    assert "Completed on 2026-11-22" in topic
    assert "<strong>sigmoid</strong>" in topic and "<script>alert(1)" not in topic

    settings.today = settings.today.replace(day=23)  # move the clock one day
    today = client.get("/?group=ml_specialist").text
    assert "Quick refresh" in today and "1-day review" in today
    [completion_id] = re.findall(r'href="/reviews/(\d+)"', today)
    review = client.get(f"/reviews/{completion_id}").text
    assert "<strong>1 of 2</strong>" in review  # the card loop: one question at a time
    assert client.get(f"/reviews/{completion_id}").text == review  # same questions on reload
    saved = client.post(
        f"/reviews/{completion_id}", data={"rating": "3", "notes": "ok"}, follow_redirects=False
    )
    assert saved.status_code == 303
    assert "No reviews due today" in client.get("/?group=ml_specialist").text


def test_acceleration_days_on_the_config_page(client) -> None:  # type: ignore[no-untyped-def]
    form = {
        "group": "ml_specialist",
        "tracks.ml_algorithms.start_date": "2026-11-22",
        "tracks.ml_algorithms.acceleration_days": "5",
        "settings.review_intervals": "1, 3, 7, 14",
        "settings.scheduler": "fixed",
        "settings.desired_retention": "0.9",
    }
    assert client.post("/config", data=form, follow_redirects=False).status_code == 303
    assert "🤖 ML Algorithms - Day 6" in headings(client.get("/?group=ml_specialist").text)


def test_past_the_end_shows_no_topic(client, settings) -> None:  # type: ignore[no-untyped-def]
    for track in ("ml_algorithms", "ml_system_design", "recommendations"):
        r = client.patch(f"/api/config/ml_specialist/tracks/{track}", json={"start_date": "2026-11-22"})
        assert r.status_code == 200
    settings.today = settings.today.replace(month=12, day=10)  # day 19 of a 14-day track
    page = client.get("/?group=ml_specialist").text
    assert page.count("No topic for day 19") == 3


def test_history_page_has_charts_streak_and_log(client) -> None:  # type: ignore[no-untyped-def]
    client.post("/tracks/system_design/days/1/complete", data={"difficulty": "2", "notes": "CAP"})
    page = client.get("/history?group=swe").text
    data = json.loads(
        re.search(r'<script id="history-data" type="application/json">(.*?)</script>', page, re.S)[1]
    )
    assert data["activity"] == [["2026-11-22", 1]]
    assert data["forecast"][1] == ["2026-11-23", 1] and len(data["forecast"]) == 30
    assert "1 day</p>" in page and "lucide-flame" in page and "System Design - Day 1" in page
    assert "/static/vendor/echarts/echarts.min.js" in page


def test_undo_button(client) -> None:  # type: ignore[no-untyped-def]
    client.post("/tracks/system_design/days/1/complete", data={"difficulty": "2"})
    r = client.post("/undo", data={"group": "swe"})
    assert "Undid completion of System Design day 1" in r.text
    r = client.post("/undo", data={"group": "swe"})
    assert "nothing to undo in SWE" in r.text


def test_every_topic_links_to_its_guide_sections(client) -> None:  # type: ignore[no-untyped-def]
    from study_tracker.content.curriculum import load_tracks

    guides: dict[str, str] = {}
    checked = 0
    for track in load_tracks().values():
        for topic in track.days:
            page = client.get(f"/tracks/{track.slug}/days/{topic.day}").text
            links = re.findall(r'href="(/guides/[^"#]+)#([^"]+)"', page)
            assert links, f"{track.slug} day {topic.day} has no guide link"
            for path, anchor in links:
                if path not in guides:
                    guides[path] = client.get(path).text
                assert f'id="{anchor}"' in guides[path], f"{path} has no section #{anchor}"
                checked += 1
    assert checked == 98 + 28  # every day's guide section, plus the ML cheat sheets


BAD_FORMS = [
    # (path, form, status, message)
    ("/tracks/ml_algorithms/days/1/complete", {"notes": "x"}, 422, "Difficulty</a>: is required"),
    (
        "/tracks/ml_algorithms/days/1/complete",
        {"difficulty": "9"},
        422,
        "Difficulty</a>: must be a whole number from 1",
    ),
    ("/tracks/ml_algorithms/days/1/complete", {"difficulty": "abc"}, 422, "Difficulty</a>: is required"),
    ("/tracks/ml_algorithms/days/99/complete", {"difficulty": "3"}, 404, "No topic for day 99"),
    ("/tracks/nope/days/1/complete", {"difficulty": "3"}, 404, "unknown track"),
    (
        "/config",
        {
            "group": "ml_specialist",
            "tracks.ml_algorithms.start_date": "2026-11-22",
            "tracks.ml_algorithms.acceleration_days": "-1",
        },
        422,
        "ML Algorithms: days ahead (acceleration)</a>: must be greater than or equal to 0",
    ),
    (
        "/config",
        {"group": "ml_specialist", "settings.review_intervals": "1, three, 7"},
        422,
        "Review intervals, value 2</a>: must be a whole number",
    ),
    (
        "/config",
        {"group": "ml_specialist", "tracks.unknown_track.start_date": "2026-11-22"},
        422,
        "Tracks unknown track</a>: unknown track",
    ),
    (
        "/config",
        {"group": "ml_specialist", "tracks.ml_algorithms.start_date": "someday"},
        422,
        "ML Algorithms: start date</a>: must be a date",
    ),
    ("/reviews/12345", {"rating": "3"}, 404, "no review is scheduled"),
]


@pytest.mark.parametrize(("path", "form", "status", "message"), BAD_FORMS)
def test_bad_form_input(client, settings, path, form, status, message) -> None:  # type: ignore[no-untyped-def]
    before = settings_store.config_path(settings.data_dir, "ml_specialist").read_text()
    r = client.post(path, data=form)
    assert r.status_code == status
    assert message in r.text
    assert settings_store.config_path(settings.data_dir, "ml_specialist").read_text() == before
    assert "Completed" not in client.get("/?group=ml_specialist").text


def test_after_a_long_break_today_lists_the_oldest_reviews_and_offers_the_rest(client, settings) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    from study_tracker.db.engine import session_scope
    from study_tracker.tracker import service
    from study_tracker.web.routes.today import REVIEWS_SHOWN

    start = datetime(2026, 9, 1, 9, tzinfo=UTC)
    with session_scope(settings.db_url) as session:
        # each completion leaves a 1-day review overdue
        topics = [("coding_patterns", d) for d in range(1, 29)] + [("system_design", d) for d in range(1, 29)]
        for i, (track, day) in enumerate(topics[: REVIEWS_SHOWN + 5]):
            service.complete_topic(
                session=session,
                track=track,
                day=day,
                difficulty=3,
                notes="",
                now=start + timedelta(days=i),
                zone=UTC,
            )
    due = REVIEWS_SHOWN + 5
    page = client.get("/?group=swe").text
    assert len(re.findall(r'href="/reviews/\d+"', page)) == REVIEWS_SHOWN
    assert f"Show all {due} due reviews" in page and "5 more, oldest first" in page
    everything = client.get("/?group=swe&reviews=all").text
    assert len(re.findall(r'href="/reviews/\d+"', everything)) == due and "Show all" not in everything


def test_a_form_post_is_committed_before_its_redirect_is_sent(settings) -> None:  # type: ignore[no-untyped-def]
    """The browser follows the 303 at once: the write must be visible by then (FastAPI runs a
    dependency's code after ``yield`` after the response unless its scope is "function")."""
    from fastapi.testclient import TestClient
    from sqlalchemy import func, select

    from study_tracker.db.engine import session_scope
    from study_tracker.db.models import Completion
    from study_tracker.web.app import create_app

    app = create_app(settings)
    rows_when_sent: list[int] = []

    async def spy(scope, receive, send):  # type: ignore[no-untyped-def]
        async def watched_send(message):  # type: ignore[no-untyped-def]
            if message["type"] == "http.response.start" and scope.get("method") == "POST":
                with session_scope(settings.db_url) as s:
                    rows_when_sent.append(s.scalar(select(func.count()).select_from(Completion)))
            await send(message)

        await app(scope, receive, watched_send)

    with TestClient(spy) as c:
        r = c.post("/tracks/ml_algorithms/days/1/complete", data={"difficulty": "3"}, follow_redirects=False)
    assert r.status_code == 303 and rows_when_sent == [1]


@pytest.mark.parametrize(
    ("path", "form", "field", "message"),
    [
        (
            "/tracks/ml_algorithms/days/1/complete",
            {"notes": "x"},
            "error-difficulty",
            "Difficulty is required",
        ),
        (
            "/config",
            {"group": "ml_specialist", "settings.review_intervals": "1, three, 7"},
            "error-settings-review-intervals-1",
            "Review intervals, value 2 must be a whole number",
        ),
    ],
)
def test_a_refused_field_is_marked_with_its_message_beside_it(client, path, form, field, message) -> None:  # type: ignore[no-untyped-def]
    html = client.post(path, data=form).text
    # The input points at the message next to it; the summary at the top links to that message.
    assert f'aria-invalid="true" aria-describedby="{field}"' in html
    assert re.search(f'<small class="field-error" id="{field}">.*?{message}', html)
    assert f'href="#{field}"' in html


def test_undo_asks_first_and_says_what_it_undoes(client) -> None:  # type: ignore[no-untyped-def]
    assert 'action="/undo"' not in client.get("/?group=swe").text  # nothing to undo: no button
    client.post("/tracks/system_design/days/1/complete", data={"difficulty": "2"})
    today = client.get("/?group=swe").text
    assert '<form method="get" action="/undo"' in today
    confirm = client.get("/undo?group=swe").text
    assert "Undo your last completion?" in confirm
    assert "System Design day 1: The System Design Interview Framework</strong>, logged 22 Nov" in confirm
    assert client.get("/api/history?group=swe").json()["totals"]["completions"] == 1  # asking changed nothing
    entry = re.search(r'name="entry" value="(completion:\d+)"', confirm)
    assert entry
    done = client.post("/undo", data={"group": "swe", "entry": entry[1]})
    assert "Undid completion of System Design day 1" in done.text
    assert "Nothing to undo" in client.get("/undo?group=swe").text
