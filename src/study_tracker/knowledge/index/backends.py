"""Search backends behind small base classes, chosen by name through a factory.

Dense: FAISS, exact ``IndexFlatIP`` for small collections and HNSW above
``knowledge_hnsw_threshold`` chunks (measured in ``bench/hnsw_threshold.py``). Sparse: BM25 from
bm25s with PyStemmer English stemming and English stop words. Row ``i`` of every backend is the
chunk whose ``row`` column is ``i`` in the generation's catalog.
"""

from __future__ import annotations

import contextlib
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # bm25s is imported where it is used: the web app must not pay for it at start
    import bm25s

Hits = tuple[np.ndarray, np.ndarray]  # (rows, scores), best first, same length (as fusion.Rows)


def _top(scores: np.ndarray, k: int, allowed: np.ndarray | None = None, positive: bool = False) -> Hits:
    """The ``k`` best rows of a full score array (argpartition, then sort the few kept)."""
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    if positive:  # BM25: a zero score means no query term matched
        scores = np.where(scores > 0, scores, -np.inf)
    k = min(k, scores.shape[0])
    if k <= 0:
        return _no_hits()
    idx = np.argpartition(-scores, k - 1)[:k] if k < scores.shape[0] else np.arange(scores.shape[0])
    idx = idx[np.argsort(-scores[idx], kind="stable")]
    keep = np.isfinite(scores[idx])
    return idx[keep].astype(np.int64), scores[idx][keep].astype(np.float32)


def _no_hits() -> Hits:
    return np.zeros(0, np.int64), np.zeros(0, np.float32)


@contextlib.contextmanager
def _single_thread(on: bool) -> Iterator[None]:
    """Run FAISS single-threaded for a few queries: on 2 busy cores, OpenMP's threads wait on each
    other and a one-query flat search at 20k vectors took 16 ms instead of 1.4 ms
    (``bench/hnsw_threshold.py``). Batches keep all threads."""
    import faiss

    if not on:
        yield
        return
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


class DenseIndex(ABC):
    """Nearest neighbours by inner product over L2-normalised vectors (= cosine)."""

    name: str

    @abstractmethod
    def build(self, vectors: np.ndarray, on_progress: Callable[[int], None] | None = None) -> None:
        """Index ``vectors`` (row ``i`` is chunk row ``i``)."""

    @abstractmethod
    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[Hits]:
        """Top ``k`` rows per query, restricted to rows where ``allowed`` is true."""

    @abstractmethod
    def vectors(self) -> np.ndarray:
        """All stored vectors, (n, d), row ``i`` = chunk row ``i`` (pseudo-relevance feedback reads them)."""

    @abstractmethod
    def save(self, folder: Path) -> list[Path]:
        """Write the index into ``folder``; returns the files written."""

    @classmethod
    @abstractmethod
    def load(cls, folder: Path, params: dict[str, Any]) -> DenseIndex:
        """Read an index written by :meth:`save`."""

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """Type and parameters, for the metadata file."""


