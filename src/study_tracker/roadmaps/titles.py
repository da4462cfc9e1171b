"""What a section's title says it is: a milestone, resources, a section to skip, or one of several
alternative paths (the patterns ``parse`` classifies sections with)."""

from __future__ import annotations

import re

from study_tracker.roadmaps.timing import find_timing

_MILESTONE_WORD = r"(?:mini[- ]?)?(?:project|milestone|capstone|assignment|checkpoint|portfolio piece)s?"
MILESTONE_START = re.compile(rf"^\W*(?:\d+[.)]?\s*)?{_MILESTONE_WORD}\b", re.I)
MILESTONE_ANY = re.compile(rf"\b{_MILESTONE_WORD}\b", re.I)
_RES_NOUN = (
    r"(?:resources?|readings?|reading lists?|references?|links?|books?|textbooks?|courses?|moocs?|tools?|"
    r"materials?|videos?|bibliography|sources|websites?|sites|papers?|articles?|tutorials?|platforms?|"
    r"conferences?|meetups?|communities|community|forums?|podcasts?|newsletters?|blogs?|"
    r"(?:youtube\s+)?channels?|youtube|certifications?|certificates?|datasets?|cheat\s?sheets?|"
    r"repos|repositories)"
)
_RES_MOD = (
    r"(?:key|useful|recommended|additional|further|learning|extra|core|suggested|online|free|paid|"
    r"practice|top|best|essential|must[- ]reads?|other|study|reference|reading|video|interactive|good|"
    r"great|official|helpful|favou?rite|my)"
)
RESOURCE_TITLE = re.compile(
    rf"^\W*(?:\d+[.)]?\s*)?(?:{_RES_MOD}\s+)*{_RES_NOUN}"
    rf"(?:\s*(?:,|&|\band\b|/|\+)\s*(?:{_RES_MOD}\s+)*{_RES_NOUN})*"
    # a tail after a connector: "& where to practice", "to read", "for each phase", "- free ones"
    r"(?:(?:\s*(?:&|\band\b|,|/|-|–|—|:)\s*|\s+(?:to|for|i|you|we|worth|that|on|from|by)\b)[^()]*)?"
    r"\W*$",
    re.I,
)
RESOURCE_ANY = re.compile(rf"\b{_RES_NOUN}\b", re.I)
PATH_TITLE = re.compile(
    r"^\W*(?:path|track|route|option|alternative|speciali[sz]ation)\s*(?:[a-z]|\d+|one|two|three|four)\b"
    r"|\b(?:path|track|route)\s*(?::|-|–|—|$)",
    re.I,
)
SKIP_TITLE = re.compile(
    r"^\W*(?:overview|introduction|intro|about(?: this.*)?|table of contents|contents|toc|how to use.*|"
    r"notes?|summary|conclusion|final (?:notes|thoughts|words)|tips|faq|license|changelog|credits)\W*$",
    re.I,
)


def is_resource_title(title: str) -> bool:
    """A reading-list title ("Online Courses", "Books to read"); never a dated one ("Tools (Weeks 3-4)")."""
    return bool(RESOURCE_TITLE.match(title)) and find_timing(title) is None
