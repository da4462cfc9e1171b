"""Maps domain errors to HTTP responses: JSON under /api, a page elsewhere."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from study_tracker.errors import FieldError, StudyError
from study_tracker.web.rendering import render


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api") or "application/json" in request.headers.get("accept", "")


def _json(status: int, message: str, errors: list[FieldError]) -> JSONResponse:
    return JSONResponse(
        {"detail": message, "errors": [{"field": e.field, "message": e.message} for e in errors]},
        status_code=status,
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(StudyError)
    async def tracker_error(request: Request, exc: StudyError) -> Response:
        if _wants_json(request):
            return _json(exc.status, exc.message, exc.errors)
        ctx = {
            "status": exc.status,
            "title": "Not found" if exc.status == 404 else "Cannot do that",
            "message": exc.message,
        }
        return render(request, "error.html", ctx, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError) -> Response:
        # Same plain sentences as the services: "difficulty: must be ... 5", without the "body." prefix.
        errors = []
        for err in exc.errors():
            loc = [str(p) for p in err["loc"] if p not in ("body", "query", "path")]
            message = str(err["msg"]).replace("Input should be", "must be").removeprefix("Value error, ")
            errors.append(FieldError(".".join(loc) or "body", message))
        text = "; ".join(str(e) for e in errors)
        if _wants_json(request):
            return _json(422, text, errors)
        return render(
            request, "error.html", {"status": 422, "title": "Invalid input", "message": text}, status_code=422
        )
