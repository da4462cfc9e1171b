"""Off loopback means a login: the server refuses to start without a password, then every page and
API call needs a session or an API token; on loopback nothing changes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi.testclient import TestClient

from study_tracker.accounts import service as accounts
from study_tracker.config import Settings
from study_tracker.db.engine import session_scope
from study_tracker.db.models import ApiToken, WebSession
from study_tracker.tracker.startup import prepare
from study_tracker.web.app import create_app
from study_tracker.web.security.flash import COOKIE
from tests.browser.conftest import free_port
from tests.cli_helpers import study
from tests.conftest import make_settings

PASSWORD = "correct horse battery"
NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


@pytest.fixture
def exposed(settings: Settings) -> Settings:
    """Listening on every interface, with a password set."""
    prepare(settings)
    with session_scope(settings.db_url) as session:
        accounts.set_password(session=session, password=PASSWORD, now=NOW)
    return make_settings(settings.data_dir, host="0.0.0.0")


@pytest.fixture
def remote(exposed: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(exposed), base_url="http://localhost") as c:
        yield c


def _sign_in(c: TestClient, password: str = PASSWORD, next_: str = "/history") -> object:
    return c.post(
        "/login", data={"name": "admin", "password": password, "next": next_}, follow_redirects=False
    )


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "study.lan"])
def test_serving_off_loopback_without_a_password_refuses_to_start(settings: Settings, host: str) -> None:
    ran = study(settings.data_dir, "serve", "--host", host, "--port", "1")
    assert ran.returncode == 1
    assert "no password is set" in ran.stderr and "study auth set-password" in ran.stderr


def test_set_password_and_tokens_from_the_command_line(settings: Settings) -> None:
    short = study(settings.data_dir, "auth", "set-password", stdin="short\n")
    assert short.returncode == 2 and "password: must be 10" in short.stderr
    assert study(settings.data_dir, "auth", "token", "create", "ci").returncode == 1  # no user yet
    assert study(settings.data_dir, "auth", "set-password", stdin=PASSWORD + "\n").returncode == 0
    made = study(settings.data_dir, "auth", "token", "create", "ci")
    assert made.returncode == 0
    token = made.stdout.strip().splitlines()[-1]
    assert token.startswith("st_") and len(token) > 40
    with session_scope(settings.db_url) as session:
        stored = session.query(ApiToken).one()
        assert stored.token_hash != token and token not in stored.token_hash  # only its hash
    assert study(settings.data_dir, "auth", "token", "create", "ci").returncode == 1  # name taken
    assert (
        "ci  created 2026-11-22  last used never" in study(settings.data_dir, "auth", "token", "list").stdout
    )
    assert study(settings.data_dir, "auth", "token", "revoke", "ci").returncode == 0
    assert study(settings.data_dir, "auth", "token", "revoke", "ci").returncode == 1


@pytest.mark.parametrize("path", ["/", "/history", "/config", "/sources", "/docs", "/openapi.json"])
def test_pages_send_a_stranger_to_the_login(remote: TestClient, path: str) -> None:
    r = remote.get(path, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/api/export", {}),
        ("GET", "/api/today?group=swe", {}),
        ("POST", "/api/completions", {"json": {"track": "system_design", "difficulty": 3}}),
        ("POST", "/undo", {"data": {"group": "swe"}}),
    ],
)
def test_the_api_and_writes_need_a_session_or_a_token(
    remote: TestClient, method: str, path: str, kwargs: dict
) -> None:  # type: ignore[type-arg]
    r = remote.request(method, path, follow_redirects=False, **kwargs)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert "sign in first" in r.text
    assert remote.get("/static/app.css").status_code == 200  # the login page's own files


def test_login_opens_every_page_and_logout_closes_them(remote: TestClient) -> None:
    assert "Sign in" in remote.get("/login?next=/history").text
    r = _sign_in(remote)
    assert r.status_code == 303 and r.headers["location"] == "/history"
    flags = [f.strip().lower() for f in r.headers["set-cookie"].split(";")[1:]]
    assert "httponly" in flags and "samesite=lax" in flags
    page = remote.get("/history")
    assert page.status_code == 200 and "Sign out admin" in page.text
    assert (
        remote.post("/api/completions", json={"track": "system_design", "difficulty": 3}).status_code == 201
    )
    out = remote.post("/logout", follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert "Signed out" in remote.get("/login").text
    assert remote.get("/history", follow_redirects=False).status_code == 303
    assert remote.get("/api/today?group=swe").status_code == 401


def test_a_replayed_cookie_is_dead_after_logout(remote: TestClient) -> None:
    _sign_in(remote)
    stolen = remote.cookies[COOKIE]
    remote.post("/logout")
    remote.cookies.set(COOKIE, stolen)
    assert remote.get("/api/today?group=swe").status_code == 401


def test_a_wrong_password_is_refused(remote: TestClient, exposed: Settings) -> None:
    for name, password in [("admin", "wrong password!"), ("nobody", PASSWORD), ("admin", "")]:
        r = remote.post("/login", data={"name": name, "password": password}, follow_redirects=False)
        assert r.status_code == 401 and "wrong name or password" in r.text
    assert remote.get("/api/today?group=swe").status_code == 401
    with session_scope(exposed.db_url) as session:
        assert session.query(WebSession).count() == 0


def test_login_sends_nowhere_but_this_site(remote: TestClient) -> None:
    for target in ["https://evil.example/", "//evil.example", "/\\evil.example"]:
        assert _sign_in(remote, next_=target).headers["location"] == "/"


def test_an_api_token_opens_the_api(remote: TestClient, exposed: Settings) -> None:
    with session_scope(exposed.db_url) as session:
        token = accounts.create_token(session=session, name="script", now=NOW)
    bearer = {"Authorization": f"Bearer {token}"}
    assert remote.get("/api/today?group=swe", headers=bearer).status_code == 200
    made = remote.post("/api/completions", headers=bearer, json={"track": "system_design", "difficulty": 3})
    assert made.status_code == 201
    wrong = remote.get("/api/today?group=swe", headers={"Authorization": f"Bearer {token}x"})
    assert wrong.status_code == 401 and "API token is not valid" in wrong.json()["detail"]
    with session_scope(exposed.db_url) as session:
        assert session.query(ApiToken).one().last_used_at is not None
        accounts.revoke_token(session=session, name="script")
    assert remote.get("/api/today?group=swe", headers=bearer).status_code == 401


def test_a_new_password_signs_every_browser_out(remote: TestClient, exposed: Settings) -> None:
    _sign_in(remote)
    assert remote.get("/api/today?group=swe").status_code == 200
    with session_scope(exposed.db_url) as session:
        accounts.set_password(session=session, password="another long password", now=NOW)
    assert remote.get("/api/today?group=swe").status_code == 401


def test_on_loopback_nothing_changes(client: TestClient, settings: Settings) -> None:
    prepare(settings)
    with session_scope(settings.db_url) as session:  # even with a password set
        accounts.set_password(session=session, password=PASSWORD, now=NOW)
    assert client.get("/history").status_code == 200
    assert (
        client.post("/api/completions", json={"track": "system_design", "difficulty": 3}).status_code == 201
    )
    assert client.get("/login", follow_redirects=False).headers["location"] == "/"


def test_a_real_server_off_loopback_asks_for_the_login(settings: Settings) -> None:
    assert study(settings.data_dir, "auth", "set-password", stdin=PASSWORD + "\n").returncode == 0
    port = free_port()
    env = {**os.environ, "STUDY_DATA_DIR": str(settings.data_dir), "STUDY_INDEX_ON_START": "false"}
    env.pop("STUDY_HOST", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "study_tracker", "serve", "--host", "0.0.0.0", "--port", str(port)], env=env
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(url + "/history", timeout=2)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and proc.poll() is None, "the server did not start"
                time.sleep(0.3)
        assert r.status_code == 303 and r.headers["location"] == "/login?next=/history"
        assert httpx.get(url + "/api/export").status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("study.lan", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert accounts.is_loopback(host) is loopback
