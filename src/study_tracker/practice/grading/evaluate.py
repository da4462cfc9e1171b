"""Answers to grade from a JSONL file, and how a grader's verdicts agree with gold labels.

A line is ``{"prompt": ..., "key_points": [...], "answer": ...}``; a labelled line adds the gold
``covered`` (key-point indices) and ``grade``, and may add ``contradicted`` and ``id``. Other
fields are ignored. The file and each line are bounded before they are read whole, and a bad line
is refused with its line number and field, before anything is graded.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from study_tracker.errors import FieldError, InvalidInput, PayloadTooLarge, field_errors
from study_tracker.practice.grading.base import GRADE_NAMES, AnswerToGrade, GradeName, Grader, GradeResult

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_LINE_CHARS = 64_000  # a prompt, 20 key points and an 8,000-character answer fit with room
MAX_LINES = 20_000


class GradingDataError(InvalidInput):
    """A grading file that cannot be used; the message names the file, the line and the field."""


@dataclass(frozen=True)
class LabelledAnswer:
    """One line of a grading file: the answer to grade and, when labelled, its gold labels."""

    line: int
    item: AnswerToGrade
    id: str | None = None
    covered: frozenset[int] | None = None
    grade: GradeName | None = None
    contradicted: frozenset[int] | None = None


def _fail(path: Path, line: int, fld: str, message: str) -> GradingDataError:
    where = f"{path.name}:{line}"
    return GradingDataError(f"{where}: {fld}: {message}", [FieldError(f"line {line}: {fld}", message)])


def _indices(path: Path, n: int, name: str, value: object, total: int) -> frozenset[int]:
    if not isinstance(value, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in value):
        raise _fail(path, n, name, "must be a list of key-point indices (whole numbers)")
    bad = [i for i in value if not 0 <= i < total]
    if bad:
        raise _fail(path, n, name, f"index {bad[0]} is outside 0..{total - 1} ({total} key points)")
    return frozenset(value)


def read_answers(path: Path, *, labelled: bool = False) -> list[LabelledAnswer]:
    """The answers in the JSONL file at ``path``, validated line by line (blank lines skipped).

    Args:
        path: the file.
        labelled: require the gold ``covered`` and ``grade`` on every line.

    Raises:
        GradingDataError: unreadable or empty file, a line that is not a JSON object, a missing or
            invalid field (the message names file, line and field).
        PayloadTooLarge: the file, a line or the number of lines is over its cap.
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise GradingDataError(f"{path}: cannot read the file ({exc.strerror or exc}).") from None
    if size > MAX_FILE_BYTES:
        raise PayloadTooLarge(
            f"{path.name} is {size / 2**20:.1f} MiB; the limit is {MAX_FILE_BYTES // 2**20} MiB. Split it."
        )
    out: list[LabelledAnswer] = []
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, 1):
            if len(raw) > MAX_LINE_CHARS * 4 or len(raw.decode("utf-8", "replace")) > MAX_LINE_CHARS:
                raise PayloadTooLarge(
                    f"{path.name}:{n}: the line is longer than {MAX_LINE_CHARS:,} characters "
                    "(an answer is at most 8,000)."
                )
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise _fail(path, n, "line", "is not UTF-8 text") from None
            if not line.strip():
                continue
            if len(out) >= MAX_LINES:
                raise PayloadTooLarge(f"{path.name} has more than {MAX_LINES:,} answers. Split it.")
            out.append(_parse_line(path, n, line, labelled))
    if not out:
        raise GradingDataError(f"{path.name}: no answers (the file is empty).")
    return out


