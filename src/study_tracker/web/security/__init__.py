"""What keeps the web app safe to leave running while the user browses the web: one module per
concern, installed around the app by ``install``."""

from __future__ import annotations

from fastapi import FastAPI

from study_tracker.config import Settings
from study_tracker.web.security.origin import CrossSiteGuard


def install(app: FastAPI, settings: Settings) -> None:
    """Wrap ``app`` in the security middleware (the last added runs first)."""
    app.add_middleware(CrossSiteGuard)
