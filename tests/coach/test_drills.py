"""Drills: seeded sampling, filters with field-named errors, grading and time keeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from study_tracker.coach import drills
from study_tracker.db.models import DrillResult, DrillSession
from study_tracker.errors import Conflict, InvalidInput, NotFound

T0 = datetime(2026, 11, 22, 9, tzinfo=UTC)


def start(session: Session, seed: str | None = "s", **filters: object) -> DrillSession:
    return drills.start_drill(session=session, filters=drills.parse_filters(dict(filters)), now=T0, seed=seed)


def test_filters_narrow_the_pool() -> None:
    pool = drills.candidates(drills.parse_filters({"track": "ml_algorithms", "type": "derivation"}))
    assert pool and all(p.track.slug == "ml_algorithms" and p.question.type == "derivation" for p in pool)
    by_skill = drills.candidates(drills.parse_filters({"skill": "attention"}))
    assert by_skill and all("attention" in p.skills for p in by_skill)


def test_same_seed_same_questions_and_stored(session: Session) -> None:
    a = start(session, count=4, track="system_design")
    b = start(session, count=4, track="system_design")
    c = start(session, seed="other", count=4, track="system_design")
    assert a.questions == b.questions and len(a.questions) == 4
    assert a.questions != c.questions
    assert len({(q["day"], q["index"]) for q in a.questions}) == 4  # no repeats
    # A reload reads the stored sample, not a new draw.
    view = drills.get_drill(session, drill_id=a.id, now=T0)
    assert [p.ref() for p in view.picks if p] == a.questions
    assert a.filters == {"track": "system_design", "type": None, "skill": None}
    assert a.time_limit_s == 600 and a.group == "swe"


def test_default_seed_changes_with_each_drill(session: Session) -> None:
    first = start(session, seed=None, count=5)
    second = start(session, seed=None, count=5)
    assert first.questions != second.questions


def test_count_larger_than_pool_takes_all(session: Session) -> None:
    pool = drills.candidates(drills.parse_filters({"track": "ml_algorithms", "type": "derivation"}))
    d = start(session, track="ml_algorithms", type="derivation", count=30)
    assert len(d.questions) == len(pool)


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({"track": "nope"}, "track", "unknown track 'nope'"),
        ({"type": "essay"}, "type", "must be one of concept"),
        ({"skill": "juggling"}, "skill", "unknown skill 'juggling'"),
        ({"count": 0}, "count", "greater than or equal to 1"),
        ({"count": 31}, "count", "less than or equal to 30"),
        ({"count": "many"}, "count", "whole number"),
        ({"minutes": 0}, "minutes", "greater than or equal to 1"),
        ({"minutes": 500}, "minutes", "less than or equal to 180"),
        ({"colour": "red"}, "colour", "not a known field"),
    ],
)
def test_bad_filters_name_the_field(payload: dict[str, object], field: str, words: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        drills.parse_filters(payload)
    assert [e.field for e in exc.value.errors] == [field]
    assert words in exc.value.errors[0].message


def test_filters_that_match_nothing_are_refused_and_nothing_is_stored(session: Session) -> None:
    with pytest.raises(InvalidInput) as exc:
        start(session, skill="rag")  # a path skill no bundled question teaches yet
    assert exc.value.errors[0].field == "skill"
    assert session.scalar(select(func.count()).select_from(DrillSession)) == 0


def test_grading_records_seconds_and_skills(session: Session) -> None:
    d = start(session, count=3, track="ml_algorithms")
    r1 = drills.answer(
        session=session, drill_id=d.id, position=0, grade=3, now=T0 + timedelta(seconds=75), zone=UTC
    )
    r2 = drills.answer(
        session=session, drill_id=d.id, position=1, grade=1, now=T0 + timedelta(seconds=100), zone=UTC
    )
    assert r1 is not None and r2 is not None
    assert (r1.seconds, r2.seconds) == (75, 25)  # measured from the start, then from the previous answer
    pick = drills.resolve(d.questions[0])
    assert pick is not None and r1.skills == pick.topic.question_skills(pick.question)
    assert r1.local_date == T0.date() and (r1.track, r1.day) == (
        d.questions[0]["track"],
        d.questions[0]["day"],
    )
    view = drills.get_drill(session, drill_id=d.id, now=T0 + timedelta(seconds=100))
    assert view.position == 2 and not view.finished
    drills.answer(
        session=session, drill_id=d.id, position=2, grade=4, now=T0 + timedelta(seconds=130), zone=UTC
    )
    view = drills.get_drill(session, drill_id=d.id, now=T0 + timedelta(seconds=140))
    assert view.finished and view.drill.ended_at == T0 + timedelta(seconds=130)
    s = drills.summary(view)
    assert (s.asked, s.answered, s.seconds) == (3, 3, 130)
    assert s.grades == {"Again": 1, "Hard": 0, "Good": 1, "Easy": 1}
    assert s.average_grade == pytest.approx(8 / 3)


def test_question_skills_default_to_the_topic_and_can_be_narrowed() -> None:
    from study_tracker.content.curriculum import Question, load_tracks

    topic = load_tracks()["ml_algorithms"].topic(1)
    assert topic is not None
    q = topic.questions[0]
    assert q.skills is None and topic.question_skills(q) == topic.skills
    narrowed = Question(type="concept", prompt="p", level=1, key_points=["k"], skills=["backpropagation"])
    assert topic.question_skills(narrowed) == ["backpropagation"]
    with pytest.raises(ValueError):
        Question(type="concept", prompt="p", level=1, key_points=["k"], skills=[])


@pytest.mark.parametrize(
    ("position", "grade", "error", "field"),
    [
        (0, 0, InvalidInput, "grade"),
        (0, 5, InvalidInput, "grade"),
        (-1, 3, InvalidInput, "position"),
        (3, 3, InvalidInput, "position"),
        (1, 3, InvalidInput, "position"),  # question 1 before question 0
    ],
)
def test_bad_answers_are_refused_and_nothing_is_stored(
    session: Session, position: int, grade: int, error: type[Exception], field: str
) -> None:
    d = start(session, count=3)
    with pytest.raises(error) as exc:
        drills.answer(session=session, drill_id=d.id, position=position, grade=grade, now=T0, zone=UTC)
    assert exc.value.errors[0].field == field  # type: ignore[attr-defined]
    assert session.scalar(select(func.count()).select_from(DrillResult)) == 0


def test_double_submit_and_unknown_drill(session: Session) -> None:
    d = start(session, count=2)
    drills.answer(
        session=session, drill_id=d.id, position=0, grade=3, now=T0 + timedelta(seconds=5), zone=UTC
    )
    with pytest.raises(Conflict, match="already graded"):
        drills.answer(
            session=session, drill_id=d.id, position=0, grade=4, now=T0 + timedelta(seconds=6), zone=UTC
        )
    with pytest.raises(NotFound):
        drills.get_drill(session, drill_id=999, now=T0)
    assert session.scalar(select(func.count()).select_from(DrillResult)) == 1


def test_answer_after_the_time_limit_ends_the_drill(session: Session) -> None:
    d = start(session, count=3, minutes=1)
    late = T0 + timedelta(seconds=61)
    assert drills.answer(session=session, drill_id=d.id, position=0, grade=3, now=late, zone=UTC) is None
    assert d.ended_at == T0 + timedelta(seconds=60)
    assert session.scalar(select(func.count()).select_from(DrillResult)) == 0
    with pytest.raises(Conflict, match="over"):
        drills.answer(session=session, drill_id=d.id, position=0, grade=3, now=late, zone=UTC)


def test_finish_early_keeps_answers_and_is_idempotent(session: Session) -> None:
    d = start(session, count=3)
    drills.answer(
        session=session, drill_id=d.id, position=0, grade=2, now=T0 + timedelta(seconds=30), zone=UTC
    )
    view = drills.finish(session=session, drill_id=d.id, now=T0 + timedelta(seconds=45))
    assert view.finished and view.drill.ended_at == T0 + timedelta(seconds=45)
    again = drills.finish(session=session, drill_id=d.id, now=T0 + timedelta(seconds=99))
    assert again.drill.ended_at == T0 + timedelta(seconds=45)
    s = drills.summary(again)
    assert (s.asked, s.answered) == (3, 1) and [r is None for _, r in s.rows] == [False, True, True]


def test_drill_command_reads_answers_from_stdin(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    env = {**os.environ, "STUDY_DATA_DIR": str(tmp_path / "data"), "STUDY_TIMEZONE": "UTC", "COLUMNS": "200"}
    cmd = [
        sys.executable,
        "-m",
        "study_tracker",
        "--today",
        "2026-11-22",
        "drill",
        "--track",
        "ml_algorithms",
    ]
    # Enter (nothing typed) reveals, then a grade: "good", an invalid "zz" (asked again), "e", then "a".
    run = subprocess.run(
        [*cmd, "--count", "3", "--minutes", "5"],
        input="\ngood\n\nzz\ne\n\na\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("Question ") == 3 and run.stdout.count("just Enter: answer aloud") == 3
    assert "grade: must be 1-4 or a, h, g, e, got 'zz'" in run.stderr
    assert "Answered 3 of 3" in run.stdout and "average grade 2.7/4" in run.stdout

    from study_tracker.db.engine import session_scope

    with session_scope(f"sqlite:///{tmp_path / 'data' / 'study.db'}") as s:
        grades = [r.grade for r in s.scalars(select(DrillResult).order_by(DrillResult.id))]
        assert grades == [3, 4, 1]
        assert s.scalars(select(DrillSession)).one().ended_at is not None

    # End of input part-way: the answers so far are kept, the drill is ended.
    short = subprocess.run(
        [*cmd, "--count", "3"], input="\ng\n", capture_output=True, text=True, env=env, timeout=120
    )
    assert short.returncode == 0 and "Answered 1 of 3" in short.stdout
    bad = subprocess.run(
        [*cmd, "--count", "0", "--type", "essay"], capture_output=True, text=True, env=env, timeout=120
    )
    assert bad.returncode == 2 and "count:" in bad.stderr and "type:" in bad.stderr
