"""A roadmap's alternative paths ("Path A: Research", "Path B: Engineering"): they run side by
side from the same start (``parse``), and once the learner picks one, the others' topics and
milestones are no longer offered as what to do next (they stay on the page, and nothing of their
progress is lost)."""

from __future__ import annotations

from dataclasses import dataclass

from study_tracker.roadmaps.views import RoadmapTree


@dataclass(frozen=True)
class PathOption:
    key: str
    title: str
    topics: int
    done: int
    chosen: bool


def path_options(tree: RoadmapTree) -> list[PathOption]:
    """The roadmap's alternative paths in document order (none when it has no alternatives)."""
    seen: dict[str, PathOption] = {}
    for item in tree.items:
        if item.path is None:
            continue
        option = seen.get(item.path) or PathOption(
            item.path, item.path_title or item.path, 0, 0, tree.roadmap.chosen_path == item.path
        )
        if item.kind == "topic":
            done = tree.done(item)
            option = PathOption(
                option.key, option.title, option.topics + 1, option.done + done, option.chosen
            )
        seen[item.path] = option
    return list(seen.values())


def other_paths(tree: RoadmapTree) -> set[str]:
    """Keys of the items on paths the learner did not choose (empty until one is chosen)."""
    chosen = tree.roadmap.chosen_path
    if chosen is None:
        return set()
    return {i.key for i in tree.items if i.path is not None and i.path != chosen}
