"""The card loop's per-question outcomes as skill evidence (``mastery.answer_evidence``).

Only a review's outcomes count, and only while the review is live: a drill's outcomes sit beside
drill answers that already count, and an undone review takes its outcomes with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from study_tracker.db.models import QuestionOutcome, Undo
from study_tracker.skills.mastery import Evidence, answer_evidence


def outcome_rows(session: Session, *, after: int, upto: int, undone_upto: int) -> Any:
    """(id, track, day, skills, grade, local day as text) of live review outcomes in an id range."""
    undone = select(Undo.review_id).where(Undo.review_id.is_not(None), Undo.id <= undone_upto)
    return (
        session.connection()
        .execute(
            select(
                QuestionOutcome.id,
                QuestionOutcome.track,
                QuestionOutcome.day,
                QuestionOutcome.skills,
                QuestionOutcome.grade,
                cast(QuestionOutcome.local_date, String),
            )
            .where(
                QuestionOutcome.id > after,
                QuestionOutcome.id <= upto,
                QuestionOutcome.review_id.is_not(None),
                QuestionOutcome.review_id.not_in(undone),
            )
            .order_by(QuestionOutcome.id)
        )
        .all()
    )


def outcome_evidence(rows: Any, day: Callable[[Any], date]) -> Iterable[Evidence]:
    for oid, slug, topic_day, skills, grade, on in rows:
        if skills:
            yield answer_evidence(ref=oid, track=slug, day=topic_day, skills=skills, on=day(on), grade=grade)
