"""Every page on a phone and a desktop, light and dark: no sideways scroll, a usable nav, and
axe-core (vendored from npm, tests/browser/vendor/axe-core) with no violations.

One server and one page per (viewport, theme); the theme comes from the emulated system
preference, which is what the app follows until the learner picks one with the toggle.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from study_tracker.web.app import create_app
from tests.browser.conftest import Server
from tests.web.security.routes_helpers import walk_routes

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
SAMPLE = Path(__file__).parents[1] / "roadmaps" / "samples" / "ml-phases.md"
ROADMAP = "machine-learning-engineer-roadmap"

# Every HTML page (GET) of the app, with the data the fixture below creates. A page added to the
# app without a line here fails test_every_page_is_listed.
PAGES = {
    "/": "/",
    "/history": "/history",
    "/report": "/report",
    "/roadmaps": "/roadmaps",
    "/roadmaps/{slug}": f"/roadmaps/{ROADMAP}",
    "/milestones": "/milestones",
    "/skills": "/skills",
    "/drill": "/drill",
    "/drill/{drill_id}": "/drill/1",
    "/search": "/search?q=gradient+descent",
    "/ask": "/ask",
    "/sources": "/sources",
    "/config": "/config",
    "/plan": "/plan?group=ml_specialist",
    "/questions": "/questions",
    "/login": "/login",
    "/tracks/{slug}/days/{day}": "/tracks/ml_algorithms/days/2",
    "/reviews/{completion_id}": "/reviews/1",
    "/guides/{name}": "/guides/ml-algorithms.md",
    "/undo": "/undo?group=ml_specialist",
    "/sources/remove": "/sources/remove?path=/no/such/source",
    "(not found)": "/no-such-page",
}
# Pages that need an indexed knowledge base (the real model): the search and ask browser tests
# cover them; here they would add minutes of ingest.
NEEDS_INDEX = {"/sources/view"}
# htmx fragments, not pages: they are checked inside the pages that load them.
FRAGMENTS = {"/next/passages", "/sources/jobs/{job_id}"}

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
THEMES = ("light", "dark")


def _study(data_dir: Path, today: str, *args: str) -> None:
    env = {**os.environ, "STUDY_DATA_DIR": str(data_dir), "STUDY_TIMEZONE": "UTC", "STUDY_TODAY": today}
    done = subprocess.run(
        [sys.executable, "-m", "study_tracker", *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with a roadmap, two completions and a review due (completion 1)."""
    srv = Server(tmp_path_factory.mktemp("a11y") / "data")
    _study(srv.data_dir, "2026-11-20", "roadmap", "import", str(SAMPLE), "--start", "2026-11-02", "--no-kb")
    _study(srv.data_dir, "2026-11-21", "complete", "ml_algorithms", "-d", "4", "-n", "Saturates: **sigmoid**")
    _study(srv.data_dir, "2026-11-22", "complete", "coding_patterns", "-d", "2")
    try:
        srv.start(today="2026-11-25")
        yield srv
    finally:
        srv.stop()


def test_every_page_is_listed() -> None:
    app = create_app()
    html_gets = {
        r.path  # type: ignore[attr-defined]
        for r in walk_routes(app.routes)  # FastAPI keeps included routers whole: walk into them
        if "GET" in getattr(r, "methods", set())
        and not r.path.startswith(("/api", "/docs", "/redoc", "/openapi", "/static"))  # type: ignore[attr-defined]
        and getattr(r, "response_class", None) is not None
        and getattr(r.response_class, "media_type", "") == "text/html"  # type: ignore[attr-defined]
    }
    assert html_gets - set(PAGES) - NEEDS_INDEX - FRAGMENTS == set()


def _violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    result = page.evaluate("async () => JSON.stringify((await axe.run(document)).violations)")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:4]}"
        for v in json.loads(result)
    ]


