"""Per-question outcomes: stored with their review (or drill answer), undone with it, and counted as
skill evidence; the rating derived from the grades; the answer cut at its evidence sentences."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from study_tracker.coach import drills
from study_tracker.db.models import QuestionOutcome
from study_tracker.errors import Conflict, InvalidInput
from study_tracker.practice.cards import derive_rating, highlight, review_cards
from study_tracker.practice.grading.base import Evidence, GradeResult, KeyPointGrade, Status
from study_tracker.practice.outcomes import (
    OutcomeIn,
    dump_outcomes,
    parse_outcomes,
    record_review,
    review_outcomes,
)
from study_tracker.skills.evidence import cache_clear, collect_evidence, skill_mastery
from study_tracker.skills.mastery import ANSWER_WEIGHT
from study_tracker.tracker import agenda, service

DAY = date(2026, 11, 1)


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _completed(session: Session) -> int:
    done = service.complete_topic(
        session=session, track="ml_algorithms", day=1, difficulty=3, notes="", now=at(DAY), zone=UTC
    )
    return done.id


def test_a_review_stores_one_outcome_per_question_and_an_undo_takes_them_back(session: Session) -> None:
    cid = _completed(session)
    due = agenda.get_due_review(session, completion_id=cid, today=DAY + timedelta(days=1))
    cards = review_cards(due)
    assert len(cards) == due.rtype.questions == 2
    outcomes = [
        OutcomeIn(
            position=0, answer="Sigmoids saturate.", covered=[0, 1], suggested=3, grade=3, grader="offline"
        ),
        OutcomeIn(position=1, grade=1),  # answered aloud: nothing typed, nothing graded
    ]
    review = record_review(
        session=session,
        completion_id=cid,
        outcomes=outcomes,
        rating=derive_rating([o.grade for o in outcomes]),
        notes="",
        now=at(DAY + timedelta(days=1)),
        zone=UTC,
    )
    assert review.rating == 2  # mean 2, and an Again caps it at Hard
    rows = review_outcomes(session, review_id=review.id)
    assert [(r.position, r.question_index, r.covered, r.grade, r.grader) for r in rows] == [
        (0, cards[0].index, [0, 1], 3, "offline"),
        (1, cards[1].index, [], 1, "none"),
    ]
    assert rows[0].answer == "Sigmoids saturate." and rows[0].key_points == len(cards[0].key_points)
    assert rows[0].skills == list(cards[0].skills) and rows[0].local_date == DAY + timedelta(days=1)

    cache_clear()
    now = at(DAY + timedelta(days=2))
    kinds = [ev.kind for ev in collect_evidence(session, now=now, zone=UTC)]
    assert kinds.count("answer") == 2
    answered = [ev for ev in collect_evidence(session, now=now, zone=UTC) if ev.kind == "answer"]
    assert {ev.weight for ev in answered} == {ANSWER_WEIGHT} and sorted(ev.signal for ev in answered) == [
        0.0,
        0.8,
    ]
    with_answers = skill_mastery(session, now=now, zone=UTC)
    skill = cards[0].skills[0]
    assert any(c.evidence.kind == "answer" for c in with_answers[skill].contributions)

    service.undo_last(session=session, group="ml_specialist", now=now, zone=UTC)
    assert review_outcomes(session, review_id=review.id) == []
    assert session.scalar(select(func.count()).select_from(QuestionOutcome)) == 2  # append-only: kept
    after = skill_mastery(session, now=now, zone=UTC)
    assert not any(c.evidence.kind == "answer" for c in after[skill].contributions)


def test_outcomes_extend_the_remembered_mastery_like_a_full_read(session: Session) -> None:
    cid = _completed(session)
    cache_clear()
    now = at(DAY + timedelta(days=3))
    skill_mastery(session, now=now, zone=UTC)
    record_review(
        session=session,
        completion_id=cid,
        outcomes=[OutcomeIn(position=0, grade=4), OutcomeIn(position=1, grade=2)],
        rating=3,
        notes="",
        now=at(DAY + timedelta(days=1)),
        zone=UTC,
    )
    extended = skill_mastery(session, now=now, zone=UTC)
    cache_clear()
    full = skill_mastery(session, now=now, zone=UTC)
    assert {k: (v.score, v.count) for k, v in extended.items()} == {
        k: (v.score, v.count) for k, v in full.items()
    }
    assert sum(v.count for v in full.values()) > 0


@pytest.mark.parametrize(
    ("outcomes", "field"),
    [
        ([OutcomeIn(position=2, grade=3)], "outcomes[0].position"),
        ([OutcomeIn(position=0, grade=3), OutcomeIn(position=0, grade=2)], "outcomes[1].position"),
        ([OutcomeIn(position=0, covered=[19], grade=3)], "outcomes[0].covered"),
    ],
)
def test_outcomes_that_do_not_fit_the_review_write_nothing(session: Session, outcomes, field) -> None:  # type: ignore[no-untyped-def]
    cid = _completed(session)
    with pytest.raises(InvalidInput) as info:
        record_review(
            session=session,
            completion_id=cid,
            outcomes=outcomes,
            rating=3,
            notes="",
            now=at(DAY + timedelta(days=1)),
            zone=UTC,
        )
    assert field in info.value.message
    assert session.scalar(select(func.count()).select_from(QuestionOutcome)) == 0
    assert agenda.next_review_date(session, completion_id=cid) == DAY + timedelta(days=1)  # still due


def test_a_review_not_due_yet_is_refused_with_its_outcomes(session: Session) -> None:
    cid = _completed(session)
    with pytest.raises(Conflict):
        record_review(
            session=session,
            completion_id=cid,
            outcomes=[OutcomeIn(position=0, grade=3)],
            rating=3,
            notes="",
            now=at(DAY),
            zone=UTC,
        )


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('[{"position": 0, "grade": 5}]', "outcomes[0].grade"),
        ('[{"position": 0, "grade": 3, "answer": "' + "x" * 8001 + '"}]', "outcomes[0].answer"),
        ('[{"position": 0, "grade": 3, "oops": 1}]', "outcomes[0].oops"),
        ("not json", "outcomes"),
        ("[" + ",".join(['{"position":0,"grade":3,"answer":"' + "y" * 8000 + '"}'] * 31) + "]", "outcomes"),
    ],
)
def test_outcomes_from_a_form_are_bounded_and_named(raw: str, field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_outcomes(raw)
    assert field in info.value.message


def test_outcomes_survive_the_form_round_trip() -> None:
    outcomes = [OutcomeIn(position=0, answer='a "quoted" <b>answer</b>', covered=[1], grade=2, grader="llm")]
    assert parse_outcomes(dump_outcomes(outcomes)) == outcomes
    assert parse_outcomes("  ") == []


def test_a_drill_answer_keeps_its_typed_answer(session: Session) -> None:
    filters = drills.parse_filters({"track": "ml_algorithms", "count": 2})
    started = drills.start_drill(session=session, filters=filters, now=at(DAY), seed="s")
    outcome = OutcomeIn(
        position=0, answer="ReLU keeps gradients alive.", covered=[0], suggested=2, grade=2, grader="offline"
    )
    result = drills.answer(
        session=session,
        drill_id=started.id,
        position=0,
        grade=3,
        now=at(DAY) + timedelta(seconds=30),
        zone=UTC,
        outcome=outcome,
    )
    assert result is not None
    row = session.scalars(select(QuestionOutcome)).one()
    assert (row.drill_result_id, row.review_id, row.grade, row.suggested, row.answer) == (
        result.id,
        None,
        3,  # the drill's grade is the learner's
        2,
        "ReLU keeps gradients alive.",
    )
    with pytest.raises(InvalidInput):
        drills.answer(
            session=session,
            drill_id=started.id,
            position=1,
            grade=3,
            now=at(DAY) + timedelta(seconds=60),
            zone=UTC,
            outcome=OutcomeIn(position=1, covered=[17], grade=3),
        )
    # Drill outcomes add no evidence of their own: the drill answer already counts.
    assert [ev.kind for ev in collect_evidence(session, now=at(DAY, 12), zone=UTC)] == ["drill"]


@pytest.mark.parametrize(
    ("grades", "rating"),
    [
        ([4, 4, 4], 4),
        ([3, 4], 3),
        ([4, 4, 3], 4),
        ([3, 3, 2], 3),
        ([2, 3], 2),
        ([4, 4, 4, 1], 2),
        ([1, 1], 1),
        ([], 3),
    ],
)
def test_the_rating_derived_from_the_grades(grades: list[int], rating: int) -> None:
    assert derive_rating(grades) == rating


def test_highlight_marks_the_evidence_sentences() -> None:
    answer = "Sigmoids saturate. Nothing else. ReLU is never zero."
    result = GradeResult(
        key_points=[
            KeyPointGrade(
                index=0,
                key_point="k0",
                status=Status.covered,
                evidence=Evidence(start=0, end=18, text=answer[:18]),
                reason="r",
            ),
            KeyPointGrade(index=1, key_point="k1", status=Status.missed, reason="r"),
            KeyPointGrade(
                index=2,
                key_point="k2",
                status=Status.contradicted,
                evidence=Evidence(start=33, end=52, text=answer[33:]),
                reason="r",
            ),
        ],
        grade="hard",
        grader="offline",
    )
    parts = highlight(answer, result)
    assert "".join(p.text for p in parts) == answer
    assert [(p.text, p.marks, p.contradicts) for p in parts if p.marks] == [
        ("Sigmoids saturate.", (1,), False),
        ("ReLU is never zero.", (3,), True),
    ]
    assert highlight("", None) == [] and [p.text for p in highlight("said aloud", None)] == ["said aloud"]
