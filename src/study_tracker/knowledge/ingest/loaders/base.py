"""What every loader shares: formats by file name, options, ``Skip`` and bounded whole-file reads.

A loader raises :class:`Skip` when the whole file cannot be used (binary, empty, corrupt, too
large) and calls ``warn`` for partial problems (invalid UTF-8 bytes replaced, malformed JSONL
lines skipped) so ingest can report both.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from study_tracker.knowledge.ingest.clean import decode, looks_binary

Warn = Callable[[str], None]

#: Extension -> format. ``.zst`` files are named by the extension before it (``x.ndjson.zst``);
#: a bare ``RS_2023-01.zst`` (Pushshift naming) is NDJSON.
FORMATS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdx": "markdown",
    ".txt": "text",
    ".text": "text",
    ".rst": "text",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".pdf": "pdf",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}

#: Formats read whole into memory, hence subject to the size limit; JSONL/NDJSON are streamed.
WHOLE_FILE_FORMATS = frozenset({"markdown", "text", "html", "pdf", "json"})


class Skip(Exception):
    """The file cannot be ingested; ``str(skip)`` says why."""


@dataclass(frozen=True, slots=True)
class LoaderOptions:
    """How to read files: JSON field names and the size limits (whole files, lines, decompressed)."""

    text_field: str = "text"
    id_field: str = "id"
    title_field: str = "title"
    max_file_bytes: int = 50 * 1024 * 1024
    max_line_bytes: int = 16 * 1024 * 1024
    max_inflated_bytes: int = 20 * 1024 * 1024 * 1024

    def fingerprint(self) -> str:
        """A string that changes when an option that changes the loaded documents changes."""
        return f"text={self.text_field};id={self.id_field};title={self.title_field}"


def file_format(path: Path) -> tuple[str | None, bool]:
    """The format of ``path`` by its name and whether it is zstd-compressed; format None if unsupported."""
    name = path.name.lower()
    compressed = name.endswith(".zst")
    if compressed:
        name = name[: -len(".zst")]
        inner = os.path.splitext(name)[1]
        return FORMATS.get(inner, "jsonl"), True
    return FORMATS.get(os.path.splitext(name)[1]), False


def read_bytes(path: Path, options: LoaderOptions) -> bytes:
    """Read a whole file, refusing it if it is over the size limit, empty or binary."""
    size = path.stat().st_size
    if options.max_file_bytes and size > options.max_file_bytes:
        raise Skip(
            f"too large: {size / 1e6:.1f} MB is over the {options.max_file_bytes / 1e6:.0f} MB limit "
            "(setting STUDY_KNOWLEDGE_MAX_FILE_MB)"
        )
    if size == 0:
        raise Skip("empty file")
    return path.read_bytes()


def read_text(path: Path, options: LoaderOptions, warn: Warn) -> str:
    """Read a whole text file; invalid UTF-8 bytes are replaced (with a warning), binary content is refused."""
    data = read_bytes(path, options)
    if looks_binary(data):
        raise Skip("binary content (not text)")
    text, bad = decode(data)
    if bad:
        warn(f"invalid UTF-8: {bad} byte(s) replaced with U+FFFD")
    if not text.strip():
        raise Skip("no text (only whitespace)")
    return text
