"""A Markdown roadmap to a flat list of items (topics, subtopics, milestones, tasks, resources).

How the document's structure is read (see ``blocks.py`` for headings and ``timing.py`` for
durations):

- **Title**: a single top-level ``#`` heading that opens the document; otherwise the file name.
- **Topics**: the sections at the shallowest heading level that carries durations; without
  durations, the shallowest level holding at least two sections. Sections above that level
  group topics (their titles only go into the item keys). A document without usable headings
  falls back to its top-level list items (each with nested items or a duration is a topic).
- **Milestones**: sections whose title starts with project / milestone / capstone /
  assignment / checkpoint (or names one and has no duration), and any section with
  Objective / Steps / Deliverables parts (headings, bold lines or "Label:" leads), also when
  written as a block quote ("> **Project 1: ...**"). Their list items become the milestone's
  checklist, grouped by part; a bare "Core steps:" line labels the list that follows it.
- **Resources**: sections called Resources, Reading, References, Links, Books, Courses, Tools,
  Materials, Videos, Platforms, Conferences, Communities, Podcasts... (with qualifiers: "Online
  Courses", "Books to read", "Learning Resources & Where to Practice"); a section whose
  sub-sections are all such lists; every list item or table row in them; and, anywhere, a list
  item that is essentially one link. Only http(s) addresses become links.
- **Alternative paths**: two or more sibling sections named as paths ("Path A: Research",
  "Option 2", "MLOps Track") hold alternatives, not a sequence: each starts where the first one
  starts (their durations are counted from the same point), and every item inside one records it
  (``path``, ``path_title``) so the learner can pick one.
- **Tasks**: ``- [ ]`` / ``- [x]`` items anywhere, with their state; nested checklists nest.
- **Subtopics**: other list items and sub-sections of a topic.
- Sections named Overview, Introduction, About, Contents, How to use, Notes, Summary... are
  skipped (with a warning only if they held lists).

Every item has a key from its heading path (numbering kept, durations and emoji dropped), so an
edited file maps onto the same items and progress survives a re-import.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

import ftfy

from study_tracker.roadmaps.blocks import Block, Inline, ListItem, Section, label_of, parse_sections
from study_tracker.roadmaps.classify import classify, is_path, topic_level
from study_tracker.roadmaps.timing import Timing, find_timing, strip_timing
from study_tracker.roadmaps.titles import (
    MILESTONE_START,
    is_resource_title,
)

KINDS = ("topic", "subtopic", "milestone", "task", "resource")

CHECKBOX = re.compile(r"^\[( |x|X)\]\s+")
MAX_TITLE = 300


@dataclass
class ParsedItem:
    key: str
    parent_key: str | None
    kind: str
    title: str
    body: str = ""
    timing: Timing | None = None
    url: str | None = None
    checked: bool = False
    path: str | None = None  # the alternative path it belongs to (its key), if any
    path_title: str | None = None


@dataclass
class ParsedRoadmap:
    title: str | None
    items: list[ParsedItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for i in self.items if i.kind == kind)


def repair(text: str) -> str:
    """Undo mojibake ("Ã©", "â€™"), normalise line ends and drop a byte-order mark."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return ftfy.fix_text(text, normalization="NFC")


def slug(text: str, limit: int = 48) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = text.encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text[:limit].rstrip("-")


def _http(href: str) -> str | None:
    return href if re.match(r"^https?://\S+$", href or "", re.I) else None


