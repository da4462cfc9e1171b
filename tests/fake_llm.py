"""A local OpenAI-compatible chat-completions server for tests (the real HTTP protocol, in a thread).

``POST /v1/chat/completions`` answers like OpenAI/Ollama/llama.cpp: one JSON body, or with
``"stream": true`` server-sent events (``data: {chunk}`` lines, then ``data: [DONE]``). ``mode``
makes it misbehave the ways real endpoints do::

    with FakeLLM(reply="Hashing uses a ring [1].") as fake:
        config = LLMConfig(base_url=fake.base_url, model="fake", timeout_s=0.5)

Modes: ``ok``; ``down`` (nothing listens on the port); ``slow`` (waits ``delay`` seconds before
answering); ``500`` (every request fails, or only the first ``fail_times``); ``malformed``
(invalid JSON); ``cut`` (the stream stops after a few pieces, without ``[DONE]``).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = str | Callable[[dict[str, Any]], str]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeLLM:
    """A chat-completions server on 127.0.0.1; ``requests`` holds the JSON bodies received."""

    def __init__(
        self,
        reply: Reply = "This is the answer [1].",
        *,
        mode: str = "ok",
        delay: float = 2.0,
        fail_times: int | None = None,
        piece_delay: float = 0.0,
    ) -> None:
        self.reply = reply
        self.mode = mode
        self.delay = delay
        self.fail_times = fail_times
        self.piece_delay = piece_delay
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = _free_port()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def text_for(self, body: dict[str, Any]) -> str:
        return self.reply(body) if callable(self.reply) else self.reply

    def __enter__(self) -> FakeLLM:
        if self.mode != "down":
            fake = self

            class Handler(_Handler):
                server_fake = fake

            self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
            self._server.daemon_threads = True
            self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    server_fake: FakeLLM
    protocol_version = "HTTP/1.0"  # the body ends when the connection closes (as a cut stream does)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        # A client that gave up (a timeout test) has nobody left to answer.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._post()

    def _post(self) -> None:
        fake = self.server_fake
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send(404, b'{"error": "not found"}')
            return
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            body = json.loads(raw)
        except ValueError:
            self._send(400, b'{"error": "bad json"}')
            return
        fake.requests.append(body)
        fake.headers.append(dict(self.headers.items()))
        n = len(fake.requests)
        if fake.mode == "slow":
            time.sleep(fake.delay)
        if fake.mode == "500" and (fake.fail_times is None or n <= fake.fail_times):
            self._send(500, b'{"error": {"message": "model crashed"}}')
            return
        text = fake.text_for(body)
        if not body.get("stream"):
            if fake.mode == "malformed":
                self._send(200, b'{"choices": [{"message": {"content": "half')
                return
            reply = {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "model": body.get("model", ""),
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                ],
            }
            self._send(200, json.dumps(reply).encode())
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        pieces = _pieces(text)
        if fake.mode == "cut":
            pieces = pieces[: max(1, len(pieces) // 2)]
        for piece in pieces:
            self._event({"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
            if fake.piece_delay:
                time.sleep(fake.piece_delay)
        if fake.mode == "malformed":
            self.wfile.write(b'data: {"choices": [{"delta": {"content": "bro\n\n')
            return
        if fake.mode == "cut":
            return  # the connection closes with no finish_reason and no [DONE]
        self._event({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()

    def _event(self, chunk: dict[str, Any]) -> None:
        self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
        self.wfile.flush()


def _pieces(text: str) -> list[str]:
    """The reply in word-sized pieces, as a model streams tokens."""
    out, cur = [], ""
    for ch in text:
        cur += ch
        if ch == " ":
            out.append(cur)
            cur = ""
    if cur:
        out.append(cur)
    return out
