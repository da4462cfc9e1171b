"""The real app served over real HTTP (uvicorn in a thread of this process), and requests fired at it
at the same moment from many threads: what race tests need."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from fastapi import FastAPI

from study_tracker.config import Settings
from study_tracker.web.app import create_app


@contextmanager
def served(settings: Settings, app: FastAPI | None = None) -> Iterator[str]:
    """``app`` (default ``create_app(settings)``) listening on a free local port; yields its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app or create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def at_once(
    count: int, request: Callable[[httpx.Client], httpx.Response], base_url: str
) -> list[httpx.Response]:
    """``count`` requests sent together: each thread has its own connection, and all wait on one
    barrier so they leave within a millisecond of each other."""
    barrier = threading.Barrier(count)
    results: list[httpx.Response | BaseException] = [RuntimeError("not run")] * count

    def worker(i: int) -> None:
        with httpx.Client(base_url=base_url, timeout=120) as client:
            client.get("/api/tracks")  # open the connection before the barrier
            barrier.wait()
            try:
                results[i] = request(client)
            except BaseException as exc:  # reported below, with the others
                results[i] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        raise failed[0]
    return [r for r in results if isinstance(r, httpx.Response)]
