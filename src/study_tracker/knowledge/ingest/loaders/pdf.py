"""PDF files: the text layer of every page (pypdf), and offline OCR for pages without one.

Each page is a section named "page N" (a zero-width heading block), so a chunk never spans two
pages and its heading path ends with its page. ``Document.meta["pages"]`` also maps offsets to
pages (``[[page, start], ...]``), which is what :func:`pdf_page` reads for a search hit.

A page whose text layer has (almost) no text is a scan: it is rendered with pypdfium2 and read by
RapidOCR (``rapidocr-onnxruntime``, whose ONNX models ship inside its wheel: nothing is
downloaded). Such pages are recorded in ``meta["ocr_pages"]`` (page -> mean confidence) and
``meta["ocr"]`` is true, so a hit can say "read by OCR". Both libraries are imported only when a
scanned page turns up. The work is bounded: at most ``OCR_MAX_PAGES`` pages per file and
``OCR_RENDER_SIDE`` pixels per rendered side; a page too large to be read at ``OCR_MIN_DPI`` gets a
warning, as do the pages left out.
"""

from __future__ import annotations

import functools
import io
import logging
import re
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from study_tracker.knowledge.documents import Block, Document
from study_tracker.knowledge.ingest.loaders.base import Skip, Warn
from study_tracker.knowledge.ingest.loaders.text import title_from_path

log = logging.getLogger(__name__)

_PARA = re.compile(r"\n\s*\n")
_PAGE_HEADING = re.compile(r"page (\d+)")

#: A page whose text layer has fewer non-space characters than this is read by OCR (a scan, or a
#: scan with a stray page number in its text layer).
MIN_TEXT_CHARS = 16
#: Pages read by OCR per file at most: each takes seconds of CPU.
OCR_MAX_PAGES = 100
#: Resolution pages are rendered at, as a scanner would. The recognizer reads noticeably better
#: from a 300 dpi render scaled down (by RapidOCR, to ``OCR_READ_SIDE``) than from a render made at
#: the lower resolution directly: it drops fewer spaces between words.
OCR_DPI = 300
#: The longest side of a render, in pixels: bounds memory (16 MB in grayscale) for huge pages.
OCR_RENDER_SIDE = 4000
#: The longest side RapidOCR works on (its ``max_side_len``); detection time grows with the area.
OCR_READ_SIDE = 2000
#: A page read at a lower effective resolution than this (a poster, an A2 drawing) gets a warning.
OCR_MIN_DPI = 150

#: Called after each page read by OCR with (pages done, pages to read).
OcrProgress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class OcrPage:
    """The text OCR read on one page and its mean confidence (0-1, weighted by text length)."""

    text: str
    confidence: float


def load_pdf(path: Path, data: bytes, warn: Warn, progress: OcrProgress | None = None) -> Iterator[Document]:
    """One document for the whole PDF; a zero-width heading block marks each page.

    Args:
        path: the file (its name is the title when the PDF has none).
        data: the file's bytes (already size-checked by the caller).
        warn: partial problems and OCR notes (pages read by OCR, pages left out, large pages).
        progress: called after each page read by OCR (default: a log line).

    Raises:
        Skip: encrypted, corrupt, or no text on any page (even by OCR).
    """
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # pypdf logs every repaired xref entry
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise Skip("encrypted PDF (needs a password)")
            pages = [(page.extract_text() or "").strip() for page in reader.pages]
            meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except Skip:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as e:
        raise Skip(f"corrupt PDF: {type(e).__name__}: {e}") from None
    scanned = [i for i, text in enumerate(pages) if _chars(text) < MIN_TEXT_CHARS]
    ocr = _ocr_pages(path, data, scanned, warn, progress) if scanned else {}
    ocr_used: dict[int, float] = {}
    for i, found in ocr.items():
        if _chars(found.text) > _chars(pages[i]):
            pages[i] = found.text
            ocr_used[i + 1] = found.confidence
    text, blocks, starts = _assemble(pages)
    if not text:
        raise Skip("no text on any page, even by OCR")
    meta: dict[str, Any] = {"pages": starts}
    if ocr_used:
        meta["ocr"] = True
        meta["ocr_pages"] = {str(n): c for n, c in ocr_used.items()}
        mean = sum(ocr_used.values()) / len(ocr_used)
        warn(
            f"{len(ocr_used)} page(s) read by OCR (pages {_ranges(sorted(ocr_used))}; "
            f"mean confidence {mean:.2f}): the text may hold misread words"
        )
    title = str(meta_title).strip() or title_from_path(path)
    yield Document(
        doc_id=str(path), text=text, kind="pdf", source=str(path), title=title, blocks=blocks, meta=meta
    )


