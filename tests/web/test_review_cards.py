"""The review card loop over HTTP: the pages step by step (as htmx posts them), the JSON API, the
grade buttons' intervals under both schedulers, and what the server refuses. The offline grader
runs on the real packaged model (exported to ONNX once per test session)."""

from __future__ import annotations

import re
from datetime import UTC, timedelta
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from study_tracker import clock
from study_tracker.db.engine import session_scope
from study_tracker.db.models import GroupSetting, QuestionOutcome, ScheduledReview
from study_tracker.tracker import service
from study_tracker.web.app import create_app
from tests.conftest import TODAY
from tests.practice.helpers import copy_model, exported_knowledge

HX = {"HX-Request": "true"}
# Covers key point 1 of ml_algorithms day 1's first sampled question (sigmoid's range, derivative
# and use) and nothing else.
ANSWER = (
    "The sigmoid 1/(1+e^-z) squashes its input into the range (0, 1); its derivative sigma(1-sigma) "
    "is at most 0.25, and it is still used for binary outputs and for the gates of LSTM and GRU cells."
)


@pytest.fixture
def graded(settings, tmp_path_factory):  # type: ignore[no-untyped-def]
    """A client whose data folder holds the exported model, so answers are graded offline."""
    copy_model(exported_knowledge(tmp_path_factory), settings.data_dir)
    with TestClient(create_app(settings)) as c:
        yield c


def _due_review(client: TestClient, settings) -> int:  # type: ignore[no-untyped-def]
    done = client.post(
        "/tracks/ml_algorithms/days/1/complete", data={"difficulty": "3"}, follow_redirects=False
    )
    assert done.status_code == 303
    settings.today = TODAY + timedelta(days=1)
    [cid] = re.findall(r'href="/reviews/(\d+)"', client.get("/?group=ml_specialist").text)
    return int(cid)


def _field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, name
    return unescape(match.group(1))


