"""A real server process and Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``study serve`` in a subprocess; ``restart(today=...)`` moves its clock, keeping the data."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, today: str) -> None:
        env = {
            **os.environ,
            "STUDY_DATA_DIR": str(self.data_dir),
            "STUDY_TODAY": today,
            "STUDY_TIMEZONE": "UTC",
            "STUDY_INDEX_ON_START": "false",
            "STUDY_LOG_LEVEL": "WARNING",
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "study_tracker", "serve", "--port", str(self.port)], env=env
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/api/groups", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("server did not start in 60 s")

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=20)
            self.proc = None

    def restart(self, today: str) -> None:
        self.stop()
        self.start(today)

    def ingest(self, folder: Path, files: dict[str, str]) -> None:
        """Write ``files`` (name -> text) into a new ``folder`` and ingest it into this server's
        data folder with `study ingest` (the real embedding model); call it before ``start``."""
        folder.mkdir()
        for name, text in files.items():
            (folder / name).write_text(text)
        env = {**os.environ, "STUDY_DATA_DIR": str(self.data_dir), "HF_HUB_OFFLINE": "1"}
        done = subprocess.run(
            [sys.executable, "-m", "study_tracker", "ingest", str(folder), "-q"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path / "data")
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Debian chromium not found at {CHROMIUM}: `make test` installs it (apt-get install chromium)"
        )
    from playwright.sync_api import expect, sync_playwright

    # expect() polls for 5 s by default, less than a page load takes on a busy 2-core machine;
    # give assertions the same patience as actions (30 s).
    expect.set_options(timeout=30_000)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    yield pg
    context.close()
