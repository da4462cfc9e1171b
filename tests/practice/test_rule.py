"""The grade rule: covered and contradicted key points to a suggested grade (pure)."""

from __future__ import annotations

import pytest

from study_tracker.errors import InvalidInput
from study_tracker.practice.grading.base import (
    AnswerToGrade,
    GradeResult,
    KeyPointGrade,
    Status,
    suggest_grade,
)
from study_tracker.tracker.srs import Recall


@pytest.mark.parametrize(
    ("total", "covered", "contradicted", "grade"),
    [
        (4, [], [], "again"),  # nothing covered
        (1, [0], [], "easy"),
        (4, [0, 1, 2, 3], [], "easy"),
        (5, [0, 1, 2, 3], [], "easy"),  # four of five
        (4, [0, 1, 2], [], "good"),  # 75%
        (5, [0, 1, 2], [], "good"),  # 60%
        (4, [0, 1], [], "hard"),  # half
        (5, [0], [], "hard"),  # one in five
        (6, [0], [], "again"),  # one in six
        (4, [], [0], "again"),
        (5, [0, 1, 2], [3], "hard"),  # a contradiction caps at hard and costs one covered
        (4, [0, 1, 2], [3], "hard"),
        (4, [0], [1], "again"),  # (1 - 1) / 4
        (5, [0, 1], [2, 3], "again"),
        (4, [0, 1, 2, 3], [3], "hard"),  # contradicted wins over covered
    ],
)
def test_suggest_grade(total: int, covered: list[int], contradicted: list[int], grade: str) -> None:
    assert suggest_grade(total, covered, contradicted) == grade


@pytest.mark.parametrize(("total", "covered"), [(0, []), (3, [3]), (3, [-1])])
def test_suggest_grade_refuses_bad_indices(total: int, covered: list[int]) -> None:
    with pytest.raises(ValueError):
        suggest_grade(total, covered)


def test_result_reads_as_the_scheduler_rating() -> None:
    verdicts = [
        KeyPointGrade(index=0, key_point="a", status=Status.covered, reason="r"),
        KeyPointGrade(index=1, key_point="b", status=Status.contradicted, reason="r"),
        KeyPointGrade(index=2, key_point="c", status=Status.missed, reason="r"),
    ]
    result = GradeResult(key_points=verdicts, grade="hard", grader="offline")
    assert (result.covered, result.contradicted, result.recall) == ([0], [1], Recall.hard)
    out = result.to_dict()
    assert out["covered"] == [0] and out["contradicted"] == [1] and out["grade"] == "hard"
    assert out["key_points"][1]["status"] == "contradicted"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"prompt": "q", "key_points": [], "answer": "a"}, "key_points"),
        ({"prompt": "q", "key_points": ["  "], "answer": "a"}, "key_points.0"),
        ({"prompt": "q", "key_points": ["k"] * 21, "answer": "a"}, "key_points"),
        ({"prompt": "q", "key_points": ["k"], "answer": "a" * 8_001}, "answer"),
        ({"prompt": "q" * 2_001, "key_points": ["k"], "answer": "a"}, "prompt"),
        ({"prompt": "q", "key_points": ["k"], "answer": 3}, "answer"),
        ({"prompt": "q", "key_points": ["k"], "answer": "a", "extra": 1}, "extra"),
    ],
)
def test_answer_to_grade_is_bounded(data: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        AnswerToGrade.parse(data)
    assert [e.field for e in info.value.errors][0] == field
