"""The web app when the data cannot be used: a damaged database (503 naming the backup to restore,
and working again after the restore), a full disk and a read-only folder (507, nothing half-
written), ids no database can hold (404/422, never 500)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from study_tracker.config import Settings
from study_tracker.db.engine import get_engine, session_scope
from study_tracker.tracker import backups, service
from study_tracker.web.app import create_app
from tests.conftest import TODAY, make_settings
from tests.faults import FULL_DISK_MODES, READ_ONLY_MODES, file_size_limit, fill, read_only, tmpfs
from tests.tracker.test_service import moment


def _history(settings: Settings) -> str:
    """A completion and a verified backup of it; returns the backup's name."""
    from study_tracker.tracker.startup import prepare

    prepare(settings)
    with session_scope(settings.db_url) as s:
        service.complete_topic(
            session=s, track="ml_algorithms", day=1, difficulty=3, notes="", now=moment(TODAY), zone=UTC
        )
    name = backups.make_backup(settings, kind="manual").backup.name
    get_engine(settings.db_url).dispose()
    conn = sqlite3.connect(settings.data_dir / "study.db")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return name


def test_a_damaged_database_answers_503_with_the_restore_command_until_restored(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    name = _history(settings)
    (settings.data_dir / "study.db").write_bytes(b"garbage" * 1000)
    with TestClient(create_app(settings)) as client:
        r = client.get("/api/today", params={"group": "ml_specialist"})
        assert r.status_code == 503 and f"study restore {name}" in r.json()["detail"], r.text
        page = client.get("/")
        assert page.status_code == 503 and f"study restore {name}" in page.text
        assert "Not available right now" in page.text
        r = client.post("/api/completions", json={"track": "ml_algorithms", "difficulty": 3})
        assert r.status_code == 503
        backups.restore(settings, name)  # what `study restore NAME` does, the server still running
        r = client.get("/api/today", params={"group": "ml_specialist"})
        assert r.status_code == 200 and r.json()["tracks"][0]["completed"] is True


@contextlib.contextmanager
def _child_server(
    data_dir: Path,
    *,
    preexec: Callable[[], None] | None = None,
    wrap: Callable[[list[str]], list[str]] = lambda a: a,
) -> Iterator[httpx.Client]:
    """The app served by uvicorn in a child process (where the fault applies to that process only)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "STUDY_DATA_DIR": str(data_dir),
        "STUDY_TIMEZONE": "UTC",
        "STUDY_TODAY": str(TODAY),
        "STUDY_INDEX_ON_START": "false",
        "STUDY_LOG_LEVEL": "WARNING",
    }
    argv = wrap(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "study_tracker.web.app:create_app",
            "--factory",
            "--port",
            str(port),
        ]
    )
    proc = subprocess.Popen(
        argv, env=env, preexec_fn=preexec, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            deadline = time.monotonic() + 120
            while True:
                try:
                    client.get("/openapi.json")
                    break
                except httpx.TransportError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(
                            proc.stderr.read().decode() if proc.stderr else "no server"
                        ) from None
                    time.sleep(0.2)
            yield client
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _no_partial_files(data: Path) -> None:
    assert [p.name for p in data.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".partial")] == []


@pytest.mark.parametrize("mode", FULL_DISK_MODES)
def test_a_full_disk_answers_507_and_writes_nothing(tmp_path: Path, mode: str) -> None:
    data = tmp_path / "data"
    mounted = tmpfs(data, "3m") if mode == "tmpfs" else contextlib.nullcontext(data)
    with mounted:
        settings = make_settings(data)
        _history(settings)
        config = data / "swe" / "config.json"
        before = config.read_text()
        filler = fill(data) if mode == "tmpfs" else None
        server = (
            TestClient(create_app(settings))
            if mode == "tmpfs"
            else _child_server(data, preexec=file_size_limit(1024))
        )
        with server as client:
            # On a full disk SQLite may not even open the database (its WAL index needs room): any
            # request may get the 507; the point is that none stores anything, or fails otherwise.
            cfg = json.loads(before)
            cfg["settings"]["review_intervals"] = [2, 4, 8]
            r = client.put("/api/config/swe", json=cfg)
            assert r.status_code == 507 and "nothing was saved" in r.json()["detail"], r.text
            r = client.post("/api/completions", json={"track": "ml_algorithms", "day": 2, "difficulty": 3})
            assert r.status_code == 507, r.text
        if filler:
            filler.unlink()
        _no_partial_files(data)
        assert config.read_text() == before
        get_engine(settings.db_url).dispose()
        with session_scope(settings.db_url) as s:
            assert service.completion_for(s, track="ml_algorithms", day=2) is None
            assert service.completion_for(s, track="ml_algorithms", day=1) is not None


@pytest.mark.parametrize("mode", READ_ONLY_MODES)
def test_a_read_only_data_folder_answers_507_naming_it(tmp_path: Path, mode: str) -> None:
    data = tmp_path / "data"
    settings = make_settings(data)
    _history(settings)
    with read_only(data, mode) as wrap:
        server = TestClient(create_app(settings)) if mode != "namespace" else _child_server(data, wrap=wrap)
        with server as client:
            r = client.get("/api/today", params={"group": "swe"})
            assert (
                r.status_code == 507 and "read-only" in r.json()["detail"] and str(data) in r.json()["detail"]
            )
            r = client.post("/api/completions", json={"track": "ml_algorithms", "day": 2, "difficulty": 3})
            assert r.status_code == 507


def test_ids_no_database_can_hold_are_404_or_422(client: TestClient) -> None:
    huge = 2**63
    for method, path in [
        ("GET", f"/reviews/{huge}"),
        ("POST", f"/reviews/{huge}"),
        ("POST", f"/api/reviews/{huge}"),
        ("GET", f"/drill/{huge}"),
        ("POST", f"/drill/{huge}/answer"),
        ("POST", f"/drill/{huge}/finish"),
        ("GET", f"/api/drills/{huge}"),
        ("POST", f"/api/drills/{huge}/answers"),
        ("GET", f"/api/tracks/ml_algorithms/days/{huge}"),
        ("GET", f"/tracks/ml_algorithms/days/{huge}"),
        ("POST", f"/api/undo?group=swe&entry=completion:{huge}"),
    ]:
        r = client.request(method, path, json={"rating": 3, "position": 0, "grade": 3})
        assert r.status_code in (404, 409, 422), (method, path, r.status_code, r.text)
    assert client.get(f"/api/reviews/{huge - 1}").status_code in (404, 405)
