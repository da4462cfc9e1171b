"""Grading files: every bad line refused with its line number and field, bounds before reading,
and the agreement figures computed as defined (micro over key points, within-one grades)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from study_tracker.errors import InvalidInput, PayloadTooLarge
from study_tracker.practice.grading import evaluate
from study_tracker.practice.grading.base import AnswerToGrade, GradeResult, KeyPointGrade, Status
from study_tracker.practice.grading.evaluate import GradingDataError, evaluate_grading, read_answers

OK = {"prompt": "q", "key_points": ["a", "b"], "answer": "text"}
GOLD = {**OK, "covered": [0], "grade": "hard"}


def write(tmp_path: Path, *lines: object) -> Path:
    path = tmp_path / "answers.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return path


@pytest.mark.parametrize(
    ("lines", "labelled", "message"),
    [
        (["not json"], False, "answers.jsonl:1: line: is not valid JSON"),
        (["[1, 2]"], False, "answers.jsonl:1: line: must be a JSON object"),
        ([OK, {"prompt": "q", "answer": "a"}], False, "answers.jsonl:2: key_points: is required"),
        ([{"key_points": ["a"], "answer": "a"}], False, "answers.jsonl:1: prompt: is required"),
        ([{"prompt": "q", "key_points": ["a"]}], False, "answers.jsonl:1: answer: is required"),
        ([{**OK, "key_points": []}], False, "answers.jsonl:1: key_points: List should have at least 1 item"),
        ([{**OK, "key_points": "a"}], False, "answers.jsonl:1: key_points: must be a list"),
        ([{**OK, "answer": 5}], False, "answers.jsonl:1: answer: Input should be a valid string"),
        ([{**OK, "answer": "x" * 8_001}], False, "answers.jsonl:1: answer: String should have at most 8000"),
        ([OK], True, "answers.jsonl:1: covered: is required"),
        ([{**OK, "covered": [0]}], True, "answers.jsonl:1: grade: is required"),
        ([{**GOLD, "covered": [2]}], True, "answers.jsonl:1: covered: index 2 is outside 0..1"),
        ([{**GOLD, "covered": "0"}], True, "answers.jsonl:1: covered: must be a list of key-point indices"),
        ([{**GOLD, "covered": [True]}], True, "answers.jsonl:1: covered: must be a list"),
        (
            [{**GOLD, "grade": "great"}],
            True,
            "answers.jsonl:1: grade: must be one of again, hard, good, easy",
        ),
        ([{**GOLD, "contradicted": [5]}], True, "answers.jsonl:1: contradicted: index 5 is outside"),
        ([""], False, "answers.jsonl: no answers"),
    ],
)
def test_bad_lines_name_line_and_field(
    tmp_path: Path, lines: list[object], labelled: bool, message: str
) -> None:
    with pytest.raises(GradingDataError) as info:
        read_answers(write(tmp_path, *lines), labelled=labelled)
    assert message in str(info.value)
    assert isinstance(info.value, InvalidInput) and info.value.status == 422


def test_good_lines_and_extra_fields(tmp_path: Path) -> None:
    path = write(tmp_path, {**GOLD, "id": 7, "kind": "partial", "contradicted": [1]}, "", OK)
    first, second = read_answers(path)
    assert (first.line, first.id, first.covered, first.contradicted, first.grade) == (
        1,
        "7",
        {0},
        {1},
        "hard",
    )
    assert second.line == 3 and second.covered is None and second.item.answer == "text"


def test_bounds_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, OK, {**OK, "answer": "y" * 500})
    monkeypatch.setattr(evaluate, "MAX_LINE_CHARS", 300)
    with pytest.raises(PayloadTooLarge, match=r"answers.jsonl:2: the line is longer than 300"):
        read_answers(path)
    monkeypatch.setattr(evaluate, "MAX_FILE_BYTES", 100)
    with pytest.raises(PayloadTooLarge, match=r"the limit is 0 MiB|MiB; the limit"):
        read_answers(path)
    with pytest.raises(GradingDataError, match="cannot read the file"):
        read_answers(tmp_path / "missing.jsonl")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(json.dumps(OK).encode() + b"\n\xff\xfe\n")
    with pytest.raises(GradingDataError, match="bad.jsonl:2: line: is not UTF-8"):
        read_answers(path)


class Scripted:
    """A grader returning fixed verdicts in order: the figures' arithmetic is what is under test."""

    name = "scripted"

    def __init__(self, verdicts: list[tuple[list[str], str]]) -> None:
        self.verdicts = iter(verdicts)

    def grade(self, item: AnswerToGrade) -> GradeResult:
        statuses, grade = next(self.verdicts)
        return GradeResult(
            key_points=[
                KeyPointGrade(index=i, key_point=kp, status=Status(s), reason="r")
                for i, (kp, s) in enumerate(zip(item.key_points, statuses, strict=True))
            ],
            grade=grade,  # type: ignore[arg-type]
            grader="offline",
        )


def test_figures(tmp_path: Path) -> None:
    three = ["a", "b", "c"]
    path = write(
        tmp_path,
        {"prompt": "q", "key_points": three, "answer": "x", "covered": [0, 1], "grade": "good"},
        {
            "prompt": "q",
            "key_points": three,
            "answer": "x",
            "covered": [],
            "grade": "again",
            "contradicted": [2],
        },
        {"prompt": "q", "key_points": three, "answer": "x", "covered": [0, 1, 2], "grade": "easy"},
        {"prompt": "q", "key_points": three, "answer": "x", "covered": [], "grade": "again"},
    )
    grader = Scripted(
        [
            (["covered", "missed", "missed"], "hard"),  # tp 1, fp 0, fn 1; one grade off
            (["missed", "covered", "contradicted"], "good"),  # fp 1; again graded good: two off
            (["covered", "covered", "covered"], "easy"),  # tp 3; exact
            (["missed", "missed", "missed"], "again"),  # exact
        ]
    )
    report = evaluate_grading(grader, read_answers(path, labelled=True))
    assert report.n == 4
    assert report.exact == pytest.approx(2 / 4) and report.within_one == pytest.approx(3 / 4)
    assert report.precision == pytest.approx(4 / 5) and report.recall == pytest.approx(4 / 5)
    assert report.f1 == pytest.approx(0.8)
    assert report.gold_again == 2 and [a.line for a in report.again_graded_high()] == [2]
    assert report.contradictions() == (1, 1, 1)
    assert report.confusion[("again", "good")] == 1 and len(report.seconds) == 4
