"""Skill mastery from the study log, kept current as the log grows.

``skill_mastery`` scores every skill from the whole log (completions, reviews, drill answers,
review questions answered one card at a time; FSRS cards for groups on FSRS) with the formula in ``mastery``. The log is append-only, so after
the first computation only the rows appended since are read and only the topics they touch are
rescored; anything else (an undo, a settings change, a new day, another database) reads it all.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any, NamedTuple

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from study_tracker.clock import local_date
from study_tracker.content.curriculum import load_skills, load_tracks
from study_tracker.db.models import (
    LOG_EPOCH_KEY,
    Completion,
    DrillResult,
    GroupSetting,
    Meta,
    QuestionOutcome,
    ReviewLog,
    ScheduledReview,
    Undo,
)
from study_tracker.skills.answers import outcome_evidence, outcome_rows
from study_tracker.skills.mastery import (
    HALF_LIFE_DAYS,
    PRIOR_WEIGHT,
    Evidence,
    SkillMastery,
    TopicSums,
    card_evidence,
    card_recall,
    completion_evidence,
    decays_for,
    drill_evidence,
    review_evidence,
    score_skills,
    sum_topic,
)

# --- from the log ---------------------------------------------------------------------------


def _day(column: Any) -> Any:
    """A date column read as text: SQLAlchemy's per-row date conversion is most of the query's cost."""
    return cast(column, String)


def _parse_day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


class _Fingerprint(NamedTuple):
    """(max id, row count) of every table mastery reads, and the group settings."""

    completions: tuple[int, int]
    reviews: tuple[int, int]
    undos: tuple[int, int]
    drills: tuple[int, int]
    outcomes: tuple[int, int]
    groups: tuple[tuple[Any, ...], ...]
    epoch: str | None  # changes when an import replaces the log wholesale


def _fingerprint(session: Session) -> _Fingerprint:
    """Changes whenever anything mastery reads changes (the log only grows; settings are few)."""
    columns = []
    for model in (Completion, ReviewLog, Undo, DrillResult, QuestionOutcome):
        columns += [
            select(func.coalesce(func.max(model.id), 0)).scalar_subquery(),
            select(func.count(model.id)).scalar_subquery(),
        ]
    columns.append(select(Meta.value).where(Meta.key == LOG_EPOCH_KEY).scalar_subquery())
    row = session.execute(select(*columns)).one()
    groups = tuple(
        tuple(g)
        for g in session.execute(
            select(GroupSetting.group, GroupSetting.scheduler, GroupSetting.desired_retention).order_by(
                GroupSetting.group
            )
        )
    )
    return _Fingerprint(
        (row[0], row[1]),
        (row[2], row[3]),
        (row[4], row[5]),
        (row[6], row[7]),
        (row[8], row[9]),
        groups,
        row[10],
    )


class _Card(NamedTuple):
    """A completion of an FSRS group, summarised by its card (one memory evidence)."""

    card: Any  # fsrs.Card
    reviews: int
    elapsed: int | None  # whole days from its last review to the ``now`` of ``evidence``
    evidence: Evidence


def _make_card(
    ref: int,
    *,
    track: str,
    day: int,
    skills: tuple[str, ...],
    card: Any,
    reviews: int,
    today: date,
    now: datetime,
) -> _Card:
    elapsed = (now - card.last_review).days if card.last_review is not None else None
    return _Card(
        card,
        reviews,
        elapsed,
        card_evidence(
            ref,
            track=track,
            day=day,
            skills=skills,
            today=today,
            recall=card_recall(card, now),
            reviews=reviews,
        ),
    )


@dataclass
class _Log:
    """What one computation read from a database, kept so that the next one can extend it."""

    url: str
    today: date
    now: datetime
    fingerprint: _Fingerprint
    fsrs_groups: frozenset[str]
    # Live completions that credit skills: id -> (group, track, day, skills).
    completions: dict[int, tuple[str, str, int, tuple[str, ...]]]
    cards: dict[int, _Card]  # the completions counted as FSRS memory
    topics: dict[tuple[str, ...], TopicSums]
    scores: dict[str, SkillMastery]
    how: str  # "full" or "extended"


class _Reader:
    """Rows of the log as evidence; topics of the bundled tracks are looked up once each."""

    def __init__(self, today: date, now: datetime) -> None:
        self.today, self.now = today, now
        self.tracks = load_tracks()
        self.topic_skills: dict[tuple[str, int], tuple[str, ...]] = {}
        self.days: dict[Any, date] = {}  # the same few hundred days recur thousands of times

    def day(self, value: Any) -> date:
        return self.days.get(value) or self.days.setdefault(value, _parse_day(value))

    def skills(self, slug: str, day: int) -> tuple[str, ...]:
        skills = self.topic_skills.get((slug, day))
        if skills is None:
            track = self.tracks.get(slug)
            topic = track.topic(day) if track else None
            skills = self.topic_skills[(slug, day)] = tuple(topic.skills) if topic else ()
        return skills

    def card(self, cid: int, info: tuple[str, str, int, tuple[str, ...]], state: Any, reviews: int) -> _Card:
        from fsrs import Card

        _, slug, day, skills = info
        return _make_card(
            cid,
            track=slug,
            day=day,
            skills=skills,
            card=Card.from_dict(state),
            reviews=reviews,
            today=self.today,
            now=self.now,
        )


def _completion_rows(session: Session, *, after: int, upto: int, undone_upto: int) -> Any:
    undone = select(Undo.completion_id).where(Undo.completion_id.is_not(None), Undo.id <= undone_upto)
    return (
        session.connection()
        .execute(
            select(
                Completion.id,
                Completion.group,
                Completion.track,
                Completion.day,
                Completion.difficulty,
                _day(Completion.local_date),
            )
            .where(Completion.id > after, Completion.id <= upto, Completion.id.not_in(undone))
            .order_by(Completion.id)
        )
        .all()
    )


def _review_rows(session: Session, *, after: int, upto: int, undone_upto: int) -> Any:
    undone = select(Undo.review_id).where(Undo.review_id.is_not(None), Undo.id <= undone_upto)
    return (
        session.connection()
        .execute(
            select(ReviewLog.id, ReviewLog.completion_id, ReviewLog.rating, _day(ReviewLog.local_date))
            .where(ReviewLog.id > after, ReviewLog.id <= upto, ReviewLog.id.not_in(undone))
            .order_by(ReviewLog.id)
        )
        .all()
    )


def _drill_rows(session: Session, *, after: int, upto: int) -> Any:
    return (
        session.connection()
        .execute(
            select(
                DrillResult.id,
                DrillResult.track,
                DrillResult.day,
                DrillResult.skills,
                DrillResult.grade,
                _day(DrillResult.local_date),
            )
            .where(DrillResult.id > after, DrillResult.id <= upto)
            .order_by(DrillResult.id)
        )
        .all()
    )


def _states(
    session: Session, fsrs_groups: frozenset[str], ids: Iterable[int] | None = None
) -> dict[int, Any]:
    if not fsrs_groups:
        return {}
    stmt = select(ScheduledReview.completion_id, ScheduledReview.state).where(
        ScheduledReview.group.in_(fsrs_groups), ScheduledReview.state.is_not(None)
    )
    if ids is not None:
        stmt = stmt.where(ScheduledReview.completion_id.in_(list(ids)))
    return dict(session.execute(stmt).all())


def _drill_evidence(reader: _Reader, rows: Any) -> Iterable[Evidence]:
    for rid, slug, day, skills, grade, on in rows:
        yield drill_evidence(ref=rid, track=slug, day=day, skills=skills, on=reader.day(on), grade=grade)


def _read_all(session: Session, fp: _Fingerprint, *, url: str, today: date, now: datetime) -> _Log:
    """Every live completion, review and drill answer up to the fingerprint's ids, as evidence."""
    reader = _Reader(today, now)
    fsrs_groups = frozenset(g[0] for g in fp.groups if g[1] == "fsrs")
    undos = fp.undos[0]
    states = _states(session, fsrs_groups)
    reviews_by_completion: dict[int, list[tuple[int, int, date]]] = defaultdict(list)
    day_of, parse = reader.days.get, reader.day
    for rid, cid, rating, on in _review_rows(session, after=0, upto=fp.reviews[0], undone_upto=undos):
        reviews_by_completion[cid].append((rid, rating, day_of(on) or parse(on)))
    grouped: dict[tuple[str, ...], list[Evidence]] = defaultdict(list)
    completions: dict[int, tuple[str, str, int, tuple[str, ...]]] = {}
    cards: dict[int, _Card] = {}
    for cid, group, slug, day, difficulty, on in _completion_rows(
        session, after=0, upto=fp.completions[0], undone_upto=undos
    ):
        skills = reader.skills(slug, day)
        if not skills:
            continue  # a track removed from the bundle: no skills to credit
        info = completions[cid] = (group, slug, day, skills)
        reviews = reviews_by_completion.get(cid, [])
        state = states.get(cid) if group in fsrs_groups else None
        if state is not None:
            card = cards[cid] = reader.card(cid, info, state, len(reviews))
            grouped[skills].append(card.evidence)
            continue
        items = grouped[skills]
        items.append(
            completion_evidence(
                ref=cid, track=slug, day=day, skills=skills, on=reader.day(on), difficulty=difficulty
            )
        )
        items += [
            review_evidence(ref=rid, track=slug, day=day, skills=skills, on=r_on, rating=rating)
            for rid, rating, r_on in reviews
        ]
    for ev in _drill_evidence(reader, _drill_rows(session, after=0, upto=fp.drills[0])):
        grouped[ev.skills].append(ev)
    answers = outcome_rows(session, after=0, upto=fp.outcomes[0], undone_upto=undos)
    for ev in outcome_evidence(answers, reader.day):
        grouped[ev.skills].append(ev)
    decays = decays_for([*reader.days.values(), today], today, HALF_LIFE_DAYS)  # memory is dated today
    topics = {skills: sum_topic(tuple(items), decays) for skills, items in grouped.items()}
    return _Log(url, today, now, fp, fsrs_groups, completions, cards, topics, {}, "full")


