"""Request and response bodies of the skills feature; What next lists the weakest skills too."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, RootModel

from study_tracker.content.careers import CareerPath


class GoalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Checked by set_goal, not here: request errors drop a location named "path" from the field name.
    path: str = ""
    level: str | None = None


class GoalPublic(BaseModel):
    path: str
    level: str
    skills: list[str]
    target: float


class GoalSummary(BaseModel):
    path: str
    title: str
    level: str
    target: float


class EvidencePublic(BaseModel):
    label: str
    on: str
    weight: float
    signal: float
    kind: str


class SkillRow(BaseModel):
    id: str
    name: str
    area: str
    score: float
    target: float | None
    evidence: int
    last: str | None
    top: list[EvidencePublic]


class WeakSkillPublic(BaseModel):
    id: str
    name: str
    score: float
    target: float | None


class SkillChart(BaseModel):
    names: list[str]
    ids: list[str]
    mastery: list[float]
    target: list[float]


class SkillsPublic(BaseModel):
    goal: GoalSummary | None
    skills: list[SkillRow]
    other_skills: list[SkillRow]
    weakest: list[WeakSkillPublic]
    chart: SkillChart


class PathList(RootModel[list[CareerPath]]):
    pass
