"""What a browser asks for at fixed addresses: ``/favicon.ico`` (the app's SVG icon, so no first
load ends in a 404) and the web-app manifest under its own media type."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC = Path(__file__).parents[1] / "static"

router = APIRouter(tags=["assets"])


@router.get("/favicon.ico", response_class=FileResponse)
def favicon() -> FileResponse:
    """The app icon (SVG), where browsers look for it first."""
    return FileResponse(
        STATIC / "icon.svg", media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"}
    )


@router.get("/manifest.webmanifest", response_class=FileResponse)
def manifest() -> FileResponse:
    """The web-app manifest: name, colours and icon for "install" and home-screen links."""
    return FileResponse(STATIC / "manifest.webmanifest", media_type="application/manifest+json")
