"""The plan page in a real browser: set an interview date and see the plan."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.browser


def test_set_an_interview_date_and_see_the_plan(server, page) -> None:  # type: ignore[no-untyped-def]
    env = {**os.environ, "STUDY_DATA_DIR": str(server.data_dir), "STUDY_TIMEZONE": "UTC"}
    for day, on in ((1, "2026-11-18"), (2, "2026-11-19")):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "study_tracker",
                "--today",
                on,
                "complete",
                "coding_patterns",
                "--day",
                str(day),
                "-d",
                "3",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    server.start(today="2026-11-22")
    page.goto(server.url + "/plan?group=swe")
    from playwright.sync_api import expect

    expect(page.locator("#no-plan")).to_be_visible()
    page.check("input[name=enabled]")
    page.fill("input[name=interview]", "2026-12-20")
    page.fill("input[name=daily_target]", "40")
    page.check("input[name=easy_sun]")
    page.fill("textarea[name=breaks]", "2026-12-01:2026-12-03")
    page.click("#plan-form button[type=submit]")
    expect(page.locator("#flash")).to_have_text("Plan saved")
    expect(page.locator("#plan-summary")).to_contain_text(
        "Interview on Sunday 20 December 2026 (28 days from today)"
    )
    expect(page.locator("#pace")).to_contain_text("remaining topics")
    expect(page.locator("#plan-load tr[data-day='2026-11-22']")).to_contain_text("easy day")
    expect(page.locator("#plan-outlook")).to_contain_text("Coding Patterns · Day 1")
    # The form shows what was saved.
    expect(page.locator("input[name=interview]")).to_have_value("2026-12-20")
    expect(page.locator("textarea[name=breaks]")).to_have_value("2026-12-01:2026-12-03")
