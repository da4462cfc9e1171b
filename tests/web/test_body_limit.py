"""The request-body cap over real HTTP (uvicorn): a declared length over the limit is refused
before a byte of the body is sent, a chunked body is cut off once it passes the limit, and each
route kind has its own limit."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from study_tracker.config import Settings
from study_tracker.knowledge.jobs import status as job_status
from study_tracker.web.limits import body_limit
from tests.served_app import served


def _response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Read one HTTP/1.1 response (the server closes the connection after a 413)."""
    data = b""
    sock.settimeout(30)
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = [h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length:")]
        if length and len(body) >= int(length[0].split(b":")[1]):
            break
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


def _connect(base_url: str) -> socket.socket:
    host, port = base_url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=30)


def test_limits_go_by_route_kind(settings: Settings) -> None:
    s = settings.model_copy(
        update={"body_max_kb": 100, "upload_max_mb": 3, "roadmap_max_mb": 2, "import_max_mb": 5}
    )
    assert body_limit(s, "/api/completions").max_bytes == 100 * 1024
    assert body_limit(s, "/sources/upload").max_bytes == 3 * 1024 * 1024
    assert body_limit(s, "/api/sources/upload").setting == "STUDY_UPLOAD_MAX_MB"
    assert body_limit(s, "/api/roadmaps").max_bytes > 2 * 1024 * 1024 > body_limit(s, "/api/undo").max_bytes
    assert body_limit(s, "/api/import").setting == "STUDY_IMPORT_MAX_MB"
    assert body_limit(s, "/roadmaps/x/items/tick").setting == "STUDY_BODY_MAX_KB"


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(settings: Settings) -> None:
    with served(settings) as url, _connect(url) as sock:
        host = url.removeprefix("http://")
        sock.sendall(
            (
                f"POST /api/completions HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                "Content-Length: 5000000000\r\n\r\n"
            ).encode()
        )  # and not one byte of the 5 GB: the answer must come anyway
        status, headers, body = _response(sock)
    assert status == 413
    detail = json.loads(body)["detail"]
    assert "at most 1.0 MB" in detail and "STUDY_BODY_MAX_KB" in detail
    assert headers["connection"] == "close"


def test_a_chunked_upload_is_cut_off_at_the_limit(settings: Settings) -> None:
    small = settings.model_copy(update={"upload_max_mb": 1})
    boundary = "b0undary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.md"\r\n'
        "Content-Type: text/markdown\r\n\r\n"
    ).encode()
    piece = b"# Notes\n" + b"x" * (64 * 1024 - 8)
    sent = 0
    with served(small) as url, _connect(url) as sock:
        host = url.removeprefix("http://")
        sock.sendall(
            (
                f"POST /sources/upload HTTP/1.1\r\nHost: {host}\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                "Transfer-Encoding: chunked\r\n\r\n"
            ).encode()
        )
        try:
            for chunk in [head] + [piece] * 40:  # 2.5 MB, no length declared
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed: it read no further
        status, _, body = _response(sock)
    assert status == 413
    assert "an upload may send at most 1.0 MB (setting STUDY_UPLOAD_MAX_MB)" in body.decode()
    assert body.decode().startswith("The request is too large")  # a page's form gets words, not JSON
    folder = job_status.uploads_dir(small)
    kept = [p.name for p in folder.rglob("*") if p.is_file()] if folder.is_dir() else []
    assert kept == []  # nothing of the refused upload is kept
    assert not job_status.recent_jobs(small)


def test_chunked_bodies_under_the_limit_are_read(settings: Settings) -> None:
    def body():  # type: ignore[no-untyped-def]
        yield b'{"track": "nope", '
        yield b'"day": 1, "difficulty": 3}'

    with served(settings) as url, httpx.Client(base_url=url) as client:
        r = client.post("/api/completions", content=body(), headers={"Content-Type": "application/json"})
    assert r.status_code in (404, 422)  # read whole and judged by the route, not cut off
    assert "STUDY_BODY_MAX_KB" not in r.text


@pytest.mark.parametrize("path", ["/api/import", "/api/roadmaps"])
def test_imports_and_roadmaps_have_their_own_limit(settings: Settings, path: str) -> None:
    s = settings.model_copy(update={"import_max_mb": 1, "roadmap_max_mb": 1})
    with served(s) as url, httpx.Client(base_url=url) as client:
        big = b"x" * (2 * 1024 * 1024)
        r = client.post(path, content=big, headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 413
    setting = "STUDY_IMPORT_MAX_MB" if path == "/api/import" else "STUDY_ROADMAP_MAX_MB"
    assert setting in r.json()["detail"]