def _parse_line(path: Path, n: int, line: str, labelled: bool) -> LabelledAnswer:
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise _fail(path, n, "line", f"is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise _fail(path, n, "line", "must be a JSON object")
    for name in ("prompt", "key_points", "answer"):
        if name not in data:
            raise _fail(path, n, name, "is required")
    try:
        item = AnswerToGrade.model_validate({k: data[k] for k in ("prompt", "key_points", "answer")})
    except ValidationError as exc:
        first = field_errors(exc)[0]
        raise _fail(path, n, first.field, first.message) from None
    total = len(item.key_points)
    covered = grade = contradicted = None
    if labelled:
        for name in ("covered", "grade"):
            if name not in data:
                raise _fail(path, n, name, "is required (a labelled file gives the gold covered and grade)")
    if "covered" in data:
        covered = _indices(path, n, "covered", data["covered"], total)
    if "contradicted" in data:
        contradicted = _indices(path, n, "contradicted", data["contradicted"], total)
    if "grade" in data:
        if data["grade"] not in GRADE_NAMES:
            raise _fail(path, n, "grade", f"must be one of {', '.join(GRADE_NAMES)}")
        grade = data["grade"]
    ident = data.get("id")
    return LabelledAnswer(
        line=n,
        item=item,
        id=str(ident) if ident is not None else None,
        covered=covered,
        grade=grade,
        contradicted=contradicted,
    )


@dataclass
class GradingReport:
    """Agreement of a grader with gold labels over a set of answers."""

    answers: list[LabelledAnswer]
    results: list[GradeResult]
    seconds: list[float]  # grading time per answer
    confusion: dict[tuple[str, str], int] = field(default_factory=dict)  # (gold, graded) -> count

    def __post_init__(self) -> None:
        for a, r in zip(self.answers, self.results, strict=True):
            key = (a.grade or "", r.grade)
            self.confusion[key] = self.confusion.get(key, 0) + 1

    @property
    def n(self) -> int:
        return len(self.answers)

    def _distance(self) -> list[int]:
        rank = {g: i for i, g in enumerate(GRADE_NAMES)}
        return [
            abs(rank[a.grade] - rank[r.grade])
            for a, r in zip(self.answers, self.results, strict=True)
            if a.grade
        ]

    @property
    def exact(self) -> float:
        d = self._distance()
        return sum(x == 0 for x in d) / len(d) if d else 0.0

    @property
    def within_one(self) -> float:
        d = self._distance()
        return sum(x <= 1 for x in d) / len(d) if d else 0.0

    def _counts(self) -> tuple[int, int, int]:
        """(true positives, predicted covered, gold covered), micro over key points."""
        tp = pred = gold = 0
        for a, r in zip(self.answers, self.results, strict=True):
            if a.covered is None:
                continue
            got = set(r.covered)
            tp += len(got & a.covered)
            pred += len(got)
            gold += len(a.covered)
        return tp, pred, gold

    @property
    def precision(self) -> float:
        tp, pred, _ = self._counts()
        return tp / pred if pred else 1.0

    @property
    def recall(self) -> float:
        tp, _, gold = self._counts()
        return tp / gold if gold else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def gold_again(self) -> int:
        return sum(a.grade == "again" for a in self.answers)

    def again_graded_high(self) -> list[LabelledAnswer]:
        """Answers labelled ``again`` that the grader called good or easy (the costly mistake)."""
        return [
            a
            for a, r in zip(self.answers, self.results, strict=True)
            if a.grade == "again" and r.grade in ("good", "easy")
        ]

    def contradictions(self) -> tuple[int, int, int]:
        """(flagged and gold, flagged, gold) over labelled ``contradicted`` key points."""
        both = flagged = gold = 0
        for a, r in zip(self.answers, self.results, strict=True):
            if a.contradicted is None:
                continue
            got = set(r.contradicted)
            both += len(got & a.contradicted)
            flagged += len(got)
            gold += len(a.contradicted)
        return both, flagged, gold

    def latency_ms(self, pct: float) -> float:
        return float(np.percentile(np.array(self.seconds) * 1000, pct)) if self.seconds else 0.0


def evaluate_grading(grader: Grader, answers: Sequence[LabelledAnswer]) -> GradingReport:
    """Grade every answer with ``grader`` and compare with the gold labels."""
    results, seconds = [], []
    for a in answers:
        t0 = time.perf_counter()
        results.append(grader.grade(a.item))
        seconds.append(time.perf_counter() - t0)
    return GradingReport(answers=list(answers), results=results, seconds=seconds)