def pdf_page(meta: Mapping[str, Any], offset: int) -> dict[str, Any] | None:
    """The page at ``offset`` of a PDF document and whether OCR read it, from the document's meta
    (a search hit's ``meta`` and ``start``); None when the meta has no page map (not a PDF, or
    ingested before page maps were kept: its heading path still ends with "page N").

    Returns:
        ``{"page": n, "ocr": bool, "ocr_confidence": float | None}``.
    """
    starts = meta.get("pages")
    if not starts:
        return None
    page = starts[0][0]
    for n, start in starts:
        if start > offset:
            break
        page = n
    confidence = (meta.get("ocr_pages") or {}).get(str(page))
    return {"page": page, "ocr": confidence is not None, "ocr_confidence": confidence}


def page_from_heading(heading_path: Sequence[str]) -> int | None:
    """The page number a PDF chunk's heading path ends with ("page N"), or None."""
    m = _PAGE_HEADING.fullmatch(heading_path[-1]) if heading_path else None
    return int(m.group(1)) if m else None


def _chars(text: str) -> int:
    return len(text) - sum(c.isspace() for c in text)


def _assemble(pages: Sequence[str]) -> tuple[str, list[Block], list[list[int]]]:
    """The document text, its blocks (a page heading, then paragraphs) and ``[page, start]`` pairs."""
    parts: list[str] = []
    blocks: list[Block] = []
    starts: list[list[int]] = []
    length = 0
    for n, page_text in enumerate(pages, 1):
        page_text = page_text.strip()
        if not page_text:
            continue
        if parts:
            parts.append("\n\n")
            length += 2
        starts.append([n, length])
        blocks.append(Block("heading", length, length, level=6, title=f"page {n}"))
        cursor = 0
        for para in _PARA.split(page_text):
            i = page_text.find(para, cursor)
            if para.strip():
                blocks.append(Block("paragraph", length + i, length + i + len(para)))
            cursor = i + len(para)
        parts.append(page_text)
        length += len(page_text)
    return "".join(parts), blocks, starts


def _ranges(pages: Sequence[int]) -> str:
    """``1, 2, 3, 7`` -> ``1-3, 7``."""
    out: list[str] = []
    for n in pages:
        if out and out[-1].split("-")[-1] == str(n - 1):
            out[-1] = f"{out[-1].split('-')[0]}-{n}"
        else:
            out.append(str(n))
    return ", ".join(out)


# --- OCR ---


@functools.cache
def _ocr_engine() -> Any:
    """One RapidOCR engine per process: loading its ONNX models takes about a second.

    The 180-degree line classifier is off: on long lines of English it flips correctly oriented
    text and the line comes out as noise (and scanned pages are upright, or wholly rotated).
    """
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR(use_cls=False, max_side_len=OCR_READ_SIDE)