class _Builder:
    def __init__(self) -> None:
        self.items: list[ParsedItem] = []
        self.keys: set[str] = set()
        # base key -> the next suffix worth trying: suffixes below it are taken already (keys are
        # never released), so a thousand "Practice" items cost a thousand steps, not half a million.
        self.next_suffix: dict[str, int] = {}
        self.warnings: list[str] = []
        self.cursor: dict[str, float] = {}
        self.path: tuple[str, str] | None = None  # (key, title) of the alternative path being read

    def key(self, parent_path: str | None, title: str, kind: str, timing: Timing | None = None) -> str:
        # Durations are left out of the key, so "Weeks 4-7" -> "Weeks 4-8" keeps the item's progress.
        bare = title.replace(timing.phrase, "") if timing else title
        seg = slug(bare) or slug(title) or f"{kind}-{len(self.items) + 1}"
        key = f"{parent_path}/{seg}" if parent_path else seg
        if len(key) > 240:
            key = key[:200].rstrip("/-") + "-" + hashlib.sha1(key.encode()).hexdigest()[:10]
        base, n = key, self.next_suffix.get(key, 2)
        if key in self.keys:
            key = f"{base}-{n}"
            while key in self.keys:
                n += 1
                key = f"{base}-{n}"
            n += 1
        self.next_suffix[base] = n
        self.keys.add(key)
        return key

    def add(
        self, kind: str, title: str, parent: ParsedItem | None, path: str | None, **kw: object
    ) -> ParsedItem:
        title = title.strip()[:MAX_TITLE] or kind
        item = ParsedItem(
            key=self.key(path, title, kind, kw.get("timing")),  # type: ignore[arg-type]
            parent_key=parent.key if parent else None,
            kind=kind,
            title=title,
            path=self.path[0] if self.path else None,
            path_title=self.path[1] if self.path else None,
            **kw,  # type: ignore[arg-type]
        )
        self.items.append(item)
        return item

    def timing(self, title: str) -> Timing | None:
        t = find_timing(title, cursor=self.cursor)
        if t is not None and t.start is None and self.path and (t.unit in self.cursor or not self.cursor):
            # Inside an alternative path, "2 months" starts where this path is, not where the
            # paths read before it ended.
            t = Timing(t.unit, self.cursor.get(t.unit, 0), t.length, t.phrase)
        if t is not None:
            start = t.start if t.start is not None else self.cursor.get(t.unit, 0)
            self.cursor[t.unit] = max(self.cursor.get(t.unit, 0), start + t.length)
        return t


def _is_resource_item(inline: Inline) -> bool:
    """A list item that is essentially a link: "[Title](url)", "[Title](url) - short note"."""
    if not inline.links:
        return False
    linked = sum(len(t) for t, _ in inline.links)
    return linked >= 0.4 * len(inline.text) or len(inline.text) - linked <= 40


def _item_title(inline: Inline) -> tuple[str, bool | None]:
    """(title, checkbox state or None) of a list item."""
    m = CHECKBOX.match(inline.text)
    if m:
        return inline.text[m.end() :], m[1] != " "
    return inline.text, None


def _flatten_text(items: Iterable[ListItem], depth: int = 0) -> list[str]:
    out = []
    for it in items:
        out.append("  " * depth + "- " + it.inline.text)
        out.extend(_flatten_text(it.children, depth + 1))
    return out


def _section_text(section: Section) -> str:
    parts = []
    for b in section.blocks:
        if b.kind == "para" and b.inline:
            parts.append(b.inline.text)
        elif b.kind == "list":
            parts.extend(_flatten_text(b.items))
    return "\n".join(parts)


