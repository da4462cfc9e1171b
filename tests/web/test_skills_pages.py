"""Skills, What next, Drill and Report pages and their API, with tables of bad input."""

from __future__ import annotations

import json
import re

import pytest


def chart(html: str) -> dict:  # type: ignore[type-arg]
    found = re.search(r'<script id="skills-data" type="application/json">(.*?)</script>', html, re.S)
    assert found, "the Skills page embeds its chart data"
    return json.loads(found.group(1))  # type: ignore[no-any-return]


def test_goal_form_then_skills_chart_against_target(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/skills")
    assert page.status_code == 200 and "Set as my goal" in page.text
    done = client.post("/skills/goal", data={"path": "ai-integration-engineer", "level": "6-12"})
    assert done.status_code == 200 and "Goal: AI Integration Engineer, 6-12 months" in done.text
    data = chart(done.text)
    assert data["ids"][:3] == ["python-engineering", "api-design", "llm-apis"]
    assert set(data["target"]) == {0.65} and len(data["target"]) == len(data["mastery"])
    assert "Interview topics" in done.text and "Weakest skills" in done.text


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"path": "astronaut", "level": "0-6"}, "path"),
        ({"path": "", "level": ""}, "path"),
        ({"path": "machine-learning-engineer", "level": "1-2"}, "level"),
    ],
)
def test_goal_form_bad_input(client, form: dict[str, str], field: str) -> None:  # type: ignore[no-untyped-def]
    client.post("/skills/goal", data={"path": "machine-learning-engineer", "level": "12-24"})
    page = client.post("/skills/goal", data=form)
    assert page.status_code == 422
    assert f'href="#error-{field}"' in page.text and 'aria-invalid="true"' in page.text
    assert client.get("/api/skills").json()["goal"]["level"] == "12-24"  # the stored goal is kept


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"path": "nope"}, 422, "path"),
        ({"path": "ai-integration-engineer", "level": "0-99"}, 422, "level"),
        ({"level": "0-6"}, 422, "path"),
        ({"path": "ai-integration-engineer", "colour": "red"}, 422, "colour"),
    ],
)
def test_api_goal_bad_input(client, body: dict[str, str], status: int, field: str) -> None:  # type: ignore[no-untyped-def]
    r = client.put("/api/goal", json=body)
    assert r.status_code == status
    assert [e["field"] for e in r.json()["errors"]] == [field]
    assert client.get("/api/skills").json()["goal"] is None


def test_today_shows_what_next_and_passages_load_separately(client) -> None:  # type: ignore[no-untyped-def]
    client.put("/api/goal", json={"path": "machine-learning-engineer"})
    page = client.get("/?group=ml_specialist")
    assert page.status_code == 200 and 'id="what-next"' in page.text
    panel = page.text[page.text.index('id="what-next"') :]
    items = re.findall(r'<li class="next-item" data-kind="(\w[\w-]*)">', panel)
    # Today's topics are the cards above the panel: it adds what they do not show (the weakest skill).
    assert items and set(items) == {"skill"}
    assert "Today&#39;s topic in ML Algorithms" not in panel
    url = re.search(r'hx-get="(/next/passages\?[^"]+)"', page.text)
    assert url
    frag = client.get(url.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"})
    assert frag.status_code == 200 and "<html" not in frag.text and "next-passages" in frag.text
    assert client.get("/next/passages?title=").status_code == 422
    api = client.get("/api/next?group=ml_specialist").json()
    assert [i["kind"] for i in api["items"]][:3] == ["topic", "topic", "topic"]  # the full list
    assert api["items"][0]["reason"] == "Today's topic in ML Algorithms (day 1 of 14)"
    assert client.get("/api/next?group=nope").status_code == 404


def test_drill_page_flow_feeds_skills(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/drill").status_code == 200
    start = client.post(
        "/drill", data={"skill": "attention", "count": "2", "minutes": "5"}, follow_redirects=False
    )
    assert start.status_code == 303
    url = start.headers["location"]
    page = client.get(url)
    assert "<strong>1 of 2</strong>" in page.text and 'data-remaining="300"' in page.text
    assert client.post(url + "/answer", data={"position": "0", "grade": "4"}).status_code == 200
    assert "<strong>2 of 2</strong>" in client.get(url).text
    again = client.post(url + "/answer", data={"position": "0", "grade": "4"})
    assert again.status_code == 409 and "already graded" in again.text
    summary = client.post(url + "/answer", data={"position": "1", "grade": "3"})
    assert (
        summary.status_code == 200
        and 'id="drill-summary"' in summary.text
        and "Answered 2 of 2" in summary.text
    )
    skills = client.get("/api/skills").json()
    attention = next(s for s in skills["other_skills"] if s["id"] == "attention")
    assert attention["score"] == pytest.approx((1.0 + 0.8) / 3, abs=1e-3) and attention["evidence"] == 2
    assert [c["kind"] for c in attention["top"]] == ["drill", "drill"]


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"track": "nope"}, "track"),
        ({"type": "essay"}, "type"),
        ({"skill": "rag"}, "skill"),  # known skill, no bundled question
        ({"count": "0"}, "count"),
        ({"count": "lots"}, "count"),
        ({"minutes": "999"}, "minutes"),
    ],
)
def test_drill_form_bad_input(client, form: dict[str, str], field: str) -> None:  # type: ignore[no-untyped-def]
    page = client.post("/drill", data=form)
    assert page.status_code == 422 and f'href="#error-{field}"' in page.text
    assert client.get("/api/drills/1").status_code == 404  # nothing stored


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"position": 0, "grade": 0}, 422, "grade"),
        ({"position": 0, "grade": "good"}, 422, "grade"),
        ({"position": 5, "grade": 3}, 422, "position"),
        ({"position": 1, "grade": 3}, 422, "position"),
        ({"grade": 3}, 422, "position"),
    ],
)
def test_api_answer_bad_input(client, body: dict[str, object], status: int, field: str) -> None:  # type: ignore[no-untyped-def]
    started = client.post("/api/drills", json={"track": "ml_algorithms", "count": 2})
    assert started.status_code == 201
    drill_id = started.json()["id"]
    r = client.post(f"/api/drills/{drill_id}/answers", json=body)
    assert r.status_code == status and [e["field"] for e in r.json()["errors"]] == [field]
    assert client.get(f"/api/drills/{drill_id}").json()["results"] == []


