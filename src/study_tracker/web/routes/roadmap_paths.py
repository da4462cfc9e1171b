"""A roadmap's alternative paths: the form on its page and ``GET/PUT /api/roadmaps/{slug}/path``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field, RootModel

from study_tracker.roadmaps import service
from study_tracker.web import errors
from study_tracker.web.deps import SessionDep
from study_tracker.web.security.flash import see_other_with

router = APIRouter()


class PathPublic(BaseModel):
    key: str
    title: str
    topics: int
    done: int
    chosen: bool


class PathList(RootModel[list[PathPublic]]):
    pass


class PathChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str | None = Field(None, max_length=255, description="A path's key; null follows every path.")


@router.post("/roadmaps/{slug}/path", response_class=HTMLResponse)
def path_form(
    request: Request, slug: str, session: SessionDep, path: Annotated[str, Form(max_length=255)] = ""
) -> Response:
    options = service.choose_path(session=session, slug=slug, path=path or None)
    chosen = next((o.title for o in options if o.chosen), None)
    message = f"You follow {chosen}." if chosen else "Every path is offered again."
    return see_other_with(request, f"/roadmaps/{slug}", message)


@router.get("/api/roadmaps/{slug}/path", tags=["roadmaps"], responses=errors.responses(404, 422))
def get_paths(slug: str, session: SessionDep) -> PathList:
    """A roadmap's alternative paths and which one the learner follows."""
    return PathList([PathPublic(**vars(o)) for o in service.roadmap_paths(session=session, slug=slug)])


@router.put("/api/roadmaps/{slug}/path", tags=["roadmaps"], responses=errors.responses(404, 422))
def put_path(slug: str, session: SessionDep, body: Annotated[PathChoice, Body()]) -> PathList:
    """Follow one alternative path (its key), or every path again (null)."""
    options = service.choose_path(session=session, slug=slug, path=body.path)
    return PathList([PathPublic(**vars(o)) for o in options])
