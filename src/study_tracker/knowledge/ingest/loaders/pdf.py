"""PDF files (pypdf): the text of every page, each page a section named "page N"."""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

from study_tracker.knowledge.documents import Block, Document
from study_tracker.knowledge.ingest.loaders.base import Skip, Warn
from study_tracker.knowledge.ingest.loaders.text import title_from_path

_PARA = re.compile(r"\n\s*\n")


def load_pdf(path: Path, data: bytes, warn: Warn) -> Iterator[Document]:
    """One document for the whole PDF; a zero-width heading block marks each page."""
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # pypdf logs every repaired xref entry
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise Skip("encrypted PDF (needs a password)")
            pages = [page.extract_text() or "" for page in reader.pages]
            meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except Skip:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as e:
        raise Skip(f"corrupt PDF: {type(e).__name__}: {e}") from None
    parts: list[str] = []
    blocks: list[Block] = []
    length = 0
    for n, page_text in enumerate(pages, 1):
        page_text = page_text.strip()
        if not page_text:
            continue
        if parts:
            parts.append("\n\n")
            length += 2
        blocks.append(Block("heading", length, length, level=6, title=f"page {n}"))
        cursor = 0
        for para in _PARA.split(page_text):
            i = page_text.find(para, cursor)
            if para.strip():
                blocks.append(Block("paragraph", length + i, length + i + len(para)))
            cursor = i + len(para)
        parts.append(page_text)
        length += len(page_text)
    if not parts:
        raise Skip("no extractable text (a scanned PDF needs OCR first)")
    title = str(meta_title).strip() or title_from_path(path)
    yield Document(
        doc_id=str(path), text="".join(parts), kind="pdf", source=str(path), title=title, blocks=blocks
    )