class FaissIndex(DenseIndex):
    """FAISS: exact flat inner product, or HNSW when the collection is large.

    Args:
        hnsw_threshold: use HNSW at or above this many vectors.
        m, ef_construction, ef_search: HNSW graph degree and beam widths.
    """

    name = "faiss"
    FILE = "dense.faiss"
    #: Filters allowing at most this many rows (or 5%) are searched exactly instead of through the graph.
    exact_filter_rows = 20_000

    def __init__(
        self, hnsw_threshold: int = 20_000, m: int = 32, ef_construction: int = 80, ef_search: int = 128
    ):
        self.hnsw_threshold, self.m = hnsw_threshold, m
        self.ef_construction, self.ef_search = ef_construction, ef_search
        # A FAISS index (flat or HNSW): Any, because faiss's stubs lack the SWIG attributes used
        # here (hnsw, storage, get_xb).
        self.index: Any = None
        self.kind = "flat"
        self._xb: np.ndarray | None = None

    def build(self, vectors: np.ndarray, on_progress: Callable[[int], None] | None = None) -> None:
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, d = vectors.shape
        index: Any
        if n >= self.hnsw_threshold:
            self.kind = "hnsw"
            index = faiss.IndexHNSWFlat(d, self.m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = self.ef_construction
            index.hnsw.efSearch = self.ef_search
        else:
            self.kind = "flat"
            index = faiss.IndexFlatIP(d)
        step = 10_000 if self.kind == "hnsw" else max(n, 1)
        for i in range(0, n, step):  # HNSW insertion is the slow part: report it in steps
            index.add(vectors[i : i + step])
            if on_progress:
                on_progress(min(step, n - i))
        self.index, self._xb = index, None

    def vectors(self) -> np.ndarray:
        """All stored vectors as a read-only (n, d) view (no copy)."""
        import faiss

        if self._xb is None:
            flat: Any = faiss.downcast_index(self.index.storage) if self.kind == "hnsw" else self.index
            n, d = flat.ntotal, flat.d
            self._xb = (
                faiss.rev_swig_ptr(flat.get_xb(), n * d).reshape(n, d) if n else np.zeros((0, d), np.float32)
            )
        return self._xb

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[Hits]:
        import faiss

        queries = np.ascontiguousarray(queries, dtype=np.float32)
        n = self.index.ntotal
        k = min(k, n)
        empty = [_no_hits() for _ in queries]
        if k <= 0 or n == 0 or (allowed is not None and not allowed.any()):
            return empty
        index, params = self.index, None
        # kept alive until the search returns: the selector points into the bitmap
        bitmap: np.ndarray | None = None
        selector: Any = None
        if allowed is not None:
            bitmap = np.packbits(allowed, bitorder="little")
            selector = faiss.IDSelectorBitmap(n, faiss.swig_ptr(bitmap))
        if (
            self.kind == "hnsw"
            and allowed is not None
            and allowed.sum() <= max(self.exact_filter_rows, n // 20)
        ):
            # A selective filter: exact search over the stored vectors; a filtered graph walk can
            # return fewer than k hits when most neighbours are filtered out.
            index, params = faiss.downcast_index(self.index.storage), faiss.SearchParameters()
            params.sel = selector
        elif self.kind == "hnsw":
            params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]  # not in faiss's stubs
            params.efSearch = max(self.ef_search, k)
            if selector is not None:
                params.sel = selector
        elif selector is not None:
            params = faiss.SearchParameters()
            params.sel = selector
        with _single_thread(len(queries) < 20):
            scores, rows = index.search(queries, k, params=params)
        del bitmap, selector
        out = []
        for s, r in zip(scores, rows, strict=True):
            keep = r >= 0
            out.append((r[keep].astype(np.int64), s[keep]))
        return out

    def save(self, folder: Path) -> list[Path]:
        import faiss

        path = folder / self.FILE
        faiss.write_index(self.index, str(path))
        return [path]

    @classmethod
    def load(cls, folder: Path, params: dict[str, Any]) -> FaissIndex:
        import faiss

        obj = cls(m=params.get("m", 32), ef_search=params.get("ef_search", 128))
        obj.index = faiss.read_index(str(folder / cls.FILE))
        obj.kind = params.get("type", "flat")
        if obj.kind == "hnsw":
            obj.index.hnsw.efSearch = obj.ef_search
        return obj

    def describe(self) -> dict[str, Any]:
        d: dict[str, Any] = {"backend": self.name, "type": self.kind}
        if self.kind == "hnsw":
            d |= {"m": self.m, "ef_construction": self.ef_construction, "ef_search": self.ef_search}
        return d


class SparseIndex(ABC):
    """Keyword retrieval over the chunks' cleaned text."""

    name: str
    n_docs: int  # texts indexed

    @abstractmethod
    def build(self, texts: Sequence[str]) -> None:
        """Index ``texts`` (row ``i`` is chunk row ``i``)."""

    @abstractmethod
    def search(self, queries: Sequence[str], k: int, allowed: np.ndarray | None = None) -> list[Hits]:
        """Top ``k`` rows with a positive score per query."""

    @abstractmethod
    def save(self, folder: Path) -> list[Path]:
        """Write the index into ``folder``; returns the files written."""

    @classmethod
    @abstractmethod
    def load(cls, folder: Path, params: dict[str, Any]) -> SparseIndex:
        """Read an index written by :meth:`save`."""

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """Backend and parameters, for the metadata file."""


_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # bm25s's default pattern: queries must split like the corpus


class BM25Index(SparseIndex):
    """BM25 (bm25s, Lucene variant) with English stop words and Snowball English stemming.

    ``folder``: where in the generation it is saved; the chunk index is ``bm25``, the index over
    whole sections ``bm25_sections``.
    """

    name = "bm25"

    def __init__(self, folder: str = "bm25") -> None:
        import Stemmer
        from bm25s.stopwords import STOPWORDS_EN

        self.folder = folder
        self.stemmer = Stemmer.Stemmer("english")
        self.stopwords = frozenset(STOPWORDS_EN)
        self.retriever: bm25s.BM25 | None = None
        self.n_docs = 0

    def tokens(self, text: str) -> list[str]:
        """The stemmed, stop-word-free tokens of a query (the corpus pipeline of bm25s.tokenize)."""
        words = [w for w in _TOKEN.findall(text.lower()) if w not in self.stopwords]
        return self.stemmer.stemWords(words)

    def build(self, texts: Sequence[str]) -> None:
        import bm25s

        self.n_docs = len(texts)
        if not texts:
            self.retriever = None
            return
        tokenized = bm25s.tokenize(list(texts), stopwords="en", stemmer=self.stemmer, show_progress=False)
        retriever = bm25s.BM25()
        retriever.index(tokenized, show_progress=False)
        self.retriever = retriever

    def search(self, queries: Sequence[str], k: int, allowed: np.ndarray | None = None) -> list[Hits]:
        out = []
        retriever = self.retriever
        for q in queries:
            ids = retriever.get_tokens_ids(self.tokens(q)) if retriever is not None else []
            if retriever is None or not ids or self.n_docs == 0:
                out.append(_no_hits())
                continue
            # get_scores + argpartition: bm25s's own retrieve() is ~30x slower at 100k chunks
            scores = retriever.get_scores_from_ids(ids)
            out.append(_top(scores, k, allowed, positive=True))
        return out

    def save(self, folder: Path) -> list[Path]:
        target = folder / self.folder
        target.mkdir(parents=True, exist_ok=True)
        if self.retriever is not None and self.n_docs:
            self.retriever.save(str(target), show_progress=False)
        (target / "count.json").write_text(json.dumps({"n_docs": self.n_docs}))
        return sorted(p for p in target.iterdir() if p.is_file())

    @classmethod
    def load(cls, folder: Path, params: dict[str, Any]) -> BM25Index:
        import bm25s

        obj = cls(params.get("folder", "bm25"))
        target = folder / obj.folder
        obj.n_docs = json.loads((target / "count.json").read_text())["n_docs"]
        if obj.n_docs:
            # mmap: the score matrix stays in the page cache instead of the server's heap
            obj.retriever = bm25s.BM25.load(str(target), mmap=True, show_progress=False)
        return obj

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.name,
            "library": "bm25s",
            "stemmer": "english",
            "stopwords": "en",
            "folder": self.folder,
        }


_DENSE = {"faiss": FaissIndex}
_SPARSE = {"bm25": BM25Index}


def create_dense(name: str = "faiss", **params: Any) -> DenseIndex:
    """A dense backend by name (``faiss``)."""
    try:
        return _DENSE[name](**params)
    except KeyError:
        raise ValueError(f"Unknown dense index {name!r}; available: {', '.join(_DENSE)}.") from None


def create_sparse(name: str = "bm25", **params: Any) -> SparseIndex:
    """A sparse backend by name (``bm25``)."""
    try:
        return _SPARSE[name](**params)
    except KeyError:
        raise ValueError(f"Unknown sparse index {name!r}; available: {', '.join(_SPARSE)}.") from None


def load_dense(folder: Path, params: dict[str, Any]) -> DenseIndex:
    """Load the dense backend that ``params`` (from the metadata file) names."""
    return _DENSE[params.get("backend", "faiss")].load(folder, params)


def load_sparse(folder: Path, params: dict[str, Any]) -> SparseIndex:
    """Load the sparse backend that ``params`` (from the metadata file) names."""
    return _SPARSE[params.get("backend", "bm25")].load(folder, params)
