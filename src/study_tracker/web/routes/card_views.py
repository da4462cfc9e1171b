"""What the card loop's templates show, shared by the review and drill pages and the API: the
grade buttons with the interval each would give, and a revealed card (key points with the
grader's ticks, the typed answer cut at its evidence sentences)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from study_tracker.practice.cards import GRADE_LABELS, Card, highlight
from study_tracker.practice.grading.base import GradeResult
from study_tracker.tracker import agenda, service
from study_tracker.tracker.srs import Recall
from study_tracker.web.deps import Clock
from study_tracker.wording import interval_text


def grade_buttons(session: Session, review: agenda.DueReview, clock: Clock) -> list[dict[str, Any]]:
    """Each grade with the interval it would give the topic (its group's scheduler)."""
    preview = service.preview_review(
        session, completion_id=review.completion_id, now=clock.now, zone=clock.zone
    )
    out = []
    for rating in Recall:
        due = preview[rating]
        out.append(
            {
                "value": int(rating),
                "label": GRADE_LABELS[int(rating)],
                "interval": interval_text((due.due_date - clock.today).days) if due else "done",
                "due_date": due.due_date if due else None,
            }
        )
    return out


def reveal_context(
    base: dict[str, Any], card: Card, answer: str, result: GradeResult | None
) -> dict[str, Any]:
    covered = set(result.covered) if result else set()
    contradicted = set(result.contradicted) if result else set()
    verdicts = {k.index: k for k in result.key_points} if result else {}
    points = [
        {
            "n": i + 1,
            "index": i,
            "text": text,
            "covered": i in covered,
            "contradicted": i in contradicted,
            "reason": verdicts[i].reason if i in verdicts else "",
        }
        for i, text in enumerate(card.key_points)
    ]
    return base | {
        "stage": "reveal",
        "card": card,
        "answer": answer,
        "result": result,
        "segments": highlight(answer, result),
        "points": points,
        "suggested": int(result.recall) if result else None,
    }
