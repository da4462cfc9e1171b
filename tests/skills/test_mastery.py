"""Skill mastery with a pinned clock: exact values for constructed logs (fixed intervals and FSRS)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from study_tracker.coach import drills
from study_tracker.db.models import GroupSetting
from study_tracker.skills.evidence import cache_clear, cache_info, collect_evidence, skill_mastery
from study_tracker.skills.mastery import (
    COMPLETION_WEIGHT,
    Evidence,
    SkillMastery,
    completion_evidence,
    decay,
    drill_evidence,
    mastery,
    review_evidence,
)
from study_tracker.tracker import agenda, service

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
TOPIC_SKILLS = ["neural-networks", "backpropagation"]  # ml_algorithms day 1


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def d(age_days: int) -> float:
    return 0.5 ** (age_days / 90)


# --- the pure function ----------------------------------------------------------------------


def test_one_good_review_today_is_point_four() -> None:
    ev = review_evidence(ref=1, track="t", day=1, skills=["a"], on=TODAY, rating=3)
    assert mastery([ev], today=TODAY)["a"].score == pytest.approx(0.8 / 2)


def test_evidence_halves_every_ninety_days() -> None:
    ev = review_evidence(ref=1, track="t", day=1, skills=["a"], on=TODAY - timedelta(days=90), rating=4)
    assert decay(90) == 0.5
    assert mastery([ev], today=TODAY)["a"].score == pytest.approx(0.5 / 1.5)


def test_mixed_evidence_exact_value() -> None:
    evidence = [
        completion_evidence(
            ref=1, track="t", day=1, skills=["a", "b"], on=TODAY - timedelta(days=30), difficulty=4
        ),
        review_evidence(ref=2, track="t", day=1, skills=["a", "b"], on=TODAY - timedelta(days=10), rating=1),
        drill_evidence(ref=3, track="t", day=1, skills=["a"], on=TODAY, grade=2),
    ]
    scores = mastery(evidence, today=TODAY)
    w1, w2 = 0.5 * d(30), 1.0 * d(10)
    assert scores["a"].score == pytest.approx((w1 * 0.4 + w2 * 0.0 + 1.0 * 0.5) / (1 + w1 + w2 + 1.0))
    assert scores["b"].score == pytest.approx((w1 * 0.4) / (1 + w1 + w2))
    assert scores["a"].count == 3 and scores["b"].count == 2
    assert scores["a"].last == TODAY
    # The evidence list says what contributed, biggest weight first.
    assert [c.evidence.kind for c in scores["a"].top()] == ["drill", "review", "completion"]


def test_score_stays_below_one_and_grows_with_evidence() -> None:
    one = [review_evidence(ref=1, track="t", day=1, skills=["a"], on=TODAY, rating=4)]
    many = [review_evidence(ref=i, track="t", day=1, skills=["a"], on=TODAY, rating=4) for i in range(100)]
    assert mastery(one, today=TODAY)["a"].score == pytest.approx(0.5)
    assert mastery(many, today=TODAY)["a"].score == pytest.approx(100 / 101)
    assert mastery(many, today=TODAY)["a"].score < 1


def test_future_evidence_counts_as_today() -> None:
    ev = Evidence("drill", 1, "t", 1, ("a",), TODAY + timedelta(days=3), 1.0, 1.0, 4)
    assert mastery([ev], today=TODAY)["a"].score == pytest.approx(0.5)


# --- from the log: fixed intervals ----------------------------------------------------------


def test_fixed_interval_log_exact(session: Session) -> None:
    done = service.complete_topic(
        session=session,
        track="ml_algorithms",
        day=1,
        difficulty=2,
        notes="",
        now=at(date(2026, 11, 1)),
        zone=UTC,
    )
    service.log_review(
        session=session, completion_id=done.id, rating=3, notes="", now=at(date(2026, 11, 2)), zone=UTC
    )
    service.log_review(
        session=session, completion_id=done.id, rating=1, notes="", now=at(date(2026, 11, 5)), zone=UTC
    )
    scores = skill_mastery(session, now=NOW, zone=UTC)
    w_c, w_r1, w_r2 = COMPLETION_WEIGHT * d(21), d(20), d(17)
    expected = (w_c * 0.8 + w_r1 * 0.8 + w_r2 * 0.0) / (1 + w_c + w_r1 + w_r2)
    for skill in TOPIC_SKILLS:
        assert scores[skill].score == pytest.approx(expected, abs=1e-12)
        assert scores[skill].count == 3
    assert scores["attention"].score == 0.0 and scores["attention"].count == 0  # known skill, no evidence

    # An undone review no longer counts.
    service.undo_last(session=session, group="ml_specialist", now=NOW, zone=UTC)
    again = skill_mastery(session, now=NOW, zone=UTC)
    assert again["neural-networks"].score == pytest.approx((w_c * 0.8 + w_r1 * 0.8) / (1 + w_c + w_r1))


def test_drill_results_feed_mastery(session: Session) -> None:
    filters = drills.parse_filters({"skill": "attention", "count": 2})
    started = drills.start_drill(session=session, filters=filters, now=at(TODAY, 8), seed="x")
    drills.answer(
        session=session,
        drill_id=started.id,
        position=0,
        grade=4,
        now=at(TODAY, 8) + timedelta(seconds=40),
        zone=UTC,
    )
    drills.answer(
        session=session,
        drill_id=started.id,
        position=1,
        grade=2,
        now=at(TODAY, 8) + timedelta(seconds=90),
        zone=UTC,
    )
    scores = skill_mastery(session, now=NOW, zone=UTC)
    assert scores["attention"].score == pytest.approx((1.0 + 0.5) / 3)
    assert {c.evidence.kind for c in scores["attention"].contributions} == {"drill"}


# --- from the log: FSRS ---------------------------------------------------------------------


def _use_fsrs(session: Session, group: str) -> None:
    session.get(GroupSetting, group).scheduler = "fsrs"  # type: ignore[union-attr]
    session.flush()
    service.reschedule(session, group=group, zone=UTC)


def _replay_retrievability(grades: list[tuple[datetime, int]], now: datetime) -> tuple[float, float]:
    """The same card rebuilt independently with the fsrs package."""
    from fsrs import Card, Rating, Scheduler

    scheduler = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
    card = Card(card_id=1)
    for when, grade in grades:
        card, _ = scheduler.review_card(card, Rating(grade), when)
    return scheduler.get_card_retrievability(card, now), card.stability


def test_fsrs_log_uses_retrievability_today(session: Session) -> None:
    c_at, r_at = at(date(2026, 11, 1)), at(date(2026, 11, 4))
    done = service.complete_topic(
        session=session, track="ml_algorithms", day=1, difficulty=2, notes="", now=c_at, zone=UTC
    )
    _use_fsrs(session, "ml_specialist")
    due = agenda.next_review_date(session, completion_id=done.id)
    assert due is not None and due <= r_at.date()
    service.log_review(session=session, completion_id=done.id, rating=3, notes="", now=r_at, zone=UTC)

    r, stability = _replay_retrievability([(c_at, 3), (r_at, 3)], NOW)  # difficulty 2 -> Good
    # FSRS-6 forgetting curve: R = (1 + F * t / S) ** D, t = 18 whole days since the review.
    assert 0 < r < 1 and stability > 0
    weight = COMPLETION_WEIGHT + 1.0  # the completion and one review, summarised by the card
    scores = skill_mastery(session, now=NOW, zone=UTC)
    assert scores["neural-networks"].score == pytest.approx(weight * r / (1 + weight), abs=1e-12)
    (contribution,) = scores["neural-networks"].contributions
    assert contribution.evidence.kind == "memory" and contribution.evidence.on == TODAY
    assert f"stability {stability:.1f} d" in contribution.evidence.label()

    # Later, recall is less likely, so mastery falls without any new evidence.
    later = skill_mastery(session, now=NOW + timedelta(days=60), zone=UTC)
    assert later["neural-networks"].score < scores["neural-networks"].score


def test_fsrs_applies_per_group(session: Session) -> None:
    service.complete_topic(
        session=session,
        track="ml_algorithms",
        day=1,
        difficulty=2,
        notes="",
        now=at(date(2026, 11, 1)),
        zone=UTC,
    )
    service.complete_topic(
        session=session,
        track="coding_patterns",
        day=1,
        difficulty=2,
        notes="",
        now=at(date(2026, 11, 1)),
        zone=UTC,
    )
    _use_fsrs(session, "ml_specialist")
    scores = skill_mastery(session, now=NOW, zone=UTC)
    assert [c.evidence.kind for c in scores["neural-networks"].contributions] == ["memory"]
    assert [c.evidence.kind for c in scores["complexity-analysis"].contributions] == ["completion"]
    assert scores["complexity-analysis"].score == pytest.approx(0.5 * d(21) * 0.8 / (1 + 0.5 * d(21)))


# --- remembered and extended results ------------------------------------------------------


def _as_values(scores: dict[str, SkillMastery]) -> dict[str, tuple[object, ...]]:
    """Everything a page can read from a result: exact floats, counts, dates and the evidence."""
    return {
        skill: (
            m.score,
            m.count,
            m.last,
            sorted(m.contributions, key=lambda c: (c.evidence.kind, c.evidence.ref)),
            [(c.evidence.kind, c.evidence.ref) for c in m.top()],
        )
        for skill, m in scores.items()
        if m.count
    }


def _from_scratch(session: Session, now: datetime) -> dict[str, tuple[object, ...]]:
    """An independent full computation that leaves the remembered result alone."""
    return _as_values(mastery(collect_evidence(session, now=now, zone=UTC), today=now.date()))


@pytest.mark.parametrize("scheduler", ["fixed", "fsrs"])
def test_appended_rows_extend_to_the_full_result(session: Session, scheduler: str) -> None:
    if scheduler == "fsrs":
        _use_fsrs(session, "ml_specialist")
    start = at(date(2026, 10, 1))
    first = service.complete_topic(
        session=session, track="ml_algorithms", day=1, difficulty=2, notes="", now=start, zone=UTC
    )
    for track, day in (("ml_algorithms", 3), ("coding_patterns", 1)):
        service.complete_topic(
            session=session, track=track, day=day, difficulty=4, notes="", now=start, zone=UTC
        )
    due = agenda.next_review_date(session, completion_id=first.id)
    assert due is not None
    service.log_review(session=session, completion_id=first.id, rating=3, notes="", now=at(due), zone=UTC)
    cache_clear()
    # Cards last reviewed at 09:00 are one whole day older at noon than at 08:00: a later call
    # on the same day must refresh their recall, even for completions with no new rows.
    early = datetime(2026, 11, 22, 8, tzinfo=UTC)
    skill_mastery(session, now=early, zone=UTC)
    assert cache_info().full == 1

    def extended(step: str, now: datetime) -> dict[str, SkillMastery]:
        before = cache_info()
        scores = skill_mastery(session, now=now, zone=UTC)
        assert cache_info().extended == before.extended + 1, f"{step}: expected only the new rows read"
        assert _as_values(scores) == _from_scratch(session, now), step
        return scores

    # A new completion (its topic's first evidence), a review of an older one, a drill answer.
    service.complete_topic(
        session=session, track="ml_algorithms", day=2, difficulty=1, notes="", now=at(TODAY, 7), zone=UTC
    )
    extended("completion", early)
    due = agenda.next_review_date(session, completion_id=first.id)
    assert due is not None and due <= TODAY
    service.log_review(session=session, completion_id=first.id, rating=1, notes="", now=at(due, 10), zone=UTC)
    scores = extended("review", NOW)
    kinds = {c.evidence.kind for c in scores["neural-networks"].contributions}
    assert kinds == ({"memory"} if scheduler == "fsrs" else {"completion", "review"})
    filters = drills.parse_filters({"skill": "attention", "count": 1})
    started = drills.start_drill(session=session, filters=filters, now=at(TODAY, 13), seed="x")
    drills.answer(session=session, drill_id=started.id, position=0, grade=4, now=at(TODAY, 13), zone=UTC)
    scores = extended("drill", NOW + timedelta(hours=2))
    assert scores["attention"].count == 1

    # The log unchanged: answered from memory.
    hits = cache_info().hits
    assert skill_mastery(session, now=NOW, zone=UTC) is scores
    assert cache_info().hits == hits + 1

    # An undo is not an append: the whole log is read again, and agrees with a fresh start.
    service.undo_last(session=session, group="ml_specialist", now=NOW, zone=UTC)
    full = cache_info().full
    after_undo = _as_values(skill_mastery(session, now=NOW, zone=UTC))
    assert cache_info().full == full + 1
    assert after_undo == _from_scratch(session, NOW)
    cache_clear()
    assert _as_values(skill_mastery(session, now=NOW, zone=UTC)) == after_undo


def test_changed_settings_read_the_whole_log(session: Session) -> None:
    service.complete_topic(
        session=session,
        track="ml_algorithms",
        day=1,
        difficulty=2,
        notes="",
        now=at(date(2026, 11, 1)),
        zone=UTC,
    )
    cache_clear()
    fixed = skill_mastery(session, now=NOW, zone=UTC)
    assert [c.evidence.kind for c in fixed["neural-networks"].contributions] == ["completion"]
    _use_fsrs(session, "ml_specialist")
    switched = skill_mastery(session, now=NOW, zone=UTC)
    assert cache_info().full == 2 and cache_info().extended == 0
    assert [c.evidence.kind for c in switched["neural-networks"].contributions] == ["memory"]


def test_an_import_that_keeps_ids_and_counts_still_reads_the_whole_log(session: Session) -> None:
    from study_tracker.tracker import transfer

    service.complete_topic(
        session=session,
        track="ml_algorithms",
        day=1,
        difficulty=1,
        notes="",
        now=at(date(2026, 11, 1)),
        zone=UTC,
    )
    cache_clear()
    easy = skill_mastery(session, now=NOW, zone=UTC)["neural-networks"].score
    document = transfer.export_data(session, now=NOW)
    document["completions"][0]["difficulty"] = 5  # same id, same count: only the content differs
    transfer.import_data(session, transfer.parse_export(json.dumps(document)))
    hard = skill_mastery(session, now=NOW, zone=UTC)["neural-networks"].score
    assert cache_info().full == 2 and hard < easy
    assert hard == pytest.approx(COMPLETION_WEIGHT * 0.2 / (1 + COMPLETION_WEIGHT * decay(21)) * decay(21))
