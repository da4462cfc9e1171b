"""The user's goal: the chosen career path and level (kept in the ``meta`` table)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from study_tracker.content.careers import CareerPath, PathLevel, load_paths
from study_tracker.db.models import Meta
from study_tracker.errors import InvalidInput

GOAL_PATH_KEY = "goal_path"
GOAL_LEVEL_KEY = "goal_level"


@dataclass(frozen=True)
class Goal:
    path: CareerPath
    level: PathLevel

    @property
    def skills(self) -> list[str]:
        return self.path.skills_through(self.level.id)


def get_goal(session: Session) -> Goal | None:
    """The chosen career path and level, or None before the user picks one.

    A stored path that is no longer bundled reads as no goal rather than an error page.
    """
    slug = session.get(Meta, GOAL_PATH_KEY)
    if slug is None or slug.value not in load_paths():
        return None
    path = load_paths()[slug.value]
    level = session.get(Meta, GOAL_LEVEL_KEY)
    chosen = level.value if level is not None and level.value in path.level_ids else path.levels[0].id
    return Goal(path, path.level(chosen))


def set_goal(*, session: Session, path: str, level: str | None = None) -> Goal:
    """Choose a career path (and level, default its first) as the user's goal.

    Raises:
        InvalidInput: unknown path or level, naming the field.
    """
    chosen = load_paths().get(path.strip())
    if chosen is None:
        raise InvalidInput.field("path", f"must be one of {', '.join(load_paths())}, got {path!r}")
    level_id = (level or "").strip() or chosen.levels[0].id
    if level_id not in chosen.level_ids:
        raise InvalidInput.field("level", f"must be one of {', '.join(chosen.level_ids)}, got {level!r}")
    for key, value in ((GOAL_PATH_KEY, chosen.slug), (GOAL_LEVEL_KEY, level_id)):
        row = session.get(Meta, key)
        if row is None:
            session.add(Meta(key=key, value=value))
        else:
            row.value = value
    session.flush()
    return Goal(chosen, chosen.level(level_id))
