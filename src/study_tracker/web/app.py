"""The FastAPI application factory: pages, the JSON API, static files and error mapping."""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from study_tracker.config import Settings, get_settings
from study_tracker.tracker.startup import prepare
from study_tracker.web import errors
from study_tracker.web.routes import api, pages

log = logging.getLogger(__name__)

# Routers of the knowledge engine; each is optional so the tracker serves even without it.
OPTIONAL_ROUTERS = (
    "study_tracker.web.routes.search",
    "study_tracker.web.routes.ask",  # Ask: grounded answers with citations
    "study_tracker.web.routes.sources",  # Sources: upload, add a folder, remove
    "study_tracker.web.routes.viewer",  # Source viewer: a document with the passage marked
    "study_tracker.web.routes.roadmaps",  # Roadmaps and milestones (issue 6)
    "study_tracker.web.routes.skills",  # Skills, What next, Drill, Report (issue 6)
)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        prepare(settings)
        for hook in app.state.startup_hooks:
            hook(settings)
        yield

    app = FastAPI(
        title="study-tracker",
        description="Curricula, spaced-repetition reviews, history and your own knowledge base.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.startup_hooks = []
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    app.include_router(api.router)
    for name in OPTIONAL_ROUTERS:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            log.warning("%s not loaded: %s", name, exc)
            continue
        app.include_router(module.router)
        if hasattr(module, "on_startup"):
            app.state.startup_hooks.append(module.on_startup)
    app.include_router(pages.router)
    errors.install(app)
    return app
