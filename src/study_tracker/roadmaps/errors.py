"""Domain errors of roadmaps (mapped to HTTP codes and exits like the tracker's)."""

from __future__ import annotations

from study_tracker.tracker.errors import FieldError, InvalidInput


class RoadmapError(InvalidInput):
    """A roadmap file or form value that cannot be used; names the field (``file``, ``link``...)."""

    @classmethod
    def field(cls, field: str, message: str) -> RoadmapError:
        return cls(f"{field}: {message}", [FieldError(field, message)])
