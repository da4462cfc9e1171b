"""What the benchmarks that go through a running `study serve` share: a free port, the child's
environment, starting it, waiting until it answers, stopping it (and the background prepare it
may have started), and the percentile they all print.

    from served import pct, serve

    with serve(data_dir, STUDY_TODAY="2026-11-22") as base_url:
        httpx.get(base_url + "/")
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

import httpx

PYTHON_M = (sys.executable, "-m", "study_tracker")


def pct(values: list[float], q: int) -> float:
    """The q-th percentile (inclusive method; a single value is its own percentile)."""
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(data_dir: Path, **env: str) -> dict[str, str]:
    """This process's environment with the data folder set, quiet logs, and ``env`` on top."""
    return {**os.environ, "STUDY_DATA_DIR": str(data_dir), "STUDY_LOG_LEVEL": "WARNING", **env}


def stop_prepare(data_dir: Path) -> None:
    """The prepare child runs in its own session (it outlives the server): stop it if still running."""
    status = data_dir / "knowledge" / "jobs" / "prepare.json"
    try:
        job = json.loads(status.read_text())
    except (OSError, ValueError):
        return
    if job.get("pid") and job.get("state") == "running":
        with contextlib.suppress(ProcessLookupError):
            os.kill(job["pid"], signal.SIGTERM)


def _stderr_tail(stderr: IO[bytes], limit: int = 3000) -> str:
    stderr.flush()
    stderr.seek(0)
    return stderr.read().decode(errors="replace")[-limit:]


@contextlib.contextmanager
def serve(
    data_dir: Path,
    *,
    command: Sequence[str] = PYTHON_M,
    ready_path: str = "/api/groups",
    timeout: float = 60,
    poll: float = 0.1,
    **env: str,
) -> Iterator[str]:
    """Run ``<command> serve --port <free port>`` over ``data_dir`` and yield its base URL once
    GET ``ready_path`` answers 200.

    ``env`` (e.g. ``STUDY_TODAY="2026-11-22"``) goes on top of :func:`server_env`. The server is
    always stopped on the way out (terminate, then kill if it takes more than 30 s), and so is a
    background prepare of the knowledge base it started.

    Raises:
        RuntimeError: the server exited, answered something other than 200, or did not answer
            within ``timeout`` seconds; the message carries the end of its stderr.
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # A file, not a pipe: a chatty server would block once a pipe nobody reads is full.
    with tempfile.TemporaryFile() as stderr:
        server = subprocess.Popen(
            [*command, "serve", "--port", str(port)],
            env=server_env(data_dir, **env),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            with httpx.Client(base_url=base, timeout=5) as client:
                deadline = time.monotonic() + timeout
                while True:
                    if server.poll() is not None:
                        raise RuntimeError(
                            f"`study serve` exited with code {server.returncode} before answering; "
                            f"its stderr:\n{_stderr_tail(stderr)}"
                        )
                    try:
                        r = client.get(ready_path)
                    except httpx.TransportError:
                        if time.monotonic() > deadline:
                            raise RuntimeError(
                                f"`study serve` did not answer GET {ready_path} within {timeout:.0f} s; "
                                f"its stderr:\n{_stderr_tail(stderr)}"
                            ) from None
                        time.sleep(poll)
                        continue
                    if r.status_code != 200:
                        raise RuntimeError(
                            f"`study serve` answered GET {ready_path} with {r.status_code}: {r.text[:300]}\n"
                            f"its stderr:\n{_stderr_tail(stderr)}"
                        )
                    break
            yield base
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            stop_prepare(data_dir)
