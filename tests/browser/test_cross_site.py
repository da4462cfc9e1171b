"""A page of another site open in the user's browser tries to change the app's data: a form that
submits itself and a fetch, as a real Chromium sends them. Both are refused; nothing changes."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.foreign_site import foreign_site
from tests.web.security.routes_helpers import snapshot

pytestmark = pytest.mark.browser

ATTACK = """<!doctype html>
<title>cute cats</title>
<iframe name="sink"></iframe>
<form id="forged" method="post" action="{app}/config" target="sink">
  <input name="group" value="ml_specialist">
  <input name="settings.review_intervals" value="100, 200">
  <input name="settings.scheduler" value="fixed">
</form>
<script>
  // A "simple" request: no preflight, the browser sends it and only hides the answer.
  fetch("{app}/undo", {{
    method: "POST", mode: "no-cors", credentials: "include",
    body: new URLSearchParams({{group: "ml_specialist"}}),
  }}).finally(() => {{ document.title = "fetched"; }});
  document.getElementById("forged").submit();
</script>
"""


# 127.0.0.1 on another port is "same-site" for the browser; localhost is another site altogether.
@pytest.mark.parametrize("foreign_host", ["127.0.0.1", "localhost"])
def test_a_page_of_another_site_cannot_change_anything(server, page, foreign_host: str) -> None:  # type: ignore[no-untyped-def]
    server.start(today="2026-11-22")
    made = httpx.post(server.url + "/api/completions", json={"track": "ml_algorithms", "difficulty": 3})
    assert made.status_code == 201  # something an undo would remove
    before = snapshot(server.data_dir)

    with foreign_site(ATTACK.format(app=server.url), host=foreign_host) as site:
        sent: list[str] = []
        page.on("request", lambda r: sent.append(r.method + " " + r.url) if r.method == "POST" else None)
        answers: list[int] = []
        page.on("response", lambda r: answers.append(r.status) if r.request.method == "POST" else None)
        page.goto(site + "/cats.html")
        page.wait_for_function("document.title === 'fetched'")
        sink = page.frame(name="sink")
        assert sink is not None
        sink.wait_for_load_state()
        page.wait_for_timeout(500)

    assert sorted(sent) == sorted([f"POST {server.url}/config", f"POST {server.url}/undo"])
    assert answers == [403, 403]
    # The refusal is not even shown inside the foreign page: frame-ancestors 'none' blocks the frame.
    assert sink.url.startswith("chrome-error://")
    assert snapshot(server.data_dir) == before
    # The app's own page still saves the same form.
    page.goto(server.url + "/config?group=ml_specialist")
    page.locator('input[name="settings.review_intervals"]').fill("1, 2, 4")
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.locator("#flash").get_by_text("Saved").wait_for()
    assert httpx.get(server.url + "/api/config/ml_specialist").json()["settings"]["review_intervals"] == [
        1,
        2,
        4,
    ]
