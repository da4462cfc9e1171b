"""Issue 6 in a real browser: import a roadmap, tick a deliverable, run a 3-question drill, and
see the Skills chart change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ROADMAP = """# LLM apps roadmap

## Week 1: LLM APIs and prompt design (7 days)
- Chat completion requests and streaming
- Structured output with JSON schemas

## Week 2: Attention and transformers refresher (7 days)
- Self-attention and multi-head attention

## Project: Build a RAG assistant
**Deliverables**
- [ ] A repository with the assistant and an evaluation set
- [ ] A short write-up of the retrieval quality
"""


def chart_data(page, errors: list[str]) -> dict:  # type: ignore[no-untyped-def,type-arg]
    try:
        page.wait_for_selector("#skills-chart[data-rendered='true']")  # ECharts drew it
    except PlaywrightTimeout:
        raise AssertionError(
            f"the Skills chart was not drawn on {page.url}; errors in the page: {errors}"
        ) from None
    return json.loads(page.locator("#skills-data").text_content())  # type: ignore[no-any-return]


def mastery_of(data: dict, skill: str) -> float:  # type: ignore[type-arg]
    return float(data["mastery"][data["ids"].index(skill)])


def test_roadmap_drill_and_skills(server, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server.start(today="2026-11-22")
    errors: list[str] = []  # reported if the chart is not drawn
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    # Import a roadmap through the Roadmaps page's upload form.
    source = tmp_path / "llm-apps.md"
    source.write_text(ROADMAP, encoding="utf-8")
    page.goto(server.url + "/roadmaps")
    page.locator("#upload input[name=file]").set_input_files(str(source))
    page.locator("#upload input[name=start_date]").fill("2026-11-20")
    page.locator("#upload button[type=submit]").click()
    page.wait_for_url("**/roadmaps/llm-apps-roadmap**")

    # Tick a deliverable of the project milestone (htmx swaps the item in place).
    deliverable = "A repository with the assistant and an evaluation set"
    page.get_by_label(f"Tick {deliverable}").check()
    page.wait_for_selector(f"li.rm-item.done:has-text('{deliverable}')")

    # Today's What-next panel lists the roadmap's current topic and its open milestone, with reasons.
    page.goto(server.url + "/?group=ml_specialist")
    panel = page.locator("#what-next")
    assert "LLM apps roadmap: Week 1: LLM APIs and prompt design" in panel.inner_text()
    milestone = panel.locator("li.next-item[data-kind=milestone]")
    assert "Next open milestone: 1 of 2 checklist items done" in milestone.inner_text()
    milestone.locator("summary").click()  # passages load on demand; without an index, a short note
    # expect(), not wait_for_function: Playwright polls a string predicate with eval(), which the CSP refuses.
    expect(milestone.locator(".passages-body")).not_to_contain_text("Loading")

    # Choose a goal whose skills include attention, and read the chart before the drill.
    page.goto(server.url + "/skills")
    page.get_by_label("Career path").select_option("machine-learning-engineer")
    page.get_by_label("Level (months of experience)").select_option("6-12")
    page.get_by_role("button", name="Set as my goal").click()
    expect(page.locator("#flash")).to_contain_text("Goal: Machine Learning Engineer, 6-12 months")
    before = chart_data(page, errors)
    assert mastery_of(before, "attention") == 0.0
    assert set(before["target"]) == {0.65}

    # A 3-question drill on attention: the countdown runs, reveal, grade, summary.
    page.get_by_role("link", name="Practice", exact=True).click()
    page.get_by_label("Skill").select_option("attention")
    page.get_by_label("Questions").fill("3")
    page.get_by_label("Minutes").fill("5")
    page.get_by_role("button", name="Start the drill").click()
    start_text = page.locator("#timer").inner_text()
    expect(page.locator("#timer")).not_to_have_text(start_text)
    for n, grade in enumerate(["Good", "Easy", "Good"], 1):
        # The card loop: expect() waits for the next card to be swapped in.
        expect(page.locator("#progress")).to_contain_text(f"{n} of 3")
        page.get_by_role("button", name="Reveal the key points").click()
        page.locator('#card[data-stage="reveal"]').wait_for()
        page.get_by_role("button", name=grade).click()  # "3 Good": the key, then the grade
    summary = page.locator("#drill")
    expect(summary).to_contain_text("Answered 3 of 3")
    expect(summary.locator("#drill-results tr")).to_have_count(4)  # header + 3 questions

    # The Skills chart now shows attention's mastery from the drill.
    page.get_by_role("button", name="See your skills").click()
    after = chart_data(page, errors)
    assert mastery_of(after, "attention") == pytest.approx((0.8 + 1.0 + 0.8) / 4, abs=1e-3)
    row = page.locator("tr[data-skill=attention]")
    assert row.locator("td.mastery").inner_text() == f"{mastery_of(after, 'attention'):.2f}"
    row.locator("summary").click()
    expect(row.locator("ul.evidence li")).to_have_count(3)
    expect(row).to_contain_text("drill Easy")
