"""Loaders: turn a file into ``Document``s, or refuse it with a reason the user can read.

``load_file`` picks a loader by file name (``base.file_format``); each format has its module.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from study_tracker.knowledge.documents import Document
from study_tracker.knowledge.ingest.loaders.base import (
    LoaderOptions,
    Skip,
    Warn,
    file_format,
    read_bytes,
    read_text,
)
from study_tracker.knowledge.ingest.loaders.html import load_html
from study_tracker.knowledge.ingest.loaders.markdown import load_markdown
from study_tracker.knowledge.ingest.loaders.pdf import OcrProgress, load_pdf
from study_tracker.knowledge.ingest.loaders.records import load_json, load_jsonl
from study_tracker.knowledge.ingest.loaders.text import load_text


def load_file(
    path: Path, options: LoaderOptions, warn: Warn, ocr_progress: OcrProgress | None = None
) -> Iterator[Document]:
    """Documents of one file; ``ocr_progress`` hears of each PDF page read by OCR.

    Raises:
        Skip: the file is unsupported, empty, binary, too large or corrupt.
    """
    fmt, compressed = file_format(path)
    if fmt is None:
        raise Skip(f"unsupported file type {path.suffix or '(no extension)'}")
    if fmt == "markdown":
        yield load_markdown(path, read_text(path, options, warn))
    elif fmt == "text":
        yield load_text(path, read_text(path, options, warn))
    elif fmt == "html":
        yield load_html(path, read_text(path, options, warn))
    elif fmt == "pdf":
        yield from load_pdf(path, read_bytes(path, options), warn, ocr_progress)
    else:
        if fmt == "json":
            yield from load_json(path, options, warn, compressed=compressed)
        else:
            yield from load_jsonl(path, options, warn, compressed=compressed)
