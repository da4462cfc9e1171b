"""What every grader shares: the answer to grade, the result (per key point: covered, missed or
contradicted, with evidence and a reason), the suggested grade and the rule that suggests it.

A grader only suggests: the learner ticks or unticks key points and picks the grade that is
logged, so :func:`suggest_grade` is public and pure, to be rerun on the learner's ticks.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from study_tracker.errors import invalid
from study_tracker.tracker.srs import Recall

GradeName = Literal["again", "hard", "good", "easy"]
GRADE_NAMES: tuple[GradeName, ...] = ("again", "hard", "good", "easy")

# Bounds of one answer to grade: typed answers are a few paragraphs, key points a line each.
MAX_PROMPT_CHARS = 2_000
MAX_KEY_POINTS = 20
MAX_KEY_POINT_CHARS = 1_000
MAX_ANSWER_CHARS = 8_000

# The grade rule (see suggest_grade); chosen on tests/practice/data/grading_tune.jsonl.
EASY_SHARE = 0.8  # every key point, or four of five
GOOD_SHARE = 0.6  # most of them
HARD_SHARE = 0.2  # at least one in five


class Status(StrEnum):
    covered = "covered"
    missed = "missed"
    contradicted = "contradicted"


class AnswerToGrade(BaseModel):
    """A question's prompt and key points, and the learner's typed answer (may be blank)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    prompt: Annotated[str, StringConstraints(max_length=MAX_PROMPT_CHARS)] = ""
    key_points: list[
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_KEY_POINT_CHARS)]
    ] = Field(min_length=1, max_length=MAX_KEY_POINTS)
    answer: Annotated[str, StringConstraints(max_length=MAX_ANSWER_CHARS)] = ""

    @classmethod
    def parse(cls, data: object, prefix: str = "") -> AnswerToGrade:
        """Validate ``data`` (a mapping with prompt, key_points, answer).

        Raises:
            InvalidInput: a field is missing, of the wrong type or over its bound (named).
        """
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise invalid(exc, prefix) from None


class Evidence(BaseModel):
    """The sentence of the answer that covers or contradicts a key point: ``answer[start:end]``."""

    model_config = ConfigDict(frozen=True)

    start: int
    end: int
    text: str


class KeyPointGrade(BaseModel):
    """One key point's verdict, with the sentence it rests on and a one-line reason."""

    model_config = ConfigDict(frozen=True)

    index: int
    key_point: str
    status: Status
    evidence: Evidence | None = None
    reason: str


class CitedPassage(BaseModel):
    """A knowledge-base passage the LLM's correction cites as ``[n]``."""

    model_config = ConfigDict(frozen=True)

    n: int
    title: str
    source: str
    text: str


class GradeResult(BaseModel):
    """A graded answer: per key point verdicts, the suggested grade, which grader answered and why
    (``notice``: e.g. the LLM failed and the offline grader answered instead)."""

    model_config = ConfigDict(frozen=True)

    key_points: list[KeyPointGrade]
    grade: GradeName
    grader: Literal["offline", "llm"]
    notice: str | None = None
    correction: str | None = None  # the LLM's short correction, citing passages as [n]
    passages: list[CitedPassage] = Field(default_factory=list)

    @property
    def covered(self) -> list[int]:
        return [k.index for k in self.key_points if k.status is Status.covered]

    @property
    def contradicted(self) -> list[int]:
        return [k.index for k in self.key_points if k.status is Status.contradicted]

    @property
    def recall(self) -> Recall:
        """The suggested grade as the scheduler's rating (1 Again ... 4 Easy)."""
        return Recall[self.grade]

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict: ``covered`` and ``contradicted`` indices first, then the details."""
        return {"covered": self.covered, "contradicted": self.contradicted, **self.model_dump(mode="json")}


class Grader(Protocol):
    """Grades typed answers against key points."""

    name: str

    def grade(self, item: AnswerToGrade) -> GradeResult: ...


def suggest_grade(total: int, covered: Collection[int], contradicted: Collection[int] = ()) -> GradeName:
    """The grade a set of covered and contradicted key points suggests.

    Nothing covered is ``again``; any contradicted key point caps the grade at ``hard`` (a wrong
    claim needs another look however much else is right) and costs one covered key point; else
    the share covered decides: 80% ``easy``, 60% ``good``, 20% ``hard``.

    Args:
        total: how many key points the question has.
        covered: indices of the key points counted as covered.
        contradicted: indices of those the answer contradicts (disjoint from ``covered``).

    Returns:
        ``"again"``, ``"hard"``, ``"good"`` or ``"easy"``.

    Raises:
        ValueError: ``total`` is not positive, or an index is outside ``0..total-1``.
    """
    if total < 1:
        raise ValueError("A question has at least one key point.")
    cov, con = set(covered), set(contradicted)
    if any(not 0 <= i < total for i in cov | con):
        raise ValueError(f"Key point indices must be in 0..{total - 1}.")
    cov -= con
    if not cov:
        return "again"
    share = (len(cov) - len(con)) / total
    if con:
        return "hard" if share >= HARD_SHARE else "again"
    if share >= EASY_SHARE:
        return "easy"
    if share >= GOOD_SHARE:
        return "good"
    return "hard" if share >= HARD_SHARE else "again"
