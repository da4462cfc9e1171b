"""A review as a card loop: one question at a time, a typed answer graded against its key points,
a grade per card, and at the end one review logged with a rating derived from the grades.

Pages: ``GET /reviews/{id}`` (the first card), ``POST /reviews/{id}/reveal`` (grade the typed
answer, show the key points), ``POST /reviews/{id}/grade`` (keep the card's grade, show the next
card or the summary) and ``POST /reviews/{id}`` (log the review with its outcomes). The server
keeps nothing between cards: each form carries the outcomes so far (``outcomes``, JSON, bounded),
so a reload or a second tab cannot leave half a review behind. With htmx each step swaps ``#card``
in place; without it each form posts and the whole page comes back. Grading runs in the thread
pool (these handlers are sync), never on the event loop.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from study_tracker.coach import study_plan
from study_tracker.errors import InvalidInput, StudyError
from study_tracker.practice.cards import (
    GRADE_LABELS,
    Card,
    derive_rating,
    grade_card,
    review_cards,
)
from study_tracker.practice.grading.base import Grader, GradeResult
from study_tracker.practice.outcomes import OutcomeIn, dump_outcomes, parse_outcomes, record_review
from study_tracker.tracker import agenda
from study_tracker.web import errors
from study_tracker.web.deps import Clock, ClockDep, GraderDep, IdPath, SessionDep
from study_tracker.web.rendering import is_htmx, render
from study_tracker.web.routes.card_views import grade_buttons, reveal_context
from study_tracker.web.security.flash import see_other_with
from study_tracker.wording import next_review_sentence, short_date

router = APIRouter()


def _base(
    session: Session, review: agenda.DueReview, clock: Clock, outcomes: list[OutcomeIn]
) -> dict[str, Any]:
    return {
        "review": review,
        "cards": review_cards(review),
        "today": clock.today,
        "group": review.track.group,
        "outcomes": outcomes,
        "outcomes_json": dump_outcomes(outcomes),
        # What each grade would schedule: only the reveal and the summary show it (a few ms of
        # scheduler replays, so the answer stage skips it).
        "make_buttons": lambda: (
            grade_buttons(session, review, clock) if review.due_date <= clock.today else []
        ),
        "buttons": [],
        "labels": GRADE_LABELS,
        "short_date": short_date,
        "reveal_url": f"/reviews/{review.completion_id}/reveal",
        "grade_url": f"/reviews/{review.completion_id}/grade",
    }


def _with_outcomes(base: dict[str, Any], outcomes: list[OutcomeIn]) -> dict[str, Any]:
    return base | {"outcomes": outcomes, "outcomes_json": dump_outcomes(outcomes)}


def _next_position(outcomes: list[OutcomeIn]) -> int:
    return max((o.position for o in outcomes), default=-1) + 1


def _answer_ctx(base: dict[str, Any]) -> dict[str, Any]:
    """The next card to answer, or the summary once every card has a grade."""
    position = _next_position(base["outcomes"])
    if position >= len(base["cards"]):
        grades = [o.grade for o in base["outcomes"]]
        return base | {
            "stage": "done",
            "derived": int(derive_rating(grades)),
            "buttons": base["make_buttons"](),
        }
    return base | {"stage": "answer", "card": base["cards"][position], "answer": ""}


def _show(request: Request, ctx: dict[str, Any], status_code: int = 200) -> Response:
    template = "_card.html" if is_htmx(request) else "review_loop.html"
    return render(request, template, ctx, status_code=status_code)


def _refused(request: Request, exc: StudyError, session: Session, ctx: Any) -> Response:
    # htmx swaps 2xx answers only: the card comes back with its errors and a 200.
    return errors.refused(
        request,
        exc,
        "_card.html" if is_htmx(request) else "review_loop.html",
        ctx,
        session=session,
        status_code=200 if is_htmx(request) else None,
    )


def _card_at(cards: list[Card], position: str, outcomes: list[OutcomeIn]) -> Card:
    expected = _next_position(outcomes)
    if not position.strip().isdigit() or int(position) != expected or expected >= len(cards):
        raise InvalidInput.field("position", f"the card to answer is number {expected + 1}")
    return cards[expected]


@router.get("/reviews/{completion_id}", response_class=HTMLResponse)
def review_page(request: Request, completion_id: IdPath, session: SessionDep, clock: ClockDep) -> Response:
    review = agenda.get_due_review(session, completion_id=completion_id, today=clock.today)
    return render(request, "review_loop.html", _answer_ctx(_base(session, review, clock, [])))


@router.post("/reviews/{completion_id}/reveal", response_class=HTMLResponse)
def reveal_card(
    request: Request,
    completion_id: IdPath,
    *,
    session: SessionDep,
    clock: ClockDep,
    grader: GraderDep,
    position: Annotated[str, Form()] = "",
    answer: Annotated[str, Form(max_length=8_000)] = "",
    outcomes: Annotated[str, Form()] = "",
) -> Response:
    review = agenda.get_due_review(session, completion_id=completion_id, today=clock.today)
    done = parse_outcomes(outcomes)
    base = _base(session, review, clock, done)
    try:
        card = _card_at(base["cards"], position, done)
    except StudyError as exc:
        return _refused(request, exc, session, lambda: _answer_ctx(base))
    result = _grade(grader, card, answer)
    ctx = reveal_context(base | {"buttons": base["make_buttons"]()}, card, answer, result)
    if answer.strip() and grader is None:
        ctx["notice"] = "The answer is not graded yet: the embedding model is still being prepared."
    return _show(request, ctx)


def _grade(grader: Grader | None, card: Card, answer: str) -> GradeResult | None:
    return grade_card(grader, card, answer) if grader is not None else None


@router.post("/reviews/{completion_id}/grade", response_class=HTMLResponse)
def grade_card_form(
    request: Request,
    completion_id: IdPath,
    *,
    session: SessionDep,
    clock: ClockDep,
    position: Annotated[str, Form()] = "",
    answer: Annotated[str, Form(max_length=8_000)] = "",
    covered: Annotated[list[str], Form(max_length=20)] = [],  # noqa: B006  (FastAPI copies it)
    contradicted: Annotated[list[str], Form(max_length=20)] = [],  # noqa: B006
    suggested: Annotated[str, Form()] = "",
    grader: Annotated[str, Form()] = "none",
    grade: Annotated[str, Form()] = "",
    outcomes: Annotated[str, Form()] = "",
) -> Response:
    review = agenda.get_due_review(session, completion_id=completion_id, today=clock.today)
    done = parse_outcomes(outcomes)
    base = _base(session, review, clock, done)
    try:
        card = _card_at(base["cards"], position, done)
        outcome = OutcomeIn.model_validate(
            {
                "position": card.position,
                "answer": answer,
                "covered": [int(i) for i in covered if i.isdigit()],
                "contradicted": [int(i) for i in contradicted if i.isdigit()],
                "suggested": int(suggested) if suggested.isdigit() else None,
                "grade": _grade_value(grade),
                "grader": grader if grader in ("offline", "llm") else "none",
            }
        )
    except StudyError as exc:
        return _refused(request, exc, session, lambda: _answer_ctx(base))
    except ValueError:  # pydantic's ValidationError: a key point index out of range
        wrong = InvalidInput.field("covered", "key points are numbered 0 to 19")
        return _refused(request, wrong, session, lambda: _answer_ctx(base))
    return _show(request, _answer_ctx(_with_outcomes(base, [*done, outcome])))


def _grade_value(grade: str) -> int:
    if not grade.strip().isdigit() or int(grade) not in GRADE_LABELS:
        raise InvalidInput.field("grade", "is required: choose Again, Hard, Good or Easy (keys 1-4)")
    return int(grade)


@router.post("/reviews/{completion_id}", response_class=HTMLResponse)
def save_review(
    request: Request,
    completion_id: IdPath,
    *,
    session: SessionDep,
    clock: ClockDep,
    rating: Annotated[str, Form()] = "",
    notes: Annotated[str, Form()] = "",
    outcomes: Annotated[str, Form()] = "",
) -> Response:
    """Log the review with its rating (the derived one unless changed) and every card's outcome."""
    review = agenda.get_due_review(session, completion_id=completion_id, today=clock.today)
    done: list[OutcomeIn] = []
    try:
        done = parse_outcomes(outcomes)
        if not rating.strip().isdigit():
            raise InvalidInput.field("rating", "is required: choose Again, Hard, Good or Easy")
        early = study_plan.planned_early(
            session=session, completion_id=completion_id, now=clock.now, zone=clock.zone
        )
        record_review(
            session=session,
            completion_id=completion_id,
            outcomes=done,
            rating=int(rating),
            notes=notes,
            now=clock.now,
            zone=clock.zone,
            allow_early=early,
        )
    except StudyError as exc:
        return errors.refused(
            request,
            exc,
            "review_loop.html",
            lambda: _answer_ctx(_base(session, review, clock, done)),
            session=session,
        )
    nxt = agenda.next_review_date(session, completion_id=completion_id)
    message = f"Review saved. {next_review_sentence(nxt, clock.today)}"
    return see_other_with(request, f"/?group={review.track.group}", message)
