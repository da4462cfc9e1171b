"""Scanned PDFs: pages without a text layer are read by offline OCR (RapidOCR), marked as such,
and searchable; pages with a text layer never go through OCR.

The scans are made here: a typed page imaged at 200 dpi and saved as an image-only PDF.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader, PdfWriter

from study_tracker.knowledge.ingest.loaders import load_file
from study_tracker.knowledge.ingest.loaders import pdf as pdf_loader
from study_tracker.knowledge.ingest.loaders.base import LoaderOptions, Skip
from study_tracker.knowledge.ingest.loaders.pdf import page_from_heading, pdf_page
from study_tracker.knowledge.ingest.pipeline import ingest_paths
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase
from tests.knowledge.kb_helpers import kb_settings, make_pdf

CLIPPING = ["Gradient clipping keeps exploding", "updates bounded in recurrent networks."]
WARMUP = ["Learning rate warmup steadies", "the first steps of training."]


def typed_pdf(paragraphs: Sequence[Sequence[str]], *, size: float = 12, width: float = 612) -> bytes:
    """A one-page PDF with a text layer: the paragraphs' lines in Helvetica, a blank line between
    paragraphs, the page just tall enough."""
    leading = size * 1.25
    n_lines = sum(len(p) + 1 for p in paragraphs)
    height = 2 * size + n_lines * leading
    ops = [f"BT /F1 {size} Tf {leading} TL 36 {height - 1.5 * size} Td"]
    for para in paragraphs:
        for line in para:
            safe = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({safe}) Tj T*")
        ops.append("T*")
    stream = (" ".join(ops) + " ET").encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>".encode(),
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{off:010d} 00000 n \n".encode() for off in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def scanned_pdf(
    paragraphs: Sequence[Sequence[str]], *, size: float = 12, width: float = 612, dpi: float = 300
) -> bytes:
    """A scan of a typed page: :func:`typed_pdf` imaged at ``dpi``, as a scanner would, and saved
    as an image-only PDF of the same size (no text layer).

    A typeset page rather than text drawn with Pillow's bundled font: at large sizes that font
    makes the detector split lines and the recognizer drop spaces, which tests OCR's limits
    rather than this loader."""
    typed = pdfium.PdfDocument(typed_pdf(paragraphs, size=size, width=width))
    image = typed[0].render(scale=dpi / 72, grayscale=True).to_pil()
    typed.close()
    out = io.BytesIO()
    image.save(out, "PDF", resolution=dpi)
    return out.getvalue()


def merged(*pdfs: bytes) -> bytes:
    writer = PdfWriter()
    for data in pdfs:
        writer.append(PdfReader(io.BytesIO(data)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def load(path: Path) -> tuple[list, list[str], list[tuple[int, int]]]:
    warnings: list[str] = []
    progress: list[tuple[int, int]] = []
    docs = list(load_file(path, LoaderOptions(), warnings.append, lambda d, t: progress.append((d, t))))
    return docs, warnings, progress


def test_pages_without_text_are_read_by_ocr_and_marked(tmp_path: Path) -> None:
    p = tmp_path / "mixed.pdf"
    typed = "Attention is all you need, said the paper on transformers."
    p.write_bytes(merged(make_pdf([typed]), scanned_pdf([CLIPPING, WARMUP])))
    (doc,), warnings, progress = load(p)
    assert progress == [(1, 1)]  # page 1 has a text layer: only page 2 went through OCR
    assert doc.text.startswith(typed + "\n\n")
    page2 = doc.text.index("Gradient")
    assert doc.meta["pages"] == [[1, 0], [2, page2]]
    assert doc.meta["ocr"] is True and list(doc.meta["ocr_pages"]) == ["2"]
    assert 0.8 < doc.meta["ocr_pages"]["2"] <= 1.0
    assert pdf_page(doc.meta, 0) == {"page": 1, "ocr": False, "ocr_confidence": None}
    assert pdf_page(doc.meta, page2 + 5) == {
        "page": 2,
        "ocr": True,
        "ocr_confidence": doc.meta["ocr_pages"]["2"],
    }
    # The two drawn paragraphs come back as two paragraph blocks under the page-2 heading.
    kinds = [(b.kind, b.title) for b in doc.blocks]
    assert kinds == [
        ("heading", "page 1"),
        ("paragraph", ""),
        ("heading", "page 2"),
        ("paragraph", ""),
        ("paragraph", ""),
    ]
    paras = [doc.text[b.start : b.end] for b in doc.blocks[3:]]
    assert paras == ["\n".join(CLIPPING), "\n".join(WARMUP)]
    assert warnings == [
        f"1 page(s) read by OCR (pages 2; mean confidence {doc.meta['ocr_pages']['2']:.2f}): "
        "the text may hold misread words"
    ]


def test_pdf_with_a_text_layer_does_not_go_through_ocr(tmp_path: Path) -> None:
    p = tmp_path / "typed.pdf"
    p.write_bytes(make_pdf(["Attention is all you need.", "Transformers use self-attention."]))
    (doc,), warnings, progress = load(p)
    assert progress == [] and warnings == []
    assert "ocr" not in doc.meta and "ocr_pages" not in doc.meta
    assert doc.meta["pages"] == [[1, 0], [2, doc.text.index("Transformers")]]
    assert pdf_page(doc.meta, len(doc.text) - 1) == {"page": 2, "ocr": False, "ocr_confidence": None}


def test_large_pages_are_rendered_smaller_with_a_warning(tmp_path: Path) -> None:
    p = tmp_path / "poster.pdf"
    p.write_bytes(scanned_pdf([CLIPPING], size=36, width=2400, dpi=100))  # a 33-inch wide page
    (doc,), warnings, _ = load(p)
    assert warnings[0].startswith("page 1 is large (2400x")
    assert f"read by OCR at {pdf_loader.OCR_READ_SIDE / 2400 * 72:.0f} dpi" in warnings[0]
    assert "Gradient clipping" in doc.text and doc.meta["ocr"] is True


def test_ocr_page_count_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = PdfWriter()
    for _ in range(3):
        writer.add_blank_page(612, 792)
    out = io.BytesIO()
    writer.write(out)
    p = tmp_path / "blank.pdf"
    p.write_bytes(out.getvalue())
    monkeypatch.setattr(pdf_loader, "OCR_MAX_PAGES", 2)
    warnings: list[str] = []
    progress: list[tuple[int, int]] = []
    with pytest.raises(Skip, match="no text on any page, even by OCR"):
        list(load_file(p, LoaderOptions(), warnings.append, lambda d, t: progress.append((d, t))))
    assert warnings == ["3 pages have no text layer; only the first 2 are read by OCR (pages 3 left out)"]
    assert progress == [(1, 2), (2, 2)]


def test_page_from_heading() -> None:
    assert page_from_heading(["A paper", "page 12"]) == 12
    assert page_from_heading(["page 3 notes"]) is None and page_from_heading([]) is None


@pytest.mark.model
def test_scanned_pdf_is_searchable_by_a_phrase_of_its_text(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "scan.pdf").write_bytes(scanned_pdf([CLIPPING]))
    (corpus / "typed.pdf").write_bytes(make_pdf(["Batch normalization rescales activations per mini-batch."]))
    (corpus / "notes.md").write_text(
        "# Optimizers\n\n## Adam\n\nAdam keeps running averages of gradients and their squares.\n"
    )
    settings = kb_settings(tmp_path)
    report = ingest_paths([corpus], settings=settings)
    assert report.skipped == [] and report.files_new == 3
    assert [path for path, message in report.warnings if "read by OCR" in message] == [
        str(corpus / "scan.pdf")
    ]
    kb = KnowledgeBase.open(settings)
    for mode in ("hybrid", "dense", "bm25"):
        hit = kb.search("clipping exploding updates in recurrent networks", mode=mode, k=3)[0]
        assert hit.source == str(corpus / "scan.pdf"), mode
        assert hit.kind == "pdf" and hit.heading_path == ["scan", "page 1"]
        assert "Gradient clipping keeps exploding" in hit.text
        assert hit.meta["ocr"] is True
        assert pdf_page(hit.meta, hit.start) == {
            "page": 1,
            "ocr": True,
            "ocr_confidence": hit.meta["ocr_pages"]["1"],
        }
    typed = kb.search("batch normalization mini-batch", k=1)[0]
    assert typed.source == str(corpus / "typed.pdf") and "ocr" not in typed.meta
    assert pdf_page(typed.meta, typed.start) == {"page": 1, "ocr": False, "ocr_confidence": None}
