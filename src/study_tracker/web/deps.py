"""FastAPI dependencies: settings, a database session per request, and the clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from study_tracker import clock
from study_tracker.config import Settings
from study_tracker.content.curriculum import GROUPS
from study_tracker.db.engine import session_scope


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_session(request: Request) -> Iterator[Session]:
    """A session committed when the handler returns normally, rolled back on any error."""
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


GROUP_COOKIE = "group"


def current_group(request: Request) -> str:
    """The group picked in the nav bar's switcher (query parameter, then cookie, then SWE)."""
    for candidate in (request.query_params.get("group"), request.cookies.get(GROUP_COOKIE)):
        if candidate in GROUPS:
            return candidate
    return next(iter(GROUPS))
