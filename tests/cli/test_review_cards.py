"""The terminal card loop, driven in-process through Typer's runner with stdin: `study review ID`
one card at a time (a typed answer graded by the real model, a blank one answered aloud), and
`study drill` storing the typed answer with each drill answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from study_tracker.db.engine import session_scope
from study_tracker.db.models import QuestionOutcome
from tests.cli_helpers import study
from tests.conftest import make_settings
from tests.practice.helpers import copy_model, exported_knowledge

ANSWER = (
    "The sigmoid 1/(1+e^-z) squashes its input into the range (0, 1); its derivative sigma(1-sigma) "
    "is at most 0.25, and it is still used for binary outputs and for the gates of LSTM and GRU cells."
)


@pytest.fixture
def data(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path / "data"
    copy_model(exported_knowledge(tmp_path_factory), folder)
    done = study(folder, "complete", "ml_algorithms", "--difficulty", "3")
    assert done.returncode == 0, done.stderr
    return folder


def _outcomes(data: Path) -> list[tuple[object, ...]]:
    with session_scope(make_settings(data).db_url) as s:
        rows = s.scalars(select(QuestionOutcome).order_by(QuestionOutcome.id)).all()
        return [
            (r.position, r.covered, r.suggested, r.grade, r.grader, r.review_id, r.drill_result_id)
            for r in rows
        ]


def test_a_review_card_by_card_in_the_terminal(data: Path) -> None:
    # Card 1: the typed answer, an empty line, tick key point 3 by hand, Good. Card 2: nothing typed
    # (answered aloud), Again. Then Enter keeps the rating derived from the grades (Hard).
    stdin = f"{ANSWER}\n\nt 3\n3\n\n1\n\n"
    out = study(data, "review", "1", today="2026-11-23", stdin=stdin)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "Card 1 of 2" in text and "Card 2 of 2" in text
    assert "1 of 4 key points covered." in text
    assert "[x] 1. Sigmoid" in text and "↳ covers it: The sigmoid" in text
    assert "[x] 3. ReLU" in text  # ticked by hand before grading
    # Each grade with when it would bring the topic back (fixed ladder, completed 22 Nov).
    assert "1 Again (1 day, 24 Nov)" in text and "3 Good (2 days, 25 Nov)" in text
    assert "Rating for the topic: Hard from your grades." in text
    assert "review recorded (hard, step 1)" in text
    assert "Next review on 25 Nov (in 2 days)." in text
    [first, second] = _outcomes(data)
    assert first[:5] == (0, [0, 2], first[2], 3, "offline") and first[2] in (1, 2)
    assert second[:5] == (1, [], None, 1, "none") and first[5] == second[5] is not None


@pytest.mark.parametrize("stdin", ["q\n", "\nq\n", f"{ANSWER}\n\n3\n\n1\nq\n", ""])
def test_stopping_saves_nothing(data: Path, stdin: str) -> None:
    out = study(data, "review", "1", today="2026-11-23", stdin=stdin)
    assert out.returncode == 0, out.stderr
    assert "nothing saved" in out.stdout
    assert _outcomes(data) == []
    listed = study(data, "review", "-g", "ml_specialist", today="2026-11-23").stdout
    assert "Neural Network Fundamentals" in listed  # still due


def test_a_wrong_key_asks_again_and_a_review_not_due_is_shown(data: Path) -> None:
    early = study(data, "review", "1", stdin="\n3\n")
    assert early.returncode == 0 and "This review is due on 2026-11-23" in early.stdout
    out = study(data, "review", "1", today="2026-11-23", stdin="\nx\nt 9\n4\n\n4\n2\n")
    assert out.returncode == 0, out.stderr
    assert "grade: must be 1-4 or a, h, g, e, got 'x'" in out.stderr
    assert "t: give a key point number from 1 to" in out.stderr
    assert "review recorded (hard, step 1)" in out.stdout  # Easy twice, then the rating changed to 2
    assert [o[3] for o in _outcomes(data)] == [4, 4]


def test_a_drill_keeps_each_typed_answer(data: Path) -> None:
    out = study(data, "drill", "--track", "ml_algorithms", "--count", "2", stdin="I do not know.\n\n\n\n2\n")
    assert out.returncode == 0, out.stderr
    assert "Question 1/2" in out.stdout and "0 of " in out.stdout and "Answered 2 of 2" in out.stdout
    rows = _outcomes(data)
    assert [(r[3], r[4]) for r in rows] == [(1, "offline"), (2, "none")]  # Enter took the suggested Again
    assert all(r[6] is not None and r[5] is None for r in rows)
