"""No state change from another site: every POST/PUT/PATCH/DELETE a browser sends on behalf of a
page of another origin is refused (403) before any route runs, whatever its content type.

Browsers say where a request comes from and pages cannot forge it: ``Sec-Fetch-Site`` (every
current browser) and, failing that, ``Origin`` (older ones send it on every cross-origin POST).
A request with neither comes from a program (the CLI, curl, an API client), which no web page can
drive, so it keeps working. ``same-site`` is refused too: for a browser, http://localhost:8000
and http://localhost:5555 are the same site, so any other local web server would count.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from study_tracker.errors import CrossSiteRequest
from study_tracker.web.errors import answer

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Sec-Fetch-Site values of a request the user or the app's own pages made.
TRUSTED_SITES = frozenset({"same-origin", "none"})


def own_origin(scope: Scope) -> str:
    """The origin the request was sent to: scheme and Host header, as a browser writes ``Origin``."""
    host = Headers(scope=scope).get("host", "")
    return f"{scope.get('scheme', 'http')}://{host}".lower()


def cross_site_reason(headers: Headers, origin: str) -> str | None:
    """Why a state-changing request must be refused, or None when it may go on.

    Args:
        headers: the request's headers.
        origin: the app's own origin for this request (``own_origin``).
    """
    site = headers.get("sec-fetch-site")
    if site is not None:
        if site.lower() in TRUSTED_SITES:
            return None
        return f"it was sent by a page of another site (Sec-Fetch-Site: {site})"
    claimed = headers.get("origin")
    if claimed is None:
        return None  # not a browser: the CLI, curl or an API client
    if claimed.lower() != origin:
        return f"it was sent by a page of another site (Origin: {claimed})"
    return None


class CrossSiteGuard:
    """ASGI middleware: refuses a cross-site state change with 403 (JSON under /api, a page elsewhere)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            reason = cross_site_reason(Headers(scope=scope), own_origin(scope))
            if reason is not None:
                refusal = CrossSiteRequest(
                    f"Refused: {reason}. study-tracker accepts changes only from its own pages, "
                    "the command line and API clients; nothing was changed."
                )
                await answer(Request(scope, receive), refusal)(scope, receive, send)
                return
        await self.app(scope, receive, send)
