"""The plan through the real app: ``/api/plan/{group}``, the /plan page and its form (also on
Config), and Today listing what the plan places on today with its reason."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from study_tracker.db.engine import session_scope
from study_tracker.tracker import service
from study_tracker.tracker.srs import Recall


def at(day: date) -> datetime:
    return datetime.combine(day, time(10), tzinfo=UTC)


def ladder_topic(settings) -> int:  # type: ignore[no-untyped-def]
    """Completed 10 Nov and reviewed 11, 13, 17 Nov: the 14-day step is due on 24 Nov 2026."""
    with session_scope(settings.db_url) as s:
        c = service.complete_topic(
            session=s,
            track="coding_patterns",
            day=1,
            difficulty=3,
            notes="",
            now=at(date(2026, 11, 10)),
            zone=UTC,
        )
        for day in (11, 13, 17):
            service.log_review(
                session=s,
                completion_id=c.id,
                rating=Recall.good,
                notes="",
                now=at(date(2026, 11, day)),
                zone=UTC,
            )
        return c.id


def test_api_plan_round_trip_and_field_errors(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/plan/swe").json()["settings"] is None
    body = {
        "interview": "2026-12-20",
        "daily_target": 40,
        "easy_days": ["sun"],
        "breaks": [{"start": "2026-12-01", "end": "2026-12-03"}],
    }
    r = client.put("/api/plan/swe", json=body)
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["settings"]["interview"] == "2026-12-20" and plan["settings"]["easy_days"] == ["sun"]
    assert len(plan["load"]) == 60
    by_day = {d["day"]: d for d in plan["load"]}
    assert by_day["2026-12-02"]["away"] and by_day["2026-12-02"]["capacity"] == 0
    assert by_day["2026-11-29"]["easy"] and by_day["2026-11-29"]["capacity"] == 20
    assert plan["pace"]["remaining"] > 0 and plan["pace"]["message"]
    bad = client.put("/api/plan/swe", json={"daily_target": 0, "easy_share": 3})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {
        "settings.plan.daily_target",
        "settings.plan.easy_share",
    }
    assert client.get("/api/plan/nope").status_code == 404
    assert client.put("/api/plan/swe", json=None).json()["settings"] is None  # removed


def test_today_lists_the_review_the_interview_pulls_in(client, settings) -> None:  # type: ignore[no-untyped-def]
    cid = ladder_topic(settings)
    assert client.get("/api/reviews", params={"group": "swe"}).json() == []
    client.put("/api/plan/swe", json={"interview": "2026-11-23", "daily_target": 60})
    # Today is 22 Nov (the test clock): the last day before the interview takes the step.
    reviews = client.get("/api/reviews", params={"group": "swe"}).json()
    assert [(r["completion_id"], r["due_date"]) for r in reviews] == [(cid, "2026-11-24")]
    assert reviews[0]["plan_note"] == "moved from 24 Nov to 22 Nov: interview on 23 Nov"
    page = client.get("/?group=swe").text
    assert "moved from 24 Nov to 22 Nov: interview on 23 Nov" in page
    logged = client.post(f"/api/reviews/{cid}", json={"rating": 3, "notes": ""})
    assert logged.status_code == 201, logged.text
    assert client.get("/api/reviews", params={"group": "swe"}).json() == []


def test_plan_page_form_saves_and_shows_the_plan(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/plan?group=swe").text
    assert 'id="no-plan"' in page and 'id="plan-form"' in page
    r = client.post(
        "/plan",
        data={
            "group": "swe",
            "enabled": "on",
            "interview": "2026-12-20",
            "daily_target": "30",
            "target_unit": "minutes",
            "easy_sat": "on",
            "easy_share": "0.5",
            "breaks": "2026-12-01:2026-12-03",
            "balance": "on",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/plan?group=swe"
    page = client.get("/plan?group=swe").text
    assert "Plan saved" in page  # the message travels in the session, not the URL
    assert "Interview on Sunday 20 December 2026" in page and 'id="pace"' in page
    assert 'value="2026-12-20"' in page and "2026-12-01:2026-12-03" in page
    refused = client.post("/plan", data={"group": "swe", "daily_target": "30", "breaks": "next week"})
    assert refused.status_code == 422 and 'href="#error-breaks">Breaks</a>' in refused.text
    assert "next week" in refused.text  # the posted value is shown again
    # The Config page carries the same form and comes back to Config.
    config = client.get("/config?group=swe").text
    assert 'id="plan-form"' in config and 'name="back" value="config"' in config
    r = client.post(
        "/plan", data={"group": "swe", "back": "config", "daily_target": "25"}, follow_redirects=False
    )
    assert r.headers["location"] == "/config?group=swe"
    assert client.get("/api/plan/swe").json()["settings"] is None  # saved with "follow the plan" off


def test_history_forecasts_sixty_days_and_draws_the_retention_curve(client, settings) -> None:  # type: ignore[no-untyped-def]
    ladder_topic(settings)  # completed 10 Nov; reviewed 11, 13, 17 Nov; next due 24 Nov
    h = client.get("/api/history", params={"group": "swe"}).json()
    assert len(h["load_forecast"]) == 60 and h["load_planned"] is False
    by_day = {d["date"]: d for d in h["load_forecast"]}
    assert by_day["2026-11-24"]["reviews"] == 1 and by_day["2026-11-24"]["minutes"] > 0
    assert sum(d["reviews"] for d in h["load_forecast"]) == 1  # the ladder's last step
    curve = {p["date"]: p["recall"] for p in h["retention_curve"]}
    assert len(curve) == 121 and min(curve) == "2026-09-23" and max(curve) == "2027-01-21"
    assert curve["2026-11-09"] is None and curve["2026-11-10"] == 1.0  # nothing studied before
    assert 0 < curve["2026-11-23"] < 1 and curve["2026-11-24"] == 1.0  # falls, reset by a review
    # With a plan, the forecast is the plan's (a break empties its days).
    client.put(
        "/api/plan/swe", json={"daily_target": 60, "breaks": [{"start": "2026-11-23", "end": "2026-11-25"}]}
    )
    h = client.get("/api/history", params={"group": "swe"}).json()
    assert h["load_planned"] is True
    planned = {d["date"]: d["reviews"] for d in h["load_forecast"]}
    assert planned["2026-11-24"] == 0 and sum(planned.values()) == 1
    page = client.get("/history?group=swe").text
    assert 'id="load-forecast"' in page and 'id="retention-curve"' in page


def test_the_card_loop_saves_a_review_the_plan_pulls_in(client, settings) -> None:  # type: ignore[no-untyped-def]
    cid = ladder_topic(settings)
    body = {"outcomes": [{"position": 0, "grade": 3}]}
    # Not due (24 Nov) and no plan: the card loop refuses it like the plain review route.
    assert client.post(f"/api/reviews/{cid}/outcomes", json=body).status_code == 409
    client.put("/api/plan/swe", json={"interview": "2026-11-23", "daily_target": 60})
    logged = client.post(f"/api/reviews/{cid}/outcomes", json=body)
    assert logged.status_code == 201, logged.text
    assert logged.json()["review"]["rating"] == 3
    assert client.get("/api/reviews", params={"group": "swe"}).json() == []
