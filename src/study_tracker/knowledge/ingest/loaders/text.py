"""Plain text files: one document, paragraphs split on blank lines by the chunker."""

from __future__ import annotations

from pathlib import Path

from study_tracker.knowledge.documents import Document


def title_from_path(path: Path) -> str:
    """A readable title from a file name: ``ml-system_design.md`` -> ``ml system design``."""
    name = path.name.split(".")[0] or path.name
    return name.replace("_", " ").replace("-", " ").strip() or path.name


def load_text(path: Path, text: str) -> Document:
    """A plain-text document."""
    return Document(doc_id=str(path), text=text, kind="text", source=str(path), title=title_from_path(path))
