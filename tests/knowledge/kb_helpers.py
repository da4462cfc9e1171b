"""Helpers for the knowledge-engine tests: settings in a temp folder, a tiny PDF writer, and a
bag-of-words encoder for tests of ingest mechanics that do not need the real model."""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from study_tracker.config import Settings


def kb_settings(root: Path, **overrides: object) -> Settings:
    """Settings whose data (and knowledge) folder is under ``root``."""
    values: dict[str, object] = {"data_dir": root / "data", "index_on_start": False}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


class WordHashEncoder:
    """Deterministic bag-of-words vectors (hashed words, L2-normalised).

    A real implementation of the encoder interface, used where a test is about ingest bookkeeping
    (caching, removal, atomic swaps) rather than embedding quality; texts sharing words are close.
    """

    dim = 384

    def __init__(self) -> None:
        self.calls: list[int] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in re.findall(r"\w+", t.lower()):
                out[i, zlib.crc32(w.encode()) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms

    @property
    def encoded(self) -> int:
        return sum(self.calls)


class CountingEncoder:
    """Wraps an encoder and counts its ``encode`` calls (how often a flow embeds its query)."""

    def __init__(self, inner: WordHashEncoder) -> None:
        self.inner = inner
        self.dim = inner.dim
        self.calls = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        return self.inner.encode(texts)


def make_pdf(pages: Sequence[str]) -> bytes:
    """A minimal valid PDF with one text line per page (Helvetica), built by hand."""
    objects: list[bytes] = []
    n_pages = len(pages)
    font_id = 3 + 2 * n_pages
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n_pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    for i, text in enumerate(pages):
        content_id = 4 + 2 * i
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content_id} 0 R "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode()
        )
        safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = f"BT /F1 12 Tf 72 720 Td ({safe}) Tj ET".encode()
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
