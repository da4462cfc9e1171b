"""The login page and logout, for a server reachable from other computers (``security/auth.py``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from study_tracker.accounts import service as accounts
from study_tracker.errors import StudyError
from study_tracker.web.deps import ClockDep, SessionDep, SettingsDep
from study_tracker.web.rendering import render, see_other
from study_tracker.web.security.auth import SESSION_KEY, login_required
from study_tracker.web.security.flash import pop_flash, see_other_with

router = APIRouter()


def _next(target: str) -> str:
    # Only a path of this site: the form must never send the browser elsewhere.
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, settings: SettingsDep, next: str = "/") -> Response:  # noqa: A002
    """The sign-in form (on loopback there is nothing to sign in to: Today)."""
    if not login_required(settings):
        return see_other("/")
    ctx = {"next": _next(next), "name": accounts.DEFAULT_USER, "notice": pop_flash(request)}
    return render(request, "login.html", ctx)


@router.post("/login", response_class=HTMLResponse)
def login_form(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    name: Annotated[str, Form(max_length=accounts.MAX_NAME)] = accounts.DEFAULT_USER,
    password: Annotated[str, Form(max_length=accounts.MAX_PASSWORD)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",  # noqa: A002
) -> Response:
    """Check the password; a new session (never one the browser brought along) on success."""
    try:
        token = accounts.sign_in(session=session, name=name, password=password, now=clock.now)
    except StudyError as exc:
        ctx = {"next": _next(next), "name": name, "message": exc.message}
        return render(request, "login.html", ctx, status_code=exc.status)
    request.session.clear()
    request.session[SESSION_KEY] = token
    return see_other(_next(next))


@router.post("/logout", response_class=HTMLResponse)
def logout_form(request: Request, session: SessionDep) -> Response:
    """End this browser's session."""
    sid = request.session.get(SESSION_KEY)
    if isinstance(sid, str):
        accounts.sign_out(session=session, token=sid)
    request.session.clear()
    return see_other_with(request, "/login", "Signed out")
