"""A drill as a card loop over HTTP: the typed answer graded on reveal (the real model), the ticks
and the grade stored with the drill answer, and the same through the JSON API."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from study_tracker.db.engine import session_scope
from study_tracker.db.models import QuestionOutcome
from study_tracker.web.app import create_app
from tests.practice.helpers import copy_model, exported_knowledge

HX = {"HX-Request": "true"}


@pytest.fixture
def graded(settings, tmp_path_factory):  # type: ignore[no-untyped-def]
    copy_model(exported_knowledge(tmp_path_factory), settings.data_dir)
    with TestClient(create_app(settings)) as c:
        yield c


def _prompt_and_points(html: str) -> tuple[str, list[str]]:
    prompt = re.search(r'<p class="prompt" id="prompt">([^<]+)</p>', html)
    assert prompt
    return prompt.group(1), re.findall(r'<span class="point-n">\d+\.</span> ([^<]+)</label>', html)


def test_a_drill_card_is_graded_on_reveal_and_stored_with_its_answer(graded, settings) -> None:  # type: ignore[no-untyped-def]
    start = graded.post("/drill", data={"track": "ml_algorithms", "count": "2"}, follow_redirects=False)
    url = start.headers["location"]
    page = graded.get(url).text
    assert 'data-stage="answer"' in page and "<strong>1 of 2</strong>" in page and "/static/cards.js" in page
    # Reveal once blank to read the key points, then answer with the first key point's own words.
    blank = graded.post(url + "/reveal", data={"position": "0", "answer": ""}, headers=HX).text
    _, points = _prompt_and_points(blank)
    assert points and " checked>" not in blank and 'class="interval"' not in blank  # drills schedule nothing
    answer = (
        points[0].replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") + "."
    )
    shown = graded.post(url + "/reveal", data={"position": "0", "answer": answer}, headers=HX).text
    assert re.findall(r'name="covered" value="(\d+)" checked', shown)[:1] == ["0"]
    assert '<mark class="covers" data-points="1' in shown
    saved = graded.post(
        url + "/answer",
        data={
            "position": "0",
            "grade": "3",
            "answer": answer,
            "covered": ["0"],
            "suggested": "2",
            "grader": "offline",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert "<strong>2 of 2</strong>" in graded.get(url).text
    stale = graded.post(url + "/reveal", data={"position": "0", "answer": "x"}, follow_redirects=False)
    assert stale.status_code == 303  # that card is graded: back to where the drill stands
    with session_scope(settings.db_url) as s:
        row = s.scalars(select(QuestionOutcome)).one()
        assert (row.covered, row.grade, row.suggested, row.grader, row.answer) == (
            [0],
            3,
            2,
            "offline",
            answer,
        )
        assert row.drill_result_id is not None and row.review_id is None


def test_the_drill_api_grades_and_stores_a_card(graded) -> None:  # type: ignore[no-untyped-def]
    drill = graded.post("/api/drills", json={"track": "ml_algorithms", "count": 2}).json()
    from_api = graded.post(
        f"/api/drills/{drill['id']}/cards/0/grade", json={"answer": "I do not know."}
    ).json()
    assert from_api["graded"] and from_api["covered"] == [] and from_api["suggested"] == 1
    assert graded.post(f"/api/drills/{drill['id']}/cards/2/grade", json={"answer": "x"}).status_code == 422
    bad = graded.post(f"/api/drills/{drill['id']}/answers", json={"position": 0, "grade": 3, "covered": [25]})
    assert bad.status_code == 422
    ok = graded.post(
        f"/api/drills/{drill['id']}/answers",
        json={"position": 0, "grade": 1, "answer": "I do not know.", "suggested": 1, "grader": "offline"},
    )
    assert ok.status_code == 201 and ok.json()["recorded"] is True
