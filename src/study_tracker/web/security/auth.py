"""Off loopback means a login: when the server listens on an address other computers can reach,
every page and API call needs a signed-in browser session or an API token. On loopback (the
default, 127.0.0.1) nothing changes: the computer's own user needs no password.

A browser session is a random token in the signed session cookie (HttpOnly, SameSite=Lax, Secure
over https: see ``flash.py``), known to the database by its hash (``web_sessions``); an API client
sends ``Authorization: Bearer <token>`` (``study auth token create NAME``).
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from study_tracker import clock
from study_tracker.accounts import service as accounts
from study_tracker.accounts.service import SignedIn, login_required
from study_tracker.config import Settings
from study_tracker.db.engine import session_scope
from study_tracker.errors import NotSignedIn
from study_tracker.web.errors import answer

__all__ = ["AuthGate", "login_required"]

SESSION_KEY = "sid"
USER_SCOPE_KEY = "study_user"
# Reachable without signing in: the login form itself and the files it needs.
PUBLIC_PATHS = frozenset({"/login"})
PUBLIC_PREFIXES = ("/static/",)


def _bearer(headers: Headers) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class AuthGate:
    """ASGI middleware (inside the session middleware): lets a request through only with a valid
    API token or browser session; otherwise 401 (API, JSON, non-GET) or a redirect to /login."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    def _who(self, token: str | None, sid: str | None) -> SignedIn | None:
        now = clock.now(self.settings)
        with session_scope(self.settings.db_url) as session:
            if token is not None:
                return accounts.token_user(session=session, token=token, now=now)
            if sid is not None:
                return accounts.session_user(session=session, token=sid, now=now)
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
            await self.app(scope, receive, send)
            return
        token = _bearer(Headers(scope=scope))
        sid = scope.get("session", {}).get(SESSION_KEY)
        who = None
        if token is not None or isinstance(sid, str):
            # A database read: off the event loop.
            who = await run_in_threadpool(self._who, token, sid if isinstance(sid, str) else None)
        if who is not None:
            scope[USER_SCOPE_KEY] = who
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        if token is None and scope["method"] == "GET" and not path.startswith("/api"):
            target = path + (
                f"?{scope['query_string'].decode('latin-1')}" if scope.get("query_string") else ""
            )
            await RedirectResponse(f"/login?next={quote(target)}", status_code=303)(scope, receive, send)
            return
        why = "this API token is not valid" if token is not None else "sign in first"
        refusal = NotSignedIn(
            f"{why}: this server is reachable from other computers, so it needs a session "
            "(/login) or an API token (Authorization: Bearer, from `study auth token create NAME`)"
        )
        response = answer(request, refusal)
        response.headers["WWW-Authenticate"] = "Bearer"
        await response(scope, receive, send)