def test_a_review_card_by_card_with_a_graded_answer(graded, settings) -> None:  # type: ignore[no-untyped-def]
    cid = _due_review(graded, settings)
    page = graded.get(f"/reviews/{cid}").text
    assert 'data-stage="answer"' in page and "<strong>1 of 2</strong>" in page
    assert '<script src="/static/cards.js"' in page and 'name="answer"' in page

    shown = graded.post(
        f"/reviews/{cid}/reveal", data={"position": "0", "answer": ANSWER, "outcomes": "[]"}, headers=HX
    ).text
    assert shown.lstrip().startswith('<section id="card"') and 'data-stage="reveal"' in shown  # a fragment
    ticked = re.findall(r'<input type="checkbox" name="covered" value="(\d)" checked>', shown)
    assert ticked == ["0"]  # sigmoid's key point, ticked by the grader
    assert re.search(r'<mark class="covers" data-points="1"[^>]*>The sigmoid', shown)
    assert _field(shown, "grader") == "offline" and _field(shown, "suggested") in ("1", "2")
    # Each grade shows when it would bring the topic back (fixed ladder 1, 3, 7, 14 from the
    # completion on 22 Nov: Again tomorrow, the others on 25 Nov).
    buttons = re.findall(
        r'data-key="(\d)"[^>]*>\s*<kbd>\d</kbd> (\w+) <small class="interval">([^<]+)<', shown
    )
    assert buttons == [
        ("1", "Again", "1 day"),
        ("2", "Hard", "2 days"),
        ("3", "Good", "2 days"),
        ("4", "Easy", "2 days"),
    ]

    form = {k: _field(shown, k) for k in ("position", "answer", "suggested", "grader", "outcomes")}
    second = graded.post(
        f"/reviews/{cid}/grade", data={**form, "covered": ["0", "2"], "grade": "3"}, headers=HX
    ).text
    assert 'data-stage="answer"' in second and "<strong>2 of 2</strong>" in second
    carried = _field(second, "outcomes")
    assert '"covered": [0, 2]' in carried and '"grade": 3' in carried

    blank = graded.post(
        f"/reviews/{cid}/reveal", data={"position": "1", "answer": "", "outcomes": carried}, headers=HX
    ).text
    assert "No typed answer" in blank and " checked>" not in blank
    form = {k: _field(blank, k) for k in ("position", "answer", "suggested", "grader", "outcomes")}
    summary = graded.post(f"/reviews/{cid}/grade", data={**form, "grade": "1"}, headers=HX).text
    assert 'data-stage="done"' in summary and "All 2 cards graded" in summary
    # Good and Again average to Hard, and an Again caps it there: Hard is preselected.
    assert re.search(r'value="2" data-key="2" checked', summary)
    assert "next review on 25 Nov (2 days)" in summary

    saved = graded.post(
        f"/reviews/{cid}",
        data={"rating": "2", "notes": "", "outcomes": _field(summary, "outcomes")},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    today = graded.get(saved.headers["location"]).text
    assert "Review saved. Next review on 25 Nov (in 2 days)." in today
    with session_scope(settings.db_url) as s:
        rows = s.scalars(select(QuestionOutcome).order_by(QuestionOutcome.position)).all()
        assert [(r.position, r.covered, r.grade, r.grader, r.answer == ANSWER) for r in rows] == [
            (0, [0, 2], 3, "offline", True),
            (1, [], 1, "none", False),
        ]


def test_the_pages_work_without_htmx_and_refuse_a_stale_card(graded, settings) -> None:  # type: ignore[no-untyped-def]
    cid = _due_review(graded, settings)
    shown = graded.post(f"/reviews/{cid}/reveal", data={"position": "0", "answer": "", "outcomes": "[]"})
    assert (
        shown.status_code == 200
        and shown.text.startswith("<!doctype html>")
        and 'data-stage="reveal"' in shown.text
    )
    # The card already answered (a double submit, another tab): refused, named, nothing lost.
    stale = graded.post(
        f"/reviews/{cid}/grade",
        data={"position": "1", "grade": "3", "outcomes": "[]"},
        headers=HX,
    )
    assert stale.status_code == 200 and "the card to answer is number 1" in stale.text
    no_grade = graded.post(f"/reviews/{cid}/grade", data={"position": "0", "outcomes": "[]"}, headers=HX)
    assert "choose Again, Hard, Good or Easy" in no_grade.text
    bad = graded.post(f"/reviews/{cid}/grade", data={"position": "0", "outcomes": "[{"}, headers=HX)
    assert bad.status_code == 422
    unrated = graded.post(f"/reviews/{cid}", data={"outcomes": "[]"})
    assert unrated.status_code == 422 and "rating" in unrated.text


def test_a_review_not_due_yet_shows_no_card(client, settings) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/tracks/ml_algorithms/days/1/complete", data={"difficulty": "3"}).status_code == 200
    page = client.get("/reviews/1").text
    assert "This review is due on 2026-11-23" in page and 'id="card"' not in page


def test_the_api_grades_a_card_and_logs_the_review_with_its_outcomes(graded, settings) -> None:  # type: ignore[no-untyped-def]
    cid = _due_review(graded, settings)
    cards = graded.get(f"/api/reviews/{cid}/cards").json()
    assert len(cards["cards"]) == 2 and cards["cards"][0]["key_points"]
    assert [(g["label"], g["interval_days"]) for g in cards["grades"]] == [
        ("Again", 1),
        ("Hard", 2),
        ("Good", 2),
        ("Easy", 2),
    ]
    graded_card = graded.post(f"/api/reviews/{cid}/cards/0/grade", json={"answer": ANSWER}).json()
    assert graded_card["graded"] and graded_card["covered"] == [0]
    assert graded_card["result"]["key_points"][0]["evidence"]["text"].startswith("The sigmoid")
    assert graded.post(f"/api/reviews/{cid}/cards/0/grade", json={"answer": ""}).json()["graded"] is False
    assert graded.post(f"/api/reviews/{cid}/cards/5/grade", json={"answer": "x"}).status_code == 422
    assert graded.post(f"/api/reviews/{cid}/cards/0/grade", json={"answer": "x" * 8001}).status_code == 422

    body = {
        "outcomes": [
            {
                "position": 0,
                "answer": ANSWER,
                "covered": [0],
                "suggested": 2,
                "grade": 4,
                "grader": "offline",
            },
            {"position": 1, "grade": 3},
        ]
    }
    logged = graded.post(f"/api/reviews/{cid}/outcomes", json=body)
    assert logged.status_code == 201, logged.text
    out = logged.json()
    assert out["derived_rating"] == 3 and out["review"]["rating"] == 3  # mean 3.5 rounds down
    assert out["next_review"] == "2026-11-25" and out["message"] == "Next review on 25 Nov (in 2 days)."
    again = graded.post(f"/api/reviews/{cid}/outcomes", json=body)
    assert again.status_code == 409  # the next review is not due yet


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outcomes": [{"position": 9, "grade": 3}]}, "outcomes[0].position"),
        ({"outcomes": [{"position": 0, "grade": 0}]}, "grade"),
        ({"outcomes": [{"position": 0, "grade": 3, "covered": [12]}]}, "outcomes[0].covered"),
        ({"outcomes": [], "rating": 5}, "rating"),
    ],
)
def test_the_api_refuses_outcomes_that_do_not_fit(client, settings, body, field) -> None:  # type: ignore[no-untyped-def]
    cid = _due_review(client, settings)
    answer = client.post(f"/api/reviews/{cid}/outcomes", json=body)
    assert answer.status_code == 422
    assert any(field in e["field"] for e in answer.json()["errors"]), answer.json()
    with session_scope(settings.db_url) as s:
        assert s.scalars(select(QuestionOutcome)).first() is None


def test_grade_buttons_follow_the_fsrs_scheduler(client, settings) -> None:  # type: ignore[no-untyped-def]
    cid = _due_review(client, settings)
    with session_scope(settings.db_url) as s:
        s.get(GroupSetting, "ml_specialist").scheduler = "fsrs"  # type: ignore[union-attr]
        s.flush()
        service.reschedule(s, group="ml_specialist", zone=UTC)
        due = s.get(ScheduledReview, cid).due_date  # type: ignore[union-attr]
    settings.today = due
    grades = client.get(f"/api/reviews/{cid}/cards").json()["grades"]
    days = [g["interval_days"] for g in grades]
    assert days == sorted(days) and days[0] < days[3] and len(set(days)) >= 3  # FSRS spreads them
    with session_scope(settings.db_url) as s:
        preview = service.preview_review(s, completion_id=cid, now=clock.now(settings), zone=UTC)
    assert [(p.due_date - due).days if p else None for p in preview.values()] == days
