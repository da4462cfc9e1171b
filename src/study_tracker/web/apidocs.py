"""The API documentation at /docs: Swagger UI from the vendored files (``static/vendor/swagger-ui``),
so it works offline and under the CSP (FastAPI's own page loads it from a CDN with an inline script)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

from study_tracker.web.rendering import TEMPLATES


def api_docs(request: Request) -> Response:
    return TEMPLATES.TemplateResponse(request, "api_docs.html", {"openapi_url": request.app.openapi_url})


def install(app: FastAPI) -> None:
    """Serve /docs; ``app`` must be created with ``docs_url=None`` and ``redoc_url=None``."""
    app.add_api_route("/docs", api_docs, methods=["GET"], include_in_schema=False)
