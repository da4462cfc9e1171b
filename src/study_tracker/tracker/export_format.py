"""The export document's format: its version, the row models of every table and the checks an
import passes before anything is written (the API's own rules, references between tables, and
the invariants the database enforces: a day once per run, a review step once, an entry undone
once). Errors name the field: ``completions[3].day: must be ...``.

``transfer`` reads and writes documents of this format.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from study_tracker.content.curriculum import GROUPS, load_tracks
from study_tracker.db.models import (
    MAX_ID,
)
from study_tracker.db.slots import CompletionEntry, ReviewEntry, Slots, completion_slots, review_slots
from study_tracker.errors import FieldError
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


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GroupRow(Row):
    group: Slug
    scheduler: Literal["fixed", "fsrs"]
    review_intervals: Annotated[
        list[int], Field(min_length=1, max_length=50), AfterValidator(check_intervals)
    ]
    desired_retention: float = Field(ge=0.7, le=0.99)


class TrackRow(Row):
    track: Slug
    group: Slug
    start_date: Day | None  # null: not started yet (version 3)
    acceleration_days: int = Field(ge=0, le=MAX_ACCELERATION_DAYS)
    # Version 3; older documents have none (nothing paused or hidden).
    paused_since: Day | None = None
    paused_days: int = Field(0, ge=0, le=MAX_DAY)
    hidden: bool = False


class CompletionRow(Row):
    id: Id
    group: Slug
    track: Slug
    day: int = Field(ge=1, le=MAX_DAY)
    difficulty: int = Field(ge=1, le=5)
    notes: Notes
    completed_at: Instant
    local_date: Day


class ReviewRow(Row):
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


class UndoRow(Row):
    id: Id
    completion_id: Id | None = None
    review_id: Id | None = None
    undone_at: Instant


class RoadmapRow(Row):
    id: Id
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    title: Name
    source_name: Name
    content_hash: str = Field(max_length=64)
    start_date: Day
    imported_at: Instant
    updated_at: Instant


class RoadmapItemRow(Row):
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


class ItemEventRow(Row):
    id: Id
    roadmap_id: Id
    item_key: str = Field(min_length=1, max_length=255)
    done: bool | None = None
    link: Link | None = None
    source: Literal["user", "file"]
    at: Instant
    local_date: Day


class DrillSessionRow(Row):
    id: Id
    group: Slug
    filters: dict[str, Any] = Field(max_length=20)
    time_limit_s: int = Field(ge=0, le=86_400)
    questions: list[dict[str, Any]] = Field(max_length=1000)
    started_at: Instant
    ended_at: Instant | None = None


class DrillResultRow(Row):
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


class OutcomeRow(Row):
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


class PracticeQuestionRow(Row):
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


class Export(Row):
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
