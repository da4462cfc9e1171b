"""What keeps the web app safe to leave running while the user browses the web: one module per
concern, installed around the app by ``install``."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware

from study_tracker.config import Settings
from study_tracker.web.security.auth import AuthGate, login_required
from study_tracker.web.security.flash import COOKIE, LazyKey, SecureOverHttps
from study_tracker.web.security.headers import SecurityHeaders
from study_tracker.web.security.hosts import HostGuard, allowed_names
from study_tracker.web.security.origin import CrossSiteGuard


def install(app: FastAPI, settings: Settings) -> None:
    """Wrap ``app`` in the security middleware (the last added runs first)."""
    if login_required(settings):
        app.add_middleware(AuthGate, settings=settings)  # inside the session: reads its cookie
    app.add_middleware(
        SessionMiddleware, secret_key=LazyKey(settings.data_dir), session_cookie=COOKIE, same_site="lax"
    )
    app.add_middleware(SecureOverHttps)  # sees the session's Set-Cookie
    app.add_middleware(CrossSiteGuard)
    app.add_middleware(HostGuard, names=allowed_names(settings))  # before anything else looks
    app.add_middleware(SecurityHeaders)  # outermost: refusals get the headers too
