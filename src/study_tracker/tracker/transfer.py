"""Export and import of everything a user wrote: settings and the whole log.

The export is JSON and lossless: importing it into an empty data folder and exporting again
gives the same document. An import is checked whole before anything is written, with the API's
own rules (ids, dates, notes, intervals, ``acceleration_days``), its references between tables
and the invariants the database enforces (a day once per run, a review step once, an entry
undone once); the size is capped before the file is read and the nesting depth while it is
parsed. Errors name the field: ``completions[3].day: must be ...``. Then it replaces the stored
data in one transaction.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from study_tracker.content.curriculum import GROUPS, load_tracks
from study_tracker.db.engine import begin_write
from study_tracker.db.models import (
    LOG_EPOCH_KEY,
    MAX_ID,
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
from study_tracker.db.slots import CompletionEntry, ReviewEntry, Slots, completion_slots, review_slots
from study_tracker.errors import FieldError, InvalidInput, PayloadTooLarge, invalid
from study_tracker.tracker import settings_store
from study_tracker.tracker.service import MAX_NOTES
from study_tracker.tracker.settings_store import (
    FIRST_DATE,
    LAST_DATE,
    MAX_ACCELERATION_DAYS,
    check_date,
    check_intervals,
)

FORMAT = "study-tracker-export"
# 2 adds roadmaps, roadmap_items, item_events, drill_sessions, drill_results; 3 lets a track's
# start_date be null (not started) and adds its paused_since, paused_days and hidden; 4 adds
# question_outcomes (the card loop's per-question answers).
VERSION = 4
MAX_ANSWER = 8_000  # a typed answer (grading's MAX_ANSWER_CHARS)
MAX_KEY_POINTS = 20
# A real export nests 4 levels (document, table, row, a drill's filters); far deeper is not one.
MAX_DEPTH = 32
MAX_ERRORS = 20  # field errors listed at most (the rest are summed up)
MAX_TEXT = 2_000_000  # a roadmap section's body (the roadmap upload cap); other texts are shorter
MAX_DAY = 10_000
MAX_STEP = 10_000
MAX_INTERVAL = 36_500  # FSRS's own longest interval (100 years)
LAST_DUE = date(2200, 12, 31)  # a due date may lie one longest interval past LAST_DATE


def _check_instant(value: datetime) -> datetime:
    if not FIRST_DATE <= value.date() <= LAST_DATE:
        raise ValueError(f"must be between {FIRST_DATE} and {LAST_DATE}")
    return value


def _check_due(value: date) -> date:
    if not FIRST_DATE <= value <= LAST_DUE:
        raise ValueError(f"must be between {FIRST_DATE} and {LAST_DUE}")
    return value


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Day = Annotated[date, AfterValidator(check_date)]
DueDay = Annotated[date, AfterValidator(_check_due)]
Instant = Annotated[AwareDatetime, AfterValidator(_check_instant)]
Notes = Annotated[str, Field(max_length=MAX_NOTES)]
Name = Annotated[str, Field(max_length=1000)]
Slug = Annotated[str, Field(min_length=1, max_length=64)]
Link = Annotated[str, Field(max_length=2000)]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GroupRow(_Row):
    group: Slug
    scheduler: Literal["fixed", "fsrs"]
    review_intervals: Annotated[
        list[int], Field(min_length=1, max_length=50), AfterValidator(check_intervals)
    ]
    desired_retention: float = Field(ge=0.7, le=0.99)


class TrackRow(_Row):
    track: Slug
    group: Slug
    start_date: Day | None  # null: not started yet (version 3)
    acceleration_days: int = Field(ge=0, le=MAX_ACCELERATION_DAYS)
    # Version 3; older documents have none (nothing paused or hidden).
    paused_since: Day | None = None
    paused_days: int = Field(0, ge=0, le=MAX_DAY)
    hidden: bool = False


class CompletionRow(_Row):
    id: Id
    group: Slug
    track: Slug
    day: int = Field(ge=1, le=MAX_DAY)
    difficulty: int = Field(ge=1, le=5)
    notes: Notes
    completed_at: Instant
    local_date: Day


class ReviewRow(_Row):
    id: Id
    completion_id: Id
    group: Slug
    step: int = Field(ge=0, le=MAX_STEP)
    interval_days: int = Field(ge=0, le=MAX_INTERVAL)
    due_date: DueDay
    rating: int = Field(ge=1, le=4)
    notes: Notes
    reviewed_at: Instant
    local_date: Day


class UndoRow(_Row):
    id: Id
    completion_id: Id | None = None
    review_id: Id | None = None
    undone_at: Instant


class RoadmapRow(_Row):
    id: Id
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    title: Name
    source_name: Name
    content_hash: str = Field(max_length=64)
    start_date: Day
    imported_at: Instant
    updated_at: Instant


class RoadmapItemRow(_Row):
    id: Id
    roadmap_id: Id
    key: str = Field(min_length=1, max_length=255)
    parent_key: str | None = Field(default=None, max_length=255)
    kind: Literal["topic", "subtopic", "milestone", "task", "resource"]
    position: int = Field(ge=0, le=1_000_000)
    title: Name
    body: str = Field(max_length=MAX_TEXT)
    offset_days: int | None = Field(default=None, ge=-36_500, le=36_500)
    duration_days: int | None = Field(default=None, ge=1, le=36_500)
    url: Link | None = None
    checked_in_file: bool
    skills: list[Slug] = Field(max_length=200)
    removed: bool


class ItemEventRow(_Row):
    id: Id
    roadmap_id: Id
    item_key: str = Field(min_length=1, max_length=255)
    done: bool | None = None
    link: Link | None = None
    source: Literal["user", "file"]
    at: Instant
    local_date: Day


class DrillSessionRow(_Row):
    id: Id
    group: Slug
    filters: dict[str, Any] = Field(max_length=20)
    time_limit_s: int = Field(ge=0, le=86_400)
    questions: list[dict[str, Any]] = Field(max_length=1000)
    started_at: Instant
    ended_at: Instant | None = None


class DrillResultRow(_Row):
    id: Id
    session_id: Id
    track: Slug
    day: int = Field(ge=0, le=MAX_DAY)  # 0: a roadmap's practice question (its id in question_index)
    question_index: int = Field(ge=0, le=MAX_ID)
    skills: list[Slug] = Field(max_length=200)
    grade: int = Field(ge=1, le=4)
    seconds: int = Field(ge=0, le=86_400 * 7)
    answered_at: Instant
    local_date: Day


class OutcomeRow(_Row):
    id: Id
    review_id: Id | None = None
    drill_result_id: Id | None = None
    position: int = Field(ge=0, le=1000)
    track: Slug
    day: int = Field(ge=0, le=MAX_DAY)  # 0: a roadmap's practice question in a drill
    question_index: int = Field(ge=0, le=10_000)
    skills: list[Slug] = Field(max_length=200)
    answer: str = Field(max_length=MAX_ANSWER)
    key_points: int = Field(ge=1, le=MAX_KEY_POINTS)
    covered: list[Annotated[int, Field(ge=0, lt=MAX_KEY_POINTS)]] = Field(max_length=MAX_KEY_POINTS)
    contradicted: list[Annotated[int, Field(ge=0, lt=MAX_KEY_POINTS)]] = Field(max_length=MAX_KEY_POINTS)
    suggested: int | None = Field(None, ge=1, le=4)
    grade: int = Field(ge=1, le=4)
    grader: Literal["offline", "llm", "none"]
    answered_at: Instant
    local_date: Day


class PracticeQuestionRow(_Row):
    id: Id
    status: Literal["queued", "accepted", "rejected"]
    roadmap_id: Id | None = None
    topic_key: str | None = Field(default=None, max_length=255)
    source: str = Field(max_length=4096)
    doc_id: str | None = Field(default=None, max_length=4096)
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    heading_path: list[Name] = Field(max_length=50)
    kind: str = Field(max_length=16)
    type: str = Field(max_length=16)
    generator: str = Field(max_length=16)
    prompt: str = Field(min_length=1, max_length=2000)
    key_points: list[Name] = Field(min_length=1, max_length=50)
    edited: bool
    created_at: Instant
    decided_at: Instant | None = None


class Export(_Row):
    format: Literal["study-tracker-export"]
    version: Literal[1, 2, 3, 4]
    exported_at: AwareDatetime
    groups: list[GroupRow]
    tracks: list[TrackRow]
    completions: list[CompletionRow]
    reviews: list[ReviewRow]
    undos: list[UndoRow]
    # Version 2; a version-1 document has none of these (an import leaves them empty).
    roadmaps: list[RoadmapRow] = Field(default_factory=list)
    roadmap_items: list[RoadmapItemRow] = Field(default_factory=list)
    item_events: list[ItemEventRow] = Field(default_factory=list)
    drill_sessions: list[DrillSessionRow] = Field(default_factory=list)
    drill_results: list[DrillResultRow] = Field(default_factory=list)
    # Version 4; older documents have none.
    question_outcomes: list[OutcomeRow] = Field(default_factory=list)
    # Generated practice questions (issue 13); absent from older documents.
    practice_questions: list[PracticeQuestionRow] = Field(default_factory=list)

    @model_validator(mode="after")
    def _older_versions(self) -> Export:
        if self.version < 3:
            self._unused_tracks_not_started()
        return self

    def _unused_tracks_not_started(self) -> None:
        """Before version 3 every track had a start date, set on install day whether used or not;
        as migration 0003 does, a track without a live completion and whose start date is not
        after the export becomes not started (day 1, no catch-up pile)."""
        undone = {u.completion_id for u in self.undos if u.completion_id is not None}
        used = {c.track for c in self.completions if c.id not in undone}
        exported_on = self.exported_at.date()
        for t in self.tracks:
            if t.track not in used and t.start_date is not None and t.start_date <= exported_on:
                t.start_date = None


# --- checks across rows (after each row passed its own) ---


class _Problems:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str, message: str) -> None:
        self.errors.append(FieldError(field, message))

    def unique(self, table: str, column: str, values: list[Any]) -> None:
        first: dict[Any, int] = {}
        for i, v in enumerate(values):
            if v is None:
                continue
            if v in first:
                self.add(f"{table}[{i}].{column}", f"{v!r} appears twice (also {table}[{first[v]}])")
            else:
                first[v] = i

    def refers(self, table: str, column: str, values: list[Any], known: set[Any], what: str) -> None:
        for i, v in enumerate(values):
            if v is not None and v not in known:
                self.add(f"{table}[{i}].{column}", f"no {what} with id {v}")


def check_document(doc: Export) -> list[FieldError]:
    """Every problem between rows: duplicate ids, dangling references, unknown groups and tracks,
    and what the database would refuse (a day twice in one run, a review step twice, an entry
    undone twice)."""
    p = _Problems()
    if doc.version == 1 and (
        doc.roadmaps or doc.roadmap_items or doc.item_events or doc.drill_sessions or doc.drill_results
    ):
        p.add("version", "roadmaps and drills need a version-2 document")
    if doc.version < 4 and doc.question_outcomes:
        p.add("version", "question outcomes need a version-4 document")
    tracks = load_tracks()
    for i, g in enumerate(doc.groups):
        if g.group not in GROUPS:
            p.add(f"groups[{i}].group", f"unknown group {g.group!r}")
    p.unique("groups", "group", [g.group for g in doc.groups])
    for i, t in enumerate(doc.tracks):
        if t.track not in tracks:
            p.add(f"tracks[{i}].track", f"unknown track {t.track!r}")
    p.unique("tracks", "track", [t.track for t in doc.tracks])
    for i, c in enumerate(doc.completions):
        if c.track not in tracks:
            p.add(f"completions[{i}].track", f"unknown track {c.track!r}")
    for table, rows in (
        ("completions", doc.completions),
        ("reviews", doc.reviews),
        ("undos", doc.undos),
        ("roadmap_items", doc.roadmap_items),
        ("item_events", doc.item_events),
        ("drill_sessions", doc.drill_sessions),
        ("drill_results", doc.drill_results),
        ("question_outcomes", doc.question_outcomes),
    ):
        p.unique(table, "id", [r.id for r in rows])
    p.unique("roadmaps", "id", [r.id for r in doc.roadmaps])
    p.unique("roadmaps", "slug", [r.slug for r in doc.roadmaps])
    completion_ids = {c.id for c in doc.completions}
    review_ids = {r.id for r in doc.reviews}
    p.refers("reviews", "completion_id", [r.completion_id for r in doc.reviews], completion_ids, "completion")
    for i, u in enumerate(doc.undos):
        if (u.completion_id is None) == (u.review_id is None):
            p.add(f"undos[{i}]", "needs exactly one of completion_id or review_id")
    p.refers("undos", "completion_id", [u.completion_id for u in doc.undos], completion_ids, "completion")
    p.refers("undos", "review_id", [u.review_id for u in doc.undos], review_ids, "review")
    p.unique("undos", "completion_id", [u.completion_id for u in doc.undos])
    p.unique("undos", "review_id", [u.review_id for u in doc.undos])
    roadmap_ids = {r.id for r in doc.roadmaps}
    p.refers("roadmap_items", "roadmap_id", [r.roadmap_id for r in doc.roadmap_items], roadmap_ids, "roadmap")
    p.unique("roadmap_items", "key", [(r.roadmap_id, r.key) for r in doc.roadmap_items])
    p.refers("item_events", "roadmap_id", [e.roadmap_id for e in doc.item_events], roadmap_ids, "roadmap")
    p.unique("practice_questions", "id", [q.id for q in doc.practice_questions])
    p.refers(
        "practice_questions",
        "roadmap_id",
        [q.roadmap_id for q in doc.practice_questions],
        roadmap_ids,
        "roadmap",
    )
    session_ids = {d.id for d in doc.drill_sessions}
    p.refers(
        "drill_results", "session_id", [r.session_id for r in doc.drill_results], session_ids, "drill session"
    )
    _check_outcomes(doc, p, review_ids)
    if not p.errors:
        _check_slots(doc, p)
    return p.errors


def _check_outcomes(doc: Export, p: _Problems, review_ids: set[int]) -> None:
    """Each outcome belongs to exactly one review or drill result that exists, and ticks only key
    points its question had."""
    rows = doc.question_outcomes
    for i, o in enumerate(rows):
        if (o.review_id is None) == (o.drill_result_id is None):
            p.add(f"question_outcomes[{i}]", "needs exactly one of review_id or drill_result_id")
        if any(k >= o.key_points for k in (*o.covered, *o.contradicted)):
            p.add(f"question_outcomes[{i}].covered", f"key points are numbered 0 to {o.key_points - 1}")
    p.refers("question_outcomes", "review_id", [o.review_id for o in rows], review_ids, "review")
    p.refers(
        "question_outcomes",
        "drill_result_id",
        [o.drill_result_id for o in rows],
        {d.id for d in doc.drill_results},
        "drill result",
    )


def _check_slots(doc: Export, p: _Problems) -> None:
    """What the unique slot indexes would refuse, named by row."""
    c_index = {c.id: i for i, c in enumerate(doc.completions)}
    r_index = {r.id: i for i, r in enumerate(doc.reviews)}
    c_slots, r_slots = document_slots(doc)
    for dup, kept in c_slots.duplicates:
        c = doc.completions[c_index[dup]]
        p.add(
            f"completions[{c_index[dup]}]",
            f"{c.track} day {c.day} is already completed in the same run by completions[{c_index[kept]}] "
            "(undo one of them first)",
        )
    for dup, kept in r_slots.duplicates:
        r = doc.reviews[r_index[dup]]
        p.add(
            f"reviews[{r_index[dup]}]",
            f"step {r.step} of completion {r.completion_id} is already logged by reviews[{r_index[kept]}] "
            "(undo one of them first)",
        )


def document_slots(doc: Export) -> tuple[Slots, Slots]:
    """The slots each completion and review of the document holds once imported."""
    starts = {t.track: t.start_date for t in doc.tracks}
    c_slots = completion_slots(
        (CompletionEntry(c.id, c.track, c.day, c.local_date, c.completed_at) for c in doc.completions),
        undone={u.completion_id for u in doc.undos if u.completion_id is not None},
        run_starts=starts,
    )
    r_slots = review_slots(
        (ReviewEntry(r.id, r.completion_id, r.step, r.reviewed_at) for r in doc.reviews),
        undone={u.review_id for u in doc.undos if u.review_id is not None},
    )
    return c_slots, r_slots


def _dump(row: object, model: type[_Row]) -> dict:
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
