"""What next: one ordered list of things to study, each with the reason it was chosen.

Order: due reviews first (forgetting is the cheapest loss to prevent), then the next topic
of each track (not of paused or hidden ones) and of each imported roadmap, then topics and
milestones for the weakest skill of the chosen career path. Passages from the user's knowledge
base are fetched separately (``passages_for``) because the index may be missing or still
loading: guidance must never wait for it.

Roadmaps by group: asked about some groups, a roadmap is suggested when one of its items shares
a skill with those groups' tracks or with the goal's career path, or when none of its items has
a skill at all (nothing tells where it belongs, and an imported roadmap must not vanish).

On Today (``today_panel``) the list is calm: what the Reviews and New-topics cards above it
already show is left out, and the first ``TODAY_ITEMS`` are shown with the rest behind "more".
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from study_tracker.clock import local_date
from study_tracker.config import Settings
from study_tracker.content.curriculum import GROUPS, load_skills, load_tracks
from study_tracker.db.models import Roadmap, RoadmapItem
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase
from study_tracker.knowledge.search.related import related_passages
from study_tracker.roadmaps import progress as roadmap_progress
from study_tracker.roadmaps.views import NextItem
from study_tracker.skills.evidence import skill_mastery
from study_tracker.skills.goal import Goal, get_goal
from study_tracker.skills.mastery import SkillMastery
from study_tracker.tracker import agenda, service
from study_tracker.wording import plural

log = logging.getLogger(__name__)

MAX_REVIEWS = 5  # beyond this the panel says "and N more" rather than listing every review
SKILL_TOPICS = 2  # bundled topics suggested for the weakest skill
TODAY_ITEMS = 5  # suggestions shown on Today before "show more"


@dataclass
class Suggestion:
    kind: str  # review | topic | catch-up | roadmap | milestone | skill
    title: str
    reason: str
    url: str
    query: str  # what to look up in the knowledge base for it (a title)
    skills: list[str] = field(default_factory=list)
    subtopics: list[str] = field(default_factory=list)  # added to the query


@dataclass
class WeakSkill:
    skill: str
    name: str
    score: float
    target: float | None
    count: int

    @property
    def gap(self) -> float:
        return (self.target or 1.0) - self.score


@dataclass
class WhatNext:
    items: list[Suggestion]
    more_reviews: int
    weakest: list[WeakSkill]
    goal: Goal | None
    notes: list[str]


def weakest_skills(scores: dict[str, SkillMastery], goal: Goal | None, *, limit: int = 3) -> list[WeakSkill]:
    """Skills furthest below the goal's target; without a goal, the lowest of those with evidence."""
    names = load_skills()
    if goal is not None:
        target: float | None = goal.level.target
        pool = goal.skills
    else:
        target = None
        pool = [s for s, m in scores.items() if m.count]
    weak = [
        WeakSkill(
            s,
            names[s].name if s in names else s,
            scores[s].score if s in scores else 0.0,
            target,
            scores[s].count if s in scores else 0,
        )
        for s in pool
    ]
    weak = [w for w in weak if target is None or w.score < target]
    # Path order breaks ties so the earliest (most basic) skill of the path comes first.
    order = {s: i for i, s in enumerate(pool)}
    weak.sort(key=lambda w: (-w.gap, order[w.skill]))
    return weak[:limit]


def _roadmap_suggestions(items: Sequence[NextItem], why: str | None = None) -> list[Suggestion]:
    """Roadmap items as suggestions; ``why`` replaces the opening of the reason."""
    out = []
    for item in items:
        kind = "milestone" if item.kind == "milestone" else "roadmap"
        opening = why or ("Next open milestone" if kind == "milestone" else "Current roadmap topic")
        out.append(
            Suggestion(
                kind=kind,
                title=f"{item.roadmap_title}: {item.title}",
                reason=f"{opening}: {item.reason}".rstrip(": "),
                url=item.url,
                query=item.title,
                skills=list(item.skills),
            )
        )
    return out


