"""What a roadmap section is, by its title and shape: a topic (a phase to study), a milestone
(a project with steps or deliverables), resources (reading lists) or nothing to keep; which
sections name alternative paths; and the heading level whose sections are the topics."""

from __future__ import annotations

from study_tracker.roadmaps.blocks import Section, label_of
from study_tracker.roadmaps.timing import find_timing
from study_tracker.roadmaps.titles import (
    MILESTONE_ANY,
    MILESTONE_START,
    PATH_TITLE,
    RESOURCE_ANY,
    SKIP_TITLE,
    is_resource_title,
)


def has_parts(section: Section) -> bool:
    """Steps / Deliverables parts (as sub-sections or "Label:" leads), not only a goal.

    A phase often opens with "**Goal:** ..." alone; that states its aim, it does not make the
    phase a project, so an Objective counts only next to another part.
    """
    labels = {c.label for c in section.children}
    for b in section.blocks:
        if b.kind == "para" and b.inline:
            labels.add(label_of(b.inline.lead))
        if b.kind == "list":
            labels.update(label_of(it.inline.lead) for it in b.items)
    return bool(labels - {"Objective", None})


def holds_milestone(section: Section) -> bool:
    """A sub-section is itself a project: this section is the phase that contains it."""
    return any(
        not c.label and (MILESTONE_START.match(c.title.text) or has_parts(c)) for c in section.children
    )


def resource_group(section: Section) -> bool:
    """Sub-sections that are all reading lists ("Online Courses", "Platforms", "Books") under a
    heading that names resources or holds nothing of its own."""
    children = section.children
    if len(children) < 2 or find_timing(section.title.text) is not None:
        return False
    if not all(is_resource_title(c.title.text) for c in children):
        return False
    return bool(RESOURCE_ANY.search(section.title.text)) or not section.blocks


def classify(section: Section) -> str:
    """milestone | resource | skip | topic (by title and shape)."""
    kind = classify_shape(section)
    # A quote is not structure unless it holds a project or a reading list.
    return "skip" if section.quoted and kind == "topic" else kind


def classify_shape(section: Section) -> str:
    title = section.title.text
    if is_resource_title(title) or resource_group(section):
        return "resource"
    if SKIP_TITLE.match(title):
        return "skip"
    if holds_milestone(section):
        return "topic"
    # A dated section ("Level 1: Foundation (0-6 months)") is a phase unless its title says project.
    if find_timing(title) is not None and not MILESTONE_ANY.search(title):
        return "topic"
    if has_parts(section):
        return "milestone"
    if MILESTONE_START.match(title) or (MILESTONE_ANY.search(title) and find_timing(title) is None):
        return "milestone"
    return "topic"


def is_path(section: Section) -> bool:
    """A section naming one of several alternative paths (an undated "Path A", "Option 2")."""
    title = section.title.text
    return bool(PATH_TITLE.search(title)) and find_timing(title) is None and not section.quoted


def topic_level(root: Section) -> float | None:
    """The heading level whose sections are the topics (see the module docstring)."""
    levels: dict[float, int] = {}
    dated: list[float] = []

    def visit(s: Section) -> None:
        for c in s.children:
            kind = classify(c)
            if kind == "topic" and not c.label:
                levels[c.level] = levels.get(c.level, 0) + 1
                if find_timing(c.title.text) is not None:
                    dated.append(c.level)
                visit(c)
            elif kind in ("topic", "skip"):
                continue

    visit(root)
    if dated:
        return min(dated)
    for level in sorted(levels):
        if levels[level] >= 2:
            return level
    return min(levels) if levels else None
