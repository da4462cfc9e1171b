"""Reviews' JSON API: the due list (``GET /api/reviews``), logging one by ``POST
/api/reviews/{completion_id}``, and the card loop (its cards with what each rating would
schedule, grading a typed answer, logging the review with its outcomes). The pages are in
``review_cards.py``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import RootModel

from study_tracker.coach import study_plan
from study_tracker.errors import InvalidInput
from study_tracker.practice.cards import derive_rating, grade_card, review_cards
from study_tracker.practice.outcomes import MAX_CARDS, record_review
from study_tracker.tracker import agenda
from study_tracker.web import errors
from study_tracker.web.deps import ClockDep, GraderDep, GroupQuery, IdPath, SessionDep
from study_tracker.web.routes.card_schemas import (
    AnswerBody,
    CardGradePublic,
    GradeOptionPublic,
    ReviewCardsPublic,
    ReviewOutcomesCreate,
    ReviewOutcomesPublic,
    card_public,
)
from study_tracker.web.routes.card_views import grade_buttons
from study_tracker.web.routes.review_schemas import (
    DueReviewPublic,
    ReviewCreate,
    ReviewPublic,
    due_review_public,
)
from study_tracker.web.routes.today import planned_view
from study_tracker.wording import next_review_sentence

router = APIRouter()


class DueReviewList(RootModel[list[DueReviewPublic]]):
    pass


@router.get("/api/reviews", tags=["reviews"], responses=errors.responses(404, 422))
def due(session: SessionDep, clock: ClockDep, group: GroupQuery = "swe") -> DueReviewList:
    """The reviews due today in a group, overdue first, each with the questions to answer."""
    view = planned_view(session, group, clock)
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
    review = study_plan.log_planned_review(
        session=session,
        completion_id=completion_id,
        rating=body.rating,
        notes=body.notes,
        now=clock.now,
        zone=clock.zone,
    )
    return ReviewPublic.model_validate(review)


# --- the card loop ---


@router.get("/api/reviews/{completion_id}/cards", tags=["reviews"], responses=errors.responses(404, 422))
def review_cards_api(completion_id: IdPath, session: SessionDep, clock: ClockDep) -> ReviewCardsPublic:
    """A pending review's cards (its questions, one at a time) and, once it is due, what each
    rating would schedule next under the group's scheduler."""
    review = agenda.get_due_review(session, completion_id=completion_id, today=clock.today)
    buttons = grade_buttons(session, review, clock) if review.due_date <= clock.today else []
    return ReviewCardsPublic(
        completion_id=completion_id,
        title=f"{review.track.title} - Day {review.day}: {review.topic.title}",
        due_date=review.due_date,
        cards=[card_public(c) for c in review_cards(review)],
        grades=[
            GradeOptionPublic(
                rating=b["value"],
                label=b["label"],
                interval_days=(b["due_date"] - clock.today).days if b["due_date"] else None,
                due_date=b["due_date"],
            )
            for b in buttons
        ],
    )


CardPosition = Annotated[int, Path(ge=0, lt=MAX_CARDS, description="The card's place (0-based).")]


@router.post(
    "/api/reviews/{completion_id}/cards/{position}/grade",
    tags=["reviews"],
    responses=errors.responses(404, 422),
)
def grade_review_card(
    completion_id: IdPath,
    position: CardPosition,
    body: AnswerBody,
    session: SessionDep,
    clock: ClockDep,
    grader: GraderDep,
) -> CardGradePublic:
    """Grade a typed answer to one card against its key points (nothing is stored: the learner's
    grade is sent with the others to ``/outcomes``)."""
    review = agenda.get_due_review(session, completion_id=completion_id, today=clock.today)
    cards = review_cards(review)
    if position >= len(cards):
        raise InvalidInput.field("position", f"this review has {len(cards)} cards (0 to {len(cards) - 1})")
    result = grade_card(grader, cards[position], body.answer) if grader is not None else None
    notice = None
    if grader is None and body.answer.strip():
        notice = "not graded: the embedding model is still being prepared"
    return CardGradePublic(
        position=position,
        graded=result is not None,
        suggested=int(result.recall) if result else None,
        covered=result.covered if result else [],
        contradicted=result.contradicted if result else [],
        result=result,
        notice=notice or (result.notice if result else None),
    )


@router.post(
    "/api/reviews/{completion_id}/outcomes",
    status_code=201,
    tags=["reviews"],
    responses=errors.responses(404, 409, 422),
)
def create_review_outcomes(
    completion_id: IdPath, body: ReviewOutcomesCreate, session: SessionDep, clock: ClockDep
) -> ReviewOutcomesPublic:
    """Log a due review done card by card: each card's outcome, and the rating (derived from the
    cards' grades unless given); the next review is scheduled."""
    derived = int(derive_rating([o.grade for o in body.outcomes]))
    early = study_plan.planned_early(
        session=session, completion_id=completion_id, now=clock.now, zone=clock.zone
    )
    review = record_review(
        session=session,
        completion_id=completion_id,
        outcomes=body.outcomes,
        rating=body.rating or derived,
        notes=body.notes,
        now=clock.now,
        zone=clock.zone,
        allow_early=early,
    )
    nxt = agenda.next_review_date(session, completion_id=completion_id)
    return ReviewOutcomesPublic(
        review=ReviewPublic.model_validate(review),
        derived_rating=derived,
        next_review=nxt,
        message=next_review_sentence(nxt, clock.today),
    )
