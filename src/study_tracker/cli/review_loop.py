"""``study review ID`` done card by card: every card asked (``cli/cards.py``), then the rating the
grades suggest (the learner may change it), one review logged with its outcomes, and when the
topic comes back. Stopping early saves nothing: a review is logged whole or not at all."""

from __future__ import annotations

from rich.markup import escape
from sqlalchemy.orm import Session

from study_tracker import clock
from study_tracker.cli.cards import GRADE_KEYS, GradeOption, LazyGrader, ask_card, read_line
from study_tracker.cli.output import console, err
from study_tracker.coach import study_plan
from study_tracker.config import Settings
from study_tracker.practice.cards import GRADE_LABELS, derive_rating, review_cards
from study_tracker.practice.outcomes import OutcomeIn, record_review
from study_tracker.tracker import agenda, service
from study_tracker.tracker.srs import Recall
from study_tracker.wording import interval_text, next_review_sentence, short_date


def _options(session: Session, settings: Settings, due: agenda.DueReview) -> list[GradeOption]:
    today = clock.today(settings)
    preview = service.preview_review(
        session, completion_id=due.completion_id, now=clock.now(settings), zone=clock.local_zone(settings)
    )
    out = []
    for rating in Recall:
        nxt = preview[rating]
        when = (
            f"{interval_text((nxt.due_date - today).days)}, {short_date(nxt.due_date, today)}"
            if nxt
            else "done"
        )
        out.append(GradeOption(int(rating), GRADE_LABELS[int(rating)], when))
    return out


def _final_rating(derived: Recall, options: list[GradeOption]) -> int | None:
    """The rating to log: the derived one on Enter, another on 1-4 / a h g e; None to stop."""
    shown = ", ".join(f"{o.value} {o.label} ({o.interval})" for o in options)
    while True:
        raw = read_line(
            f"Rating for the topic: [bold]{GRADE_LABELS[int(derived)]}[/] from your grades. "
            f"Enter keeps it, or choose {shown}; q stops: "
        )
        if raw is None or raw.lower() == "q":
            return None
        if raw == "":
            return int(derived)
        if raw.lower() in GRADE_KEYS:
            return GRADE_KEYS[raw.lower()]
        err.print(f"rating: must be 1-4 or a, h, g, e, got {raw!r}")


def review_loop(session: Session, settings: Settings, due: agenda.DueReview) -> None:
    """Ask each card of a due review, then log it with its outcomes (see the module docstring)."""
    cards = review_cards(due)
    console.rule(f"{due.rtype.label}: {escape(due.track.title)} - Day {due.day}: {escape(due.topic.title)}")
    options = _options(session, settings, due)
    grader = LazyGrader(settings)
    outcomes: list[OutcomeIn] = []
    for card in cards:
        outcome = ask_card(card, total=len(cards), grader=grader, options=options)
        if outcome is None:
            console.print("[yellow]Stopped: nothing saved (a review is saved whole).[/]")
            return
        outcomes.append(outcome)
    rating = _final_rating(derive_rating([o.grade for o in outcomes]), options)
    if rating is None:
        console.print("[yellow]Stopped: nothing saved.[/]")
        return
    now, zone = clock.now(settings), clock.local_zone(settings)
    early = study_plan.planned_early(session=session, completion_id=due.completion_id, now=now, zone=zone)
    log = record_review(
        session=session,
        completion_id=due.completion_id,
        outcomes=outcomes,
        rating=rating,
        notes="",
        now=now,
        zone=zone,
        allow_early=early,
    )
    nxt = agenda.next_review_date(session, completion_id=due.completion_id)
    console.print(f"[green]✓[/] review recorded ({GRADE_LABELS[rating].lower()}, step {log.step + 1}).")
    console.print(f"  {next_review_sentence(nxt, clock.today(settings))}")
