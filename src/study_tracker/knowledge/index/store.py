"""The knowledge folder on disk: generations of the index, written atomically.

Layout::

    <knowledge dir>/
      CURRENT              name of the live generation (replaced atomically with os.replace)
      gen-<n>/             one complete, immutable index
        catalog.sqlite     roots, files, documents and chunks (``catalog.py``: schema and queries)
        dense.faiss        FAISS index, row i = chunk with row i
        bm25/              bm25s index over chunks, row i = chunk with row i
        bm25_sections/     bm25s index over whole sections, row i = section i (catalog.SECTION_ORDER)
        meta.json          model, dimension, chunker version (``metadata.py``), counts, backends
                           (written last)
      embeddings.sqlite    embedding cache (shared by all generations)
      onnx/                exported query encoders
      ingest.lock          held while an ingest or removal runs

An ingest builds ``gen-<n+1>`` beside the live one, fsyncs it, then swaps ``CURRENT``; a reader
sees the old index or the new one, never half of one, and a killed ingest leaves only a stale
folder that the next run deletes.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from study_tracker.errors import IndexNotBuilt, IngestBusy
from study_tracker.knowledge.index.catalog import copy_catalog

FORMAT_VERSION = 1

# The BM25 index over whole sections (``catalog.SECTION_ORDER`` numbers them) in a generation.
SECTIONS_FOLDER = "bm25_sections"


@dataclass
class Generation:
    """One complete index folder."""

    path: Path

    @property
    def number(self) -> int:
        return int(self.path.name.split("-", 1)[1])

    @property
    def catalog_path(self) -> Path:
        return self.path / "catalog.sqlite"

    def meta(self) -> dict[str, Any]:
        """The metadata file (model, dimension, chunker version, counts, backends)."""
        return json.loads((self.path / "meta.json").read_text())


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class KnowledgeStore:
    """The knowledge folder: the live generation, new ones, the lock and the cache location."""

    POINTER = "CURRENT"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def cache_path(self) -> Path:
        return self.root / "embeddings.sqlite"

    def pointer(self) -> str | None:
        """The name of the live generation, or None before the first ingest."""
        try:
            name = (self.root / self.POINTER).read_text().strip()
        except FileNotFoundError:
            return None
        return name or None

    def current(self) -> Generation | None:
        """The live generation, or None."""
        name = self.pointer()
        if name is None:
            return None
        gen = Generation(self.root / name)
        return gen if (gen.path / "meta.json").is_file() else None

    def require_current(self) -> Generation:
        """The live generation.

        Raises:
            IndexNotBuilt: nothing has been ingested into this folder yet.
        """
        gen = self.current()
        if gen is None:
            raise IndexNotBuilt(
                f"No knowledge index in {self.root} yet: run `study ingest PATH` to add your material."
            )
        return gen

    @contextlib.contextmanager
    def lock(self, timeout: float | None = None) -> Iterator[None]:
        """Hold the ingest lock; None waits forever, 0 fails at once.

        Raises:
            IngestBusy: another process holds it past ``timeout`` seconds.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "ingest.lock", "a+") as f:
            deadline = None if timeout is None else time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if deadline is not None and time.monotonic() >= deadline:
                        raise IngestBusy(
                            f"Another ingest is running on {self.root}; try again when it has finished."
                        ) from None
                    time.sleep(0.2)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def new_generation(self, copy_from: Generation | None) -> Generation:
        """Create the next generation folder (under the lock), optionally starting from a catalog copy."""
        self.cleanup()
        numbers = [int(p.name.split("-", 1)[1]) for p in self.root.glob("gen-*") if p.name[4:].isdigit()]
        gen = Generation(self.root / f"gen-{max(numbers, default=0) + 1:06d}")
        gen.path.mkdir(parents=True)
        if copy_from is not None:
            copy_catalog(copy_from.catalog_path, gen.catalog_path)
        return gen

    def commit(self, gen: Generation, meta: dict[str, Any]) -> None:
        """Make ``gen`` live: write its metadata, fsync everything, swap the pointer, drop old folders."""
        meta = {"format": FORMAT_VERSION, **meta}
        (gen.path / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True))
        for dirpath, _, files in os.walk(gen.path):
            for name in files:
                _fsync_path(Path(dirpath) / name)
            _fsync_path(Path(dirpath))
        tmp = self.root / f"{self.POINTER}.tmp"
        with open(tmp, "w") as f:
            f.write(gen.path.name + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.root / self.POINTER)
        _fsync_path(self.root)
        self.cleanup()

    def discard(self, gen: Generation) -> None:
        """Delete a generation that will not go live."""
        shutil.rmtree(gen.path, ignore_errors=True)

    def cleanup(self) -> None:
        """Delete generation folders other than the live one and the one it replaced (stale
        folders of killed runs included).

        The replaced one is kept for a cycle: a reader that read the old pointer just before the
        swap may still be opening its files. Readers that already hold a generation keep working
        after its deletion: open files stay readable.
        """
        live = self.pointer()
        folders = sorted(p.name for p in self.root.glob("gen-*") if p.is_dir())
        previous = [name for name in folders if live is not None and name < live][-1:]
        for name in folders:
            if name != live and name not in previous:
                shutil.rmtree(self.root / name, ignore_errors=True)
