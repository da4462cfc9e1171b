"""The one place that turns errors into HTTP answers: JSON under /api, a page elsewhere.

A ``StudyError`` carries its status and field errors (``study_tracker/errors.py``); this module
adds what only the web knows: the "still being indexed (N%)" message while the first-start
prepare runs (and starting that prepare when the query encoder is missing), ``ErrorBody`` (the
JSON shape, documented on every /api operation with ``responses(...)``), and ``refused`` (a form
page shown again with what a service refused). Handlers never catch an error to pick a status themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from study_tracker.errors import (
    EncoderNotReady,
    FieldError,
    IndexNotBuilt,
    StudyError,
)
from study_tracker.web.knowledge import indexing_message
from study_tracker.web.rendering import render

# --- the JSON body of every error, for the API documentation ---


class FieldErrorBody(BaseModel):
    field: str = Field(description="The field at fault, dotted for nested ones (tracks.x.start_date).")
    message: str = Field(description="What is wrong with it, as a plain sentence.")


class ErrorBody(BaseModel):
    """What every /api error answers."""

    detail: str = Field(description="What went wrong, as a plain sentence.")
    errors: list[FieldErrorBody] = Field(description="The fields at fault; empty when none is.")


_DESCRIPTIONS = {
    400: "Refused: the request cannot be used as it is",
    401: "Sign in first: the server is reachable off this computer (a session cookie or an API token)",
    403: "Refused: a change sent by a page of another site",
    404: "Not found",
    409: "Refused: it conflicts with what is stored",
    413: "Too large",
    422: "Invalid input; `errors` names the fields",
    500: "The knowledge engine failed",
    503: "Not available now: the database is busy or damaged (the message names the backup to restore), "
    "or the knowledge base is not indexed yet, still being prepared, or has an index to rebuild",
    507: "Nothing was stored: the disk is full or the data folder is read-only",
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route: each error status it can answer, with ``ErrorBody``."""
    return {status: {"model": ErrorBody, "description": _DESCRIPTIONS[status]} for status in statuses}


# --- from an error to what the user reads ---


@dataclass(frozen=True)
class Problem:
    status: int
    message: str
    errors: list[FieldError]


def explain(request: Request, exc: StudyError) -> Problem:
    """The status, message and field errors the user gets for ``exc``.

    While the first-start prepare runs, a missing index or query encoder reads "still being
    indexed (N%)"; a missing query encoder also starts that prepare (it exports the encoder).
    """
    message = exc.message
    if isinstance(exc, IndexNotBuilt | EncoderNotReady):
        if isinstance(exc, EncoderNotReady):
            preparer = getattr(request.app.state, "knowledge_prepare", None)
            if preparer is not None:
                preparer.start()
        message = indexing_message(request.app.state.settings) or message
    return Problem(status=exc.status, message=message, errors=exc.errors)


def refused(
    request: Request,
    exc: StudyError,
    template: str,
    context: Callable[[], dict[str, Any]],
    *,
    session: Session | None = None,
    status_code: int | None = None,
) -> Response:
    """A form page shown again after a service refused its input: the field errors, or the
    message when the error names no field, with the error's status.

    ``session`` is rolled back first, so nothing of the refused write is committed and
    ``context()`` reads what is stored. ``status_code`` replaces the status (htmx swaps 2xx only).
    """
    if session is not None:
        session.rollback()
    ctx = context() | {"errors": exc.errors, "message": None if exc.errors else exc.message}
    return render(request, template, ctx, status_code=status_code or exc.status)


# --- the handlers ---


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api") or "application/json" in request.headers.get("accept", "")


def _json(status: int, message: str, errors: list[FieldError]) -> JSONResponse:
    body = ErrorBody(
        detail=message, errors=[FieldErrorBody(field=e.field, message=e.message) for e in errors]
    )
    return JSONResponse(body.model_dump(), status_code=status)


_TITLES = {
    401: "Sign in",
    403: "Refused",
    404: "Not found",
    422: "Invalid input",
    405: "Not a page",
    500: "Something went wrong",
    503: "Not available right now",
    507: "Nothing could be saved",
}
# What a person reads for the errors the framework raises (an unknown address, a form's
# address opened directly); the JSON API keeps the framework's short detail.
_PAGE_MESSAGES = {
    404: "There is no page at this address. It may have been moved, or the link is mistyped.",
    405: "This address receives a form, it is not a page to open. Go back to the page with the "
    "form and send it again.",
    500: "The server met an unexpected error; nothing was saved by this request. The details are "
    "in the server's log.",
}


def _page(request: Request, status: int, message: str) -> Response:
    ctx = {"status": status, "title": _TITLES.get(status, "Cannot do that"), "message": message}
    return render(request, "error.html", ctx, status_code=status)


def answer(request: Request, exc: StudyError) -> Response:
    """What the user gets for ``exc``: JSON under /api (or when JSON is asked for), a page elsewhere.

    The exception handler below and the security middleware (which refuses before any route runs)
    both answer through here.
    """
    problem = explain(request, exc)
    if _wants_json(request):
        return _json(problem.status, problem.message, problem.errors)
    return _page(request, problem.status, problem.message)


def install(app: FastAPI) -> None:
    # Plain functions: Starlette runs them in the threadpool (they read status files, render pages).
    @app.exception_handler(StudyError)
    def study_error(request: Request, exc: StudyError) -> Response:
        return answer(request, exc)

    @app.exception_handler(HTTPException)
    def http_error(request: Request, exc: HTTPException) -> Response:
        # Raised by the framework itself (unknown route, wrong method, a body it cannot parse).
        # Pages get a page a person can read; the API answers in ErrorBody's shape, and a body
        # that is not JSON text is a field error (422), like any other invalid body, not a bare 400.
        response: Response
        status, message, errs = exc.status_code, str(exc.detail), []
        if not _wants_json(request) and status in _PAGE_MESSAGES:
            response = _page(request, status, _PAGE_MESSAGES[status])
        else:
            if status == 400 and message == "There was an error parsing the body":
                errs = [FieldError("body", "is not valid JSON text (UTF-8)")]
                status, message = 422, "body: is not valid JSON text (UTF-8)"
            response = _json(status, message, errs)
        response.headers.update(exc.headers or {})  # a 405 says which methods are allowed
        return response

    @app.exception_handler(Exception)
    def server_error(request: Request, exc: Exception) -> Response:
        # Starlette logs the exception after this answer; the page never shows internals.
        if _wants_json(request):
            return _json(500, "Internal server error", [])
        return _page(request, 500, _PAGE_MESSAGES[500])

    @app.exception_handler(RequestValidationError)
    def request_invalid(request: Request, exc: RequestValidationError) -> Response:
        # Same plain sentences as the services: "difficulty: must be ... 5", without the "body." prefix.
        errors = []
        for err in exc.errors():
            loc = [str(p) for p in err["loc"] if p not in ("body", "query", "path")]
            message = str(err["msg"]).replace("Input should be", "must be").removeprefix("Value error, ")
            errors.append(FieldError(".".join(loc) or "body", message))
        text = "; ".join(str(e) for e in errors)
        if _wants_json(request):
            return _json(422, text, errors)
        return _page(request, 422, text)