class RoadmapParser:
    def __init__(self) -> None:
        self.b = _Builder()

    # --- lists -----------------------------------------------------------------------------
    def list_items(
        self,
        items: list[ListItem],
        parent: ParsedItem | None,
        path: str | None,
        *,
        default: str,
        label: str = "",
    ) -> None:
        """Add each list item: a checkbox is a task, a link a resource, else ``default``."""
        for it in items:
            title, state = _item_title(it.inline)
            if not title:
                continue
            if state is not None:
                node = self.b.add(
                    "task", title, parent, path or (parent.key if parent else None), checked=state, body=label
                )
                self.list_items(it.children, node, node.key, default="task", label=label)
            elif default == "resource" or _is_resource_item(it.inline):
                url = next((_http(h) for _, h in it.inline.links if _http(h)), None)
                node = self.b.add("resource", title, parent, path, url=url)
                self.list_items(it.children, parent, path, default="resource")
            elif default == "task":
                node = self.b.add("task", title, parent, path, body=label)
                self.list_items(it.children, node, node.key, default="task", label=label)
            else:
                body = "\n".join([*it.extra, *_flatten_text(it.children)])
                node = self.b.add(default, title, parent, path, body=body, timing=None)
                # Checkboxes and links nested under a subtopic still count.
                self._nested_extras(it.children, node)

    def _nested_extras(self, items: list[ListItem], parent: ParsedItem) -> None:
        for it in items:
            title, state = _item_title(it.inline)
            if state is not None:
                node = self.b.add("task", title, parent, parent.key, checked=state)
                self.list_items(it.children, node, node.key, default="task")
            elif _is_resource_item(it.inline):
                url = next((_http(h) for _, h in it.inline.links if _http(h)), None)
                self.b.add("resource", title, parent, parent.key, url=url)
            else:
                self._nested_extras(it.children, parent)

    def table_resources(
        self, block: Block, parent: ParsedItem | None, path: str | None, all_rows: bool
    ) -> None:
        for row in block.rows:
            link = next(((t, h) for cell in row for t, h in cell.links if _http(h)), None)
            if link is None and not all_rows:
                continue
            title = (link[0] if link and link[0] else None) or next((c.text for c in row if c.text), "")
            extra = " · ".join(c.text for c in row if c.text and c.text != title)
            self.b.add("resource", title, parent, path, url=link[1] if link else None, body=extra)

    # --- sections --------------------------------------------------------------------------
    def resources(self, section: Section, parent: ParsedItem | None, path: str | None) -> None:
        for block in section.blocks:
            if block.kind == "list":
                self.list_items(block.items, parent, path, default="resource")
            elif block.kind == "table":
                self.table_resources(block, parent, path, all_rows=True)
            elif block.kind == "para" and block.inline:
                for text, href in block.inline.links:
                    if _http(href):
                        self.b.add("resource", text or href, parent, path, url=href)
        for child in section.children:
            self.resources(child, parent, path)

    def milestone(self, section: Section, parent: ParsedItem | None, path: str | None) -> None:
        title = section.title.text
        node = self.b.add("milestone", title, parent, path, timing=self.b.timing(title))
        body: list[str] = []
        label = ""

        def take(blocks: list[Block], label: str) -> str:
            for block in blocks:
                if block.kind == "para" and block.inline:
                    lead = label_of(block.inline.lead) if block.inline.lead else None
                    if lead:
                        label = lead
                        rest = block.inline.text[len(block.inline.lead) :].lstrip(" :*")
                        if rest:
                            body.append(f"{label}: {rest}" if label == "Objective" else rest)
                    else:
                        body.append(block.inline.text)
                elif block.kind == "list":
                    for it in block.items:
                        lead = label_of(it.inline.lead) if it.inline.lead else None
                        if lead and not it.children:  # "- Objective: build a ..."
                            rest = it.inline.text[len(it.inline.lead) :].lstrip(" :*")
                            if lead == "Objective":
                                body.append(f"Objective: {rest}")
                            elif not rest:  # "- **Core steps:**" then a numbered list
                                label = lead
                            else:
                                self.b.add("task", rest, node, node.key, body=lead)
                        elif lead:
                            self.list_items(it.children, node, node.key, default="task", label=lead)
                        elif label == "Objective":
                            body.append("- " + it.inline.text)
                        else:
                            self.list_items([it], node, node.key, default="task", label=label)
                elif block.kind == "table":
                    self.table_resources(block, node, node.key, all_rows=False)
            return label

        label = take(section.blocks, label)
        for child in section.children:
            kind = "resource" if is_resource_title(child.title.text) else None
            if kind == "resource":
                self.resources(child, node, node.key)
            else:
                take(child.blocks, child.label or child.title.text)
                for grand in child.children:
                    take(grand.blocks, grand.label or label)
        node.body = "\n".join(body)

    def topic(
        self, section: Section, parent: ParsedItem | None, path: str | None, kind: str = "topic"
    ) -> ParsedItem:
        title = section.title.text
        node = self.b.add(
            kind, title, parent, path, timing=self.b.timing(title) if kind == "topic" else find_timing(title)
        )
        body = []
        for block in section.blocks:
            if block.kind == "para" and block.inline:
                body.append(block.inline.text)
            elif block.kind == "list":
                self.list_items(block.items, node, node.key, default="subtopic")
            elif block.kind == "table":
                self.table_resources(block, node, node.key, all_rows=False)
        node.body = "\n".join(body)
        for child in section.children:
            self.inner(child, node)
        return node

    def inner(self, section: Section, owner: ParsedItem) -> None:
        """A section below a topic: milestone, resources, or a subtopic with its own items."""
        kind = classify(section)
        if kind == "resource":
            self.resources(section, owner, owner.key)
        elif kind == "milestone":
            self.milestone(section, owner, owner.key)
        elif kind == "skip":
            return
        else:
            self.topic(section, owner, owner.key, kind="subtopic")

    def container(self, section: Section, path: str | None, topic_level: float | None) -> None:
        """A section above the topic level: its children are visited, its own lists kept."""
        for block in section.blocks:
            if block.kind == "list":
                if topic_level is None and self._list_is_outline(block.items):
                    self._list_topics(block.items, path)
                else:
                    self._loose_list(block.items, path)
            elif block.kind == "table":
                self.table_resources(block, None, path, all_rows=False)
        paths = {id(c) for c in section.children if is_path(c)}
        fork = dict(self.b.cursor) if len(paths) >= 2 else None
        longest: dict[str, float] = {}
        for child in section.children:
            if fork is None or id(child) not in paths:
                self._child(child, path, topic_level)
                continue
            # Each alternative starts where the first one does; what follows them starts after
            # the longest.
            self.b.cursor = dict(fork)
            sub = slug(strip_timing(child.title.text))
            outer, self.b.path = self.b.path, (f"{path}/{sub}" if path else sub, child.title.text)
            self._child(child, path, topic_level)
            self.b.path = outer
            for unit, end in self.b.cursor.items():
                longest[unit] = max(longest.get(unit, 0), end)
            self.b.cursor = dict(longest)

    def _child(self, child: Section, path: str | None, topic_level: float | None) -> None:
        """One section under a container: skipped, resources, a milestone, a topic or a container."""
        kind = classify(child)
        if kind == "skip":
            if not child.quoted and any(b.kind == "list" for b in child.blocks):
                self.b.warnings.append(f"skipped the section {child.title.text!r} (not roadmap structure)")
        elif kind == "resource":
            self.resources(child, None, path)
        elif kind == "milestone":
            self.milestone(child, None, path)
        elif topic_level is None or child.level >= topic_level:
            self.topic(child, None, path)
        else:
            sub = slug(strip_timing(child.title.text))
            self.container(child, (f"{path}/{sub}" if path else sub) or path, topic_level)

    def _loose_list(self, items: list[ListItem], path: str | None) -> None:
        """A list outside any topic: checkboxes and links count; plain bullets are prose."""
        for it in items:
            title, state = _item_title(it.inline)
            if state is not None:
                node = self.b.add("task", title, None, path, checked=state)
                self.list_items(it.children, node, node.key, default="task")
            elif _is_resource_item(it.inline):
                url = next((_http(h) for _, h in it.inline.links if _http(h)), None)
                self.b.add("resource", title, None, path, url=url)
            else:
                self._loose_list(it.children, path)

    @staticmethod
    def _list_is_outline(items: list[ListItem]) -> bool:
        plain = [it for it in items if _item_title(it.inline)[1] is None]
        return len(plain) >= 2 and any(it.children or find_timing(it.inline.text) for it in plain)

    def _list_topics(self, items: list[ListItem], path: str | None) -> None:
        for it in items:
            title, state = _item_title(it.inline)
            if state is not None or not (it.children or find_timing(title)):
                self._loose_list([it], path)
                continue
            node = self.b.add(
                "topic", title, None, path, timing=self.b.timing(title), body="\n".join(it.extra)
            )
            self.list_items(it.children, node, node.key, default="subtopic")


def parse_roadmap(text: str) -> ParsedRoadmap:
    """Read a Markdown roadmap (already decoded) into items; never raises on odd Markdown."""
    root = parse_sections(repair(text))
    title = None
    top = root
    if root.children and root.children[0].level == 1 and not root.blocks:
        h1s = [c for c in root.children if c.level == 1]
        if len(h1s) == 1 and not MILESTONE_START.match(h1s[0].title.text):
            title = h1s[0].title.text
            # The title section's children (and any siblings after it) hold the plan.
            top = Section(
                title=Inline(""),
                level=0,
                blocks=h1s[0].blocks,
                children=[*h1s[0].children, *root.children[1:]],
            )
    parser = RoadmapParser()
    parser.container(top, None, topic_level(top))
    return ParsedRoadmap(title=title, items=parser.b.items, warnings=parser.b.warnings)
