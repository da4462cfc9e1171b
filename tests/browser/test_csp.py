"""The pages under the Content-Security-Policy, in a real Chromium: walking the main pages (charts,
htmx swaps, /docs) reports no violation, and what moved out of the templates still works."""

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
PAGES = [
    "/",
    "/?group=ml_specialist",
    "/history",
    "/report",
    "/roadmaps",
    f"/roadmaps/{ML}",
    "/milestones",
    "/skills",
    "/drill",
    "/drill/1",
    "/search",
    "/search?q=memtable",
    "/ask",
    "/sources",
    "/config",
    "/tracks/ml_algorithms/days/1",
    "/docs",
]
# Every violation the page reports, kept where the test can read it (an init script is not subject
# to the page's CSP).
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def seeded(server):  # type: ignore[no-untyped-def]
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
    server.start(today="2026-11-22")
    api = httpx.Client(base_url=server.url, timeout=30)
    assert api.post("/api/completions", json={"track": "ml_algorithms", "difficulty": 3}).status_code == 201
    path = api.get("/api/paths").json()[0]
    assert (
        api.put("/api/goal", json={"path": path["slug"], "level": path["levels"][0]["id"]}).status_code == 200
    )
    assert api.post("/api/drills", json={"count": 3}).status_code == 201
    return server


def test_the_main_pages_report_no_csp_violation(seeded, page) -> None:  # type: ignore[no-untyped-def]
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(LISTEN)
    for path in PAGES:
        response = page.goto(seeded.url + path)
        assert response is not None and response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__violations") == [], path
    assert console == []
    # The listener does hear a violation: an inline style set the way a template would is refused.
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    # (The event is queued as a task; wait_for_function would poll with eval(), which the CSP refuses.)
    reported = page.evaluate("() => new Promise((done) => setTimeout(() => done(window.__violations), 300))")
    assert reported and reported[0].startswith("style-src")


def test_what_left_the_templates_still_works(seeded, page) -> None:  # type: ignore[no-untyped-def]
    page.add_init_script(LISTEN)
    # The charts are drawn by static scripts (the skills chart's height came from a style= attribute).
    page.goto(seeded.url + "/skills")
    chart = page.locator("#skills-chart")
    assert chart.get_attribute("data-rendered", timeout=30_000) == "true"
    assert chart.bounding_box()["height"] > 80  # type: ignore[index]
    page.goto(seeded.url + "/history")
    page.wait_for_load_state("networkidle")
    # /docs: Swagger UI from the vendored files lists the operations.
    page.goto(seeded.url + "/docs")
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() >= 30
    # A roadmap item's tick still swaps through htmx, and nesting still indents.
    page.goto(f"{seeded.url}/roadmaps/{ML}")
    item = page.locator(f'li.rm-item[data-key="{NUMPY}"]')
    item.get_by_role("checkbox").check()
    page.locator(f'li.rm-item.done[data-key="{NUMPY}"]').wait_for()
    depths = page.locator("li.rm-item[data-depth='1']")
    if depths.count():
        assert depths.first.evaluate("e => getComputedStyle(e).marginLeft") != "0px"
    # Remove asks first (a data-confirm form, handled by static/app.js): dismissed, nothing goes.
    messages: list[str] = []

    def dismiss(dialog):  # type: ignore[no-untyped-def]
        messages.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.get_by_role("button", name="Remove this roadmap").click()
    assert messages and messages[0].startswith("Remove Machine Learning Engineer Roadmap")
    assert httpx.get(f"{seeded.url}/api/roadmaps/{ML}").status_code == 200
    assert page.evaluate("window.__violations") == []
