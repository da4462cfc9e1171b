"""The user's quick-start guide, walked in a real browser against a real server."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SCREENSHOTS = os.environ.get("STUDY_SCREENSHOTS")  # set to a folder to keep screenshots (README images)


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def test_quick_start_walkthrough(server, page) -> None:  # type: ignore[no-untyped-def]
    server.start(today="2026-11-22")

    # 1-2. Open the app and switch to ML with the nav bar's track switcher. A first run also shows
    # the welcome (the study loop in three lines); it stays out of the way of the guide's steps.
    page.goto(server.url)
    assert "Mark it complete with a difficulty" in page.locator("#welcome").inner_text()
    page.get_by_role("link", name="🤖 ML").click()
    sections = page.locator("article.track h3")
    assert sections.all_inner_texts() == [
        "🤖 ML Algorithms - Day 1",
        "🏗️ ML System Design - Day 1",
        "🎯 Recommendations - Day 1",
    ]
    shot(page, "today-ml")

    # 3-4. Study the first ML topic and mark it complete with a difficulty and notes.
    page.locator('article[data-track="ml_algorithms"]').get_by_role("button", name="Study this topic").click()
    assert "Neural Network Fundamentals" in page.locator("h1").inner_text()
    page.get_by_role("button", name="Mark as Complete").click()  # without a difficulty: the browser refuses
    assert page.locator('input[name="difficulty"]').first.evaluate("e => e.validity.valueMissing")
    assert page.url.endswith("/tracks/ml_algorithms/days/1")
    page.get_by_label("4 · Hard").check()
    page.get_by_label("Notes (Markdown)").fill("Vanishing gradients: **sigmoid** saturates.")
    page.get_by_role("button", name="Mark as Complete").click()
    # The page says when the topic comes back, and the welcome has done its job.
    assert (
        page.locator("#flash").inner_text()
        == "Completed ML Algorithms day 1. Next review on 23 Nov (tomorrow)."
    )
    assert "✓ Completed" in page.locator('article[data-track="ml_algorithms"]').inner_text()
    assert page.locator("#welcome").count() == 0

    # 5. Move the clock one day: the 1-day review (quick refresh) is due; complete it.
    server.restart(today="2026-11-23")
    page.goto(server.url + "/?group=ml_specialist")
    review = page.locator("article.review")
    assert "Quick refresh (1-day review)" in review.inner_text()
    review.get_by_role("button", name="Start review").click()
    # The card loop: each of the two questions revealed and graded Good, then the review saved.
    for n in (1, 2):
        # expect() waits for htmx to swap the next card in (a plain read can see the last one).
        expect(page.locator("#progress")).to_have_text(re.compile(rf"^{n} of 2"))
        page.get_by_role("button", name="Reveal the key points").click()
        page.locator('#card[data-stage="reveal"]').wait_for()
        page.get_by_role("button", name="Good").click()
    page.locator('#card[data-stage="done"]').wait_for()
    assert page.get_by_label("Good").is_checked()  # derived from the grades
    page.get_by_role("button", name="Mark review done").click()
    assert "No reviews due today" in page.locator("#reviews").inner_text()

    # Config: start ML Algorithms today with acceleration_days 5, and see day 6.
    page.get_by_role("link", name="Config", exact=True).click()
    page.get_by_label("ML Algorithms start date").fill("2026-11-23")
    page.get_by_label("ML Algorithms acceleration_days").fill("5")
    page.get_by_role("button", name="Save changes").click()
    assert "Saved" in page.locator("#flash").inner_text()
    page.get_by_role("link", name="Today").click()
    assert "🤖 ML Algorithms - Day 6" in page.locator("article.track h3").all_inner_texts()
    shot(page, "today-day6")

    # History: the streak, the calendar heatmap and the 30-day forecast are drawn.
    page.get_by_role("link", name="History").click()
    assert "2 days" in page.locator("#streak").inner_text()
    page.wait_for_selector("#heatmap svg")
    page.wait_for_selector("#forecast svg")
    assert page.locator("#log tr").count() == 2
    shot(page, "history")

    # Two days later the 3-day review (moderate depth, three questions) is due. The tracks nobody
    # used are still on day 1, with nothing to catch up, in both groups.
    server.restart(today="2026-11-25")
    page.goto(server.url + "/?group=ml_specialist")
    assert "Moderate depth (3-day review)" in page.locator("article.review").inner_text()
    assert (
        page.locator('article[data-track="ml_system_design"] h3').inner_text() == "🏗️ ML System Design - Day 1"
    )
    page.get_by_role("link", name="💻 SWE").click()
    assert page.locator("article.track h3").all_inner_texts() == [
        "🧩 Coding Patterns - Day 1",
        "🏛️ System Design - Day 1",
    ]
    assert page.locator("article.track footer").count() == 0  # no "Catch up" links
