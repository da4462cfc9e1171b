"""What a form shows about a refused field: a human label for the field's dotted path
(``settings.review_intervals.2`` reads "Review intervals, value 3") and the id of the
message placed next to it, which the input points at with ``aria-describedby``."""

from __future__ import annotations

import re
from collections.abc import Sequence

from study_tracker.content.curriculum import load_tracks
from study_tracker.errors import FieldError

_LABELS = {
    "difficulty": "Difficulty",
    "notes": "Notes",
    "grade": "Grade",
    "settings.review_intervals": "Review intervals",
    "settings.scheduler": "Scheduler",
    "settings.desired_retention": "Desired retention",
    "start_date": "Start date",
    "acceleration_days": "Days ahead (acceleration)",
    "paused": "Paused",
    "hidden": "Hidden",
    "path": "Path",
    "level": "Level",
    "link": "Link",
    "count": "Questions",
    "minutes": "Minutes",
    "question": "Question",
}


def field_label(field: str) -> str:
    """The words a person reads for the form field ``field`` (a dotted path)."""
    parts = field.split(".")
    index = ""
    if parts and parts[-1].isdigit():
        index = f", value {int(parts.pop()) + 1}"
    if len(parts) == 3 and parts[0] == "tracks":
        track = load_tracks().get(parts[1])
        title = track.title if track else parts[1]
        return f"{title}: {_LABELS.get(parts[2], parts[2]).lower()}{index}"
    name = ".".join(parts)
    return _LABELS.get(name, name.replace("_", " ").replace(".", " ").capitalize()) + index


def errors_for(errors: Sequence[FieldError] | None, name: str) -> list[FieldError]:
    """The errors of the input ``name``: its own, and those of its parts (``name.2``)."""
    return [e for e in errors or () if e.field == name or e.field.startswith(name + ".")]


def field_id(field: str) -> str:
    """An id for ``field``'s error message (letters, digits and dashes)."""
    return "error-" + re.sub(r"[^A-Za-z0-9]+", "-", field).strip("-")
