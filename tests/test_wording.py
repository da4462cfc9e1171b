"""The shared wording: plurals, short dates, and the sentence after a completion."""

from __future__ import annotations

from datetime import date

import pytest

from study_tracker.wording import completion_feedback, plural, short_date

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("count", "word", "many", "expected"),
    [
        (0, "review", None, "0 reviews"),
        (1, "milestone", None, "1 milestone"),
        (2, "milestone", None, "2 milestones"),
        (1, "entry", "entries", "1 entry"),
        (3, "entry", "entries", "3 entries"),
    ],
)
def test_plural(count: int, word: str, many: str | None, expected: str) -> None:
    assert plural(count, word, many) == expected


def test_short_date_adds_the_year_only_when_it_differs() -> None:
    assert short_date(date(2026, 12, 12), TODAY) == "12 Dec"
    assert short_date(date(2027, 1, 3), TODAY) == "3 Jan 2027"
    assert short_date(date(2027, 1, 3)) == "3 Jan 2027"


@pytest.mark.parametrize(
    ("next_review", "expected"),
    [
        (date(2026, 11, 23), "Completed ML Algorithms day 1. Next review on 23 Nov (tomorrow)."),
        (date(2026, 11, 22), "Completed ML Algorithms day 1. Next review on 22 Nov (today)."),
        (date(2026, 11, 30), "Completed ML Algorithms day 1. Next review on 30 Nov (in 8 days)."),
        (date(2027, 1, 2), "Completed ML Algorithms day 1. Next review on 2 Jan 2027 (in 41 days)."),
        (None, "Completed ML Algorithms day 1. No review is scheduled for it."),
    ],
)
def test_completion_feedback(next_review: date | None, expected: str) -> None:
    feedback = completion_feedback(title="ML Algorithms", day=1, next_review=next_review, today=TODAY)
    assert feedback == expected
