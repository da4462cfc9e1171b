"""Search: a ``KnowledgeBase`` loads the live index once per process and answers in a few ms.

``search(q)`` is ``batch_search([q])[0]``. Dense and BM25 candidates are fused by
``study_tracker.knowledge.search.fusion`` with the ``fusion_*`` settings, with section evidence
(``fusion.fuse_grouped``: each row knows its section; BM25's section scores come from a second
BM25 index over whole sections, ``fusion_section_bm25``). When an ingest swaps in a new
generation, the next query loads it (a stat of the pointer file per query decides). Filters and
their row masks are in ``filters.py``, hits and their fetch from the catalog in ``hits.py``.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from study_tracker.config import Settings, get_settings
from study_tracker.errors import EncoderNotReady, FieldError, IndexMismatch, InvalidQuery
from study_tracker.knowledge.embed.base import Encoder, ModelInfo, query_backend, settings_model
from study_tracker.knowledge.embed.factory import get_encoder
from study_tracker.knowledge.embed.onnx import onnx_path
from study_tracker.knowledge.index import catalog
from study_tracker.knowledge.index.backends import load_dense, load_sparse
from study_tracker.knowledge.index.catalog import connect_catalog
from study_tracker.knowledge.index.metadata import config_mismatch, index_config, model_change_note
from study_tracker.knowledge.index.store import Generation, KnowledgeStore
from study_tracker.knowledge.search import fusion
from study_tracker.knowledge.search.filters import Filters, RowMasks
from study_tracker.knowledge.search.hits import CONTEXT_CHARS, SearchHit, fetch_hits

__all__ = ["CONTEXT_CHARS", "MODES", "Filters", "KnowledgeBase", "SearchHit"]

MODES = ("hybrid", "dense", "bm25")
Rows = fusion.Rows  # (index rows, scores) of one result list
FilterArg = Filters | Mapping[str, Any] | None  # what the search methods accept as filters
_EMPTY: Rows = (np.zeros(0, np.int64), np.zeros(0, np.float32))


class _Loaded:
    """One generation in memory: backends, per-row filter attributes and a catalog connection."""

    def __init__(self, gen: Generation) -> None:
        self.gen = gen
        self.meta = gen.meta()
        self.db = connect_catalog(gen.catalog_path, readonly=True)
        self.db_lock = threading.Lock()
        try:
            self.dense = load_dense(gen.path, self.meta["dense"])
            self.sparse = load_sparse(gen.path, self.meta["sparse"])
            self.sections = load_sparse(gen.path, self.meta["sections_sparse"])
        except BaseException:
            self.db.close()
            raise
        self.n = self.meta["counts"]["indexed"]
        self.masks = RowMasks(self.db, self.n, self.sections.n_docs)
        self.row_section = self.masks.row_section
        # Chunk and document ids of every row: only evaluation and Ask need them (retrieve, doc_id,
        # dense cosines), and at 100k chunks they cost tens of MB, so they are read on first use.
        self._ids: tuple[list[str], list[str], dict[str, int]] | None = None

    def __del__(self) -> None:
        db = getattr(self, "db", None)
        if db is not None:
            db.close()

    def ids(self) -> tuple[list[str], list[str], dict[str, int]]:
        """Per row: chunk id and document id; and chunk id -> row."""
        if self._ids is None:
            chunk_ids, doc_ids = [""] * self.n, [""] * self.n
            with self.db_lock:
                for row, seq, doc_id in catalog.row_ids(self.db):
                    doc_ids[row] = doc_id
                    chunk_ids[row] = f"{doc_id}#{seq}"
            self._ids = (chunk_ids, doc_ids, {c: i for i, c in enumerate(chunk_ids)})
        return self._ids

    def section_keys(self) -> list[tuple[str, tuple[str, ...]]]:
        """``(doc_id, heading_path)`` of every section, by section number (for evaluation and tests)."""
        with self.db_lock:
            return catalog.section_keys(self.db)

    def fetch(self, ranked: Sequence[tuple[int, float]]) -> list[SearchHit]:
        """Hits for ``(row, score)`` pairs, in that order."""
        return fetch_hits(self.db, ranked, lock=self.db_lock)


@dataclass
class _Found:
    """What one batch of queries found: the hits per query and, when asked for, the dense
    retriever's own best candidates per query (``{chunk_id: cosine}``)."""

    hits: list[list[SearchHit]]
    dense: list[dict[str, float]]


