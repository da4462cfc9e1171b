"""The Host allow-list: only this computer's names, the listening address and configured names."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from study_tracker.config import Settings
from study_tracker.web.app import create_app
from study_tracker.web.security.hosts import host_name
from tests.conftest import make_settings


def _client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings), base_url="http://localhost:5555")


@pytest.fixture
def strict(settings: Settings) -> Settings:
    """The default allow-list (the test suite's own ``testserver`` removed)."""
    return make_settings(settings.data_dir, allowed_hosts="")


@pytest.mark.parametrize(
    "host", ["localhost:5555", "127.0.0.1:5555", "[::1]:5555", "LOCALHOST", "localhost."]
)
def test_this_computer_is_answered(strict: Settings, host: str) -> None:
    with _client(strict) as c:
        assert c.get("/api/groups", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize(
    "path", ["/api/export", "/", "/sources/view?source=/etc/passwd", "/static/app.css", "/nope"]
)
@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:5555", "127.0.0.1.evil.example", "[::2]:5555", ""]
)
def test_any_other_host_is_refused_before_routing(strict: Settings, host: str, path: str) -> None:
    with _client(strict) as c:
        r = c.get(path, headers={"Host": host})
    assert r.status_code == 400
    assert "does not answer to the host name" in r.text
    assert "STUDY_ALLOWED_HOSTS" in r.text


def test_a_refused_write_changes_nothing(strict: Settings) -> None:
    with _client(strict) as c:
        r = c.post(
            "/api/completions",
            headers={"Host": "evil.example"},
            json={"track": "system_design", "difficulty": 3},
        )
        assert r.status_code == 400 and "host name" in r.json()["detail"]
        assert c.get("/api/history", params={"group": "swe"}).json()["totals"]["completions"] == 0


def test_configured_names_and_the_listening_address_are_answered(settings: Settings) -> None:
    configured = make_settings(settings.data_dir, allowed_hosts="study.lan, [fd00::5]", host="192.168.1.20")
    with _client(configured) as c:  # off loopback: the static files are what needs no login
        for host in ["study.lan", "STUDY.LAN:5555", "[fd00::5]:80", "192.168.1.20:5555"]:
            assert c.get("/static/app.css", headers={"Host": host}).status_code == 200, host
        assert c.get("/static/app.css", headers={"Host": "other.lan"}).status_code == 400


def test_listening_on_every_interface_allows_no_extra_name(settings: Settings) -> None:
    with _client(make_settings(settings.data_dir, allowed_hosts="", host="0.0.0.0")) as c:
        assert c.get("/api/groups", headers={"Host": "0.0.0.0:5555"}).status_code == 400


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("localhost:5555", "localhost"),
        ("[::1]:5555", "::1"),
        ("[::1]", "::1"),
        ("Example.COM.", "example.com"),
        ("", ""),
    ],
)
def test_host_name(header: str, name: str) -> None:
    assert host_name(header) == name
