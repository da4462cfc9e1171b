"""The nav bar: the study loop always in view, the other pages in a menu on narrow screens,
which page is current, and the pages where the track group (SWE, ML) changes what is shown."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavLink:
    href: str
    label: str
    icon: str
    # Paths that belong to this link (a topic page is part of Today's loop).
    prefixes: tuple[str, ...] = ()


# The loop a learner goes round every day: always visible, on a phone too.
MAIN = (
    NavLink("/", "Today", "calendar-check", ("/tracks/", "/reviews/")),
    NavLink("/drill", "Practice", "layers", ("/drill/",)),
    NavLink("/ask", "Ask", "message-circle-question"),
    NavLink("/history", "History", "history"),
)
# Everything else: inline on a wide screen, behind "More" on a narrow one.
MORE = (
    NavLink("/plan", "Plan", "calendar-clock"),
    NavLink("/report", "Report", "chart-column"),
    NavLink("/roadmaps", "Roadmaps", "map", ("/roadmaps/", "/milestones")),
    NavLink("/skills", "Skills", "target"),
    NavLink("/questions", "Questions", "list-checks"),
    NavLink("/search", "Search", "search"),
    NavLink("/sources", "Sources", "folder-open", ("/sources/",)),
    NavLink("/config", "Config", "settings"),
)

# The pages that show one group's tracks; the switcher appears there only, and stays on the page.
GROUP_PAGES = frozenset({"/", "/history", "/plan", "/config"})


def current_link(path: str) -> str | None:
    """The ``href`` of the nav link for the page at ``path``, if one stands for it."""
    for link in MAIN + MORE:
        if path == link.href or any(path.startswith(p) for p in link.prefixes):
            return link.href
    return None