class KnowledgeBase:
    """The searchable knowledge base of one knowledge folder; keep one per process.

    Args:
        settings: where the folder is (``knowledge_path``), which model, fusion parameters.
        encoder: embeds queries instead of the configured backend (must match what ingest used).
    """

    def __init__(self, settings: Settings, encoder: Encoder | None = None, *, export: bool = True) -> None:
        self.settings = settings
        # The web server passes export=False: exporting the ONNX model imports torch (~1 GB) and
        # belongs to the background prepare process; until it is done, dense search says so.
        self.export = export
        self.store = KnowledgeStore(settings.knowledge_path)
        self._lock = threading.Lock()
        self._loaded_gen: _Loaded | None = None
        self._pointer_stamp: tuple[int, int] | None = None
        self._encoder = encoder
        self._model: ModelInfo | None = None

    @classmethod
    def open(
        cls, settings: Settings | None = None, encoder: Encoder | None = None, *, export: bool = True
    ) -> KnowledgeBase:
        """A knowledge base over ``settings.knowledge_path`` (default settings when None)."""
        return cls(settings or get_settings(), encoder, export=export)

    # --- loading ---

    def _stamp(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.store.root / KnowledgeStore.POINTER)
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_ino)

    def _current(self) -> _Loaded:
        stamp = self._stamp()
        loaded = self._loaded_gen
        if loaded is not None and stamp == self._pointer_stamp:
            return loaded
        with self._lock:
            stamp = self._stamp()
            if self._loaded_gen is not None and stamp == self._pointer_stamp:
                return self._loaded_gen
            for attempt in range(3):
                gen = self.store.require_current()
                try:
                    self._check(gen)
                    new = _Loaded(gen)
                    break
                except (FileNotFoundError, sqlite3.OperationalError, RuntimeError):
                    # An ingest swapped generations and deleted this one while we read it (missing
                    # files, SQLite "unable to open", FAISS read errors): reread the pointer.
                    if attempt == 2:
                        raise
            # The old generation is not closed here: other requests may still be reading it. Its
            # catalog connection closes when the last of them drops it (_Loaded.__del__).
            self._loaded_gen, self._pointer_stamp = new, stamp
        return new

    def _model_info(self) -> ModelInfo:
        if self._model is None:
            self._model = settings_model(self.settings)
        return self._model

    def _check(self, gen: Generation) -> None:
        meta = gen.meta()
        diff = config_mismatch(meta, index_config(self.settings, self._model_info()))
        if "model_id" in diff:
            note = model_change_note(str(meta.get("model_id")), self._model_info().model_id)
            raise IndexMismatch(
                note.replace("every passage is embedded again", "search waits for a rebuild")
                + " Run `study ingest --rebuild` (or restart the server) to rebuild the index."
            )
        if diff:
            raise IndexMismatch(
                f"The knowledge index in {self.store.root} was built with different {', '.join(diff)} "
                "(another embedding model, chunker or index layout); run `study ingest --rebuild` to rebuild it."
            )

    def encoder(self) -> Encoder:
        """The query encoder (ONNX by default), created on first use.

        Raises:
            EncoderNotReady: the ONNX export is still being prepared in the background.
        """
        if self._encoder is None:
            with self._lock:
                if self._encoder is None:
                    self._require_exported()
                    self._encoder = get_encoder(
                        self._model_info(),
                        query_backend(self.settings),
                        self.settings.knowledge_path,
                        device=self.settings.embedding_device,
                    )
        return self._encoder

    def _require_exported(self) -> None:
        if self.export or query_backend(self.settings) != "onnx":
            return
        if not onnx_path(self.settings.knowledge_path, self._model_info()).is_file():
            raise EncoderNotReady(
                "The query encoder is still being prepared in the background (first start); "
                "keyword search (mode bm25) works now, dense and hybrid in a few seconds."
            )

    def warm_up(self) -> None:
        """Load the index and the query encoder now rather than on the first query."""
        loaded = self._current()
        if loaded.n:
            self.encoder().encode(["warm up"])

    # --- queries ---

    def retrieve(
        self,
        queries: Sequence[str],
        mode: str = "dense",
        k: int = 100,
        filters: FilterArg = None,
    ) -> list[dict[str, float]]:
        """Raw candidates of one retriever per query, ``{chunk_id: score}`` (inner product or BM25)."""
        loaded = self._current()
        if mode not in ("dense", "bm25"):
            raise InvalidQuery(f"retrieve mode must be dense or bm25; got {mode!r}.")
        allowed = loaded.masks.rows(Filters.of(filters))
        dense, sparse, _ = self._runs(loaded, list(queries), mode=mode, depth=k, allowed=allowed)
        return _by_chunk_id(loaded, dense if mode == "dense" else sparse)

    def retrieve_sections(
        self, queries: Sequence[str], k: int = 100, filters: FilterArg = None
    ) -> list[dict[tuple[str, tuple[str, ...]], float]]:
        """BM25 over whole sections per query, ``{(doc_id, heading_path): score}``: the section
        evidence hybrid search fuses when ``fusion_section_bm25`` is on."""
        loaded = self._current()
        flt = Filters.of(filters)
        keys = loaded.section_keys()
        allowed = loaded.masks.sections(flt, loaded.masks.rows(flt))
        runs = self._section_runs(loaded, list(queries), depth=k, allowed=allowed, force=True)
        return [
            {keys[sec]: score for sec, score in zip(run[0].tolist(), run[1].tolist(), strict=True)}
            for run in runs
            if run is not None
        ]

    def doc_id(self, chunk_id: str) -> str:
        """The document id of a chunk id from this index."""
        loaded = self._current()
        _, doc_ids, rows = loaded.ids()
        row = rows.get(chunk_id)
        return doc_ids[row] if row is not None else chunk_id.rsplit("#", 1)[0]

    def search(
        self,
        query: str,
        mode: str = "hybrid",
        k: int = 10,
        filters: FilterArg = None,
    ) -> list[SearchHit]:
        """The ``k`` best passages for ``query``.

        Args:
            query: free text.
            mode: ``hybrid`` (dense + BM25 fused), ``dense`` or ``bm25``.
            k: number of results.
            filters: source, kind and pain-point filters.

        Raises:
            InvalidQuery: bad mode, k or filter.
            IndexNotBuilt: nothing ingested yet.
            IndexMismatch: the index was built with another model or chunker.
        """
        return self.batch_search([query], mode=mode, k=k, filters=filters)[0]

    def batch_search(
        self,
        queries: Sequence[str],
        mode: str = "hybrid",
        k: int = 10,
        filters: FilterArg = None,
    ) -> list[list[SearchHit]]:
        """:meth:`search` for many queries at once (queries are embedded in one batch)."""
        return self._search(queries, mode=mode, k=k, filters=filters).hits

    def search_with_dense(
        self,
        query: str,
        *,
        mode: str = "hybrid",
        k: int = 10,
        filters: FilterArg = None,
        dense_k: int = 50,
    ) -> tuple[list[SearchHit], dict[str, float]]:
        """:meth:`search`, and the dense retriever's own ``dense_k`` best candidates for the same
        query embedding, ``{chunk_id: cosine}`` (empty in ``bm25`` mode).

        The query is embedded once for both: Ask reads the best cosine as its "anything relevant?"
        signal (fused scores are normalised per query, so they cannot tell).

        Raises:
            InvalidQuery, IndexNotBuilt, IndexMismatch: as :meth:`search`.
        """
        if not isinstance(dense_k, int) or dense_k < 1:
            raise InvalidQuery(f"dense_k must be a positive whole number; got {dense_k!r}.")
        found = self._search([query], mode=mode, k=k, filters=filters, dense_k=dense_k)
        return found.hits[0], found.dense[0]

    def _search(
        self, queries: Sequence[str], *, mode: str, k: int, filters: FilterArg, dense_k: int = 0
    ) -> _Found:
        if mode not in MODES:
            raise InvalidQuery(f"mode must be one of {', '.join(MODES)}; got {mode!r}.")
        if not isinstance(k, int) or k < 1:
            message = f"k must be a positive whole number; got {k!r}."
            raise InvalidQuery(message, [FieldError("k", message)])
        flt = Filters.of(filters)
        loaded = self._current()
        queries = list(queries)
        live = [i for i, q in enumerate(queries) if q and q.strip()]
        found = _Found(hits=[[] for _ in queries], dense=[{} for _ in queries] if dense_k else [])
        if not live or loaded.n == 0:
            return found
        texts = [queries[i] for i in live]
        s = self.settings
        depth = max(k, s.fusion_candidates) if mode == "hybrid" else k
        allowed = loaded.masks.rows(flt)
        dense_runs, sparse_runs, query_vectors = self._runs(
            loaded, texts, mode=mode, depth=max(depth, dense_k), allowed=allowed
        )
        if dense_k:
            for i, own in zip(
                live, _by_chunk_id(loaded, [_head(r, dense_k) for r in dense_runs]), strict=True
            ):
                found.dense[i] = own
            if dense_k > depth:  # the retriever's list was searched deeper only for these candidates
                dense_runs = [_head(r, depth) for r in dense_runs]
        if mode == "hybrid":
            section_runs = self._section_runs(
                loaded, texts, depth=depth, allowed=loaded.masks.sections(flt, allowed)
            )
            fused = [
                self._fuse(loaded, d, b, sb, depth)
                for d, b, sb in zip(dense_runs, sparse_runs, section_runs, strict=True)
            ]
            fused = self._feedback(
                loaded,
                fused,
                query_vectors=query_vectors,
                sparse_runs=sparse_runs,
                section_runs=section_runs,
                depth=depth,
                allowed=allowed,
            )
        for j, i in enumerate(live):
            if mode == "hybrid":
                rows, scores = fusion.top_rows(*fused[j], k)
            else:  # one retriever's list is already best first
                rows, scores = _head(dense_runs[j] if mode == "dense" else sparse_runs[j], k)
            found.hits[i] = loaded.fetch(list(zip(rows.tolist(), scores.tolist(), strict=True)))
        return found

    def _fuse(self, loaded: _Loaded, dense: Rows, sparse: Rows, sections: Rows | None, depth: int) -> Rows:
        s = self.settings
        # BM25 returns only chunks sharing a term with the query: a list shorter than asked for
        # holds all of them, so every other chunk's BM25 score is exactly 0, not "at most the last".
        # Off by default: min-max then gives a lone weak match full weight (bench/README.md).
        bm25_floor = 0.0 if s.fusion_bm25_zero_floor and len(sparse[0]) < depth else None
        return fusion.fuse_rows(
            [dense, sparse],
            loaded.row_section,
            doc_weight=s.fusion_section_weight,
            method=s.fusion_method,
            weights=[s.fusion_dense_weight, s.fusion_bm25_weight],
            rrf_k=s.fusion_rrf_k,
            floors=[None, bm25_floor],
            group_runs=[None, sections],
        )

    def _section_runs(
        self,
        loaded: _Loaded,
        texts: list[str],
        *,
        depth: int,
        allowed: np.ndarray | None,
        force: bool = False,
    ) -> list[Rows | None]:
        """BM25 over whole sections, the BM25 evidence of each section in hybrid fusion (or None
        per query: each section's best chunk stands in for it)."""
        if not force and (not self.settings.fusion_section_bm25 or self.settings.fusion_section_weight <= 0):
            return [None] * len(texts)
        return list(loaded.sections.search(texts, depth, allowed))

    def _feedback(
        self,
        loaded: _Loaded,
        fused: list[Rows],
        *,
        query_vectors: np.ndarray,
        sparse_runs: list[Rows],
        section_runs: list[Rows | None],
        depth: int,
        allowed: np.ndarray | None,
    ) -> list[Rows]:
        """Pseudo-relevance feedback: move each query towards its top fused chunks (Rocchio), search
        dense again and fuse that with the same BM25 list (``fusion_feedback_*`` settings)."""
        n, beta = self.settings.fusion_feedback_chunks, self.settings.fusion_feedback_weight
        todo = [j for j, (rows, _) in enumerate(fused) if len(rows)]
        if n <= 0 or beta <= 0 or not todo:
            return fused
        stored = loaded.dense.vectors()
        moved = np.stack(
            [
                fusion.rocchio(query_vectors[j], stored[fusion.top_rows(*fused[j], n)[0]], beta=beta)
                for j in todo
            ]
        )
        out = list(fused)
        for j, dense in zip(todo, loaded.dense.search(moved, depth, allowed), strict=True):
            out[j] = self._fuse(loaded, dense, sparse_runs[j], section_runs[j], depth)
        return out

    def _runs(
        self, loaded: _Loaded, texts: list[str], *, mode: str, depth: int, allowed: np.ndarray | None
    ) -> tuple[list[Rows], list[Rows], np.ndarray]:
        """Each retriever's ``(rows, scores)`` per query, best first (empty when not run), and the
        query vectors (the only place a query is embedded)."""
        dense: list[Rows] = [_EMPTY] * len(texts)
        sparse: list[Rows] = [_EMPTY] * len(texts)
        vectors = np.zeros((0, 0), dtype=np.float32)
        if mode in ("hybrid", "dense"):
            vectors = self.encoder().encode(texts)
            dense = loaded.dense.search(vectors, depth, allowed)
        if mode in ("hybrid", "bm25"):
            sparse = loaded.sparse.search(texts, depth, allowed)
        return dense, sparse, vectors

    def stats(self) -> dict[str, Any]:
        """The live index's metadata (model, counts, backends)."""
        return dict(self._current().meta)


def _head(run: Rows, n: int) -> Rows:
    """The first ``n`` entries of a best-first list (views, no copy)."""
    return run[0][:n], run[1][:n]


def _by_chunk_id(loaded: _Loaded, runs: Sequence[Rows]) -> list[dict[str, float]]:
    """Each ``(rows, scores)`` list as ``{chunk_id: score}``, best first."""
    chunk_ids = loaded.ids()[0]
    return [
        {chunk_ids[r]: s for r, s in zip(rows.tolist(), scores.tolist(), strict=True)}
        for rows, scores in runs
    ]
