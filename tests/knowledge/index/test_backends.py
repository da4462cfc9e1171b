from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from study_tracker.knowledge.index.backends import (
    BM25Index,
    FaissIndex,
    create_dense,
    create_sparse,
    load_dense,
    load_sparse,
)


def unit(n: int, d: int = 32, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def exact(v: np.ndarray, q: np.ndarray, k: int) -> list[int]:
    return list(np.argsort(-(v @ q))[:k])


@pytest.mark.parametrize("threshold", [10**9, 100])  # flat, then HNSW
def test_dense_search_save_load(tmp_path: Path, threshold: int) -> None:
    v = unit(2000)
    idx = create_dense("faiss", hnsw_threshold=threshold, ef_search=200)
    idx.build(v)
    assert idx.describe()["type"] == ("flat" if threshold > 2000 else "hnsw")
    idx.save(tmp_path)
    loaded = load_dense(tmp_path, idx.describe())
    for q in range(5):
        rows, scores = loaded.search(v[q : q + 1], 10)[0]  # (rows, scores), as fusion.Rows
        assert rows.dtype == np.int64 and scores.dtype == np.float32
        assert rows[0] == q and scores[0] == pytest.approx(1.0, abs=1e-5)
        assert len(set(rows) & set(exact(v, v[q], 10))) >= 9
    np.testing.assert_allclose(loaded.vectors(), v)


@pytest.mark.parametrize("threshold", [10**9, 100])
def test_dense_filter_only_returns_allowed_rows(threshold: int) -> None:
    v = unit(3000)
    idx = FaissIndex(hnsw_threshold=threshold)
    idx.build(v)
    allowed = np.zeros(3000, dtype=bool)
    allowed[::7] = True
    rows, scores = idx.search(v[:1], 20, allowed)[0]
    assert len(rows) == 20 and all(allowed[r] for r in rows)
    assert list(rows) == [i for i in exact(v, v[0], 3000) if allowed[i]][:20]


def test_hnsw_filter_through_the_graph_when_most_rows_are_allowed() -> None:
    v = unit(3000, d=16, seed=3)
    idx = FaissIndex(hnsw_threshold=1000, m=16, ef_search=256)
    idx.exact_filter_rows = 100
    idx.build(v)
    allowed = np.ones(3000, dtype=bool)
    allowed[:25] = False  # row 0..24 filtered out (a non-selective filter uses the HNSW selector)
    rows, scores = idx.search(v[:1], 10, allowed)[0]
    assert 0 not in rows and len(rows) == 10 and all(r >= 25 for r in rows)


def test_empty_filter_and_empty_index() -> None:
    idx = FaissIndex()
    idx.build(unit(10))
    rows, scores = idx.search(unit(1), 5, np.zeros(10, dtype=bool))[0]
    assert len(rows) == 0
    empty = FaissIndex()
    empty.build(np.zeros((0, 32), dtype=np.float32))
    assert len(empty.search(unit(1), 5)[0][0]) == 0


def test_bm25_stems_and_drops_stop_words(tmp_path: Path) -> None:
    texts = [
        "The runner was running quickly",
        "Databases index rows",
        "A cat sat on the mat",
        "indexing databases",
    ]
    idx = create_sparse("bm25")
    idx.build(texts)
    rows, scores = idx.search(["run"], 5)[0]
    assert list(rows) == [0] and rows.dtype == np.int64 and scores.dtype == np.float32 and scores[0] > 0
    assert len(idx.search(["the a on"], 5)[0][0]) == 0  # only stop words: no match, not everything
    idx.save(tmp_path)
    loaded = load_sparse(tmp_path, idx.describe())
    assert set(loaded.search(["database indexes"], 5)[0][0]) == {1, 3}
    allowed = np.array([True, False, True, True])
    assert list(loaded.search(["database indexes"], 5, allowed)[0][0]) == [3]
    assert len(loaded.search(["zebra"], 5)[0][0]) == 0


def test_bm25_empty_corpus(tmp_path: Path) -> None:
    idx = BM25Index()
    idx.build([])
    idx.save(tmp_path)
    assert len(load_sparse(tmp_path, idx.describe()).search(["x"], 3)[0][0]) == 0


def test_unknown_backend_names() -> None:
    with pytest.raises(ValueError, match="Unknown dense index"):
        create_dense("annoy")
    with pytest.raises(ValueError, match="Unknown sparse index"):
        create_sparse("splade")
