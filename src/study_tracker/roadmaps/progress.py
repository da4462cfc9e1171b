"""What the roadmaps ask of the learner next: each roadmap's milestone progress, the next topics
and milestones (with why each is next), and the items that teach given skills. Reads only."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy.orm import Session

from study_tracker.db.models import RoadmapItem
from study_tracker.roadmaps.paths import other_paths
from study_tracker.roadmaps.views import (
    NextItem,
    RoadmapMilestones,
    RoadmapTree,
    load_trees,
)


def milestone_progress(*, session: Session) -> list[RoadmapMilestones]:
    """Per roadmap: every milestone with its checklist, state and progress (report, milestones page)."""
    out = []
    for tree in load_trees(session):
        ms = [tree.milestone(i) for i in tree.items if i.kind == "milestone"]
        done = sum(m.state == "done" for m in ms)
        out.append(
            RoadmapMilestones(
                slug=tree.roadmap.slug,
                title=tree.roadmap.title,
                progress=done / len(ms) if ms else 0.0,
                done=done,
                total=len(ms),
                milestones=ms,
            )
        )
    return out


def _topic_reason(tree: RoadmapTree, item: RoadmapItem, today: date) -> str:
    start, end = tree.dates(item)
    if start is None or end is None:
        return "next open topic in order"
    if start <= today <= end:
        return f"scheduled now: day {(today - start).days + 1} of {(end - start).days + 1}, until {end}"
    if today > end:
        return f"overdue: planned to end on {end}"
    return f"coming up: starts on {start}"


def next_items(*, session: Session, today: date) -> list[NextItem]:
    """Per roadmap, the topic to work on (the one scheduled today, else the earliest overdue one,
    else the next dated one, else the first open one in document order) and the next open
    milestone (preferably of that topic), each with a reason."""
    out = []
    for tree in load_trees(session):
        r = tree.roadmap
        off_path = other_paths(tree)
        topics = [i for i in tree.items if i.kind == "topic" and not tree.done(i) and i.key not in off_path]
        dated = sorted(
            (i for i in topics if i.offset_days is not None), key=lambda i: (i.offset_days, i.position)
        )
        # What the plan says for today, then what was left behind, then what comes next.
        current = [i for i in dated if tree.topic_state(i, today) == "current"]
        overdue = [i for i in dated if tree.topic_state(i, today) == "overdue"]
        candidates: list[RoadmapItem | None] = [*(current or overdue or dated or topics), None]
        pick = candidates[0]
        if pick is not None:
            start, end = tree.dates(pick)
            out.append(
                NextItem(
                    r.slug,
                    r.title,
                    "topic",
                    pick.key,
                    pick.title,
                    _topic_reason(tree, pick, today),
                    list(pick.skills or []),
                    start,
                    end,
                )
            )
        open_ms = [
            i for i in tree.items if i.kind == "milestone" and not tree.done(i) and i.key not in off_path
        ]
        if pick is not None:  # prefer a milestone of the chosen topic, then any in document order
            mine = [m for m in open_ms if (o := tree.owner(m)) is not None and o.key == pick.key]
            open_ms = mine + [m for m in open_ms if m not in mine]
        if open_ms:
            m = open_ms[0]
            view = tree.milestone(m)
            done = sum(t.done for t in view.tasks)
            reason = (
                f"{done} of {len(view.tasks)} checklist items done" if view.tasks else "next open milestone"
            )
            start, end = tree.dates(m)
            out.append(
                NextItem(
                    r.slug, r.title, "milestone", m.key, m.title, reason, list(m.skills or []), start, end
                )
            )
    return out


def items_for_skills(*, session: Session, skills: Iterable[str]) -> list[NextItem]:
    """Open topics, subtopics and milestones tagged with any of ``skills`` (document order per
    roadmap); ``reason`` names the matching skills."""
    wanted = set(skills)
    out = []
    for tree in load_trees(session):
        for i in tree.items:
            if i.kind not in ("topic", "subtopic", "milestone") or tree.done(i):
                continue
            shared = sorted(wanted & set(i.skills or []))
            if shared:
                start, end = tree.dates(i)
                out.append(
                    NextItem(
                        tree.roadmap.slug,
                        tree.roadmap.title,
                        i.kind,
                        i.key,
                        i.title,
                        "practises " + ", ".join(shared),
                        list(i.skills),
                        start,
                        end,
                    )
                )
    return out
