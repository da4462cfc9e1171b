"""Stopping the server stops the background indexing of the study guides (no orphan child)."""

from __future__ import annotations

import subprocess
import sys

from fastapi.testclient import TestClient

from study_tracker.config import Settings
from study_tracker.web.app import create_app


def _sleeper() -> subprocess.Popen[bytes]:
    # A stand-in for the prepare child, started the same way (in its own session).
    code = "import time\nfor _ in range(600): time.sleep(0.1)"
    return subprocess.Popen([sys.executable, "-c", code], start_new_session=True)


def test_the_prepare_child_stops_with_the_app(settings: Settings) -> None:
    app = create_app(settings)
    with TestClient(app):
        child = _sleeper()
        app.state.knowledge_prepare._child = child
        assert child.poll() is None
    # Leaving the client runs the lifespan's shutdown, as Ctrl-C does for `study serve`.
    assert child.wait(timeout=10) is not None


def test_stop_escalates_when_the_child_ignores_sigterm(settings: Settings) -> None:
    app = create_app(settings)
    with TestClient(app):
        code = "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint('ready', flush=True)\ntime.sleep(60)"
        child = subprocess.Popen([sys.executable, "-c", code], start_new_session=True, stdout=subprocess.PIPE)
        assert child.stdout is not None and child.stdout.readline() == b"ready\n"
        app.state.knowledge_prepare._child = child
        app.state.knowledge_prepare.stop(timeout=0.5)
        assert child.poll() == -9  # SIGKILL after the SIGTERM was ignored
