"""Messages after a redirect come from the signed session cookie, never from the URL."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from study_tracker.config import Settings
from study_tracker.web.app import create_app
from study_tracker.web.security.flash import COOKIE, KEY_FILE, MAX_MESSAGE, flash, pop_flash, session_key

FORGED = "Your data is corrupt: email it to help@evil.example"
PAGES = ["/", "/?group=ml_specialist", "/config", "/skills", "/roadmaps", "/milestones", "/sources"]


@pytest.mark.parametrize("path", PAGES)
def test_a_message_in_the_url_is_never_shown(client: TestClient, path: str) -> None:
    sep = "&" if "?" in path else "?"
    page = client.get(f"{path}{sep}message={FORGED}")
    assert page.status_code == 200
    assert "evil.example" not in page.text and 'id="flash"' not in page.text


def test_a_redirect_message_is_shown_once_from_the_session(client: TestClient) -> None:
    r = client.post(
        "/config", data={"group": "swe", "settings.review_intervals": "1, 3, 9"}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/config?group=swe"
    cookie = r.headers["set-cookie"]
    assert (
        cookie.startswith(f"{COOKIE}=") and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    )
    assert "secure" not in cookie.lower()  # plain http: a Secure cookie would never come back
    assert 'id="flash">Saved</div>' in client.get("/config?group=swe").text
    assert 'id="flash"' not in client.get("/config?group=swe").text


def test_the_undo_message_names_what_was_undone(client: TestClient) -> None:
    client.post("/api/completions", json={"track": "system_design", "difficulty": 2})
    r = client.post("/undo", data={"group": "swe"}, follow_redirects=False)
    assert r.headers["location"] == "/?group=swe"
    assert 'id="flash">Undid completion of System Design day 1</div>' in client.get("/?group=swe").text


def test_over_https_the_cookie_is_secure(settings: Settings) -> None:
    with TestClient(create_app(settings), base_url="https://testserver") as c:
        r = c.post(
            "/config", data={"group": "swe", "settings.review_intervals": "1, 3"}, follow_redirects=False
        )
        flags = [f.strip().lower() for f in r.headers["set-cookie"].split(";")[1:]]
        assert "secure" in flags and "httponly" in flags


def test_a_cookie_signed_with_another_key_is_ignored(
    client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / KEY_FILE).write_text("a-different-key")
    with TestClient(create_app(Settings(**{**settings.model_dump(), "data_dir": other}))) as elsewhere:
        r = elsewhere.post(
            "/config", data={"group": "swe", "settings.review_intervals": "1, 3"}, follow_redirects=False
        )
        assert r.status_code == 303
        forged = elsewhere.cookies[COOKIE]
    client.cookies.set(COOKIE, forged)
    assert 'id="flash"' not in client.get("/config").text


def test_the_key_is_made_once_owner_only_and_survives_a_restart(settings: Settings) -> None:
    with TestClient(create_app(settings)) as first:
        first.post(
            "/config", data={"group": "swe", "settings.review_intervals": "1, 3"}, follow_redirects=False
        )
        cookie = first.cookies[COOKIE]
    key = settings.data_dir / KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert len(key.read_text().strip()) >= 40
    with TestClient(create_app(settings)) as restarted:  # the same key: the message is still there
        restarted.cookies.set(COOKIE, cookie)
        assert 'id="flash">Saved</div>' in restarted.get("/config").text


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    keys: list[str] = []
    barrier = threading.Barrier(8)

    def make() -> None:
        barrier.wait()
        keys.append(session_key(tmp_path / "fresh"))

    threads = [threading.Thread(target=make) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1 and len(keys) == 8
    assert [p.name for p in (tmp_path / "fresh").iterdir()] == [KEY_FILE]  # no temporary file left


def test_a_folder_that_cannot_be_written_gets_a_key_for_this_process(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    assert session_key(blocked / "data") != session_key(blocked / "data")  # random, never stored


def test_a_long_message_is_cut_so_the_cookie_stays_small() -> None:
    request = Request({"type": "http", "session": {}})
    flash(request, "x" * (MAX_MESSAGE * 10))
    assert pop_flash(request) == "x" * MAX_MESSAGE
    assert pop_flash(request) is None
