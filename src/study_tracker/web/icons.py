"""Icons: SVGs from the vendored lucide-static set, inlined so they inherit the text colour
(and so no page waits on an icon request). Decorative: hidden from screen readers, the text
beside an icon says what it is."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from markupsafe import Markup

ICONS_DIR = Path(__file__).parent / "static" / "vendor" / "lucide" / "icons"
_NAME = re.compile(r"^[a-z0-9-]{1,40}$")


@functools.cache
def icon(name: str) -> Markup:
    """The inline ``<svg>`` of the lucide icon ``name`` (a KeyError for an icon not vendored)."""
    if not _NAME.match(name) or not (ICONS_DIR / f"{name}.svg").is_file():
        raise KeyError(f"icon {name!r} is not vendored in {ICONS_DIR}")
    svg = (ICONS_DIR / f"{name}.svg").read_text(encoding="utf-8")
    svg = svg[svg.index("<svg") :]  # drop the license comment (the LICENSE file is beside the icons)
    svg = re.sub(r"\s+", " ", svg).replace(
        'class="lucide ', 'aria-hidden="true" focusable="false" class="icon lucide ', 1
    )
    return Markup(svg.replace("> <", "><").strip())  # noqa: S704  (our own vendored files)
