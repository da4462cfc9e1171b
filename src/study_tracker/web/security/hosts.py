"""The Host allow-list: a request is answered only when its ``Host`` header names this computer
(localhost, 127.0.0.1, [::1]), the address the server listens on, or a configured name
(``STUDY_ALLOWED_HOSTS``); anything else is refused (400) before routing.

Why: with DNS rebinding, a page of evil.example makes its own name point at 127.0.0.1 and then
reads the app's answers as same-origin ones (an export, the source viewer). The browser still
sends ``Host: evil.example``, which is what this check refuses.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from study_tracker.config import Settings
from study_tracker.errors import UnknownHost
from study_tracker.web.errors import answer

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
# Addresses that mean "every interface": no request names them, so they allow nothing.
WILDCARDS = frozenset({"", "0.0.0.0", "::"})


def host_name(header: str) -> str:
    """The name in a ``Host`` header, without port and brackets, lower-cased (``[::1]:5555`` -> ``::1``)."""
    value = header.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    name, _, _port = value.partition(":")
    return name.rstrip(".")


def allowed_names(settings: Settings) -> frozenset[str]:
    """Every host name the server answers to under ``settings``."""
    listening = settings.host.strip().lower().strip("[]")
    own = frozenset() if listening in WILDCARDS else frozenset({listening})
    return LOOPBACK_NAMES | settings.allowed_host_names | own


class HostGuard:
    """ASGI middleware: a request whose ``Host`` is not allowed gets 400 and reaches no route."""

    def __init__(self, app: ASGIApp, *, names: frozenset[str]) -> None:
        self.app = app
        self.names = names

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            header = Headers(scope=scope).get("host", "")
            if host_name(header) not in self.names:
                refusal = UnknownHost(
                    f"Refused: this server does not answer to the host name {header!r}. "
                    "To reach it by that name, add it to STUDY_ALLOWED_HOSTS and restart."
                )
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                    return
                await answer(Request(scope, receive), refusal)(scope, receive, send)
                return
        await self.app(scope, receive, send)
