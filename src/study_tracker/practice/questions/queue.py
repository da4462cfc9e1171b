"""The queue of generated questions: candidates wait there until the learner accepts, edits or
rejects them. Accepted questions of a roadmap are its practice questions (drills read them with
``accepted_for_roadmap``). A rejected row is kept, so the same question is not proposed again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from study_tracker.db.models import PracticeQuestion, Roadmap
from study_tracker.errors import Conflict, InvalidInput, NotFound, invalid
from study_tracker.practice.questions.candidate import MAX_KEY_POINT, MAX_KEY_POINTS, MAX_PROMPT, Candidate

STATUSES = ("queued", "accepted", "rejected")
MAX_ID = 2**31 - 1

Prompt = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_PROMPT)]
KeyPoint = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_KEY_POINT)]


class QuestionEdit(BaseModel):
    """An edit of a queued or accepted question: the first guard on user input (CLI, form, JSON)."""

    model_config = ConfigDict(extra="forbid")

    prompt: Prompt | None = None
    key_points: list[KeyPoint] | None = Field(default=None, min_length=1, max_length=MAX_KEY_POINTS)


def parse_edit(payload: dict[str, Any]) -> QuestionEdit:
    """Validate an edit; every problem names its field."""
    try:
        edit = QuestionEdit.model_validate(payload)
    except ValidationError as exc:
        raise invalid(exc) from None
    if edit.prompt is None and edit.key_points is None:
        raise InvalidInput.field("prompt", "give a new prompt or key points (or both)")
    return edit


def enqueue(
    *,
    session: Session,
    candidates: Sequence[Candidate],
    generator: str,
    roadmap: Roadmap | None,
    now: datetime,
) -> list[PracticeQuestion]:
    """Store candidates as queued questions (in order); returns the new rows with their ids."""
    rows = [
        PracticeQuestion(
            status="queued",
            roadmap_id=roadmap.id if roadmap is not None else None,
            topic_key=c.topic_key,
            source=c.source,
            doc_id=c.doc_id,
            start=c.start,
            end=c.end,
            heading_path=list(c.heading_path),
            kind=c.kind,
            type=str(c.type),
            generator=generator,
            prompt=c.prompt[:MAX_PROMPT],
            key_points=[k[:MAX_KEY_POINT] for k in c.key_points[:MAX_KEY_POINTS]],
            edited=False,
            created_at=now,
        )
        for c in candidates
    ]
    session.add_all(rows)
    session.flush()
    return rows


def list_questions(
    *, session: Session, status: str | None = None, roadmap: str | None = None, limit: int = 500
) -> list[PracticeQuestion]:
    """Questions in the queue, newest first, optionally by status and roadmap slug.

    Raises:
        InvalidInput: an unknown status (field ``status``).
    """
    if status is not None and status not in STATUSES:
        raise InvalidInput.field("status", f"must be one of {', '.join(STATUSES)}")
    stmt = select(PracticeQuestion).order_by(PracticeQuestion.id.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(PracticeQuestion.status == status)
    if roadmap is not None:
        stmt = stmt.join(Roadmap, Roadmap.id == PracticeQuestion.roadmap_id).where(Roadmap.slug == roadmap)
    return list(session.scalars(stmt))


def existing_texts(session: Session) -> list[tuple[int, str, str]]:
    """(id, prompt, key points joined) of every question in the queue, rejected ones included: the
    duplicate pool (a rejected question is not proposed again)."""
    rows = session.execute(
        select(PracticeQuestion.id, PracticeQuestion.prompt, PracticeQuestion.key_points).where(
            PracticeQuestion.status.in_(STATUSES)
        )
    )
    return [(i, p, " ".join(kps)) for i, p, kps in rows]


def get_question(session: Session, question_id: int) -> PracticeQuestion:
    """One question of the queue.

    Raises:
        NotFound: no question with that id (field ``id``).
    """
    row = session.get(PracticeQuestion, question_id) if 1 <= question_id <= MAX_ID else None
    if row is None:
        raise NotFound(f"no generated question with id {question_id}")
    return row


def _decide(session: Session, question_id: int, status: str, now: datetime) -> PracticeQuestion:
    row = get_question(session, question_id)
    if row.status == status:
        return row  # deciding twice changes nothing (a double click)
    if row.status != "queued":
        raise Conflict(f"question {question_id} is already {row.status}")
    row.status = status
    row.decided_at = now
    session.flush()
    return row


def accept(*, session: Session, question_id: int, now: datetime) -> PracticeQuestion:
    """Accept a queued question: it joins its roadmap's practice questions.

    Raises:
        NotFound: no such question. Conflict: it was rejected.
    """
    return _decide(session, question_id, "accepted", now)


def reject(*, session: Session, question_id: int, now: datetime) -> PracticeQuestion:
    """Reject a queued question (kept, so the same question is not proposed again).

    Raises:
        NotFound: no such question. Conflict: it was accepted.
    """
    return _decide(session, question_id, "rejected", now)


def edit(*, session: Session, question_id: int, change: QuestionEdit) -> PracticeQuestion:
    """Change a queued or accepted question's prompt and/or key points.

    Raises:
        NotFound: no such question. Conflict: it was rejected.
    """
    row = get_question(session, question_id)
    if row.status == "rejected":
        raise Conflict(f"question {question_id} was rejected; it cannot be edited")
    if change.prompt is not None:
        row.prompt = change.prompt
    if change.key_points is not None:
        row.key_points = list(change.key_points)
    row.edited = True
    session.flush()
    return row


def accepted_for_roadmap(session: Session, roadmap_id: int) -> list[PracticeQuestion]:
    """A roadmap's accepted questions, oldest first (the drill pool of that roadmap)."""
    return list(
        session.scalars(
            select(PracticeQuestion)
            .where(PracticeQuestion.roadmap_id == roadmap_id, PracticeQuestion.status == "accepted")
            .order_by(PracticeQuestion.id)
        )
    )


def roadmap_slugs(session: Session) -> dict[int, str]:
    """Every imported roadmap's slug by id (questions name their roadmap by slug)."""
    return {i: s for i, s in session.execute(select(Roadmap.id, Roadmap.slug).order_by(Roadmap.slug))}
