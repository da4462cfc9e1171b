"""Curriculum files: the YAML format of a track, validated by pydantic.

A track file lives in ``content/tracks/<slug>.yaml``; skills in ``content/skills/*.yaml``.
Loading is cached per process because the bundled files never change while it runs.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from study_tracker.content import CONTENT_DIR

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$")]


class QuestionType(StrEnum):
    concept = "concept"
    tradeoff = "tradeoff"
    derivation = "derivation"
    estimation = "estimation"
    scenario = "scenario"
    coding = "coding"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Resource(Strict):
    title: NonEmpty
    kind: Annotated[str, StringConstraints(pattern=r"^(book|paper|docs|article|course|video|tool)$")]
    url: str | None = None


class Question(Strict):
    type: QuestionType
    prompt: NonEmpty
    # 1 = warm-up, 2 = interview standard, 3 = senior follow-up; longer reviews sample harder ones.
    level: int = Field(ge=1, le=3)
    key_points: list[NonEmpty] = Field(min_length=1)
    # A question may narrow or widen its topic's skills; None means "the topic's skills".
    skills: list[Slug] | None = Field(default=None, min_length=1)


class Topic(Strict):
    day: int = Field(ge=1)
    title: NonEmpty
    summary: NonEmpty
    subtopics: list[NonEmpty] = Field(min_length=1)
    estimated_minutes: int = Field(ge=5, le=240)
    skills: list[Slug] = Field(min_length=1)
    resources: list[Resource] = Field(default_factory=list)
    questions: list[Question] = Field(min_length=1)

    def question_skills(self, question: Question) -> list[str]:
        """A question's effective skills: its own tags, else its topic's."""
        return list(question.skills or self.skills)


class Track(Strict):
    slug: Slug
    group: Slug
    title: NonEmpty
    icon: str = ""
    description: str = ""
    guide: str | None = None  # path under content/, e.g. guides/ml-algorithms.md
    days: list[Topic] = Field(min_length=1)

    @model_validator(mode="after")
    def _days_contiguous(self) -> Track:
        numbers = [t.day for t in self.days]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"days must be numbered 1..{len(numbers)} in order, got {numbers}")
        return self

    @property
    def length(self) -> int:
        return len(self.days)

    def topic(self, day: int) -> Topic | None:
        return self.days[day - 1] if 1 <= day <= len(self.days) else None


class Skill(Strict):
    id: Slug
    name: NonEmpty
    area: NonEmpty


class Group(Strict):
    slug: Slug
    title: NonEmpty
    icon: str = ""


# The two groups users switch between; the slug is also the data sub-folder name.
GROUPS: dict[str, Group] = {
    "swe": Group(slug="swe", title="SWE", icon="💻"),
    "ml_specialist": Group(slug="ml_specialist", title="ML", icon="🤖"),
}


class CurriculumError(ValueError):
    """A curriculum file is missing or does not match the schema."""


def guide_anchor(day: int, title: str) -> str:
    """The HTML anchor of a guide section headed ``## Day N: Title`` (GitHub-style slug)."""
    text = f"day {day}: {title}".lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "study-tracker"


def _parse_yaml(path: Path) -> object:
    """YAML parsing costs ~30 ms a track even with libyaml; a JSON copy keyed by the file's
    size and mtime loads in ~2 ms, which keeps `study today` under half a second."""
    stat = path.stat()
    key = hashlib.sha1(f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    # Named by folder and file (tracks/ and paths/ may hold files of the same name).
    name = f"{path.parent.name}-{path.stem}"
    cached = _cache_dir() / f"{name}-{key}.json"
    try:
        return json.loads(cached.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, default=str), encoding="utf-8")
        os.replace(tmp, cached)
        for stale in cached.parent.glob(f"{name}-*.json"):  # copies of older versions of the file
            if stale != cached:
                stale.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only home only costs speed
    return data


ContentModel = TypeVar("ContentModel", bound=BaseModel)


def load_content_file(path: Path, model: type[ContentModel]) -> ContentModel:
    """Parse a bundled YAML content file (through the JSON cache) and validate it as ``model``.

    Raises:
        CurriculumError: the file is unreadable, not YAML, or invalid; the message names the
            file and, for an invalid value, the field (e.g. ``levels.0.months``).
    """
    try:
        return model.model_validate(_parse_yaml(path))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CurriculumError(f"{path}: {where}: {first['msg']}") from exc
    except (OSError, yaml.YAMLError) as exc:
        raise CurriculumError(f"{path}: {exc}") from exc


def load_track_file(path: Path) -> Track:
    return load_content_file(path, Track)


@functools.cache
def load_tracks(content_dir: Path = CONTENT_DIR) -> dict[str, Track]:
    """All bundled tracks keyed by slug, in group then file order."""
    tracks = [load_track_file(p) for p in sorted((content_dir / "tracks").glob("*.yaml"))]
    order = {g: i for i, g in enumerate(GROUPS)}
    tracks.sort(key=lambda t: (order.get(t.group, 99), TRACK_ORDER.get(t.slug, 99), t.slug))
    for t in tracks:
        if t.group not in GROUPS:
            raise CurriculumError(f"track {t.slug}: unknown group {t.group!r}")
    return {t.slug: t for t in tracks}


# Display order inside a group (the order the quick-start guide lists them).
TRACK_ORDER = {
    "coding_patterns": 0,
    "system_design": 1,
    "ml_algorithms": 0,
    "ml_system_design": 1,
    "recommendations": 2,
}


@functools.cache
def load_skills(content_dir: Path = CONTENT_DIR) -> dict[str, Skill]:
    """Every known skill, merged from ``content/skills/*.yaml`` (a list of {id, name, area})."""
    skills: dict[str, Skill] = {}
    for path in sorted((content_dir / "skills").glob("*.yaml")):
        try:
            for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
                skill = Skill.model_validate(item)
                skills.setdefault(skill.id, skill)
        except (ValidationError, yaml.YAMLError) as exc:
            raise CurriculumError(f"{path}: {exc}") from exc
    return skills


def tracks_in_group(group: str) -> list[Track]:
    return [t for t in load_tracks().values() if t.group == group]
