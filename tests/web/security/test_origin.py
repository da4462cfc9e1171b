"""No state change from another site: every state-changing route (read from ``app.routes``, so a
new one is covered as soon as it exists) refuses a cross-site request with 403 and changes nothing;
the app's own pages, and clients that are not browsers, keep working."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.datastructures import Headers

from study_tracker.config import Settings
from study_tracker.web.app import create_app
from study_tracker.web.security.origin import cross_site_reason
from tests.web.security.routes_helpers import (
    SAMPLES,
    sample_for,
    samples,
    snapshot,
    state_changing_routes,
)

ROUTES = state_changing_routes(create_app(Settings(data_dir=Path("unused"))))
OWN = "http://testserver"

# What browsers send for a page of another site: current ones (Sec-Fetch-Site), older ones (Origin).
CROSS_SITE = [
    {"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"},
    {"Sec-Fetch-Site": "same-site", "Origin": "http://localhost:8000"},  # another port of localhost
    {"Origin": "http://evil.example"},
    {"Origin": "http://testserver:8000"},
    {"Origin": "null"},  # a sandboxed frame or a data: page
]
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin", "Origin": OWN}


@pytest.fixture
def seeded(client: TestClient, tmp_path: Path) -> Path:
    """Something for every route to change: a completion to review and undo, a roadmap, a drill;
    returns a folder a forged request could ask to ingest."""
    client.app.state.roadmap_ingest = lambda path, settings: None  # type: ignore[attr-defined]
    assert (
        client.post("/api/completions", json={"track": "ml_algorithms", "difficulty": 3}).status_code == 201
    )
    files = {"file": ("ml-phases.md", (SAMPLES / "ml-phases.md").read_bytes(), "text/markdown")}
    assert client.post("/roadmaps", files=files, follow_redirects=False).status_code == 303
    assert client.post("/api/drills", json={"count": 3}).status_code == 201
    folder = tmp_path / "private"
    folder.mkdir()
    (folder / "secrets.md").write_text("# Secrets\n\nthe password is hunter2\n")
    return folder


def test_every_state_changing_route_is_listed() -> None:
    assert len(ROUTES) >= 38
    assert ("POST", "/sources/remove") in ROUTES and ("DELETE", "/api/roadmaps/{slug}") in ROUTES


def test_the_samples_are_for_routes_that_exist(seeded: Path) -> None:
    assert set(samples(seeded)) <= set(ROUTES)  # a renamed route must not leave a stale sample


@pytest.mark.parametrize("route", ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_cross_site_is_refused_and_changes_nothing(
    client: TestClient, settings: Settings, seeded: Path, route: tuple[str, str]
) -> None:
    method, _ = route
    sample = sample_for(route, seeded)
    before = snapshot(settings.data_dir)
    for headers in CROSS_SITE:
        r = client.request(method, sample.path, headers=headers, follow_redirects=False, **sample.kwargs)
        assert r.status_code == 403, (headers, r.text[:300])
        if sample.path.startswith("/api"):
            assert "another site" in r.json()["detail"]
        else:
            assert r.headers["content-type"].startswith("text/html")
            assert "another site" in r.text and "nothing was changed" in r.text
    assert snapshot(settings.data_dir) == before


@pytest.mark.parametrize("route", ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_same_origin_is_not_refused(client: TestClient, seeded: Path, route: tuple[str, str]) -> None:
    method, _ = route
    sample = sample_for(route, seeded)
    kwargs = {} if sample.spawns else sample.kwargs  # no ingest child process in this test
    r = client.request(method, sample.path, headers=SAME_ORIGIN, follow_redirects=False, **kwargs)
    assert r.status_code != 403, r.text[:300]


def test_a_forged_request_would_have_changed_things(
    client: TestClient, settings: Settings, seeded: Path
) -> None:
    """The samples are real writes: sent from the app's own origin, they change the snapshot."""
    for route in [("POST", "/undo"), ("POST", "/config"), ("POST", "/roadmaps/{slug}/delete")]:
        sample = sample_for(route, seeded)
        before = snapshot(settings.data_dir)
        r = client.request(
            route[0], sample.path, headers=SAME_ORIGIN, follow_redirects=False, **sample.kwargs
        )
        assert r.status_code == 303, (route, r.text[:300])
        assert snapshot(settings.data_dir) != before, route


def test_clients_that_are_not_browsers_keep_working(client: TestClient) -> None:
    # No Sec-Fetch-Site, no Origin: the CLI, curl, scripts. No page can send a request like this.
    r = client.post("/api/completions", json={"track": "system_design", "difficulty": 2})
    assert r.status_code == 201


def test_reads_are_never_refused(client: TestClient) -> None:
    assert client.get("/api/tracks", headers=CROSS_SITE[0]).status_code == 200


@pytest.mark.parametrize(
    ("headers", "refused"),
    [
        ({"sec-fetch-site": "same-origin"}, False),
        ({"sec-fetch-site": "none"}, False),  # typed in the address bar, a bookmark
        ({"sec-fetch-site": "same-site"}, True),
        ({"sec-fetch-site": "cross-site"}, True),
        ({"sec-fetch-site": "cross-site", "origin": OWN}, True),  # the browser's word wins
        ({"sec-fetch-site": "same-origin", "origin": "http://evil.example"}, False),
        ({"origin": OWN}, False),
        ({"origin": "HTTP://TESTSERVER"}, False),
        ({"origin": "https://testserver"}, True),
        ({"origin": "null"}, True),
        ({}, False),
    ],
)
def test_the_rule(headers: dict[str, str], refused: bool) -> None:
    assert (cross_site_reason(Headers(headers), OWN) is not None) is refused
