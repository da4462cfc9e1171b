"""The Questions page in a real browser: generate for a roadmap, accept one and edit another
through htmx (no reload), reject one; the page runs under the app's CSP without inline code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).parents[1] / "roadmaps" / "samples" / "ml-phases.md"


def test_generate_accept_edit_reject_on_the_page(server, page) -> None:  # type: ignore[no-untyped-def]
    env = {**os.environ, "STUDY_DATA_DIR": str(server.data_dir), "STUDY_TIMEZONE": "UTC"}
    done = subprocess.run(
        [sys.executable, "-m", "study_tracker", "roadmap", "import", str(SAMPLE), "--no-kb"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    server.start(today="2026-11-25")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{server.url}/questions")
    page.click("#generate button[type=submit]")
    page.wait_for_selector("#flash")
    assert "new questions queued" in page.inner_text("#flash")
    cards = page.locator("article.practice-question")
    assert cards.count() >= 3
    first, second, third = (cards.nth(i).get_attribute("data-id") for i in range(3))

    page.click(f"#question-{first} button.accept")
    page.wait_for_selector(f'#question-{first}[data-status="accepted"]')
    assert page.locator("#flash").count() == 1  # swapped in place, not reloaded

    page.click(f"#question-{second} details.edit summary")
    page.fill(f"#question-{second} textarea[name=prompt]", "Name two machine learning basics.")
    page.fill(f"#question-{second} textarea[name=key_points]", "Regression\nTrees")
    page.click(f"#question-{second} form.edit-question button[type=submit]")
    page.wait_for_selector(f"#question-{second} >> text=Name two machine learning basics.")
    assert page.locator(f"#question-{second} ul.key-points li").all_inner_texts() == ["Regression", "Trees"]

    page.click(f"#question-{third} button.reject")
    page.wait_for_selector(f'#question-{third}[data-status="rejected"]')
    page.goto(f"{server.url}/questions?status=accepted")
    assert page.locator("article.practice-question").count() == 1
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