def collect_evidence(session: Session, *, now: datetime, zone: tzinfo) -> list[Evidence]:
    """Every live completion, review, drill answer and review question as evidence (FSRS groups
    as memory)."""
    log = _read_all(session, _fingerprint(session), url="", today=local_date(now, zone), now=now)
    return [ev for topic in log.topics.values() for ev in topic.items]


def _appended(before: _Fingerprint, after: _Fingerprint) -> bool:
    """Whether ``after`` can only differ from ``before`` by new completions, reviews and drill answers."""
    return (
        before.groups == after.groups
        and before.epoch == after.epoch
        and before.undos == after.undos
        and all(
            a[0] >= b[0] and a[1] >= b[1]
            for b, a in (
                (before.completions, after.completions),
                (before.reviews, after.reviews),
                (before.drills, after.drills),
                (before.outcomes, after.outcomes),
            )
        )
    )


def _extend(session: Session, prev: _Log, fp: _Fingerprint, *, now: datetime) -> _Log | None:
    """``prev`` plus the rows appended since (None when something else changed: recompute)."""
    undos, old = fp.undos[0], prev.fingerprint
    new_c = _completion_rows(session, after=old.completions[0], upto=fp.completions[0], undone_upto=undos)
    new_r = _review_rows(session, after=old.reviews[0], upto=fp.reviews[0], undone_upto=undos)
    new_d = _drill_rows(session, after=old.drills[0], upto=fp.drills[0])
    new_o = outcome_rows(session, after=old.outcomes[0], upto=fp.outcomes[0], undone_upto=undos)
    # Fewer new rows than the counts grew by means rows were deleted or replaced (an import). Only
    # a review's outcomes are read, so theirs is checked by id growth alone (the import's epoch
    # and the undo count catch the rest).
    if (
        len(new_c) != fp.completions[1] - old.completions[1]
        or len(new_r) != fp.reviews[1] - old.reviews[1]
        or len(new_d) != fp.drills[1] - old.drills[1]
        or len(new_o) > fp.outcomes[1] - old.outcomes[1]
    ):
        return None
    reader = _Reader(prev.today, now)
    fsrs = prev.fsrs_groups
    completions = dict(prev.completions)
    cards = dict(prev.cards)
    added: dict[tuple[str, ...], list[Evidence]] = defaultdict(list)
    replaced: dict[tuple[str, ...], set[int]] = defaultdict(set)  # skills -> ids of stale memory evidence
    new_completions: dict[int, tuple[int, date]] = {}  # id -> (difficulty, day) of fixed-interval ones
    for cid, group, slug, day, difficulty, on in new_c:
        skills = reader.skills(slug, day)
        if skills:
            completions[cid] = (group, slug, day, skills)
            new_completions[cid] = (difficulty, reader.day(on))
    new_reviews: dict[int, list[tuple[int, int, date]]] = defaultdict(list)
    for rid, cid, rating, on in new_r:
        if cid in completions:  # not undone, and its topic has skills
            new_reviews[cid].append((rid, rating, reader.day(on)))
    # A new review changes its FSRS card; read the cards of every FSRS completion touched.
    touched = {cid for cid in (*new_completions, *new_reviews) if completions[cid][0] in fsrs}
    states = _states(session, fsrs, touched) if touched else {}
    for cid in sorted({*new_completions, *new_reviews}):
        info = completions[cid]
        group, slug, day, skills = info
        reviews = new_reviews.get(cid, [])
        was_card = cid in prev.cards
        state = states.get(cid) if cid in touched else None
        if cid in new_completions:
            if state is not None:
                cards[cid] = reader.card(cid, info, state, len(reviews))
                added[skills].append(cards[cid].evidence)
                continue
            difficulty, on = new_completions[cid]
            added[skills].append(
                completion_evidence(ref=cid, track=slug, day=day, skills=skills, on=on, difficulty=difficulty)
            )
        elif was_card != (state is not None):
            return None  # counted one way before and the other now: simplest to recompute
        elif was_card:
            cards[cid] = reader.card(cid, info, state, prev.cards[cid].reviews + len(reviews))
            replaced[skills].add(cid)
            added[skills].append(cards[cid].evidence)
            continue
        added[skills] += [
            review_evidence(ref=rid, track=slug, day=day, skills=skills, on=r_on, rating=rating)
            for rid, rating, r_on in reviews
        ]
    for ev in _drill_evidence(reader, new_d):
        added[ev.skills].append(ev)
    for ev in outcome_evidence(new_o, reader.day):
        added[ev.skills].append(ev)
    if now != prev.now:
        # Recall is read at ``now`` and changes with whole days since a card's last review.
        for cid, card in prev.cards.items():
            if (
                cards[cid] is card
                and card.elapsed is not None
                and (now - card.card.last_review).days != card.elapsed
            ):
                _, slug, day, skills = completions[cid]
                cards[cid] = _make_card(
                    cid,
                    track=slug,
                    day=day,
                    skills=skills,
                    card=card.card,
                    reviews=card.reviews,
                    today=prev.today,
                    now=now,
                )
                replaced[skills].add(cid)
                added[skills].append(cards[cid].evidence)
    if not added:
        return _Log(
            prev.url, prev.today, now, fp, fsrs, completions, cards, prev.topics, prev.scores, "extended"
        )
    topics = dict(prev.topics)
    decays: dict[date, float] = {}
    for skills, items in added.items():
        kept = prev.topics[skills].items if skills in prev.topics else ()
        stale = replaced.get(skills)
        if stale:
            kept = tuple(ev for ev in kept if not (ev.kind == "memory" and ev.ref in stale))
        every = (*kept, *items)
        topics[skills] = sum_topic(
            every, decays_for([ev.on for ev in every], prev.today, HALF_LIFE_DAYS, decays)
        )
    scores = dict(prev.scores)
    scores.update(
        score_skills(
            topics,
            today=prev.today,
            half_life_days=HALF_LIFE_DAYS,
            prior_weight=PRIOR_WEIGHT,
            only={skill for skills in added for skill in skills},
        )
    )
    return _Log(prev.url, prev.today, now, fp, fsrs, completions, cards, topics, scores, "extended")


