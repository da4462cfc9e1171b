"""Reviews: the due list (``GET /api/reviews``), a review's page and form, and logging one by
``POST /api/reviews/{completion_id}``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import RootModel

from study_tracker.errors import InvalidInput, StudyError
from study_tracker.tracker import agenda, service
from study_tracker.web import errors
from study_tracker.web.deps import Clock, ClockDep, GroupQuery, IdPath, SessionDep
from study_tracker.web.rendering import render
from study_tracker.web.routes.review_schemas import (
    DueReviewPublic,
    ReviewCreate,
    ReviewPublic,
    due_review_public,
)
from study_tracker.web.security.flash import see_other_with

router = APIRouter()


class DueReviewList(RootModel[list[DueReviewPublic]]):
    pass


def _review_context(review: agenda.DueReview, clock: Clock) -> dict[str, Any]:
    return {
        "review": review,
        "questions": agenda.review_questions(review),
        "today": clock.today,
        "group": review.track.group,
    }


@router.get("/reviews/{completion_id}", response_class=HTMLResponse)
def review_page(request: Request, completion_id: IdPath, session: SessionDep, clock: ClockDep) -> Response:
    review = agenda.get_due_review(session, completion_id=completion_id, today=clock.today)
    return render(request, "review.html", _review_context(review, clock))


@router.post("/reviews/{completion_id}", response_class=HTMLResponse)
def review_form(
    request: Request,
    completion_id: IdPath,
    *,
    session: SessionDep,
    clock: ClockDep,
    rating: Annotated[str, Form()] = "",
    notes: Annotated[str, Form()] = "",
) -> Response:
    review = agenda.get_due_review(session, completion_id=completion_id, today=clock.today)
    try:
        if not rating.strip().isdigit():
            raise InvalidInput.field("rating", "is required: choose Again, Hard, Good or Easy")
        service.log_review(
            session=session,
            completion_id=completion_id,
            rating=int(rating),
            notes=notes,
            now=clock.now,
            zone=clock.zone,
        )
    except StudyError as exc:
        return errors.refused(
            request, exc, "review.html", lambda: _review_context(review, clock), session=session
        )
    return see_other_with(request, f"/?group={review.track.group}", "Review saved")


@router.get("/api/reviews", tags=["reviews"], responses=errors.responses(404, 422))
def due(session: SessionDep, clock: ClockDep, group: GroupQuery = "swe") -> DueReviewList:
    """The reviews due today in a group, overdue first, each with the questions to answer."""
    view = agenda.today_view(session, group=group, today=clock.today)
    return DueReviewList([due_review_public(r) for r in view.reviews])


@router.post(
    "/api/reviews/{completion_id}",
    status_code=201,
    tags=["reviews"],
    responses=errors.responses(404, 409, 422),
)
def create_review(
    completion_id: IdPath, body: ReviewCreate, session: SessionDep, clock: ClockDep
) -> ReviewPublic:
    """Log the due review of a completion with a recall rating; the next one is scheduled."""
    review = service.log_review(
        session=session,
        completion_id=completion_id,
        rating=body.rating,
        notes=body.notes,
        now=clock.now,
        zone=clock.zone,
    )
    return ReviewPublic.model_validate(review)
