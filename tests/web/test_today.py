"""Today through the real app: the first-run welcome, completion feedback, paused and hidden
tracks on the page and the Config form, the per-track API, and a calm What-next panel."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from study_tracker.coach.what_next import TODAY_ITEMS
from study_tracker.db.engine import session_scope
from study_tracker.roadmaps import service as roadmaps
from study_tracker.tracker import settings_store

SAMPLES = Path(__file__).parents[1] / "roadmaps" / "samples"
ML = "/?group=ml_specialist"


def cards(html: str) -> dict[str, str]:
    """Each track card's slug and status on a Today page."""
    return dict(re.findall(r'<article class="track" data-track="(\w+)" data-status="(\w+)">', html))


def card(html: str, slug: str) -> str:
    start = html.index(f'data-track="{slug}"')
    return html[start : html.index("</article>", start)]


def test_the_welcome_is_shown_on_first_run_and_dismissed_for_good(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get(ML).text
    assert 'id="welcome"' in page
    assert "Mark it complete with a difficulty" in page and "Reviews bring it back" in page
    # The current group's form comes first; each names its group.
    assert re.findall(r'class="welcome-group" data-group="(\w+)"', page) == ["ml_specialist", "swe"]
    assert client.get("/api/today", params={"group": "swe"}).json()["welcome"] is True
    r = client.post("/welcome/dismiss", data={"group": "ml_specialist"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == ML
    assert 'id="welcome"' not in client.get(ML).text
    assert client.get("/api/today", params={"group": "swe"}).json()["welcome"] is False


def test_the_welcome_goes_once_something_is_completed(client) -> None:  # type: ignore[no-untyped-def]
    client.post("/tracks/system_design/days/1/complete", data={"difficulty": "2"})
    assert 'id="welcome"' not in client.get("/?group=swe").text
    client.post("/undo", data={"group": "swe"})
    assert 'id="welcome"' not in client.get("/?group=swe").text  # not a first run any more


def test_the_welcome_starts_the_chosen_tracks_and_hides_the_others(client) -> None:  # type: ignore[no-untyped-def]
    r = client.post(
        "/welcome", data={"group": "ml_specialist", "tracks": ["ml_algorithms"]}, follow_redirects=False
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/?group=ml_specialist"  # the message travels in the session
    page = client.get(ML).text
    assert 'id="flash">Started ML Algorithms today</div>' in page
    assert cards(page) == {"ml_algorithms": "active"}
    assert "2 hidden tracks (ML System Design, Recommendations)" in page and 'id="welcome"' not in page
    config = client.get("/api/config/ml_specialist").json()["tracks"]
    assert config["ml_algorithms"]["start_date"] == "2026-11-22"
    assert config["recommendations"] == {
        "start_date": None,
        "acceleration_days": 0,
        "paused": False,  # not started: nothing to pause
        "hidden": True,
    }
    assert cards(client.get("/?group=swe").text) == {
        "coding_patterns": "not_started",
        "system_design": "not_started",
    }


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"group": "ml_specialist"}, 422, "Tracks</a>: pick at least one track"),
        (
            {"group": "ml_specialist", "tracks": ["coding_patterns"]},
            422,
            "coding_patterns is not a track of ml_specialist",
        ),
        ({"group": "nope", "tracks": ["ml_algorithms"]}, 404, "unknown group"),
    ],
)
def test_the_welcome_refuses_bad_choices_and_saves_nothing(client, settings, form, status, message) -> None:  # type: ignore[no-untyped-def]
    before = settings_store.config_path(settings.data_dir, "ml_specialist").read_text()
    r = client.post("/welcome", data=form)
    assert r.status_code == status and message in r.text
    assert settings_store.config_path(settings.data_dir, "ml_specialist").read_text() == before
    assert 'id="welcome"' in client.get(ML).text  # still offered


def test_the_welcome_api(client) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/welcome", json={"group": "swe", "tracks": ["system_design", "system_design"]})
    assert r.status_code == 200
    assert r.json()["tracks"]["system_design"]["start_date"] == "2026-11-22"
    assert r.json()["tracks"]["coding_patterns"]["hidden"] is True
    today = client.get("/api/today", params={"group": "swe"}).json()
    assert today["welcome"] is False and today["hidden_tracks"] == ["coding_patterns"]
    assert [(t["track"], t["status"]) for t in today["tracks"]] == [("system_design", "active")]
    bad = client.post("/api/welcome", json={"group": "swe", "tracks": [], "colour": "red"})
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["colour"]
    assert client.post("/api/welcome/dismiss").json() == {"welcome": False}


def test_completing_says_when_the_topic_comes_back(client) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/tracks/ml_algorithms/days/1/complete", data={"difficulty": "4"}, follow_redirects=False)
    message = "Completed ML Algorithms day 1. Next review on 23 Nov (tomorrow)."
    assert r.headers["location"] == "/?group=ml_specialist"
    page = client.get(r.headers["location"]).text
    assert f'id="flash">{message}</div>' in page
    assert 'id="flash"' not in client.get(r.headers["location"]).text  # shown once
    made = client.post("/api/completions", json={"track": "recommendations", "difficulty": 1})
    assert made.json()["next_review"] == "2026-11-23"
    assert made.json()["message"] == "Completed Recommendations day 1. Next review on 23 Nov (tomorrow)."


