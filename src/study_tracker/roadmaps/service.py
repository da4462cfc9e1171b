"""Roadmap services: import a Markdown roadmap, view it, tick items, and say what comes next
(the view objects and the item tree they are built from live in ``views``).

Progress lives in ``item_events`` (append-only), keyed by (roadmap, item key); items are rebuilt
from the file on every import. The state of an item is its latest event; with no event, the
``[x]`` in the file. When a re-imported file changes a checkbox (``[ ]`` -> ``[x]`` or back), that
change is recorded as a ``source="file"`` event, so it applies - and a later user tick still
wins over it. A checkbox the file did not change leaves the user's own ticks alone.

A milestone or topic is done when ticked; without a tick of its own, when it has tasks and all
of them are done. Roadmap progress is the share of done topics, milestones and tasks.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from study_tracker.clock import local_date
from study_tracker.db.models import ItemEvent, Roadmap, RoadmapItem
from study_tracker.errors import InvalidInput, NotFound, RoadmapError
from study_tracker.roadmaps.parse import ParsedRoadmap, parse_roadmap
from study_tracker.roadmaps.parse import slug as make_slug
from study_tracker.roadmaps.paths import PathOption, path_options
from study_tracker.roadmaps.timing import add_units
from study_tracker.roadmaps.views import (
    COUNTED,
    ImportResult,
    ItemView,
    RoadmapSummary,
    RoadmapView,
    get_roadmap,
    load_tree,
    load_trees,
)
from study_tracker.skills.tagging import match_skills

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_LINK = 2000


# --- import ------------------------------------------------------------------------------------
def _validate_slug(slug: str) -> str:
    if not SLUG.match(slug):
        raise RoadmapError.field(
            "slug",
            f"{slug!r} must be 1-64 lowercase letters, digits or dashes, starting with a letter or digit",
        )
    return slug


def _dates(parsed: ParsedRoadmap, start: date) -> dict[str, tuple[int, int]]:
    """key -> (offset_days, duration_days) for items with a timing. A length without a position
    ("2 weeks") starts where the latest dated item so far ends, whatever units that one used."""
    out = {}
    cursor = start
    for item in parsed.items:
        t = item.timing
        if t is None:
            continue
        first = add_units(start, t.unit, t.start) if t.start is not None else cursor
        after = add_units(first, t.unit, t.length)
        if item.kind == "topic":
            cursor = max(cursor, after)
        out[item.key] = ((first - start).days, max(1, (after - first).days))
    return out


def _skills_of(texts: list[str], memo: dict[str, frozenset[str]]) -> list[str]:
    """``match_skills(texts)``, each text matched once per import: roadmaps repeat titles
    ("Practice", "Review") thousands of times, and matching is the slow part of an import."""
    found: set[str] = set()
    for text in texts:
        if text not in memo:
            memo[text] = frozenset(match_skills([text]))
        found |= memo[text]
    return sorted(found)


def import_roadmap(
    *,
    session: Session,
    text: str,
    source_name: str,
    start_date: date | None,
    slug: str | None,
    now: datetime,
    zone: tzinfo,
    parsed: ParsedRoadmap | None = None,
) -> ImportResult:
    """Create a roadmap from Markdown, or update the one with the same slug in place.

    Args:
        text: the decoded document (see ``decode_upload``); mojibake is repaired here.
        source_name: the file name, used in messages and as the title when there is no ``#`` title.
        start_date: dates are derived from durations relative to it; default: the stored start
            date on a re-import, else today.
        slug: defaults to the slug of the title.
        parsed: an already parsed document (benchmarks time parsing apart).

    Returns:
        What was created or updated, with counts and warnings.

    Raises:
        RoadmapError: no usable structure (field ``file``), or a bad ``slug``.
    """
    parsed = parsed or parse_roadmap(text)
    name = Path(source_name).name or "roadmap"
    if not any(parsed.count(k) for k in COUNTED):
        raise RoadmapError.field(
            "file",
            f"{name}: no roadmap structure found. Expected headings or a list of phases, levels or "
            "weeks, project sections, or '- [ ]' checklists.",
        )
    title = parsed.title or re.sub(r"[-_]+", " ", Path(name).stem).strip().title() or "Roadmap"
    slug = (
        _validate_slug(slug)
        if slug
        else (make_slug(title, 64) or make_slug(Path(name).stem, 64) or "roadmap")
    )
    roadmap = session.scalar(select(Roadmap).where(Roadmap.slug == slug))
    created = roadmap is None
    today = local_date(now, zone)
    start = start_date or (roadmap.start_date if roadmap else today)
    digest = hashlib.sha256(text.encode()).hexdigest()
    unchanged = roadmap is not None and roadmap.content_hash == digest and roadmap.start_date == start
    if roadmap is None:
        roadmap = Roadmap(
            slug=slug,
            title=title,
            source_name=name,
            content_hash=digest,
            start_date=start,
            imported_at=now,
            updated_at=now,
        )
        session.add(roadmap)
        session.flush()
    else:
        roadmap.title, roadmap.source_name, roadmap.content_hash = title, name, digest
        roadmap.start_date, roadmap.updated_at = start, now

    existing = {
        i.key: i for i in session.scalars(select(RoadmapItem).where(RoadmapItem.roadmap_id == roadmap.id))
    }
    dates = _dates(parsed, start)
    children: dict[str, list[str]] = {}
    for p in parsed.items:
        if p.parent_key:
            children.setdefault(p.parent_key, []).append(p.title)
    seen = set()
    skill_memo: dict[str, frozenset[str]] = {}
    for position, p in enumerate(parsed.items):
        seen.add(p.key)
        offset, duration = dates.get(p.key, (None, None))
        texts = [p.title]
        if p.kind in ("topic", "milestone"):
            texts += children.get(p.key, [])
        skills = _skills_of(texts, skill_memo) if p.kind != "resource" else []
        row = existing.get(p.key)
        if row is None:
            row = RoadmapItem(roadmap_id=roadmap.id, key=p.key, checked_in_file=p.checked)
            session.add(row)
        elif row.checked_in_file != p.checked:
            session.add(
                ItemEvent(
                    roadmap_id=roadmap.id,
                    item_key=p.key,
                    done=p.checked,
                    source="file",
                    at=now,
                    local_date=today,
                )
            )
            row.checked_in_file = p.checked
        row.parent_key, row.kind, row.position, row.title, row.body = (
            p.parent_key,
            p.kind,
            position,
            p.title,
            p.body,
        )
        row.offset_days, row.duration_days, row.url, row.skills, row.removed = (
            offset,
            duration,
            p.url,
            skills,
            False,
        )
        row.path, row.path_title = p.path, p.path_title
    removed = 0
    for key, row in existing.items():
        if key not in seen:
            row.removed = True
            removed += 1
    session.flush()
    counts = {k + "s": parsed.count(k) for k in ("topic", "subtopic", "milestone", "task", "resource")}
    counts["removed"] = removed
    return ImportResult(
        slug=slug,
        title=title,
        created=created,
        unchanged=unchanged,
        counts=counts,
        warnings=list(parsed.warnings),
        start_date=start,
    )


# --- editing -----------------------------------------------------------------------------------
def set_start_date(*, session: Session, slug: str, start_date: date, now: datetime) -> Roadmap:
    """Move the whole plan to a new start date.

    Items store offsets from the start (see ``RoadmapTree.dates``), so every dated topic, subtopic
    and milestone moves by the same number of days and progress is untouched; a later re-import
    without ``--start`` keeps this date.

    Returns:
        The updated roadmap row.

    Raises:
        NotFound: no roadmap with that slug.
        RoadmapError: ``start_date`` is not a date, or the plan would end after the last
            representable day (field ``start_date``).
    """
    if not isinstance(start_date, date) or isinstance(start_date, datetime):
        raise RoadmapError.field("start_date", f"must be a date like 2026-01-31, got {start_date!r}")
    roadmap = get_roadmap(session, slug)
    spans = session.scalars(
        select(RoadmapItem.offset_days + func.coalesce(RoadmapItem.duration_days, 1)).where(
            RoadmapItem.roadmap_id == roadmap.id, RoadmapItem.offset_days.is_not(None)
        )
    ).all()
    try:
        start_date + timedelta(days=max((s for s in spans if s is not None), default=0))
    except OverflowError:
        raise RoadmapError.field(
            "start_date", f"{start_date} is too late: the plan would end after year 9999"
        ) from None
    roadmap.start_date, roadmap.updated_at = start_date, now
    session.flush()
    return roadmap


def roadmap_paths(*, session: Session, slug: str) -> list[PathOption]:
    """A roadmap's alternative paths (empty when it has none).

    Raises:
        NotFound: no roadmap with that slug.
    """
    return path_options(load_tree(session, get_roadmap(session, slug)))


def choose_path(*, session: Session, slug: str, path: str | None) -> list[PathOption]:
    """Follow one of a roadmap's alternative paths (None: none, every path is offered again).

    Raises:
        NotFound: no roadmap with that slug.
        InvalidInput: ``path`` is not one of its paths (the message lists them).
    """
    roadmap = get_roadmap(session, slug)
    options = path_options(load_tree(session, roadmap))
    if path is not None and path not in {o.key for o in options}:
        known = ", ".join(o.key for o in options) or "none: this roadmap has no alternative paths"
        raise InvalidInput.field("path", f"{path!r} is not a path of this roadmap (its paths: {known})")
    roadmap.chosen_path = path
    session.flush()
    return path_options(load_tree(session, roadmap))


def delete_roadmap(*, session: Session, slug: str) -> None:
    """Delete a roadmap with its items and progress events (the foreign keys cascade).

    The copy in the knowledge base is not touched here: see ``library.remove_copy``.

    Raises:
        NotFound: no roadmap with that slug.
    """
    roadmap = get_roadmap(session, slug)
    # The database removes items and events (ON DELETE CASCADE; SQLite runs with foreign_keys=ON).
    session.delete(roadmap)
    session.flush()


# --- reading -----------------------------------------------------------------------------------
def list_roadmaps(*, session: Session) -> list[RoadmapSummary]:
    """Every imported roadmap with its progress, by title."""
    out = []
    for tree in load_trees(session):
        done, total = tree.progress()
        counts: dict[str, int] = {}
        for i in tree.items:
            counts[i.kind + "s"] = counts.get(i.kind + "s", 0) + 1
        r = tree.roadmap
        out.append(
            RoadmapSummary(
                slug=r.slug,
                title=r.title,
                source_name=r.source_name,
                start_date=r.start_date,
                updated_at=r.updated_at,
                progress=done / total if total else 0.0,
                done=done,
                total=total,
                counts=counts,
            )
        )
    return out


def roadmap_view(*, session: Session, slug: str, today: date) -> RoadmapView:
    """The whole roadmap: dated topics with their items, all milestones, loose tasks and resources.

    Raises:
        NotFound: no roadmap with that slug.
    """
    roadmap = get_roadmap(session, slug)
    tree = load_tree(session, roadmap)
    topics = [tree.topic(i, today) for i in tree.items if i.kind == "topic"]
    milestones = [tree.milestone(i) for i in tree.items if i.kind == "milestone"]
    loose = [i for i in tree.items if tree.owner(i) is None and i.kind in ("task", "resource")]
    ends = [tree.dates(i)[1] for i in tree.items if i.kind == "topic" and i.offset_days is not None]
    done, total = tree.progress()
    return RoadmapView(
        slug=roadmap.slug,
        title=roadmap.title,
        source_name=roadmap.source_name,
        start_date=roadmap.start_date,
        end_date=max((e for e in ends if e), default=None),
        updated_at=roadmap.updated_at,
        progress=done / total if total else 0.0,
        done=done,
        total=total,
        topics=topics,
        milestones=milestones,
        tasks=[tree.view(i, tree._depth(i, i)) for i in loose if i.kind == "task"],
        resources=[tree.view(i) for i in loose if i.kind == "resource"],
        removed=tree.removed,
    )


def item_view(*, session: Session, slug: str, key: str) -> ItemView:
    """One item with its current state (for the page fragment after a tick).

    Raises:
        NotFound: no such roadmap or item.
    """
    roadmap = get_roadmap(session, slug)
    tree = load_tree(session, roadmap)
    if key not in tree.by_key:
        raise NotFound(f"roadmap {slug!r} has no item {key!r}")
    return tree.view(tree.by_key[key])


def validate_link(link: str, field_name: str = "link") -> str:
    """An http(s) URL, trimmed; "" clears a link.

    Raises:
        RoadmapError: anything else, naming ``field_name``.
    """
    link = link.strip()
    if not link:
        return ""
    if len(link) > MAX_LINK:
        raise RoadmapError.field(field_name, f"must be at most {MAX_LINK} characters")
    if not re.match(r"^https?://[^\s/?#]+\.?[^\s]*$", link, re.I) or re.search(r"\s", link):
        raise RoadmapError.field(
            field_name, "must be an http:// or https:// address, like https://github.com/you/project"
        )
    return link


def set_item(
    *, session: Session, slug: str, key: str, done: bool | None, link: str | None, now: datetime, zone: tzinfo
) -> ItemView:
    """Tick or untick an item and/or set its deliverable link ("" clears it); one event.

    Returns:
        The item's new state.

    Raises:
        NotFound: no such roadmap or item (items removed from the file cannot be changed).
        RoadmapError: neither ``done`` nor ``link`` given, or a link that is not http(s).
    """
    roadmap = get_roadmap(session, slug)
    item = session.scalar(
        select(RoadmapItem).where(RoadmapItem.roadmap_id == roadmap.id, RoadmapItem.key == key)
    )
    if item is None or item.removed:
        raise NotFound(f"roadmap {slug!r} has no item {key!r}")
    if done is None and link is None:
        raise RoadmapError.field("done", "give done (true/false) or a link")
    if link is not None:
        link = validate_link(link)
    if done is not None and item.kind == "resource":
        raise RoadmapError.field("done", "resources are links to read, not items to tick")
    session.add(
        ItemEvent(
            roadmap_id=roadmap.id,
            item_key=key,
            done=done,
            link=link,
            source="user",
            at=now,
            local_date=local_date(now, zone),
        )
    )
    session.flush()
    return item_view(session=session, slug=slug, key=key)
