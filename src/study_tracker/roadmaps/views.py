"""What the roadmap pages and services read: view objects, and one roadmap's items with their state.

``RoadmapTree`` joins a roadmap's items (rebuilt on every import) with its progress events (kept across
imports) and derives whether each topic and milestone is done; ``service`` builds on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from study_tracker.db.models import ItemEvent, Roadmap, RoadmapItem
from study_tracker.errors import NotFound

COUNTED = ("topic", "milestone", "task")


# --- results -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportResult:
    slug: str
    title: str
    created: bool
    unchanged: bool  # same text and start date as last time
    counts: dict[str, int]  # topics, subtopics, milestones, tasks, resources, removed
    warnings: list[str]
    start_date: date


@dataclass(frozen=True)
class RoadmapSummary:
    slug: str
    title: str
    source_name: str
    start_date: date
    updated_at: datetime
    progress: float  # 0..1 over topics, milestones and tasks
    done: int
    total: int
    counts: dict[str, int]


@dataclass
class ItemView:
    key: str
    kind: str
    title: str
    body: str
    url: str | None
    done: bool
    link: str | None
    label: str  # for tasks: the milestone part they came from (Steps, Deliverables...)
    skills: list[str]
    start: date | None = None
    end: date | None = None  # inclusive
    depth: int = 0
    removed: bool = False


@dataclass
class MilestoneView:
    item: ItemView
    topic_key: str | None
    topic_title: str | None
    tasks: list[ItemView]
    resources: list[ItemView]
    state: str  # done | in_progress | open
    progress: float

    @property
    def key(self) -> str:
        return self.item.key

    @property
    def groups(self) -> list[tuple[str, list[ItemView]]]:
        """The checklist grouped by part (Steps, Deliverables...), in document order."""
        out: dict[str, list[ItemView]] = {}
        for t in self.tasks:
            out.setdefault(t.label or "Checklist", []).append(t)
        return list(out.items())


@dataclass
class TopicView:
    item: ItemView
    state: str  # done | current | overdue | upcoming | open
    subtopics: list[ItemView]
    tasks: list[ItemView]
    resources: list[ItemView]
    milestones: list[MilestoneView]

    @property
    def key(self) -> str:
        return self.item.key


@dataclass
class RoadmapView:
    slug: str
    title: str
    source_name: str
    start_date: date
    end_date: date | None
    updated_at: datetime
    progress: float
    done: int
    total: int
    topics: list[TopicView]
    milestones: list[MilestoneView]  # all of them, in document order
    tasks: list[ItemView]  # tasks outside topics and milestones
    resources: list[ItemView]  # resources outside topics and milestones
    removed: int  # items gone from the file whose progress is kept


@dataclass(frozen=True)
class NextItem:
    roadmap: str  # slug
    roadmap_title: str
    kind: str  # topic | milestone
    key: str
    title: str
    reason: str
    skills: list[str] = field(default_factory=list)
    start: date | None = None
    end: date | None = None

    @property
    def url(self) -> str:
        return f"/roadmaps/{self.roadmap}#item-{self.key}"


@dataclass(frozen=True)
class RoadmapMilestones:
    slug: str
    title: str
    progress: float  # share of done milestones
    done: int
    total: int
    milestones: list[MilestoneView]


# --- reading -----------------------------------------------------------------------------------
def get_roadmap(session: Session, slug: str) -> Roadmap:
    roadmap = session.scalar(select(Roadmap).where(Roadmap.slug == slug))
    if roadmap is None:
        raise NotFound(f"no roadmap named {slug!r}")
    return roadmap


def _events(
    session: Session, roadmap_ids: list[int]
) -> dict[tuple[int, str], tuple[bool | None, str | None]]:
    """(roadmap id, key) -> (latest done, latest link); None where no event set it."""
    out: dict[tuple[int, str], tuple[bool | None, str | None]] = {}
    rows = session.scalars(
        select(ItemEvent).where(ItemEvent.roadmap_id.in_(roadmap_ids)).order_by(ItemEvent.at, ItemEvent.id)
    )
    for e in rows:
        done, link = out.get((e.roadmap_id, e.item_key), (None, None))
        out[(e.roadmap_id, e.item_key)] = (
            e.done if e.done is not None else done,
            e.link if e.link is not None else link,
        )
    return out


class RoadmapTree:
    """One roadmap's items and their state, with the derived done-ness of topics and milestones."""

    def __init__(self, roadmap: Roadmap, items: list[RoadmapItem], events: dict) -> None:
        self.roadmap = roadmap
        self.items = [i for i in items if not i.removed]
        self.removed = len(items) - len(self.items)
        self.by_key = {i.key: i for i in self.items}
        self.children: dict[str | None, list[RoadmapItem]] = {}
        for i in self.items:
            parent = i.parent_key if i.parent_key in self.by_key else None
            self.children.setdefault(parent, []).append(i)
        self.explicit: dict[str, bool | None] = {}
        self.links: dict[str, str | None] = {}
        for i in self.items:
            done, link = events.get((roadmap.id, i.key), (None, None))
            self.explicit[i.key] = done
            self.links[i.key] = link or None
        self._done: dict[str, bool] = {}

    def owner(self, item: RoadmapItem) -> RoadmapItem | None:
        """The nearest topic or milestone above ``item``."""
        key = item.parent_key
        while key in self.by_key:
            parent = self.by_key[key]
            if parent.kind in ("topic", "milestone"):
                return parent
            key = parent.parent_key
        return None

    def tasks_of(self, item: RoadmapItem) -> list[RoadmapItem]:
        out = []
        stack = list(reversed(self.children.get(item.key, [])))
        while stack:
            c = stack.pop()
            if c.kind == "task":
                out.append(c)
            if c.kind not in ("topic", "milestone"):
                stack.extend(reversed(self.children.get(c.key, [])))
        return out

    def done(self, item: RoadmapItem) -> bool:
        if item.key in self._done:
            return self._done[item.key]
        explicit = self.explicit[item.key]
        if explicit is not None:
            result = explicit
        elif item.kind in ("topic", "milestone"):
            tasks = self.tasks_of(item)
            result = bool(tasks) and all(self.done(t) for t in tasks)
        else:
            result = item.checked_in_file
        self._done[item.key] = result
        return result

    def dates(self, item: RoadmapItem) -> tuple[date | None, date | None]:
        if item.offset_days is None:
            return None, None
        start = self.roadmap.start_date + timedelta(days=item.offset_days)
        return start, start + timedelta(days=(item.duration_days or 1) - 1)

    def view(self, item: RoadmapItem, depth: int = 0) -> ItemView:
        start, end = self.dates(item)
        return ItemView(
            key=item.key,
            kind=item.kind,
            title=item.title,
            body=item.body,
            url=item.url,
            done=self.done(item),
            link=self.links.get(item.key),
            label=item.body if item.kind == "task" and len(item.body) < 40 else "",
            skills=list(item.skills or []),
            start=start,
            end=end,
            depth=depth,
        )

    def progress(self) -> tuple[int, int]:
        counted = [i for i in self.items if i.kind in COUNTED]
        return sum(self.done(i) for i in counted), len(counted)

    def milestone(self, item: RoadmapItem) -> MilestoneView:
        topic = self.owner(item)
        tasks = self.tasks_of(item)
        done_tasks = sum(self.done(t) for t in tasks)
        done = self.done(item)
        state = "done" if done else "in_progress" if done_tasks else "open"
        progress = 1.0 if done else (done_tasks / len(tasks) if tasks else 0.0)
        return MilestoneView(
            item=self.view(item),
            topic_key=topic.key if topic else None,
            topic_title=topic.title if topic else None,
            tasks=[self.view(t, self._depth(t, item)) for t in tasks],
            resources=[self.view(r) for r in self.children.get(item.key, []) if r.kind == "resource"],
            state=state,
            progress=progress,
        )

    def _depth(self, item: RoadmapItem, top: RoadmapItem) -> int:
        depth, key = 0, item.parent_key
        while key and key != top.key and key in self.by_key:
            depth, key = depth + 1, self.by_key[key].parent_key
        return depth

    def topic_state(self, item: RoadmapItem, today: date) -> str:
        if self.done(item):
            return "done"
        start, end = self.dates(item)
        if start is None or end is None:
            return "open"
        if today < start:
            return "upcoming"
        return "current" if today <= end else "overdue"

    def topic(self, item: RoadmapItem, today: date) -> TopicView:
        subtopics: list[ItemView] = []
        tasks: list[ItemView] = []
        resources: list[ItemView] = []
        milestones: list[MilestoneView] = []

        def walk(parent: RoadmapItem, depth: int) -> None:
            for c in self.children.get(parent.key, []):
                if c.kind == "milestone":
                    milestones.append(self.milestone(c))
                elif c.kind == "subtopic":
                    subtopics.append(self.view(c, depth))
                    walk(c, depth + 1)
                elif c.kind == "task":
                    tasks.append(self.view(c, self._depth(c, item)))
                    walk(c, depth)
                elif c.kind == "resource":
                    resources.append(self.view(c))

        walk(item, 0)
        return TopicView(
            item=self.view(item),
            state=self.topic_state(item, today),
            subtopics=subtopics,
            tasks=tasks,
            resources=resources,
            milestones=milestones,
        )


def load_tree(session: Session, roadmap: Roadmap) -> RoadmapTree:
    items = list(
        session.scalars(
            select(RoadmapItem).where(RoadmapItem.roadmap_id == roadmap.id).order_by(RoadmapItem.position)
        )
    )
    return RoadmapTree(roadmap, items, _events(session, [roadmap.id]))


def load_trees(session: Session) -> list[RoadmapTree]:
    roadmaps = list(session.scalars(select(Roadmap).order_by(Roadmap.title, Roadmap.id)))
    if not roadmaps:
        return []
    events = _events(session, [r.id for r in roadmaps])
    items: dict[int, list[RoadmapItem]] = {r.id: [] for r in roadmaps}
    for i in session.scalars(select(RoadmapItem).order_by(RoadmapItem.roadmap_id, RoadmapItem.position)):
        items[i.roadmap_id].append(i)
    return [RoadmapTree(r, items[r.id], events) for r in roadmaps]
