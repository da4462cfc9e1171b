"""The request-body cap: a body over its route's limit is refused (413) before it is spooled.

Starlette spools an upload to a temporary file and parses a form whole before a handler runs, so
a handler's own check comes too late: a 5 GB body would already be on disk. This ASGI middleware
sits in front of the app: it refuses a declared ``Content-Length`` over the limit without reading
a byte, and counts the bytes of a chunked (or lying) body as they arrive, answering 413 as soon
as they pass the limit; the app then sees a disconnected client, and its own answer is dropped.

Limits go by route kind: uploads (``STUDY_UPLOAD_MAX_MB``), imports (``STUDY_IMPORT_MAX_MB``),
roadmaps (``STUDY_ROADMAP_MAX_MB``), and every other request (``STUDY_BODY_MAX_KB``, small).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from study_tracker.config import Settings

_MB = 1024 * 1024
# A multipart body carries boundaries and the other form fields besides the file itself.
_FORM_SLACK = 64 * 1024

UPLOAD_PATHS = frozenset({"/sources/upload", "/api/sources/upload"})
ROADMAP_PATHS = frozenset({"/roadmaps", "/api/roadmaps"})
IMPORT_PATHS = frozenset({"/api/import"})


@dataclass(frozen=True)
class BodyLimit:
    """How many bytes a request may send, and the words that explain the limit when it is hit."""

    max_bytes: int
    what: str
    setting: str

    def message(self) -> str:
        size = f"{self.max_bytes / _MB:.1f} MB" if self.max_bytes >= _MB else f"{self.max_bytes // 1024} KB"
        return (
            f"The request is too large: {self.what} may send at most {size} "
            f"(setting {self.setting}); nothing was read or changed."
        )


def body_limit(settings: Settings, path: str) -> BodyLimit:
    """The limit for a request to ``path``."""
    if path in UPLOAD_PATHS:
        return BodyLimit(int(settings.upload_max_mb * _MB), "an upload", "STUDY_UPLOAD_MAX_MB")
    if path in ROADMAP_PATHS:
        cap = int(settings.roadmap_max_mb * _MB) + _FORM_SLACK
        return BodyLimit(cap, "a roadmap upload", "STUDY_ROADMAP_MAX_MB")
    if path in IMPORT_PATHS:
        cap = int(settings.import_max_mb * 1_000_000) + _FORM_SLACK
        return BodyLimit(cap, "an import", "STUDY_IMPORT_MAX_MB")
    return BodyLimit(int(settings.body_max_kb * 1024), "a form or API call", "STUDY_BODY_MAX_KB")


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimitMiddleware:
    """Refuses a request body over :func:`body_limit` before the app reads it (see the module doc)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(self.settings, scope["path"])
        declared = _declared_length(scope)
        if declared is not None and declared > limit.max_bytes:
            await _refuse(scope, send, limit)
            return
        received = 0
        refused = started = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.max_bytes:
                    refused = True
                    if not started:
                        await _refuse(scope, send, limit)
                    # The app stops reading as if the client had left; what it answers is dropped.
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not refused:  # a body cut short makes the app fail; that failure is the 413 already sent
                raise


async def _refuse(scope: Scope, send: Send, limit: BodyLimit) -> None:
    """Answer 413: JSON (``ErrorBody``'s shape) for the API, plain text for pages."""
    message = limit.message()
    headers = dict((k.lower(), v) for k, v in scope.get("headers", []))
    wants_json = scope["path"].startswith("/api") or b"application/json" in headers.get(b"accept", b"")
    if wants_json:
        body = json.dumps({"detail": message, "errors": [{"field": "body", "message": message}]}).encode()
        kind = b"application/json"
    else:
        body, kind = message.encode(), b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", kind),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),  # the rest of the body is never read
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
