"""Everything bundled with the program, and its one owner: tracks, skills, career paths, guides.

The data files live beside this module (``tracks/*.yaml``, ``skills/*.yaml``, ``paths/*.yaml``,
``guides/*.md``); ``curriculum.py`` validates tracks and skills, ``careers.py`` career paths.
Nothing else in the program builds a path into this folder.
"""

from __future__ import annotations

from pathlib import Path

CONTENT_DIR = Path(__file__).resolve().parent
GUIDES_DIR = CONTENT_DIR / "guides"
