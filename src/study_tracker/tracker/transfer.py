"""Export and import of everything a user wrote: settings and the whole log.

The export is JSON and lossless: importing it into an empty data folder and exporting again
gives the same document. An import is checked whole before anything is written, with the API's
own rules, its references between tables and the invariants the database enforces (the
format and its checks are in ``export_format``); the size is capped before the file is read and
the nesting depth while it is parsed. Then it replaces the stored data in one transaction.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from study_tracker.content.curriculum import GROUPS
from study_tracker.db.engine import begin_write
from study_tracker.db.models import (
    LOG_EPOCH_KEY,
    Completion,
    DrillResult,
    DrillSession,
    GroupSetting,
    ItemEvent,
    Meta,
    PracticeQuestion,
    QuestionOutcome,
    ReviewLog,
    Roadmap,
    RoadmapItem,
    ScheduledReview,
    TrackSetting,
    Undo,
)
from study_tracker.errors import InvalidInput, PayloadTooLarge, invalid
from study_tracker.tracker import settings_store
from study_tracker.tracker.export_format import (
    FORMAT,
    MAX_DEPTH,
    MAX_ERRORS,
    VERSION,
    CompletionRow,
    DrillResultRow,
    DrillSessionRow,
    Export,
    GroupRow,
    ItemEventRow,
    OutcomeRow,
    PracticeQuestionRow,
    ReviewRow,
    RoadmapItemRow,
    RoadmapRow,
    Row,
    TrackRow,
    UndoRow,
    check_document,
    document_slots,
)


def _dump(row: object, model: type[Row]) -> dict:
    return model.model_validate(row, from_attributes=True).model_dump(mode="json")


def export_data(session: Session, *, now: datetime) -> dict:
    """Every setting and log entry as one JSON-ready document."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": now.isoformat(),
        "groups": [
            _dump(g, GroupRow) for g in session.scalars(select(GroupSetting).order_by(GroupSetting.group))
        ],
        "tracks": [
            _dump(t, TrackRow) for t in session.scalars(select(TrackSetting).order_by(TrackSetting.track))
        ],
        "completions": [
            _dump(c, CompletionRow) for c in session.scalars(select(Completion).order_by(Completion.id))
        ],
        "reviews": [_dump(r, ReviewRow) for r in session.scalars(select(ReviewLog).order_by(ReviewLog.id))],
        "undos": [_dump(u, UndoRow) for u in session.scalars(select(Undo).order_by(Undo.id))],
        "roadmaps": [_dump(r, RoadmapRow) for r in session.scalars(select(Roadmap).order_by(Roadmap.id))],
        "roadmap_items": [
            _dump(i, RoadmapItemRow) for i in session.scalars(select(RoadmapItem).order_by(RoadmapItem.id))
        ],
        "item_events": [
            _dump(e, ItemEventRow) for e in session.scalars(select(ItemEvent).order_by(ItemEvent.id))
        ],
        "drill_sessions": [
            _dump(d, DrillSessionRow) for d in session.scalars(select(DrillSession).order_by(DrillSession.id))
        ],
        "drill_results": [
            _dump(d, DrillResultRow) for d in session.scalars(select(DrillResult).order_by(DrillResult.id))
        ],
        "question_outcomes": [
            _dump(o, OutcomeRow)
            for o in session.scalars(select(QuestionOutcome).order_by(QuestionOutcome.id))
        ],
        "practice_questions": [
            _dump(q, PracticeQuestionRow)
            for q in session.scalars(select(PracticeQuestion).order_by(PracticeQuestion.id))
        ],
    }


