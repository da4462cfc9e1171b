"""The FastAPI application factory: pages, the JSON API, static files and error mapping.

Every router is imported here at module level: a route module that fails to import stops the
server at start, rather than serving the app without that feature.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from study_tracker.config import Settings, get_settings
from study_tracker.errors import StudyError
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase
from study_tracker.tracker.startup import prepare
from study_tracker.web import apidocs, errors, security
from study_tracker.web.knowledge import close_knowledge, open_knowledge
from study_tracker.web.limits import BodyLimitMiddleware
from study_tracker.web.routes import (
    ask,
    assets,
    config,
    drill,
    history,
    login,
    plan,
    plan_exports,
    questions,
    report,
    review_cards,
    reviews,
    roadmap_paths,
    roadmaps,
    search,
    skills,
    sources,
    today,
    topics,
    tracks,
    transfer,
    undo,
    watch,
    what_next,
)

log = logging.getLogger(__name__)

ROUTERS = (
    today.router,
    topics.router,
    review_cards.router,
    reviews.router,
    undo.router,
    history.router,
    config.router,
    transfer.router,
    tracks.router,
    search.router,
    ask.router,
    sources.router,
    watch.router,
    roadmaps.router,
    skills.router,
    what_next.router,
    drill.router,
    questions.router,
    report.router,
    plan.router,
    plan_exports.router,
    roadmap_paths.router,
    assets.router,
    login.router,
)


def create_app(settings: Settings | None = None, *, knowledge_base: KnowledgeBase | None = None) -> FastAPI:
    """The app over ``settings`` (default: from the environment).

    Args:
        settings: where the data is, and every other setting.
        knowledge_base: the knowledge base to serve (tests pass one with their own encoder);
            by default the lifespan opens one over ``settings.knowledge_path``.
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            prepare(settings)  # migrate, seed the bundled tracks' settings, read back config.json edits
        except StudyError as exc:
            # Serve anyway: every page then says what is wrong and what to do (deps.ready retries).
            log.error("the data folder is not usable: %s", exc.message)
            app.state.unavailable = exc
        open_knowledge(app, settings, knowledge_base)
        try:
            yield
        finally:
            close_knowledge(app)

    app = FastAPI(
        title="study-tracker",
        description="Curricula, spaced-repetition reviews, history and your own knowledge base.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served by web/apidocs.py from vendored files
        redoc_url=None,
        # Any operation may meet a busy or damaged database (503) or a full or read-only disk (507).
        responses=errors.responses(503, 507),
    )
    app.state.settings = settings
    app.state.unavailable = None
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    for router in ROUTERS:
        app.include_router(router)
    apidocs.install(app)
    errors.install(app)
    security.install(app, settings)
    app.add_middleware(BodyLimitMiddleware, settings=settings)  # outside routing: before any body is read
    return app
