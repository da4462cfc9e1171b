"""The curricula: groups and tracks as JSON, a day's topic, and the study guide pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, RootModel

from study_tracker.content.curriculum import CONTENT_DIR, GROUPS, Topic, Track, load_tracks
from study_tracker.errors import NotFound
from study_tracker.tracker import service
from study_tracker.web import errors
from study_tracker.web.rendering import render, render_markdown

router = APIRouter()


class GroupPublic(BaseModel):
    slug: str
    title: str
    icon: str
    tracks: list[str]


class GroupList(RootModel[list[GroupPublic]]):
    pass


class TrackSummary(BaseModel):
    slug: str
    group: str
    title: str
    days: int


class TrackList(RootModel[list[TrackSummary]]):
    pass


@router.get("/api/groups", tags=["tracks"])
def list_groups() -> GroupList:
    """The groups and the slugs of their tracks."""
    tracks = load_tracks().values()
    return GroupList(
        [
            GroupPublic(
                slug=g.slug, title=g.title, icon=g.icon, tracks=[t.slug for t in tracks if t.group == g.slug]
            )
            for g in GROUPS.values()
        ]
    )


@router.get("/api/tracks", tags=["tracks"])
def list_tracks() -> TrackList:
    """Every bundled track with its length in days."""
    return TrackList(
        [
            TrackSummary(slug=t.slug, group=t.group, title=t.title, days=t.length)
            for t in load_tracks().values()
        ]
    )


@router.get("/api/tracks/{slug}", tags=["tracks"], responses=errors.responses(404, 422))
def get_track(slug: str) -> Track:
    """A track with every day's topic and questions."""
    return service.get_track(slug)


@router.get("/api/tracks/{slug}/days/{day}", tags=["tracks"], responses=errors.responses(404, 422))
def get_topic(slug: str, day: int) -> Topic:
    """One day's topic."""
    return service.get_topic(slug, day)


@router.get("/guides/{name}", response_class=HTMLResponse)
def guide_page(request: Request, name: str) -> Response:
    path = (CONTENT_DIR / "guides" / name).resolve()
    if path.parent != (CONTENT_DIR / "guides").resolve() or not path.is_file() or path.suffix != ".md":
        raise NotFound(f"no study guide named {name!r}")
    text = path.read_text(encoding="utf-8")
    title = next((line[2:] for line in text.splitlines() if line.startswith("# ")), name)
    return render(request, "guide.html", {"title": title, "body": render_markdown(text)})