def _depth(payload: object) -> int:
    """How deeply lists and objects nest in a parsed JSON value (iterative: no recursion limit)."""
    deepest, stack = 0, [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            break
        stack.extend((child, depth + 1) for child in children)
    return deepest


def parse_export(text: str | bytes, source: str = "import", *, max_bytes: int | None = None) -> Export:
    """Validate an export document completely, before anything is written.

    Args:
        text: the document (the caller read at most ``max_bytes + 1`` of it).
        source: what to call the document in a message (the file name).
        max_bytes: the size cap (``import_max_mb``); None checks no size.

    Raises:
        PayloadTooLarge: the document is over ``max_bytes``.
        InvalidInput: not JSON, nested too deeply, or any field or row at fault; each error names
            its field (``completions[3].day``).
    """
    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if max_bytes is not None and size > max_bytes:
        raise PayloadTooLarge.field(
            source, f"is larger than the import limit of {max_bytes / 1e6:g} MB (STUDY_IMPORT_MAX_MB)"
        )
    try:
        payload = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput.field(source, f"not valid JSON ({exc})") from None
    except RecursionError:
        payload = None  # nested deeper than the parser goes: reported below
    if payload is None or _depth(payload) > MAX_DEPTH:
        raise InvalidInput.field(
            source, f"lists and objects nest deeper than {MAX_DEPTH} levels: not an export"
        )
    try:
        document = Export.model_validate(payload)
    except ValidationError as exc:
        raise _first(invalid(exc, brackets=True)) from None
    problems = check_document(document)
    if problems:
        raise _first(InvalidInput("; ".join(str(e) for e in problems), problems))
    return document


def _first(exc: InvalidInput) -> InvalidInput:
    """At most ``MAX_ERRORS`` field errors in the message (a broken file can have thousands)."""
    if len(exc.errors) <= MAX_ERRORS:
        return exc
    shown = exc.errors[:MAX_ERRORS]
    message = "; ".join(str(e) for e in shown) + f"; and {len(exc.errors) - MAX_ERRORS} more"
    return InvalidInput(message, shown)


def import_data(session: Session, document: Export) -> dict[str, int]:
    """Replace all stored settings and log entries with the document's; returns row counts.

    The caller reschedules afterwards (pending reviews are derived from the log) and, for a
    database with history, takes a backup first (``backups.backup_before``).
    """
    begin_write(session)
    for model in (
        QuestionOutcome,
        PracticeQuestion,
        DrillResult,
        DrillSession,
        ItemEvent,
        RoadmapItem,
        Roadmap,
        ScheduledReview,
        Undo,
        ReviewLog,
        Completion,
        TrackSetting,
        GroupSetting,
    ):
        session.execute(delete(model))
    c_slots, r_slots = document_slots(document)
    session.add_all(GroupSetting(**g.model_dump()) for g in document.groups)
    session.add_all(TrackSetting(**t.model_dump()) for t in document.tracks)
    session.flush()
    session.add_all(Completion(**c.model_dump(), slot=c_slots.by_id[c.id]) for c in document.completions)
    session.flush()
    session.add_all(ReviewLog(**r.model_dump(), slot=r_slots.by_id[r.id]) for r in document.reviews)
    session.flush()
    session.add_all(Undo(**u.model_dump()) for u in document.undos)
    session.add_all(Roadmap(**r.model_dump()) for r in document.roadmaps)
    session.add_all(DrillSession(**d.model_dump()) for d in document.drill_sessions)
    session.flush()
    session.add_all(RoadmapItem(**i.model_dump()) for i in document.roadmap_items)
    session.add_all(ItemEvent(**e.model_dump()) for e in document.item_events)
    session.add_all(DrillResult(**d.model_dump()) for d in document.drill_results)
    session.flush()
    session.add_all(QuestionOutcome(**o.model_dump()) for o in document.question_outcomes)
    session.add_all(PracticeQuestion(**q.model_dump()) for q in document.practice_questions)
    session.merge(Meta(key=LOG_EPOCH_KEY, value=uuid.uuid4().hex))
    session.flush()
    return {
        "groups": len(document.groups),
        "tracks": len(document.tracks),
        "completions": len(document.completions),
        "reviews": len(document.reviews),
        "undos": len(document.undos),
        "roadmaps": len(document.roadmaps),
        "roadmap items": len(document.roadmap_items),
        "item events": len(document.item_events),
        "drill sessions": len(document.drill_sessions),
        "drill results": len(document.drill_results),
        "question outcomes": len(document.question_outcomes),
        "practice questions": len(document.practice_questions),
    }


def sync_config_files(session: Session, data_dir: Path) -> None:
    for group in GROUPS:
        settings_store.write_config_file(data_dir, settings_store.get_config(session, group))


def has_history(session: Session) -> bool:
    return any(
        session.scalar(select(model.id).limit(1)) is not None for model in (Completion, Roadmap, DrillSession)
    )
