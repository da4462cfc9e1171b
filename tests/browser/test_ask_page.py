"""The Ask page in a real browser over a real server: notes ingested with the real model, the answer
streamed by ask.js, citations linked to highlighted sources, then a follow-up question."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.model]

NOTES = {
    "consistency.md": "# Consistency\n\n## Quorums\n\nWith N replicas, a write waits for W acknowledgements and a "
    "read asks R replicas. When R + W > N, every read quorum overlaps the latest write quorum, so a read "
    "always reaches at least one replica holding the newest value. Sloppy quorums relax this during "
    "partitions and repair the data later with hinted handoff.\n",
    "ranking.md": "# Ranking\n\n## Negative sampling\n\nTwo-tower retrieval models learn from in-batch negatives: "
    "the other positives in a mini-batch serve as negatives, which over-samples popular items; a logQ "
    "correction subtracts the log of each item's sampling probability.\n",
}


def test_ask_streams_a_cited_answer_and_a_follow_up(server, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server.ingest(tmp_path / "notes", NOTES)
    server.start(today="2026-11-22")

    streamed: list[str] = []
    page.on("request", lambda req: streamed.append(req.url) if "/api/ask/stream" in req.url else None)
    page.goto(server.url + "/ask")
    page.get_by_label("Question").fill(
        "How do read and write quorums guarantee that a read sees the newest value?"
    )
    page.get_by_role("button", name="Ask").click()
    answer = page.locator("article.ask-answer:not(.ask-streaming)")  # the final, checked answer
    answer.wait_for()
    assert streamed and page.url.endswith("/ask")  # answered in place by ask.js, no page load

    text = answer.locator(".ask-text")
    assert "quorum" in text.inner_text().lower()
    cite = text.locator("a.cite").first
    target = cite.get_attribute("href")
    assert target and target.startswith("#source-")
    source = page.locator(target)
    assert "consistency.md" in source.inner_text() or "Consistency" in source.inner_text()
    mark = source.locator("mark.cited").first
    assert mark.is_visible() and mark.inner_text().strip() in text.inner_text()
    cite.click()
    assert page.url.endswith(target)  # the marker jumps to its source

    page.get_by_label("Question").fill("and what happens during partitions?")
    page.get_by_role("button", name="Ask").click()
    page.locator("article.ask-answer:not(.ask-streaming) .ask-query").wait_for()
    searched = page.locator(".ask-query").inner_text()
    assert searched.startswith("Searched for:") and "quorum" in searched.lower()
    assert "How do read and write quorums" in page.locator("#conversation").inner_text()
    assert "hinted handoff" in page.locator("article.ask-answer").inner_text().lower()