class CacheInfo(NamedTuple):
    hits: int  # the log had not changed
    extended: int  # only new rows were read
    full: int  # the whole log was read


_state: _Log | None = None
_counts = {"hits": 0, "extended": 0, "full": 0}
_state_lock = threading.Lock()  # guards _state and _counts
_compute_lock = threading.Lock()  # one computation at a time: a second request waits, then hits


def cache_info() -> CacheInfo:
    """How often ``skill_mastery`` answered from memory, from the new rows only, or from the whole log."""
    with _state_lock:
        return CacheInfo(**_counts)


def cache_clear() -> None:
    """Forget the remembered result (the next call reads the whole log)."""
    global _state
    with _state_lock:
        _state = None
        _counts.update(hits=0, extended=0, full=0)


def skill_mastery(session: Session, *, now: datetime, zone: tzinfo) -> dict[str, SkillMastery]:
    """Mastery of every known skill (skills without evidence score 0) from the whole log.

    The result is remembered per database, day and log fingerprint, so pages that show it
    (Today's what-next panel, Skills) pay for the computation once per change of the log;
    when only rows were appended since (a completion, a review, a drill answer) just those
    rows are read and the skills they touch rescored. Anything else (an undo, a settings
    change, another day or database) reads the whole log again. Both ways give equal results.
    """
    global _state
    today = local_date(now, zone)
    bind = session.get_bind()
    url = str(bind.engine.url)
    fp = _fingerprint(session)

    def remembered() -> dict[str, SkillMastery] | None:
        with _state_lock:
            if _state is not None and (_state.url, _state.today, _state.fingerprint) == (url, today, fp):
                _counts["hits"] += 1
                return _state.scores
            return None

    if (hit := remembered()) is not None:
        return hit
    with _compute_lock:
        if (hit := remembered()) is not None:
            return hit
        prev = _state
        log = None
        if prev is not None and prev.url == url and prev.today == today and _appended(prev.fingerprint, fp):
            log = _extend(session, prev, fp, now=now)
        if log is None:
            log = _read_all(session, fp, url=url, today=today, now=now)
            scores = score_skills(
                log.topics, today=today, half_life_days=HALF_LIFE_DAYS, prior_weight=PRIOR_WEIGHT
            )
            for skill in load_skills():
                scores.setdefault(skill, SkillMastery(skill, 0.0, 0, None))
            log.scores = scores
        with _state_lock:
            _state = log
            _counts[log.how] += 1
        return log.scores
