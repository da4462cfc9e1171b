"""Refresh the README screenshots (docs/img): Today and History on a desktop and a phone, in
light and dark, from a throwaway data folder with a few days of study.

    PYTHONPATH=src python docs/screenshots.py

Needs Debian's chromium (/usr/bin/chromium) and Playwright, as the browser tests do.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS, Server  # noqa: E402

OUT = ROOT / "docs" / "img"
SHOTS = [
    # (file, path, viewport, theme)
    ("today.png", "/?group=ml_specialist", {"width": 1280, "height": 900}, "light"),
    ("today-dark.png", "/?group=ml_specialist", {"width": 1280, "height": 900}, "dark"),
    ("today-phone.png", "/?group=ml_specialist", {"width": 390, "height": 844}, "light"),
    ("today-phone-dark.png", "/?group=ml_specialist", {"width": 390, "height": 844}, "dark"),
    ("history.png", "/history?group=ml_specialist", {"width": 1280, "height": 900}, "light"),
    ("report-dark.png", "/report", {"width": 1280, "height": 900}, "dark"),
]


def study(data_dir: Path, today: str, *args: str) -> None:
    env = {**os.environ, "STUDY_DATA_DIR": str(data_dir), "STUDY_TIMEZONE": "UTC", "STUDY_TODAY": today}
    subprocess.run([sys.executable, "-m", "study_tracker", *args], env=env, check=True, capture_output=True)


def main() -> None:
    server = Server(Path(tempfile.mkdtemp(prefix="shots-")) / "data")
    for day, track, difficulty in [
        ("2026-11-16", "ml_algorithms", "3"),
        ("2026-11-17", "ml_algorithms", "4"),
        ("2026-11-18", "ml_system_design", "2"),
        ("2026-11-20", "ml_algorithms", "3"),
    ]:
        study(server.data_dir, day, "complete", track, "-d", difficulty)
    server.start(today="2026-11-22")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            for name, path, viewport, theme in SHOTS:
                context = browser.new_context(viewport=viewport, color_scheme=theme)
                page = context.new_page()
                page.goto(server.url + path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(OUT / name))
                context.close()
                print("wrote", OUT / name)
            browser.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
