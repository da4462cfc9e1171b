"""Interview drills: a timed run through practice questions, self-graded like reviews.

A drill samples questions from the bundled tracks (filtered by track, question type and
skill), or from the accepted practice questions of an imported roadmap (``roadmap``), stores the sample in ``drill_sessions`` so a reload shows the same questions, and
records one ``drill_results`` row per self-graded answer; those rows feed skill mastery.
The server keeps the time: seconds per answer are measured from the previous answer (or the
start), and an answer that arrives after the time limit ends the drill instead of counting.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from study_tracker.clock import local_date
from study_tracker.content.curriculum import Question, QuestionType, Topic, Track, load_skills, load_tracks
from study_tracker.db.models import DrillResult, DrillSession, PracticeQuestion, Roadmap, RoadmapItem
from study_tracker.errors import Conflict, InvalidInput, NotFound, invalid
from study_tracker.practice.cards import Card, question_card
from study_tracker.practice.outcomes import OutcomeIn, check_key_points, outcome_row
from study_tracker.practice.questions.queue import accepted_for_roadmap

GRADES = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}


class DrillFilters(BaseModel):
    """What a drill asks: the first guard on user input (CLI options, form fields, JSON)."""

    model_config = ConfigDict(extra="forbid")

    track: str | None = None
    roadmap: str | None = Field(None, max_length=64)  # an imported roadmap's slug
    type: QuestionType | None = None
    skill: str | None = None
    count: int = Field(5, ge=1, le=30)
    minutes: int = Field(10, ge=1, le=180)

    @field_validator("track", "skill", "roadmap", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("type", mode="before")
    @classmethod
    def _blank_type(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, str) and value not in QuestionType.__members__:
            raise ValueError(f"must be one of {', '.join(QuestionType.__members__)}")
        return value

    @field_validator("track")
    @classmethod
    def _known_track(cls, value: str | None) -> str | None:
        if value is not None and value not in load_tracks():
            raise ValueError(f"unknown track {value!r}; tracks are {', '.join(load_tracks())}")
        return value

    @field_validator("skill")
    @classmethod
    def _known_skill(cls, value: str | None) -> str | None:
        if value is not None and value not in load_skills():
            raise ValueError(f"unknown skill {value!r}; see `study path show` or the Skills page")
        return value


def parse_filters(payload: dict[str, Any]) -> DrillFilters:
    """Validate raw filters; every problem names its field."""
    try:
        filters = DrillFilters.model_validate(payload)
    except ValidationError as exc:
        raise invalid(exc) from None
    if filters.roadmap is not None and filters.track is not None:
        raise InvalidInput.field("roadmap", "drill a track or a roadmap, not both")
    return filters


@dataclass(frozen=True)
class Pick:
    track: Track
    topic: Topic
    index: int  # position of the question in its topic
    question: Question

    @property
    def skills(self) -> list[str]:
        return self.topic.question_skills(self.question)

    def ref(self) -> dict[str, Any]:
        if self.track.group == ROADMAP_GROUP:  # index is the practice question's id
            return {
                "track": self.track.slug,
                "day": 0,
                "index": self.index,
                "roadmap": self.track.slug,
                "question": self.index,
            }
        return {"track": self.track.slug, "day": self.topic.day, "index": self.index}

    def card(self, position: int) -> Card:
        return question_card(self.track, self.topic, self.question, index=self.index, position=position)


def candidates(filters: DrillFilters) -> list[Pick]:
    """Every bundled question the filters allow, in track, day, question order."""
    tracks = [load_tracks()[filters.track]] if filters.track else list(load_tracks().values())
    out = []
    for track in tracks:
        for topic in track.days:
            for i, q in enumerate(topic.questions):
                if filters.type is not None and q.type != filters.type:
                    continue
                if filters.skill is not None and filters.skill not in topic.question_skills(q):
                    continue
                out.append(Pick(track, topic, i, q))
    return out


# A roadmap question is drilled like a bundled one: it is dressed as a one-topic track (built
# without validation: a roadmap topic has no summary or estimate), so every drill view and the
# skill evidence read it unchanged. Its reference keeps the roadmap and the question's id.
ROADMAP_GROUP = "roadmap"


def _roadmap_pick(roadmap: Roadmap, q: PracticeQuestion, topic: RoadmapItem | None) -> Pick:
    question = Question.model_construct(
        type=QuestionType(q.type), prompt=q.prompt, level=2, key_points=list(q.key_points), skills=None
    )
    title = topic.title if topic is not None else (q.heading_path[-1] if q.heading_path else roadmap.title)
    day = Topic.model_construct(
        day=0,
        title=title,
        summary="",
        subtopics=[],
        estimated_minutes=0,
        skills=list(topic.skills) if topic is not None else [],
        resources=[],
        questions=[question],
    )
    track = Track.model_construct(
        slug=roadmap.slug,
        group=ROADMAP_GROUP,
        title=roadmap.title,
        icon="",
        description="",
        guide=None,
        days=[day],
    )
    return Pick(track, day, q.id, question)


def roadmap_candidates(session: Session, filters: DrillFilters) -> list[Pick]:
    """A roadmap's accepted practice questions the filters allow, oldest first.

    Raises:
        InvalidInput: no roadmap with that slug (field ``roadmap``).
    """
    roadmap = session.scalar(select(Roadmap).where(Roadmap.slug == filters.roadmap))
    if roadmap is None:
        raise InvalidInput.field("roadmap", f"no roadmap {filters.roadmap!r}; see `study roadmap list`")
    topics = {
        i.key: i for i in session.scalars(select(RoadmapItem).where(RoadmapItem.roadmap_id == roadmap.id))
    }
    out = []
    for q in accepted_for_roadmap(session, roadmap.id):
        pick = _roadmap_pick(roadmap, q, topics.get(q.topic_key or ""))
        if filters.type is not None and pick.question.type != filters.type:
            continue
        if filters.skill is not None and filters.skill not in pick.skills:
            continue
        out.append(pick)
    return out


def resolve(ref: dict[str, Any], session: Session | None = None) -> Pick | None:
    """A stored question reference back to the question (None if the bundle lost it, or the
    roadmap question is gone)."""
    if "question" in ref:
        return _resolve_roadmap(ref, session)
    track = load_tracks().get(ref.get("track", ""))
    topic = track.topic(int(ref.get("day", 0))) if track else None
    index = int(ref.get("index", -1))
    if track is None or topic is None or not 0 <= index < len(topic.questions):
        return None
    return Pick(track, topic, index, topic.questions[index])


def _resolve_roadmap(ref: dict[str, Any], session: Session | None) -> Pick | None:
    q = session.get(PracticeQuestion, int(ref["question"])) if session is not None else None
    roadmap = session.get(Roadmap, q.roadmap_id) if session is not None and q and q.roadmap_id else None
    if q is None or roadmap is None:
        return None
    assert session is not None
    topic = session.scalar(
        select(RoadmapItem).where(
            RoadmapItem.roadmap_id == roadmap.id, RoadmapItem.key == (q.topic_key or "")
        )
    )
    return _roadmap_pick(roadmap, q, topic)


def _unset_roadmap(filters: DrillFilters) -> set[str]:
    # A track drill stores and seeds its filters as before roadmaps could be drilled.
    return {"roadmap"} if filters.roadmap is None else set()


def start_drill(
    *, session: Session, filters: DrillFilters, now: datetime, seed: str | None = None
) -> DrillSession:
    """Sample the drill's questions and store the session.

    The sample is seeded by ``seed`` (default: the filters and how many drills came before),
    so the same request on the same data draws the same questions.

    Raises:
        InvalidInput: no bundled question matches the filters.
    """
    pool = roadmap_candidates(session, filters) if filters.roadmap else candidates(filters)
    if not pool and filters.roadmap:
        raise InvalidInput.field(
            "roadmap",
            f"no accepted practice question for {filters.roadmap} matches; generate some with "
            f"`study questions generate --roadmap {filters.roadmap}` and accept them",
        )
    if not pool:
        asked = ", ".join(
            f"{k}={v}" for k, v in filters.model_dump(include={"track", "type", "skill"}).items() if v
        )
        field = "skill" if filters.skill else "type" if filters.type else "track"
        raise InvalidInput.field(field, f"no practice question matches {asked}; widen the filters")
    if seed is None:
        previous = session.scalar(select(func.count()).select_from(DrillSession)) or 0
        seed = f"{filters.model_dump_json(exclude=_unset_roadmap(filters))}:{previous}"
    rng = random.Random(hashlib.sha256(seed.encode()).hexdigest())
    picks = rng.sample(pool, min(filters.count, len(pool)))
    drill = DrillSession(
        group=picks[0].track.group,
        filters=json.loads(filters.model_dump_json(exclude={"count", "minutes", *_unset_roadmap(filters)})),
        time_limit_s=filters.minutes * 60,
        questions=[p.ref() for p in picks],
        started_at=now,
    )
    session.add(drill)
    session.flush()
    return drill


@dataclass
class DrillView:
    drill: DrillSession
    picks: list[Pick | None]
    results: list[DrillResult]
    now: datetime

    @property
    def position(self) -> int:
        """Index of the next question to answer."""
        return len(self.results)

    @property
    def elapsed_s(self) -> int:
        end = self.drill.ended_at or self.now
        return max(0, int((end - self.drill.started_at).total_seconds()))

    @property
    def remaining_s(self) -> int:
        return max(0, self.drill.time_limit_s - self.elapsed_s)

    @property
    def finished(self) -> bool:
        return self.drill.ended_at is not None or self.position >= len(self.picks) or self.remaining_s == 0

    @property
    def current(self) -> Pick | None:
        return None if self.finished else self.picks[self.position]


def get_drill(session: Session, *, drill_id: int, now: datetime) -> DrillView:
    """A drill with its questions and the answers so far.

    Raises:
        NotFound: no drill with that id.
    """
    drill = session.get(DrillSession, drill_id)
    if drill is None:
        raise NotFound(f"no drill with id {drill_id}")
    results = list(
        session.scalars(
            select(DrillResult).where(DrillResult.session_id == drill_id).order_by(DrillResult.id)
        )
    )
    return DrillView(drill, [resolve(q, session) for q in drill.questions], results, now)


def answer(
    *,
    session: Session,
    drill_id: int,
    position: int,
    grade: int,
    now: datetime,
    zone: tzinfo,
    outcome: OutcomeIn | None = None,
) -> DrillResult | None:
    """Record the self-grade of the drill's next question.

    ``position`` must be the next unanswered question, so a double submit cannot grade one
    question twice. Returns None when the time limit had passed: the drill is ended instead.
    ``outcome`` (the card loop's typed answer and covered key points) is stored beside the
    result; its grade is ``grade``.

    Raises:
        NotFound: no such drill. InvalidInput: grade outside 1-4 or a bad position.
        Conflict: the drill is over, or that question was already answered.
    """
    if not isinstance(grade, int) or grade not in GRADES:
        raise InvalidInput.field("grade", "must be one of 1 (Again), 2 (Hard), 3 (Good), 4 (Easy)")
    view = get_drill(session, drill_id=drill_id, now=now)
    if not isinstance(position, int) or not 0 <= position < len(view.picks):
        raise InvalidInput.field("position", f"must be a question number from 0 to {len(view.picks) - 1}")
    if view.drill.ended_at is not None:
        raise Conflict("this drill is over: start a new one")
    if position < view.position:
        raise Conflict(f"question {position + 1} is already graded")
    if position > view.position:
        raise InvalidInput.field("position", f"answer question {view.position + 1} first")
    if view.remaining_s == 0:
        view.drill.ended_at = view.drill.started_at + timedelta(seconds=view.drill.time_limit_s)
        session.flush()
        return None
    pick = view.picks[position]
    if outcome is not None and pick is not None:
        outcome = outcome.model_copy(update={"position": position, "grade": grade})
        check_key_points(outcome, pick.card(position))
    since = view.results[-1].answered_at if view.results else view.drill.started_at
    result = DrillResult(
        session_id=drill_id,
        track=view.drill.questions[position]["track"],
        day=int(view.drill.questions[position]["day"]),
        question_index=int(view.drill.questions[position]["index"]),
        skills=pick.skills if pick else [],
        grade=grade,
        seconds=max(0, int((now - since).total_seconds())),
        answered_at=now,
        local_date=local_date(now, zone),
    )
    session.add(result)
    if outcome is not None and pick is not None:
        session.flush()  # the result's id
        row = outcome_row(pick.card(position), outcome, now=now, zone=zone)
        row.drill_result_id = result.id
        session.add(row)
    if position == len(view.picks) - 1:
        view.drill.ended_at = now
    session.flush()
    return result


def finish(*, session: Session, drill_id: int, now: datetime) -> DrillView:
    """End a drill now (unanswered questions stay unanswered); ending twice changes nothing."""
    view = get_drill(session, drill_id=drill_id, now=now)
    if view.drill.ended_at is None:
        limit = view.drill.started_at + timedelta(seconds=view.drill.time_limit_s)
        view.drill.ended_at = min(now, limit)
        session.flush()
    return view


@dataclass(frozen=True)
class DrillSummary:
    asked: int
    answered: int
    grades: dict[str, int]  # label -> count
    average_grade: float | None
    seconds: int
    weakest: list[tuple[str, float]]  # (skill, mean grade) lowest first
    rows: list[tuple[Pick | None, DrillResult | None]]


def summary(view: DrillView) -> DrillSummary:
    """What the drill showed: grades, time spent, and the skills that went worst."""
    rows = [(pick, view.results[i] if i < len(view.results) else None) for i, pick in enumerate(view.picks)]
    grades = {label: sum(1 for r in view.results if r.grade == g) for g, label in GRADES.items()}
    by_skill: dict[str, list[int]] = {}
    for r in view.results:
        for s in r.skills:
            by_skill.setdefault(s, []).append(r.grade)
    weakest = sorted(((s, sum(g) / len(g)) for s, g in by_skill.items()), key=lambda p: (p[1], p[0]))
    return DrillSummary(
        asked=len(view.picks),
        answered=len(view.results),
        grades=grades,
        average_grade=sum(r.grade for r in view.results) / len(view.results) if view.results else None,
        seconds=sum(r.seconds for r in view.results),
        weakest=weakest[:5],
        rows=rows,
    )
