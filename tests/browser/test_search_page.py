"""The Search page in a real browser: material ingested with the real model, searched through htmx."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.model]

NOTES = {
    "consistency.md": "# Consistency\n\n## Quorums\n\nWith N replicas, writing to W and reading from R nodes "
    "where R + W > N guarantees that every read quorum overlaps the latest write quorum.\n",
    "ranking.md": "# Ranking\n\n## Negative sampling\n\nTwo-tower retrieval models learn from in-batch negatives: "
    "the other positives in a mini-batch serve as negatives, which over-samples popular items; a logQ "
    "correction subtracts the log of each item's sampling probability.\n",
}
THREAD = (
    '{"id": "p1", "name": "t3_p1", "subreddit": "cscareers", "title": "Interview prep", "selftext": '
    '"I keep failing system design rounds and I have no idea what I am doing wrong, it is so frustrating.", '
    '"author": "a", "created_utc": 1700000000, "score": 3, "permalink": "/r/cscareers/comments/p1/x/"}\n'
)


def test_search_page_finds_highlights_and_filters(server, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "notes"
    server.ingest(folder, {**NOTES, "threads.ndjson": THREAD})
    server.start(today="2026-11-22")

    page.goto(server.url + "/search")
    assert (
        f"{folder}\t3\t3\t3" in page.locator("section.sources").inner_text()
    )  # path, files, documents, chunks
    page.get_by_label("Query").fill("how does the logQ correction fix popularity bias in negatives")
    page.get_by_role("button", name="Search").click()
    first = page.locator(".search-hit").first
    first.wait_for()
    # The document's title and section show; its path waits behind "Details".
    assert "Ranking" in first.inner_text() and "Negative sampling" in first.inner_text()
    assert "ranking.md" not in first.inner_text()
    first.locator("details summary").first.click()
    assert "ranking.md" in first.inner_text()
    assert first.locator(".passage b").count() >= 1  # the query's words are marked in the passage
    assert "q=" in page.url  # htmx pushed the query: the page can be bookmarked and reloaded
    viewer = first.locator("header a").get_attribute("href")  # opened at the end (the source viewer)

    page.get_by_label("Pain points").select_option("true")
    expect(page.locator(".search-hit")).to_have_count(1)  # wait_for_function would need eval (CSP)
    # The one pain point is off the query's topic: it is shown folded, under "Nothing relevant".
    expect(page.locator(".nothing-relevant")).to_be_visible()
    page.locator("details.closest > summary").click()
    assert "no idea what I am doing wrong" in page.locator(".search-hit").inner_text()

    assert viewer and viewer.startswith("/sources/view?") and viewer.endswith("#passage")
    page.goto(server.url + viewer)
    mark = page.locator("mark#passage")
    assert "logQ" in mark.inner_text() and "ranking.md" in page.locator(".source-view header").inner_text()
    assert page.evaluate("document.getElementById('passage').getBoundingClientRect().top < innerHeight")
