"""Every FastAPI dependency of the web app and its ``Annotated`` alias; route modules define none.

Settings, a database session per request, the clock, the group a page shows, the API's ``group``
query parameter, the fields both roadmap item forms share, and the app's knowledge base (opened
once per app by the lifespan, see ``web/knowledge.py``).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Annotated

from fastapi import Depends, Form, Path, Query, Request
from sqlalchemy.orm import Session

from study_tracker import clock
from study_tracker.config import Settings
from study_tracker.content.curriculum import GROUPS
from study_tracker.db.engine import session_scope
from study_tracker.db.models import MAX_ID
from study_tracker.errors import EncoderNotReady, ModelNotFound, PayloadTooLarge, StudyError
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase
from study_tracker.practice.grading.base import Grader
from study_tracker.practice.grading.factory import make_grader
from study_tracker.tracker.startup import prepare


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


_PREPARE = threading.Lock()


def ready(request: Request) -> None:
    """Refuse while the data folder could not be prepared at start (a damaged database, a read-only
    folder, a config file to fix), trying again first: after a ``study restore`` or a fix, the next
    request works without restarting the server.

    Raises:
        StudyError: what still stops the app (503 / 507 / 400), with the message of ``prepare``.
    """
    state = request.app.state
    if getattr(state, "unavailable", None) is None:
        return
    with _PREPARE:
        if state.unavailable is None:
            return
        try:
            prepare(state.settings)
        except StudyError as exc:
            state.unavailable = exc
            raise
        state.unavailable = None


# Requests using the database at the same time; the others wait their turn on the event loop. Under
# a burst this keeps the threads few, so the one holding SQLite's write lock is not starved of the
# GIL by dozens of others polling for it (50 clients: bench/write_load.py, README figures).
DB_CONCURRENCY = 8


async def admitted(request: Request) -> AsyncIterator[None]:
    """Wait for one of the ``DB_CONCURRENCY`` places (created with the app's event loop)."""
    gate = getattr(request.app.state, "db_gate", None)
    if gate is None:
        gate = request.app.state.db_gate = asyncio.Semaphore(DB_CONCURRENCY)
    async with gate:
        yield


def get_session(
    request: Request, _admitted: Annotated[None, Depends(admitted, scope="function")]
) -> Iterator[Session]:
    """A session committed when the handler returns normally, rolled back on any error."""
    ready(request)
    with session_scope(get_settings(request).db_url) as session:
        yield session


# scope="function": commit before the response is sent. FastAPI otherwise runs the code after
# ``yield`` once the response is out, so a browser following a 303 after a form post could read
# the page before the write was committed (seen as flaky pages on a busy machine).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@dataclass(frozen=True)
class Clock:
    now: datetime
    today: date
    zone: tzinfo


def get_clock(request: Request) -> Clock:
    settings = get_settings(request)
    zone = clock.local_zone(settings)
    now = clock.now(settings)
    return Clock(now=now, today=clock.local_date(now, zone), zone=zone)


ClockDep = Annotated[Clock, Depends(get_clock)]


GROUP_COOKIE = "group"


def current_group(request: Request) -> str:
    """The group picked in the nav bar's switcher (query parameter, then cookie, then SWE)."""
    for candidate in (request.query_params.get("group"), request.cookies.get(GROUP_COOKIE)):
        if candidate in GROUPS:
            return candidate
    return next(iter(GROUPS))


def import_limit(settings: Settings) -> int:
    return int(settings.import_max_mb * 1_000_000)


async def import_body(request: Request) -> bytes:
    """The request body of an import, read up to its cap (``STUDY_IMPORT_MAX_MB``) and no further.

    Raises:
        PayloadTooLarge: the declared or the actual body is over the cap (413).
    """
    cap = import_limit(get_settings(request))
    too_large = PayloadTooLarge.field("body", f"is larger than the import limit of {cap / 1e6:g} MB")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


ImportBodyDep = Annotated[bytes, Depends(import_body)]

# An id in a path: anything the database could not hold is refused (422) before it is looked up.
IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="An id (1 to 2^63-1).")]

# The group a page shows (pages never refuse an unknown group: they fall back to the default).
GroupDep = Annotated[str, Depends(current_group)]
# The group an API call is about, as given (an unknown one is a 404 from the service).
GroupQuery = Annotated[str, Query(description="swe or ml_specialist")]


@dataclass(frozen=True)
class RoadmapItemForm:
    """What both roadmap item forms post besides their own field: the roadmap, the item, and the
    page to go back to (a same-site path only: the form must never redirect elsewhere)."""

    slug: str
    key: str
    back: str


def roadmap_item_form(
    slug: str, key: Annotated[str, Form()] = "", back: Annotated[str, Form()] = ""
) -> RoadmapItemForm:
    safe = back.startswith("/") and not back.startswith("//")
    return RoadmapItemForm(slug=slug, key=key, back=back if safe else f"/roadmaps/{slug}")


RoadmapItemDep = Annotated[RoadmapItemForm, Depends(roadmap_item_form)]


def get_knowledge_base(request: Request) -> KnowledgeBase:
    """The app's ``KnowledgeBase``, opened once by the lifespan (``web/knowledge.py``)."""
    kb = getattr(request.app.state, "knowledge_base", None)
    if kb is None:
        raise RuntimeError("the knowledge base is opened by the app's lifespan, which has not run")
    return kb


KnowledgeDep = Annotated[KnowledgeBase, Depends(get_knowledge_base)]


_GRADER = threading.Lock()


def get_grader(request: Request) -> Grader | None:
    """The app's grader (the LLM's when one is configured, else offline), made on first use and
    kept on ``app.state``; None while the embedding model is not ready (the learner grades alone).

    A sync dependency, so FastAPI runs it in the thread pool: the first call loads the ONNX model.
    """
    state = request.app.state
    grader = getattr(state, "grader", None)
    if grader is not None:
        return grader
    with _GRADER:
        if getattr(state, "grader", None) is None:
            try:
                state.grader = make_grader(
                    get_settings(request), kb=get_knowledge_base(request), export=False
                )
            except (EncoderNotReady, ModelNotFound):
                return None  # asked again next time: the background prepare may finish
        return state.grader


GraderDep = Annotated[Grader | None, Depends(get_grader)]