def what_next(
    session: Session,
    *,
    now: datetime,
    zone: tzinfo,
    groups: Sequence[str] | None = None,
    views: Sequence[agenda.TodayView] = (),
) -> WhatNext:
    """The ordered study plan for now.

    Args:
        groups: the groups whose reviews and tracks to include (default all).
        views: today views the caller already computed (the Today page), reused as they are.
    """
    today = local_date(now, zone)
    groups = list(groups or GROUPS)
    known = {v.group: v for v in views}
    views = [known.get(g) or agenda.today_view(session, group=g, today=today) for g in groups]
    items: list[Suggestion] = []
    notes: list[str] = []

    reviews = [r for v in views for r in v.reviews]
    reviews.sort(key=lambda r: (r.due_date, r.completion_id))
    for r in reviews[:MAX_REVIEWS]:
        when = f"{plural(r.overdue_days, 'day')} overdue" if r.overdue_days else "due today"
        items.append(
            Suggestion(
                "review",
                f"Review {r.track.title} day {r.day}: {r.topic.title}",
                f"{r.rtype.label} review {when}: reviewing on time keeps what you already learned",
                f"/reviews/{r.completion_id}",
                r.topic.title,
                list(r.topic.skills),
                list(r.topic.subtopics),
            )
        )

    for v in views:
        for t in v.tracks:
            if not t.offers_topic or t.topic is None:
                continue  # paused, not begun (a future start date) or past its last day
            if t.completion is None:
                items.append(
                    Suggestion(
                        "topic",
                        f"{t.track.title} day {t.day}: {t.topic.title}",
                        f"Today's topic in {t.track.title} (day {t.day} of {t.track.length})",
                        f"/tracks/{t.track.slug}/days/{t.day}",
                        t.topic.title,
                        list(t.topic.skills),
                        list(t.topic.subtopics),
                    )
                )
            elif t.missed:
                topic = t.track.topic(t.missed[0])
                if topic is not None:
                    items.append(
                        Suggestion(
                            "catch-up",
                            f"{t.track.title} day {topic.day}: {topic.title}",
                            f"Today's {t.track.title} topic is done; day {topic.day} was skipped "
                            f"({len(t.missed)} to catch up)",
                            f"/tracks/{t.track.slug}/days/{topic.day}",
                            topic.title,
                            list(topic.skills),
                            list(topic.subtopics),
                        )
                    )

    goal = get_goal(session)
    roadmaps = None if len(groups) == len(GROUPS) else roadmaps_for(session, groups, goal)
    items += _roadmap_suggestions(
        [i for i in roadmap_progress.next_items(session=session, today=today) if _kept(i, roadmaps)]
    )

    scores = skill_mastery(session, now=now, zone=zone)
    weakest = weakest_skills(scores, goal)
    if goal is None:
        notes.append("Choose a career path on the Skills page to get suggestions for your weakest skills.")
    # The weakest skill that something teaches: a skill with no topic or roadmap item yet gets a note.
    untaught = []
    listed = {item.url: item for item in items}
    for weak in weakest:
        found = _skill_suggestions(session, weak, goal, groups, roadmaps)
        if not found:
            untaught.append(weak)
            continue
        for suggestion in found:
            if suggestion.url in listed:  # already suggested for another reason: say it serves both
                listed[suggestion.url].reason += f"; it also practises your weakest skill, {weak.name}"
            else:
                items.append(suggestion)
        break
    if untaught:
        notes.append(
            "No bundled topic or roadmap item teaches "
            + ", ".join(f"{w.name} (`{w.skill}`)" for w in untaught)
            + " yet: import a roadmap whose items cover them."
        )
    return WhatNext(items, max(0, len(reviews) - MAX_REVIEWS), weakest, goal, notes)