def _ocr_pages(
    path: Path, data: bytes, pages: list[int], warn: Warn, progress: OcrProgress | None
) -> dict[int, OcrPage]:
    """OCR of the pages (0-based) of ``data``: {page index: what was read}; pages with nothing on
    them are left out. Problems become warnings: the text layer of the other pages still counts."""
    if len(pages) > OCR_MAX_PAGES:
        left = [i + 1 for i in pages[OCR_MAX_PAGES:]]
        warn(
            f"{len(pages)} pages have no text layer; only the first {OCR_MAX_PAGES} are read by OCR "
            f"(pages {_ranges(left)} left out)"
        )
        pages = pages[:OCR_MAX_PAGES]
    try:
        import pypdfium2 as pdfium

        engine = _ocr_engine()
    except ImportError as e:
        warn(
            f"{len(pages)} page(s) without a text layer left out: OCR needs the packages "
            f"rapidocr-onnxruntime and pypdfium2 ({e})"
        )
        return {}
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        warn(f"{len(pages)} page(s) without a text layer left out: cannot render the PDF for OCR ({e})")
        return {}
    out: dict[int, OcrPage] = {}
    try:
        for done, i in enumerate(pages, 1):
            try:
                found = _ocr_page(pdf[i], i + 1, engine, warn)
            except pdfium.PdfiumError as e:
                warn(f"page {i + 1}: cannot render it for OCR ({e})")
                found = None
            except Exception as e:  # noqa: BLE001 - an OCR failure must not lose the other pages' text
                warn(f"page {i + 1}: OCR failed ({type(e).__name__}: {e})")
                found = None
            if found is not None:
                out[i] = found
            if progress is not None:
                progress(done, len(pages))
            else:
                log.info("OCR %s: page %d (%d of %d)", path.name, i + 1, done, len(pages))
    finally:
        pdf.close()
    return out


def _ocr_page(page: Any, number: int, engine: Any, warn: Warn) -> OcrPage | None:
    """Render one page (grayscale) and read it; None for a page with nothing drawn on it."""
    try:
        if next(iter(page.get_objects()), None) is None:
            return None  # a blank page: rendering and reading it would take seconds for nothing
        width, height = page.get_size()  # points (1/72 inch)
        longest = max(width, height)
        dpi = min(OCR_DPI, OCR_READ_SIDE / longest * 72)  # what the recognizer gets to see
        if dpi < OCR_MIN_DPI:
            warn(
                f"page {number} is large ({width:.0f}x{height:.0f} pt): read by OCR at "
                f"{dpi:.0f} dpi, small print may be missed"
            )
        scale = min(OCR_DPI / 72, OCR_RENDER_SIDE / longest)
        bitmap = page.render(scale=scale, grayscale=True)
        try:
            result, _ = engine(bitmap.to_numpy())  # a view of the bitmap's buffer: read before closing
        finally:
            bitmap.close()
    finally:
        page.close()
    return _layout(result or [])


def _layout(items: Sequence[Sequence[Any]]) -> OcrPage | None:
    """Lines and paragraphs from OCR boxes ``[corners, text, score]``.

    Boxes whose vertical middle falls inside the previous line's extent join that line (left to
    right); a gap taller than most of a line starts a new paragraph, which the chunker respects.
    """
    boxes = []
    for corners, text, score in items:
        text = str(text).strip()
        if text:
            ys = [float(p[1]) for p in corners]
            xs = [float(p[0]) for p in corners]
            boxes.append((min(ys), max(ys), min(xs), text, float(score)))
    if not boxes:
        return None
    boxes.sort(key=lambda b: (b[0], b[2]))
    lines: list[tuple[float, float, list[tuple[float, str]]]] = []
    for top, bottom, x, text, _ in boxes:
        if lines and lines[-1][0] <= (top + bottom) / 2 <= lines[-1][1]:
            line_top, line_bottom, words = lines[-1]
            words.append((x, text))
            lines[-1] = (line_top, max(line_bottom, bottom), words)
        else:
            lines.append((top, bottom, [(x, text)]))
    parts: list[str] = []
    previous: tuple[float, float] | None = None
    for top, bottom, words in lines:
        if previous is not None:
            height = previous[1] - previous[0]
            parts.append("\n\n" if top - previous[1] > 0.75 * height else "\n")
        parts.append(" ".join(t for _, t in sorted(words)))
        previous = (top, bottom)
    total = sum(len(b[3]) for b in boxes)
    confidence = sum(len(b[3]) * b[4] for b in boxes) / total
    return OcrPage("".join(parts), round(confidence, 3))
