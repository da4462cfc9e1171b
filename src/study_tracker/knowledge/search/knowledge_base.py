"""Search: a ``KnowledgeBase`` loads the live index once per process and answers in a few ms.

``search(q)`` is ``batch_search([q])[0]``. Dense and BM25 candidates are fused by
``study_tracker.knowledge.search.fusion`` with the ``fusion_*`` settings, with section evidence
(``fusion.fuse_grouped``: each row knows its section; BM25's section scores come from a second
BM25 index over whole sections, ``fusion_section_bm25``). When an ingest swaps in a new
generation, the next query loads it (a stat of the pointer file per query decides).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from study_tracker.config import Settings, get_settings
from study_tracker.errors import EncoderNotReady, IndexMismatch, InvalidQuery
from study_tracker.knowledge.documents import KINDS
from study_tracker.knowledge.embed.base import Encoder, resolve_model
from study_tracker.knowledge.embed.factory import get_encoder
from study_tracker.knowledge.embed.onnx import onnx_path
from study_tracker.knowledge.index.backends import load_dense, load_sparse
from study_tracker.knowledge.index.store import SECTION_ORDER, Generation, KnowledgeStore, connect_catalog
from study_tracker.knowledge.ingest.pipeline import config_mismatch, index_config
from study_tracker.knowledge.search import fusion

MODES = ("hybrid", "dense", "bm25")
Rows = fusion.Rows  # (index rows, scores) of one result list
CONTEXT_CHARS = 200  # text shown around a passage so the highlight reads in context


@dataclass(frozen=True)
class Filters:
    """Search filters; None means "any".

    ``source`` is a path: results come from files at or under it (an absolute path, or a relative
    one that exists) or whose path contains it (anything else, e.g. ``guides``).
    """

    source: str | None = None
    kind: str | None = None
    pain_point: bool | None = None

    @classmethod
    def of(cls, value: Filters | Mapping[str, Any] | None) -> Filters | None:
        """Filters from a ``Filters``, a dict with those keys, or None."""
        if value is None or isinstance(value, Filters):
            return value
        unknown = set(value) - {"source", "kind", "pain_point"}
        if unknown:
            raise InvalidQuery(
                f"Unknown filter(s): {', '.join(sorted(unknown))}; use source, kind or pain_point."
            )
        return cls(value.get("source") or None, value.get("kind") or None, value.get("pain_point"))

    def empty(self) -> bool:
        return self.source is None and self.kind is None and self.pain_point is None


@dataclass
class SearchHit:
    """One passage found: the exact text, where it is, and why it ranked."""

    chunk_id: str
    doc_id: str
    score: float
    text: str  # the original passage, document.text[start:end]
    title: str
    source: str  # the file it came from
    kind: str
    heading_path: list[str]
    start: int
    end: int
    pain_point: bool
    meta: dict[str, Any] = field(default_factory=dict)
    context_before: str = ""
    context_after: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Loaded:
    """One generation in memory: backends, per-row filter arrays and a catalog connection."""

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
        n = self.meta["counts"]["indexed"]
        self.n = n
        self.kinds = list(KINDS)
        self.row_kind = np.zeros(n, dtype=np.int8)
        self.row_file = np.zeros(n, dtype=np.int32)
        self.row_pain = np.zeros(n, dtype=bool)
        # The section of each row (its document and heading path): hybrid fusion pools chunk scores
        # per section, the unit a long passage was cut from (a whole record or abstract when the
        # document has no headings), rather than per file, where one long guide is one document.
        # SQLite numbers the sections itself: no heading string reaches Python (tens of MB at 100k).
        row_section = [0] * n
        for row, pain, kind, file_id, section in self.db.execute(
            f"SELECT c.row, c.pain, d.kind, d.file_id, DENSE_RANK() OVER (ORDER BY {SECTION_ORDER}) - 1 "
            "FROM chunks c JOIN documents d ON d.id = c.document WHERE c.row IS NOT NULL"
        ):
            row_section[row] = section
            if kind not in self.kinds:
                self.kinds.append(kind)
            self.row_kind[row] = self.kinds.index(kind)
            self.row_file[row] = file_id
            self.row_pain[row] = bool(pain)
        self.row_section = np.asarray(row_section, dtype=np.int64)
        self.files = {r[0]: r[1] for r in self.db.execute("SELECT id, path FROM files")}
        # Chunk and document ids of every row: only evaluation needs them all (retrieve, doc_id),
        # and at 100k chunks they cost tens of MB, so they are read on first use.
        self._ids: tuple[list[str], list[str], dict[str, int]] | None = None
        self._masks: OrderedDict[Filters, np.ndarray] = OrderedDict()
        self._section_masks: OrderedDict[Filters, np.ndarray] = OrderedDict()

    def __del__(self) -> None:
        db = getattr(self, "db", None)
        if db is not None:
            db.close()

    def ids(self) -> tuple[list[str], list[str], dict[str, int]]:
        """Per row: chunk id and document id; and chunk id -> row."""
        if self._ids is None:
            chunk_ids, doc_ids = [""] * self.n, [""] * self.n
            with self.db_lock:
                for row, seq, doc_id in self.db.execute(
                    "SELECT c.row, c.seq, d.doc_id FROM chunks c JOIN documents d ON d.id = c.document "
                    "WHERE c.row IS NOT NULL"
                ):
                    doc_ids[row] = doc_id
                    chunk_ids[row] = f"{doc_id}#{seq}"
            self._ids = (chunk_ids, doc_ids, {c: i for i, c in enumerate(chunk_ids)})
        return self._ids

    def mask(self, filters: Filters | None) -> np.ndarray | None:
        """Rows allowed by ``filters`` (None: all rows)."""
        if filters is None or filters.empty():
            return None
        with self.db_lock:
            hit = self._masks.get(filters)
        if hit is not None:
            return hit
        allowed = np.ones(self.n, dtype=bool)
        if filters.kind is not None:
            if filters.kind not in KINDS:
                raise InvalidQuery(f"kind must be one of {', '.join(KINDS)}; got {filters.kind!r}.")
            code = self.kinds.index(filters.kind)
            allowed &= self.row_kind == code
        if filters.pain_point is not None:
            allowed &= self.row_pain if filters.pain_point else ~self.row_pain
        if filters.source is not None:
            ids = np.array(
                [i for i, p in self.files.items() if _source_matches(p, filters.source)], dtype=np.int32
            )
            allowed &= np.isin(self.row_file, ids)
        return self._remember(self._masks, filters, allowed)

    def section_keys(self) -> list[tuple[str, tuple[str, ...]]]:
        """``(doc_id, heading_path)`` of every section, by section number (for evaluation and tests)."""
        with self.db_lock:
            return [
                (doc_id, tuple(json.loads(heading)))
                for doc_id, heading, _ in self.db.execute(
                    f"SELECT DISTINCT d.doc_id, c.heading, DENSE_RANK() OVER (ORDER BY {SECTION_ORDER}) AS s "
                    "FROM chunks c JOIN documents d ON d.id = c.document WHERE c.row IS NOT NULL ORDER BY s"
                ).fetchall()
            ]

    def section_mask(self, filters: Filters | None, allowed: np.ndarray | None) -> np.ndarray | None:
        """Sections with at least one row allowed by ``filters`` (None: all sections)."""
        if allowed is None:
            return None
        with self.db_lock:
            hit = self._section_masks.get(filters)
        if hit is None:
            hit = np.zeros(self.sections.n_docs, dtype=bool)
            hit[self.row_section[allowed]] = True
            self._remember(self._section_masks, filters, hit)
        return hit

    def _remember(
        self, cache: OrderedDict[Filters, np.ndarray], key: Filters, mask: np.ndarray
    ) -> np.ndarray:
        """Keep ``mask`` in one of the small per-filter caches (the 64 most recent filters)."""
        with self.db_lock:
            cache[key] = mask
            if len(cache) > 64:
                cache.popitem(last=False)
        return mask

    def fetch(self, ranked: Sequence[tuple[int, float]]) -> list[SearchHit]:
        """Hits for ``(row, score)`` pairs, in that order."""
        if not ranked:
            return []
        rows = [r for r, _ in ranked]
        marks = ",".join("?" * len(rows))
        with self.db_lock:
            found = {
                r["row"]: r
                for r in self.db.execute(
                    f"""SELECT c.row, c.seq, c.start, c."end", c.heading, c.pain, d.doc_id, d.title, d.kind,
                        d.meta, f.path,
                        substr(d.text, c.start + 1, c."end" - c.start) AS passage,
                        substr(d.text, max(c.start - {CONTEXT_CHARS} + 1, 1), min(c.start, {CONTEXT_CHARS})) AS before,
                        substr(d.text, c."end" + 1, {CONTEXT_CHARS}) AS after
                    FROM chunks c JOIN documents d ON d.id = c.document JOIN files f ON f.id = d.file_id
                    WHERE c.row IN ({marks})""",
                    rows,
                )
            }
        hits = []
        for row, score in ranked:
            r = found.get(row)
            if r is None:
                continue
            hits.append(
                SearchHit(
                    chunk_id=f"{r['doc_id']}#{r['seq']}",
                    doc_id=r["doc_id"],
                    score=float(score),
                    text=r["passage"],
                    title=r["title"] or "",
                    source=r["path"],
                    kind=r["kind"],
                    heading_path=json.loads(r["heading"]),
                    start=r["start"],
                    end=r["end"],
                    pain_point=bool(r["pain"]),
                    meta=json.loads(r["meta"]) if r["meta"] else {},
                    context_before=r["before"] or "",
                    context_after=r["after"] or "",
                )
            )
        return hits


def _source_matches(path: str, source: str) -> bool:
    if os.path.isabs(source) or source.startswith("~") or os.path.exists(source):
        root = str(Path(source).expanduser().resolve())
        return path == root or path.startswith(root.rstrip(os.sep) + os.sep)
    return source.lower() in path.lower()


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
        self._model = None

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

    def _model_info(self):
        if self._model is None:
            self._model = resolve_model(self.settings.embedding_model)
        return self._model

    def _check(self, gen: Generation) -> None:

        meta = gen.meta()
        diff = config_mismatch(meta, index_config(self.settings, self._model_info()))
        if diff:
            raise IndexMismatch(
                f"The knowledge index in {self.store.root} was built with different {', '.join(diff)} "
                "(another embedding model, chunker or index layout); run `study ingest --rebuild` to rebuild it."
            )

    def encoder(self):
        """The query encoder (ONNX by default), created on first use."""
        if self._encoder is None:
            with self._lock:
                if self._encoder is None:
                    self._require_exported()
                    self._encoder = get_encoder(
                        self._model_info(),
                        self.settings.knowledge_query_backend,
                        self.settings.knowledge_path,
                    )
        return self._encoder

    def _require_exported(self) -> None:
        if self.export or self.settings.knowledge_query_backend != "onnx":
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
        filters: Filters | Mapping[str, Any] | None = None,
    ) -> list[dict[str, float]]:
        """Raw candidates of one retriever per query, ``{chunk_id: score}`` (inner product or BM25)."""
        loaded = self._current()
        if mode not in ("dense", "bm25"):
            raise InvalidQuery(f"retrieve mode must be dense or bm25; got {mode!r}.")
        allowed = loaded.mask(Filters.of(filters))
        runs = self._runs(loaded, list(queries), mode, k, allowed)[0 if mode == "dense" else 1]
        chunk_ids = loaded.ids()[0]
        return [
            {chunk_ids[r]: s for r, s in zip(rows.tolist(), scores.tolist(), strict=True)}
            for rows, scores in runs
        ]

    def retrieve_sections(
        self, queries: Sequence[str], k: int = 100, filters: Filters | Mapping[str, Any] | None = None
    ) -> list[dict[tuple[str, tuple[str, ...]], float]]:
        """BM25 over whole sections per query, ``{(doc_id, heading_path): score}``: the section
        evidence hybrid search fuses when ``fusion_section_bm25`` is on."""
        loaded = self._current()
        flt = Filters.of(filters)
        keys = loaded.section_keys()
        runs = self._section_runs(
            loaded, list(queries), k, loaded.section_mask(flt, loaded.mask(flt)), force=True
        )
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
        filters: Filters | Mapping[str, Any] | None = None,
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
        filters: Filters | Mapping[str, Any] | None = None,
    ) -> list[list[SearchHit]]:
        """:meth:`search` for many queries at once (queries are embedded in one batch)."""
        if mode not in MODES:
            raise InvalidQuery(f"mode must be one of {', '.join(MODES)}; got {mode!r}.")
        if not isinstance(k, int) or k < 1:
            raise InvalidQuery(f"k must be a positive whole number; got {k!r}.")
        flt = Filters.of(filters)
        loaded = self._current()
        queries = list(queries)
        live = [i for i, q in enumerate(queries) if q and q.strip()]
        results: list[list[SearchHit]] = [[] for _ in queries]
        if not live or loaded.n == 0:
            return results
        texts = [queries[i] for i in live]
        s = self.settings
        depth = max(k, s.fusion_candidates) if mode == "hybrid" else k
        allowed = loaded.mask(flt)
        dense_runs, sparse_runs, query_vectors = self._runs(loaded, texts, mode, depth, allowed)
        if mode == "hybrid":
            section_runs = self._section_runs(loaded, texts, depth, loaded.section_mask(flt, allowed))
            fused = [
                self._fuse(loaded, d, b, sb, depth)
                for d, b, sb in zip(dense_runs, sparse_runs, section_runs, strict=True)
            ]
            fused = self._feedback(loaded, fused, query_vectors, sparse_runs, section_runs, depth, allowed)
        for j, i in enumerate(live):
            if mode == "hybrid":
                rows, scores = fusion.top_rows(*fused[j], k)
            else:  # one retriever's list is already best first
                rows, scores = dense_runs[j] if mode == "dense" else sparse_runs[j]
                rows, scores = rows[:k], scores[:k]
            results[i] = loaded.fetch(list(zip(rows.tolist(), scores.tolist(), strict=True)))
        return results

    def _fuse(
        self,
        loaded: _Loaded,
        dense: Rows,
        sparse: Rows,
        sections: Rows | None,
        depth: int,
    ) -> Rows:
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
        depth: int,
        allowed: np.ndarray | None,
        *,
        force: bool = False,
    ) -> list[Rows | None]:
        """BM25 over whole sections, the BM25 evidence of each section in hybrid fusion (or None
        per query: each section's best chunk stands in for it)."""
        if not force and (not self.settings.fusion_section_bm25 or self.settings.fusion_section_weight <= 0):
            return [None] * len(texts)
        return [(rows, scores) for scores, rows in loaded.sections.search(texts, depth, allowed)]

    def _feedback(
        self,
        loaded: _Loaded,
        fused: list[Rows],
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
        for j, (scores, rows) in zip(todo, loaded.dense.search(moved, depth, allowed), strict=True):
            out[j] = self._fuse(loaded, (rows, scores), sparse_runs[j], section_runs[j], depth)
        return out

    def _runs(
        self, loaded: _Loaded, texts: list[str], mode: str, depth: int, allowed: np.ndarray | None
    ) -> tuple[list[Rows], list[Rows], np.ndarray]:
        """Each retriever's ``(rows, scores)`` per query, best first (empty when not run)."""
        empty = (np.zeros(0, np.int64), np.zeros(0, np.float32))
        dense: list[Rows] = [empty] * len(texts)
        sparse: list[Rows] = [empty] * len(texts)
        vectors = np.zeros((0, 0), dtype=np.float32)
        if mode in ("hybrid", "dense"):
            vectors = self.encoder().encode(texts)
            dense = [(rows, scores) for scores, rows in loaded.dense.search(vectors, depth, allowed)]
        if mode in ("hybrid", "bm25"):
            sparse = [(rows, scores) for scores, rows in loaded.sparse.search(texts, depth, allowed)]
        return dense, sparse, vectors

    def stats(self) -> dict[str, Any]:
        """The live index's metadata (model, counts, backends)."""
        return dict(self._current().meta)