def test_not_started_tracks_offer_day_one_and_say_so(client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.today = date(2026, 12, 20)  # four weeks after install: still day 1, nothing to catch up
    page = client.get("/?group=swe").text
    assert cards(page) == {"coding_patterns": "not_started", "system_design": "not_started"}
    assert "Not started: your first completion starts it" in card(page, "system_design")
    assert "Catch up" not in page and "Study this topic" in card(page, "system_design")
    assert client.get("/api/today", params={"group": "swe"}).json()["tracks"][1]["status"] == "not_started"


def test_pausing_and_hiding_on_the_config_page(client, settings) -> None:  # type: ignore[no-untyped-def]
    client.post("/tracks/ml_algorithms/days/1/complete", data={"difficulty": "3"})
    settings.today = date(2026, 11, 23)  # paused the next day, on day 2
    form = {
        "group": "ml_specialist",
        "tracks.ml_algorithms.start_date": "2026-11-22",
        "tracks.ml_algorithms.acceleration_days": "0",
        "tracks.ml_algorithms.paused": "on",
        "tracks.recommendations.start_date": "",
        "tracks.recommendations.acceleration_days": "0",
        "tracks.recommendations.hidden": "on",
    }
    assert client.post("/config", data=form, follow_redirects=False).status_code == 303
    config = client.get("/config?group=ml_specialist").text
    assert re.search(r'name="tracks.ml_algorithms.paused" checked', config)
    assert re.search(r'name="tracks.recommendations.hidden" checked', config)
    assert "Day 1 · hidden · not started" in config

    settings.today = date(2026, 11, 30)  # a week later: ML Algorithms is still on day 2, paused
    page = client.get(ML).text
    assert cards(page) == {"ml_algorithms": "paused", "ml_system_design": "not_started"}
    paused = card(page, "ml_algorithms")
    assert "Day 2" in paused and "Paused since 2026-11-23 on day 2" in paused
    assert "Study this topic" not in paused and "Catch up" not in paused
    # Its review is still listed, with a note; hidden Recommendations is named under the cards.
    reviews = page[page.index('id="reviews"') : page.index('id="topics"')]
    assert "ML Algorithms is paused: its reviews go on" in reviews
    assert "1 hidden track (Recommendations)" in page

    # Resumed (the box unticked): day 2 again, no catch-up pile.
    form.pop("tracks.ml_algorithms.paused")
    client.post("/config", data=form)
    assert cards(client.get(ML).text)["ml_algorithms"] == "active"
    assert client.get("/api/today", params={"group": "ml_specialist"}).json()["tracks"][0]["day"] == 2


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        (
            "/api/config/ml_specialist/tracks/ml_algorithms",
            {"start_date": "soon"},
            422,
            "tracks.ml_algorithms.start_date",
        ),
        (
            "/api/config/ml_specialist/tracks/ml_algorithms",
            {"hidden": "perhaps"},
            422,
            "tracks.ml_algorithms.hidden",
        ),
        ("/api/config/ml_specialist/tracks/ml_algorithms", {"speed": 2}, 422, "tracks.ml_algorithms.speed"),
        ("/api/config/ml_specialist/tracks/ml_algorithms", [1], 422, "tracks.ml_algorithms"),
        ("/api/config/swe/tracks/ml_algorithms", {"paused": True}, 404, None),
        ("/api/config/ml_specialist/tracks/nope", {"paused": True}, 404, None),
    ],
)
def test_patch_track_bad_input(client, path, body, status, field) -> None:  # type: ignore[no-untyped-def]
    before = client.get("/api/config/ml_specialist").json()
    r = client.patch(path, json=body)
    assert r.status_code == status
    if field:
        assert [e["field"] for e in r.json()["errors"]] == [field]
    assert client.get("/api/config/ml_specialist").json() == before


def test_patch_track_pauses_and_clears_a_start(client) -> None:  # type: ignore[no-untyped-def]
    url = "/api/config/swe/tracks/coding_patterns"
    r = client.patch(url, json={"start_date": "2026-11-20", "acceleration_days": 2})
    assert r.json()["tracks"]["coding_patterns"] == {
        "start_date": "2026-11-20",
        "acceleration_days": 2,
        "paused": False,
        "hidden": False,
    }
    assert client.get("/api/today", params={"group": "swe"}).json()["tracks"][0]["day"] == 5
    assert (
        client.patch(url, json={"paused": True}).json()["tracks"]["coding_patterns"]["start_date"]
        == "2026-11-20"
    )
    assert (
        client.patch(url, json={"start_date": None}).json()["tracks"]["coding_patterns"]["start_date"] is None
    )


def test_what_next_on_today_is_capped_with_the_rest_behind_show_more(client, settings) -> None:  # type: ignore[no-untyped-def]
    now = datetime(2026, 11, 22, 9, tzinfo=UTC)
    with session_scope(settings.db_url) as s:
        for path in sorted(SAMPLES.glob("*.md")):
            roadmaps.import_roadmap(
                session=s,
                text=path.read_text(encoding="utf-8"),
                source_name=path.name,
                start_date=date(2026, 11, 2),
                slug=None,
                now=now,
                zone=UTC,
            )
    client.put("/api/goal", json={"path": "machine-learning-engineer"})
    page = client.get(ML).text
    panel = page[page.index('id="what-next"') :]
    first, _, more = panel.partition('<details class="next-more">')
    assert 0 < len(re.findall(r'<li class="next-item"', first)) <= TODAY_ITEMS
    hidden_items = len(re.findall(r'<li class="next-item"', more))
    assert hidden_items and f"Show {hidden_items} more suggestion" in more
    titles = re.findall(r'<li class="next-item" data-kind="\w[\w-]*">\s*<a href="([^"]+)"', panel)
    assert len(titles) == len(set(titles))  # nothing twice
    assert not [t for t in titles if t.startswith(("/reviews/", "/tracks/ml_algorithms/days/1"))]
    # Only roadmaps that belong with ML: the week-by-week coding plan is on the SWE page.
    assert "/roadmaps/week-by-week" not in panel
    assert "/roadmaps/week-by-week" in client.get("/?group=swe").text
