"""Small wording helpers shared by the pages, the command line and the services' messages.

Plurals ("1 milestone", "2 milestones"), dates in prose ("12 Dec"), and the sentence a learner
reads after completing a topic, so the web's flash message and the CLI say the same thing.
"""

from __future__ import annotations

from datetime import date


def plural(count: int, word: str, many: str | None = None) -> str:
    """``count`` with ``word`` in the right number: ``plural(1, "review")`` is "1 review".

    Args:
        many: the plural when it is not ``word + "s"`` (``plural(2, "entry", "entries")``).
    """
    return f"{count} {word if count == 1 else (many or word + 's')}"


def short_date(day: date, today: date | None = None) -> str:
    """``12 Dec``; with the year (``12 Dec 2027``) when it is not ``today``'s year."""
    text = f"{day.day} {day:%b}"
    return text if today is not None and day.year == today.year else f"{text} {day.year}"


def completion_feedback(*, title: str, day: int, next_review: date | None, today: date) -> str:
    """What the learner reads after marking a topic complete: what was saved and when it comes back.

    ``Completed ML Algorithms day 1. Next review on 23 Nov (tomorrow).``
    """
    done = f"Completed {title} day {day}."
    if next_review is None:
        return f"{done} No review is scheduled for it."
    gap = (next_review - today).days
    when = {0: " (today)", 1: " (tomorrow)"}.get(gap, f" (in {plural(gap, 'day')})" if gap > 1 else "")
    return f"{done} Next review on {short_date(next_review, today)}{when}."


def interval_text(days: int) -> str:
    """A review interval in words: ``1 day``, ``12 days``, ``about 3 months`` (past 60 days)."""
    if days < 60:
        return plural(days, "day")
    return (
        f"about {plural(round(days / 30.4), 'month')}"
        if days < 700
        else f"about {plural(round(days / 365), 'year')}"
    )


def next_review_sentence(next_review: date | None, today: date) -> str:
    """``Next review on 26 Nov (in 3 days).``, or that the topic has graduated."""
    if next_review is None:
        return "No more reviews: the topic has graduated."
    gap = (next_review - today).days
    when = {0: " (today)", 1: " (tomorrow)"}.get(gap, f" (in {plural(gap, 'day')})" if gap > 1 else "")
    return f"Next review on {short_date(next_review, today)}{when}."
