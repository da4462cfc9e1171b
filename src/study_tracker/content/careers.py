"""Career paths: the bundled goals (``content/paths/*.yaml``), validated by pydantic.

A path has levels by experience (0-6, 6-12, 12-24 months); each level names the bundled
tracks that teach it, the skills it expects (ids from ``content/skills``), milestones to
build and interview topics. The user's chosen path and level are ``skills/goal.py``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from study_tracker.content.curriculum import CONTENT_DIR, NonEmpty, Slug, Strict, load_content_file
from study_tracker.errors import NotFound

LevelId = Annotated[str, StringConstraints(pattern=r"^[0-9]+-[0-9]+$")]


class PathLevel(Strict):
    id: LevelId  # months of experience, e.g. "6-12"
    title: NonEmpty
    months: tuple[int, int]
    # Mastery (0-1, see skills/mastery.py) this level expects in each of its skills.
    target: float = Field(gt=0, le=1)
    summary: NonEmpty
    tracks: list[Slug] = Field(min_length=1)
    skills: list[Slug] = Field(min_length=1)
    milestones: list[NonEmpty] = Field(min_length=1)
    interview_topics: list[NonEmpty] = Field(min_length=1)

    @model_validator(mode="after")
    def _months_match_id(self) -> PathLevel:
        if f"{self.months[0]}-{self.months[1]}" != self.id or self.months[0] >= self.months[1]:
            raise ValueError(f"months {list(self.months)} must be increasing and match id {self.id!r}")
        return self


class CareerPath(Strict):
    slug: Slug
    title: NonEmpty
    summary: NonEmpty
    levels: list[PathLevel] = Field(min_length=1)

    @model_validator(mode="after")
    def _levels_in_order(self) -> CareerPath:
        ends = [lvl.months for lvl in self.levels]
        if any(a[1] != b[0] for a, b in zip(ends, ends[1:], strict=False)) or ends[0][0] != 0:
            raise ValueError("levels must start at month 0 and follow each other without gaps")
        return self

    def level(self, level_id: str) -> PathLevel:
        for lvl in self.levels:
            if lvl.id == level_id:
                return lvl
        raise NotFound(f"{self.title} has no level {level_id!r}; levels are {', '.join(self.level_ids)}")

    @property
    def level_ids(self) -> list[str]:
        return [lvl.id for lvl in self.levels]

    def skills_through(self, level_id: str) -> list[str]:
        """Skills of a level and every level before it, in path order, without repeats."""
        out: list[str] = []
        for lvl in self.levels:
            out += [s for s in lvl.skills if s not in out]
            if lvl.id == level_id:
                break
        return out


def load_path_file(path: Path) -> CareerPath:
    return load_content_file(path, CareerPath)


@functools.cache
def load_paths(content_dir: Path = CONTENT_DIR) -> dict[str, CareerPath]:
    """Every bundled career path keyed by slug (file order)."""
    paths = [load_path_file(p) for p in sorted((content_dir / "paths").glob("*.yaml"))]
    return {p.slug: p for p in paths}


def get_path(slug: str) -> CareerPath:
    path = load_paths().get(slug)
    if path is None:
        raise NotFound(f"unknown career path {slug!r}; paths are {', '.join(load_paths())}")
    return path
