"""The frame every page shares: the nav (current page, the group switcher where it matters),
the theme left to the system, icons, the favicon and manifest, and HTML error pages."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from study_tracker.web.app import create_app
from study_tracker.web.icons import icon


def _current(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]*)" aria-current="page">', html)


@pytest.mark.parametrize(
    ("path", "current"),
    [
        ("/", "/"),
        ("/history", "/history"),
        ("/tracks/system_design/days/1", "/"),
        ("/roadmaps", "/roadmaps"),
        ("/milestones", "/roadmaps"),
        ("/config", "/config"),
    ],
)
def test_the_current_page_is_marked(client, path: str, current: str) -> None:  # type: ignore[no-untyped-def]
    html = client.get(path).text
    # Once in the wide nav, once in the narrow screen's menu for pages outside the loop.
    assert set(_current(html)) == {current}
    assert '<a class="skip-link" href="#main">' in html and '<main class="container" id="main"' in html


def test_the_theme_is_the_systems_until_picked(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/").text
    assert '<html lang="en">' in html  # no forced data-theme: Pico follows prefers-color-scheme
    assert '<script src="/static/theme.js"></script>' in html
    assert client.get("/static/theme.js").status_code == 200


@pytest.mark.parametrize(
    ("path", "switcher"),
    [("/", True), ("/config", True), ("/history", True), ("/ask", False), ("/roadmaps", False)],
)
def test_group_switcher_only_where_the_group_matters(client, path: str, switcher: bool) -> None:  # type: ignore[no-untyped-def]
    html = client.get(path).text
    assert ('<nav class="switcher"' in html) is switcher
    if switcher:
        # It stays on the page: on Config it switches Config's group, never jumps to Today.
        assert f'href="{path}?group=ml_specialist"' in html


def test_favicon_and_manifest(client) -> None:  # type: ignore[no-untyped-def]
    fav = client.get("/favicon.ico")
    assert fav.status_code == 200 and fav.headers["content-type"] == "image/svg+xml"
    manifest = client.get("/manifest.webmanifest")
    assert manifest.headers["content-type"] == "application/manifest+json"
    assert manifest.json()["icons"][0]["src"] == "/static/icon.svg"
    assert client.get("/static/icon.svg").status_code == 200


def test_icons_are_inline_and_hidden_from_screen_readers() -> None:
    svg = str(icon("settings"))
    assert svg.startswith('<svg aria-hidden="true" focusable="false" class="icon lucide lucide-settings"')
    assert "@license" not in svg
    with pytest.raises(KeyError):
        icon("../app")


def test_unknown_page_is_an_html_page(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/no-such-page")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "<h1>" in r.text and "There is no page at this address" in r.text
    assert 'href="/"' in r.text


def test_a_form_address_opened_directly_is_explained(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/tracks/system_design/days/1/complete")
    assert r.status_code == 405 and "receives a form" in r.text
    assert r.headers["allow"] == "POST"


def test_the_api_keeps_json_errors(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/no-such-thing")
    assert r.status_code == 404 and r.json() == {"detail": "Not Found", "errors": []}
    r = client.get("/no-such-page", headers={"accept": "application/json"})
    assert r.json()["detail"] == "Not Found"


def test_an_unexpected_error_is_a_page_without_internals(settings) -> None:  # type: ignore[no-untyped-def]
    app = create_app(settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom")
        assert r.status_code == 500 and "Something went wrong" in r.text and "secret" not in r.text
        assert (
            c.get("/boom", headers={"accept": "application/json"}).json()["detail"] == "Internal server error"
        )
