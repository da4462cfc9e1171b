"""Headers on every response: what the browser may load and run (a strict CSP), no MIME sniffing,
no framing, no referrer to other sites, and exports never kept in a cache.

The CSP allows scripts and styles from the app's own origin only: every script is a static file
(no inline ``<script>``, no ``on*=`` attributes, no ``style=``), and every front-end library is
vendored under ``static/vendor``; ``data:`` images are for Pico's and Swagger UI's icons.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}

# Downloads of the user's data: never stored by the browser or a proxy.
EXPORT_PATHS = frozenset({"/api/export", "/report/export"})


class SecurityHeaders:
    """ASGI middleware: adds ``SECURITY_HEADERS`` to every response (and ``no-store`` to exports)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        no_store = scope["path"] in EXPORT_PATHS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if no_store:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
