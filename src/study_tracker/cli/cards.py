"""The card loop in the terminal (``study review ID``, ``study drill``): one question at a time, a
typed answer (or none: answered aloud), the key points revealed with the grader's ticks and the
sentence that covers each, then a grade 1-4 with the interval each would give.

Input is read line by line from stdin, so a test (or a pipe) can drive it: an answer ends at an
empty line (an empty first line reveals at once); at the grade prompt ``1``-``4`` or
``a``/``h``/``g``/``e`` grade, Enter takes the suggested grade, ``t N`` ticks or unticks key point
N, ``q`` stops.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from rich.markup import escape

from study_tracker.cli.output import bullet, console, err
from study_tracker.config import Settings
from study_tracker.errors import StudyError
from study_tracker.practice.cards import GRADE_LABELS, Card, grade_card
from study_tracker.practice.grading.base import Grader, GradeResult
from study_tracker.practice.grading.factory import make_grader
from study_tracker.practice.outcomes import OutcomeIn

GRADE_KEYS = {
    "1": 1,
    "2": 2,
    "3": 3,
    "4": 4,
    "a": 1,
    "again": 1,
    "h": 2,
    "hard": 2,
    "g": 3,
    "good": 3,
    "e": 4,
    "easy": 4,
}
MAX_ANSWER_LINES = 200


def read_line(prompt: str) -> str | None:
    """One line from stdin (None at end of input), so a test can drive the loop through a pipe."""
    console.print(prompt, end="")
    line = sys.stdin.readline()
    if not line:
        return None
    return line.strip()


def read_answer() -> str | None:
    """Lines up to an empty one, joined (blank: answered aloud); None at the end of input."""
    console.print(
        "[dim]Type your answer and finish with an empty line (just Enter: answer aloud, then reveal).[/]"
    )
    lines: list[str] = []
    while len(lines) < MAX_ANSWER_LINES:
        line = sys.stdin.readline()
        if not line:
            return "\n".join(lines) if lines else None
        if not line.strip():
            break
        lines.append(line.rstrip("\n"))
    return "\n".join(lines)[:8_000]


class LazyGrader:
    """The grader, made when the first typed answer needs it (loading the model takes a moment);
    if it cannot be made, the loop goes on with self-grading and says why once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._grader: Grader | None = None
        self._failed = False

    def get(self) -> Grader | None:
        if self._grader is None and not self._failed:
            try:
                self._grader = make_grader(self.settings)
            except StudyError as exc:
                self._failed = True
                err.print(f"[yellow]Answers are not graded: {escape(exc.message)}[/]")
        return self._grader


@dataclass(frozen=True)
class GradeOption:
    value: int
    label: str
    interval: str  # "" when the grade schedules nothing (a drill)


def _show_points(card: Card, covered: set[int], contradicted: set[int], result: GradeResult | None) -> None:
    evidence = {k.index: k.evidence for k in result.key_points} if result else {}
    for i, point in enumerate(card.key_points):
        tick = "✗" if i in contradicted else "x" if i in covered else " "
        console.print(bullet(escape(point), indent=0, marker=f"[{tick}] {i + 1}."))
        ev = evidence.get(i)
        if ev is not None and (i in covered or i in contradicted):
            what = "contradicts it" if i in contradicted else "covers it"
            console.print(f"       [dim]↳ {what}:[/] [italic]{escape(ev.text)}[/]")


def _grade_prompt(options: list[GradeOption], suggested: int | None) -> str:
    shown = "  ".join(
        f"[bold]{o.value}[/] {o.label}" + (f" [dim]({o.interval})[/]" if o.interval else "") for o in options
    )
    enter = f"Enter: {GRADE_LABELS[suggested]} (suggested); " if suggested else ""
    return f"{shown}\n[dim]{enter}t N ticks or unticks key point N; q stops.[/] Grade: "


def ask_card(
    card: Card, *, total: int, grader: LazyGrader, options: list[GradeOption], header: str | None = None
) -> OutcomeIn | None:
    """Ask one card; its outcome, or None when the learner stops (``q`` or the end of input).

    Args:
        header: the line above the prompt (default: ``Card 2 of 5 · type · level``).
    """
    console.print(
        header or f"\n[bold]Card {card.position + 1} of {total}[/] · {card.type} · level {card.level}"
    )
    console.print(card.prompt, markup=False)
    answer = read_answer()
    if answer is None:
        return None
    model = grader.get() if answer.strip() else None
    result = grade_card(model, card, answer) if model is not None else None
    covered = set(result.covered) if result else set()
    contradicted = set(result.contradicted) if result else set()
    suggested = int(result.recall) if result else None
    if result is not None:
        console.print(f"[dim]{len(covered)} of {len(card.key_points)} key points covered.[/]")
        if result.notice:
            console.print(f"[yellow]{escape(result.notice)}[/]")
    while True:
        _show_points(card, covered, contradicted, result)
        raw = read_line(_grade_prompt(options, suggested))
        if raw is None or raw.lower() == "q":
            return None
        if raw.lower().startswith("t"):
            n = raw[1:].strip()
            if n.isdigit() and 1 <= int(n) <= len(card.key_points):
                covered ^= {int(n) - 1}
                contradicted.discard(int(n) - 1)
            else:
                err.print(f"t: give a key point number from 1 to {len(card.key_points)}")
            continue
        grade = suggested if raw == "" else GRADE_KEYS.get(raw.lower())
        if grade is None:
            err.print(f"grade: must be 1-4 or a, h, g, e, got {raw!r}")
            continue
        return OutcomeIn(
            position=card.position,
            answer=answer,
            covered=sorted(covered),
            contradicted=sorted(contradicted),
            suggested=suggested,
            grade=grade,
            grader=result.grader if result else "none",
        )
