"""Security headers on every response, no-store on exports, templates the CSP can run, and /docs
served from the vendored Swagger UI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from study_tracker.web.security.headers import CONTENT_SECURITY_POLICY

WEB = Path(__file__).parents[3] / "src" / "study_tracker" / "web"
EXPECTED = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


def test_the_policy_is_strict() -> None:
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]:
        assert directive in CONTENT_SECURITY_POLICY
    assert "unsafe" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", "/", {}, 200),
        ("GET", "/history", {}, 200),
        ("GET", "/api/today?group=swe", {}, 200),
        ("GET", "/static/app.css", {}, 200),
        ("GET", "/docs", {}, 200),
        ("GET", "/openapi.json", {}, 200),
        ("GET", "/nope", {}, 404),
        ("GET", "/api/groups", {"Host": "evil.example"}, 400),  # refusals carry them too
        ("POST", "/api/undo", {"Sec-Fetch-Site": "cross-site"}, 403),
    ],
)
def test_every_response_has_the_headers(
    client: TestClient, method: str, path: str, headers: dict[str, str], status: int
) -> None:
    r = client.request(method, path, headers=headers)
    assert r.status_code == status
    for name, value in EXPECTED.items():
        assert r.headers[name] == value, name
    assert "no-store" not in r.headers.get("cache-control", "")


@pytest.mark.parametrize("path", ["/api/export", "/report/export"])
def test_exports_are_never_cached(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I), "an inline script"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an on* event handler"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"<style", re.I), "a <style> element"),
    (re.compile(r"\shx-on", re.I), "an hx-on handler (htmx evaluates it)"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


@pytest.mark.parametrize("template", sorted((WEB / "templates").glob("*.html")), ids=lambda p: p.name)
def test_templates_have_nothing_the_csp_refuses(template: Path) -> None:
    text = template.read_text(encoding="utf-8")
    for pattern, what in INLINE:
        found = pattern.search(text)
        assert found is None, f"{template.name} has {what}: {found.group(0) if found else ''}"


def test_api_docs_come_from_vendored_files(client: TestClient) -> None:
    html = client.get("/docs").text
    assert not re.search(r"https?://", html)  # nothing from a CDN
    assert "<script>" not in html
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert client.get(asset).status_code == 200, asset
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert client.get("/redoc").status_code == 404  # FastAPI's ReDoc page loads from a CDN: gone
