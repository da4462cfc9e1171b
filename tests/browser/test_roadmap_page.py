"""The roadmap page in a real browser: tick a task and save a deliverable link through htmx."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).parents[1] / "roadmaps" / "samples" / "ml-phases.md"
ML = "machine-learning-engineer-roadmap"
NUMPY = "phase-1-python-and-maths-foundations/finish-20-numpy-exercises"
NOTEBOOK = "phase-2-ml-fundamentals/project-house-price-predictor/a-notebook-with-the-analysis"


def test_tick_and_link_on_the_roadmap_page(server, page) -> None:  # type: ignore[no-untyped-def]
    # Imported from the shell without the knowledge-base step, so no model loads in this test.
    env = {**os.environ, "STUDY_DATA_DIR": str(server.data_dir), "STUDY_TIMEZONE": "UTC"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "study_tracker",
            "roadmap",
            "import",
            str(SAMPLE),
            "--start",
            "2026-11-02",
            "--no-kb",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    server.start(today="2026-11-25")
    page.goto(f"{server.url}/roadmaps")
    page.click(f'a[href="/roadmaps/{ML}"]')
    assert (
        page.locator(".rm-topic.state-current strong").first.inner_text()
        == "Phase 2: ML Fundamentals (Weeks 4-7)"
    )

    item = page.locator(f'li.rm-item[data-key="{NUMPY}"]')
    item.locator('input[type="checkbox"]').check()
    page.wait_for_selector(f'li.rm-item.done[data-key="{NUMPY}"]')
    view = httpx.get(f"{server.url}/api/roadmaps/{ML}").json()
    assert view["topics"][0]["tasks"][0]["done"] is True

    deliverable = page.locator(f'li.rm-item[data-key="{NOTEBOOK}"]')
    deliverable.locator('input[name="link"]').fill("not a url")
    deliverable.locator("button", has_text="Save link").click()
    page.wait_for_selector(f'li.rm-item[data-key="{NOTEBOOK}"] .errors')
    assert "http:// or https://" in page.locator(f'li.rm-item[data-key="{NOTEBOOK}"] .errors').inner_text()

    deliverable = page.locator(f'li.rm-item[data-key="{NOTEBOOK}"]')
    deliverable.locator('input[name="link"]').fill("https://example.org/notebook")
    deliverable.locator("button", has_text="Save link").click()
    page.wait_for_selector(f'li.rm-item[data-key="{NOTEBOOK}"] a.deliverable-link')
    page.goto(f"{server.url}/milestones")
    assert page.locator('a.deliverable-link[href="https://example.org/notebook"]').count() == 1