def _check_nav(page, viewport: str) -> None:  # type: ignore[no-untyped-def]
    nav = page.locator("nav.top")
    for name in ("Today", "Practice", "Ask", "History"):
        assert nav.get_by_role("link", name=name, exact=True).is_visible(), name
    more = nav.locator("details.more")
    if viewport == "phone":
        # The rest sits behind the menu, and opens without JavaScript.
        assert not nav.get_by_role("link", name="Sources", exact=True).is_visible()
        more.locator("summary").click()
        assert more.get_by_role("link", name="Sources", exact=True).is_visible()
        more.locator("summary").click()
    else:
        assert not more.is_visible()
        assert nav.get_by_role("link", name="Sources", exact=True).is_visible()


def test_pages_fit_and_pass_axe(site: Server, browser) -> None:  # type: ignore[no-untyped-def]
    problems: list[str] = []
    for viewport, size in VIEWPORTS.items():
        for theme in THEMES:
            context = browser.new_context(viewport=size, color_scheme=theme)
            context.add_init_script(path=str(AXE))
            page = context.new_page()
            page.goto(site.url + "/drill")
            page.get_by_role("button", name="Start the drill").click()  # creates /drill/1
            page.wait_for_url(re.compile(r"/drill/\d+$"))
            for route, url in PAGES.items():
                page.goto(site.url + url)
                page.wait_for_load_state("networkidle")
                where = f"{url} {viewport} {theme}"
                assert page.evaluate("document.documentElement.dataset.theme || ''") in ("", theme)
                wide = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
                if wide[0] > wide[1]:
                    problems.append(f"{where}: {wide[0]} px wide in a {wide[1]} px window")
                problems += [f"{where}: {v}" for v in _violations(page)]
                if route in ("/", "/sources"):
                    _check_nav(page, viewport)
            context.close()
    assert problems == [], "\n".join(problems)


def test_current_page_and_skip_link(site: Server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(site.url + "/history")
    current = page.locator('nav.top a[aria-current="page"]:visible')
    assert current.all_inner_texts() == ["History"]
    page.keyboard.press("Tab")  # the first stop is the skip link
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


def test_theme_toggle_is_remembered(site: Server, browser) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=VIEWPORTS["desktop"], color_scheme="light")
    page = context.new_page()
    page.goto(site.url + "/")
    assert page.evaluate("document.documentElement.dataset.theme || ''") == ""
    page.locator("#theme-toggle").click()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    page.goto(site.url + "/history")  # remembered on the next page
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(255, 255, 255)"
    page.locator("#theme-toggle").click()
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    context.close()


def _tab_to(page, predicate: str, limit: int = 120) -> None:  # type: ignore[no-untyped-def]
    """Press Tab until ``predicate`` (JS, about ``el``) holds for the focused element; each stop
    must show a focus ring."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        ring = page.evaluate(
            "(() => { const el = document.activeElement; const s = getComputedStyle(el);"
            " return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 || s.boxShadow !== 'none'; })()"
        )
        assert ring, page.evaluate("document.activeElement.outerHTML.slice(0, 120)")
        if page.evaluate(f"(el => {predicate})(document.activeElement)"):
            return
    raise AssertionError(f"no focusable element matching {predicate} within {limit} Tabs")


def test_complete_a_topic_with_the_keyboard_only(site: Server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(site.url + "/?group=ml_specialist")
    _tab_to(
        page, "el.textContent.includes('Study this topic') && el.closest('[data-track=ml_system_design]')"
    )
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/tracks/ml_system_design/days/1$"))
    _tab_to(page, "el.name === 'difficulty'")
    page.keyboard.press("ArrowRight")  # radios: the arrows move and check
    assert page.evaluate("document.activeElement.checked")
    _tab_to(page, "el.name === 'notes'")
    page.keyboard.type("Feature stores: offline and online.")
    _tab_to(page, "el.textContent.trim() === 'Mark as Complete'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/\?group=ml_specialist"))
    assert page.locator("#flash").inner_text().startswith("Completed ML System Design day 1.")
