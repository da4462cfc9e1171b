"""Tagging roadmap items with the bundled skills by normalised word overlap.

A skill's words are those of its name and id ("Graph Traversal (BFS and DFS)", "graph-traversal"),
lower-cased, British spellings folded to American ("optimisation" -> "optimization"), plurals
trimmed, stop words dropped; generic words ("fundamentals", "systems", "design") never suffice.
An item text matches a skill when it holds more than half of the words of the skill's id and more
than half of its specific ones ("graph-neural-networks" needs graph and neural; "linear-models"
needs both words; "attention" needs "attention"), or
every word of its name outside brackets. Examples in brackets ("(BFS and DFS)") are never
required, so "BFS" alone does not tag a text with graph traversal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache

from study_tracker.content.curriculum import Skill, load_skills

STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "or",
        "the",
        "of",
        "for",
        "in",
        "on",
        "to",
        "with",
        "by",
        "from",
        "at",
        "as",
        "vs",
        "versus",
        "via",
        "into",
        "using",
        "use",
        "your",
        "how",
        "what",
        "is",
        "are",
        "be",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "&",
        "e",
        "g",
    ]
)
GENERIC = frozenset(
    [
        "fundamental",
        "fundamentals",
        "basic",
        "basics",
        "introduction",
        "intro",
        "advanced",
        "system",
        "systems",
        "design",
        "model",
        "models",
        "learning",
        "data",
        "application",
        "applications",
        "method",
        "methods",
        "core",
        "concept",
        "concepts",
        "overview",
        "practice",
        "problem",
        "problems",
        "solving",
        "architecture",
        "architectures",
        "layer",
        "layers",
        "network",
        "networks",
        "analysis",
        "production",
        "machine",
        "ml",
        "ai",
    ]
)
_FOLD = (
    (r"isation", "ization"),
    (r"ise\b", "ize"),
    (r"ising\b", "izing"),
    (r"yse\b", "yze"),
    (r"our\b", "or"),
)


def _stem(word: str) -> str:
    for pattern, repl in _FOLD:
        word = re.sub(pattern, repl, word)
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def words(text: str) -> set[str]:
    """Normalised content words of ``text``."""
    tokens = re.findall(r"[a-z0-9]+", text.lower().replace("-", " "))
    return {_stem(t) for t in tokens if t not in STOP and len(t) > 1}


@cache
def _skill_words(skill_id: str, name: str) -> tuple[frozenset[str], frozenset[str]]:
    """(id words, name words without the bracketed examples)."""
    main = re.sub(r"\([^)]*\)", " ", name)  # "(BFS and DFS)" examples are not required words
    return frozenset(words(skill_id.replace("-", " "))), frozenset(words(main))


def _covers(bag: set[str], need: frozenset[str]) -> bool:
    """More than half of ``need``'s words and of its specific words (all of it when every word is generic)."""
    specific = need - GENERIC
    if not specific:
        return bool(need) and need <= bag
    return len(need & bag) * 2 > len(need) and len(specific & bag) * 2 > len(specific)


def match_skills(texts: Iterable[str], skills: Mapping[str, Skill] | None = None) -> list[str]:
    """Ids of the skills any of ``texts`` matches (each text is tried on its own), sorted."""
    skills = skills if skills is not None else load_skills()
    found: set[str] = set()
    bags = [words(t) for t in texts if t]
    for sid, skill in skills.items():
        by_id, by_name = _skill_words(sid, skill.name)
        if any(_covers(bag, by_id) or (by_name and by_name <= bag) for bag in bags):
            found.add(sid)
    return sorted(found)
