"""Which log entries hold a slot (``models.completion_slot`` / ``review_slot``), for a whole log at once.

Used where a log arrives without slots: the migration that introduced them (an older database
may hold duplicates from the race it fixes) and an import (a document may hold them too). The
earliest entry keeps the slot; the others are returned as duplicates, for the migration to mark
undone and for an import to refuse.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from study_tracker.db.models import completion_slot, review_slot


@dataclass(frozen=True)
class CompletionEntry:
    id: int
    track: str
    day: int
    local_date: date
    completed_at: datetime


@dataclass(frozen=True)
class ReviewEntry:
    id: int
    completion_id: int
    step: int
    reviewed_at: datetime


@dataclass(frozen=True)
class Slots:
    by_id: dict[int, str | None]  # every entry's slot (None: undone, or from an earlier run)
    duplicates: list[tuple[int, int]]  # (entry id, id of the earlier entry holding its slot)


def completion_slots(
    entries: Iterable[CompletionEntry], *, undone: set[int], run_starts: dict[str, date | None]
) -> Slots:
    """Slots of completions: live ones in their track's current run (on or after its start date)."""
    by_id: dict[int, str | None] = {}
    holder: dict[str, int] = {}
    duplicates = []
    for c in sorted(entries, key=lambda c: (c.completed_at, c.id)):
        start = run_starts.get(c.track)
        if c.id in undone or (start is not None and c.local_date < start):
            by_id[c.id] = None
            continue
        slot = completion_slot(c.track, c.day, start)
        if slot in holder:
            by_id[c.id] = None
            duplicates.append((c.id, holder[slot]))
        else:
            holder[slot] = c.id
            by_id[c.id] = slot
    return Slots(by_id, duplicates)


def review_slots(entries: Iterable[ReviewEntry], *, undone: set[int]) -> Slots:
    """Slots of reviews: every live review holds its completion and step."""
    by_id: dict[int, str | None] = {}
    holder: dict[str, int] = {}
    duplicates = []
    for r in sorted(entries, key=lambda r: (r.reviewed_at, r.id)):
        if r.id in undone:
            by_id[r.id] = None
            continue
        slot = review_slot(r.completion_id, r.step)
        if slot in holder:
            by_id[r.id] = None
            duplicates.append((r.id, holder[slot]))
        else:
            holder[slot] = r.id
            by_id[r.id] = slot
    return Slots(by_id, duplicates)