def test_api_drill_round_trip(client) -> None:  # type: ignore[no-untyped-def]
    started = client.post("/api/drills", json={"track": "system_design", "type": "estimation", "count": 2})
    body = started.json()
    assert started.status_code == 201 and len(body["questions"]) == 2
    assert all(q["type"] == "estimation" and q["track"] == "system_design" for q in body["questions"])
    assert client.get(f"/api/drills/{body['id']}").json()["questions"] == body["questions"]  # same on reload
    r = client.post(f"/api/drills/{body['id']}/answers", json={"position": 0, "grade": 2})
    assert r.status_code == 201 and r.json()["recorded"] is True
    assert client.post("/api/drills", json={"count": 0, "track": "x"}).status_code == 422
    assert client.get("/api/drills/999").status_code == 404


def test_report_page_and_exports(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/report")
    assert (
        page.status_code == 200
        and "Study progress report" in page.text
        and "Completion by track" in page.text
    )
    html = client.get("/report/export?format=html")
    assert html.status_code == 200 and html.text.startswith("<!doctype html>")
    assert "attachment" in html.headers["content-disposition"] and html.headers["content-type"].startswith(
        "text/html"
    )
    md = client.get("/report/export?format=md")
    assert md.status_code == 200 and md.text.startswith("# Study progress report")
    bad = client.get("/report/export?format=pdf")
    assert bad.status_code == 422 and "format" in bad.text


def test_what_next_repeats_no_due_review_and_no_topic_card(client, settings) -> None:  # type: ignore[no-untyped-def]
    client.post("/tracks/ml_algorithms/days/1/complete", data={"difficulty": "3", "notes": ""})
    settings.today = settings.today.replace(day=23)  # the 1-day review is due
    page = client.get("/?group=ml_specialist").text
    panel = page[page.index('id="what-next"') :]
    reviews = page[page.index('id="reviews"') : page.index('id="topics"')]
    assert "Neural Network Fundamentals" in reviews and "Quick refresh" in reviews
    assert 'data-kind="review"' not in panel and 'data-kind="topic"' not in panel
    assert "/tracks/ml_algorithms/days/2" not in panel  # today's ML Algorithms card
    # The undo form comes before the panel, near the top of the page.
    assert page.index('action="/undo"') < page.index('id="reviews"')


def test_report_charts_and_their_empty_state(client) -> None:  # type: ignore[no-untyped-def]
    empty = client.get("/report").text
    assert "Nothing to chart yet" in empty and '<svg class="chart-svg"' not in empty
    assert empty.count("<h1>") == 1  # the page's h1; the report body starts at its h2s
    client.post("/tracks/system_design/days/1/complete", data={"difficulty": "2"})
    page = client.get("/report").text
    charts = re.findall(r'<svg class="chart-svg"[^>]*aria-label="([^"]+)"', page)
    assert charts[:2] == ["Topics and reviews per week, last 12 weeks", "Days done per track"]
    assert ">System Design</text>" in page and ">1/" in page and " days</text>" in page
    assert "Nothing to chart yet" not in page