def _skill_suggestions(
    session: Session,
    weak: WeakSkill,
    goal: Goal | None,
    groups: Sequence[str],
    roadmaps: set[str] | None,
) -> list[Suggestion]:
    """The first bundled topic on the skill in each track (up to two; paused and hidden tracks
    left out) and items of the ``roadmaps`` (None: any) tagged with it."""
    target = f" (target {weak.target:.2f} for {goal.path.title} {goal.level.id} months)" if goal else ""
    reason = f"Weakest skill: {weak.name}, mastery {weak.score:.2f}{target}"
    live = service.live_completions().subquery()
    completed = {(t, d) for t, d in session.execute(select(live.c.track, live.c.day).distinct())}
    set_aside = agenda.inactive_tracks(session)
    out: list[Suggestion] = []
    # Tracks of the groups asked about first; a skill is worth learning wherever it is taught.
    active = [t for t in load_tracks().values() if t.slug not in set_aside]
    for track in sorted(active, key=lambda t: t.group not in groups):
        tagged = [t for t in track.days if weak.skill in t.skills]
        # The first topic for the skill not studied yet; when all were, the first one again.
        fresh = [t for t in tagged if (track.slug, t.day) not in completed]
        if tagged:
            topic = (fresh or tagged)[0]
            why = reason if fresh else f"{reason}; every topic on it is done, so revisit the first"
            out.append(
                Suggestion(
                    "skill",
                    f"{track.title} day {topic.day}: {topic.title}",
                    why,
                    f"/tracks/{track.slug}/days/{topic.day}",
                    topic.title,
                    list(topic.skills),
                    list(topic.subtopics),
                )
            )
        if len(out) >= SKILL_TOPICS:
            break
    tagged_items = roadmap_progress.items_for_skills(session=session, skills=[weak.skill])
    out += _roadmap_suggestions([i for i in tagged_items if _kept(i, roadmaps)], reason)
    return out


def roadmaps_for(session: Session, groups: Sequence[str], goal: Goal | None) -> set[str]:
    """Slugs of the roadmaps that belong with ``groups``: an item shares a skill with their tracks
    or with the goal's path, or no item has a skill (see the module docstring)."""
    wanted = {
        s for t in load_tracks().values() if t.group in groups for topic in t.days for s in topic.skills
    }
    if goal is not None:
        wanted |= set(goal.skills)
    skills: dict[str, set[str]] = {}
    rows = session.execute(
        select(Roadmap.slug, RoadmapItem.skills)
        .join(RoadmapItem, RoadmapItem.roadmap_id == Roadmap.id)
        .where(RoadmapItem.removed.is_(False))
    )
    for slug, item_skills in rows:
        skills.setdefault(slug, set()).update(item_skills or [])
    return {slug for slug, found in skills.items() if not found or found & wanted}


def _kept(item: NextItem, roadmaps: set[str] | None) -> bool:
    return roadmaps is None or item.roadmap in roadmaps


# --- Today's panel ---------------------------------------------------------------------------


@dataclass
class Panel:
    """What next as Today shows it: a few suggestions, the rest behind "show more"."""

    items: list[Suggestion]
    more: list[Suggestion]
    notes: list[str]


def today_panel(plan: WhatNext, view: agenda.TodayView, *, limit: int = TODAY_ITEMS) -> Panel:
    """``plan`` without what Today's cards above it show (due reviews, each track's topic and its
    catch-up days), the first ``limit`` suggestions apart from the rest."""
    shown = {f"/reviews/{r.completion_id}" for r in view.reviews}
    for t in view.tracks:
        shown.add(f"/tracks/{t.track.slug}/days/{t.day}")
        shown.update(f"/tracks/{t.track.slug}/days/{d}" for d in t.missed)
    rest = [i for i in plan.items if i.kind != "review" and i.url not in shown]
    return Panel(rest[:limit], rest[limit:], plan.notes)


# --- passages from the knowledge base -------------------------------------------------------


@dataclass
class Passages:
    hits: list[Any]  # knowledge.search.SearchHit
    note: str | None  # why there are none (no index yet, still loading, an error)


def passages_for(
    title: str, subtopics: Sequence[str] = (), *, settings: Settings, kb: Any = None
) -> Passages:
    """The best 3 passages of the user's knowledge base for a suggestion; never raises.

    Uses ``knowledge.related`` (keyword search alone while the query encoder is not ready);
    a missing index or any knowledge-base failure becomes a short note instead of an error.
    """
    try:
        kb = kb or KnowledgeBase.open(settings, export=False)
        found = related_passages(kb, title=title, subtopics=list(subtopics))
    except Exception as exc:  # noqa: BLE001  (guidance must survive any knowledge-base failure)
        log.info("passages for %r unavailable: %s", title, exc)
        return Passages([], "Passages from your materials are unavailable right now.")
    if found.not_ready:
        return Passages([], "No knowledge base yet: `study ingest PATH` adds your notes and documents.")
    if not found.hits:
        return Passages([], found.note or "Nothing in your materials matches this yet.")
    return Passages(list(found.hits), None)
