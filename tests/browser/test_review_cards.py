"""A due review done card by card in a real browser over a real server with the real model: type
an answer, reveal with the keyboard, see the key point it covers ticked and its sentence marked,
grade with the number keys, and read when the topic comes back."""

from __future__ import annotations

import httpx
import pytest

from tests.practice.helpers import copy_model, exported_knowledge

pytestmark = [pytest.mark.browser, pytest.mark.model]

ANSWER = (
    "The sigmoid 1/(1+e^-z) squashes its input into the range (0, 1); its derivative sigma(1-sigma) "
    "is at most 0.25, and it is still used for binary outputs and for the gates of LSTM and GRU cells."
)


def test_a_review_card_by_card_with_the_keyboard(server, page, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    copy_model(exported_knowledge(tmp_path_factory), server.data_dir)
    server.start(today="2026-11-22")
    done = httpx.post(
        server.url + "/api/completions",
        json={"track": "ml_algorithms", "day": 1, "difficulty": 3},
        timeout=30,
    )
    assert done.status_code == 201, done.text
    server.restart(today="2026-11-23")

    page.goto(server.url + "/?group=ml_specialist")
    page.locator("article.review").get_by_role("button", name="Start review").click()
    card = page.locator("#card")
    assert page.locator("#progress").inner_text().startswith("1 of 2")

    # Card 1: type an answer, reveal it from inside the box with Ctrl+Enter.
    page.get_by_label("Your answer").fill(ANSWER)
    page.keyboard.press("Control+Enter")
    page.locator('#card[data-stage="reveal"]').wait_for()
    covered = card.locator("li.card-point.covered")
    assert covered.count() == 1 and "Sigmoid" in covered.inner_text()
    assert covered.locator('input[type="checkbox"]').is_checked()
    assert not card.locator("li.card-point:not(.covered) input:checked").count()
    mark = card.locator("#typed mark.covers")
    assert mark.is_visible() and mark.inner_text().startswith("The sigmoid")
    assert "2 days" in card.get_by_role("button", name="Good").inner_text()  # its next interval
    page.keyboard.press("3")  # Good

    # Card 2: answered aloud (nothing typed): Space reveals, 1 grades Again.
    page.locator("#progress").filter(has_text="2 of 2").wait_for()
    page.keyboard.press("Space")
    page.locator('#card[data-stage="reveal"]').wait_for()
    assert "No typed answer" in card.inner_text()
    page.keyboard.press("1")

    # The summary: the rating derived from Good and Again is Hard; Enter saves it.
    page.locator('#card[data-stage="done"]').wait_for()
    assert page.get_by_label("Hard").is_checked()
    page.keyboard.press("Enter")
    flash = page.locator("#flash")
    flash.wait_for()
    assert flash.inner_text() == "Review saved. Next review on 25 Nov (in 2 days)."
    # Stored per card (the export carries them): the grader's tick kept, each card's own grade.
    rows = httpx.get(server.url + "/api/export", timeout=30).json()["question_outcomes"]
    assert [(r["covered"], r["grade"], r["grader"]) for r in rows] == [([0], 3, "offline"), ([], 1, "none")]
