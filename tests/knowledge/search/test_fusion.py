"""Fusion arithmetic: exact values on small hand-made runs."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from study_tracker.knowledge.search import fusion

DENSE = {"a": 0.9, "b": 0.8, "c": 0.1}
BM25 = {"b": 12.0, "d": 10.0, "a": 2.0}


def test_rrf_sums_reciprocal_ranks():
    fused = fusion.rrf([DENSE, BM25], k=60)
    assert fused["a"] == pytest.approx(1 / 61 + 1 / 63)
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert fused["c"] == pytest.approx(1 / 63)
    assert fused["d"] == pytest.approx(1 / 62)
    assert [k for k, _ in fusion.top(fused, 4)] == ["b", "a", "d", "c"]


def test_rrf_weights_scale_each_list():
    fused = fusion.rrf([DENSE, BM25], k=1, weights=[2.0, 0.0])
    assert fused["a"] == pytest.approx(2 / 2)
    assert fused["d"] == 0.0


def test_minmax_missing_id_gets_list_floor():
    fused = fusion.fuse([DENSE, BM25], method="minmax", weights=[0.5, 0.5])
    # dense: a=1, b=0.875, c=0; bm25: b=1, d=0.8, a=0; missing -> 0
    assert fused["a"] == pytest.approx(0.5)
    assert fused["b"] == pytest.approx(0.5 * 0.875 + 0.5)
    assert fused["c"] == pytest.approx(0.0)
    assert fused["d"] == pytest.approx(0.4)


def test_zscore_and_dbsf_normalisation():
    z = fusion.normalize({"x": 1.0, "y": 3.0}, "zscore")
    assert z == pytest.approx({"x": -1.0, "y": 1.0})
    d = fusion.normalize({"x": 1.0, "y": 3.0}, "dbsf")
    # mean 2, sd 1: bounds -1..5 -> (1+1)/6, (3+1)/6
    assert d == pytest.approx({"x": 2 / 6, "y": 4 / 6})


def test_zscore_missing_id_gets_lowest_z():
    fused = fusion.fuse([{"x": 1.0, "y": 3.0}, {"x": 5.0, "z": 1.0}], method="zscore")
    assert fused["y"] == pytest.approx(1.0 + -1.0)
    assert fused["z"] == pytest.approx(-1.0 + -1.0)


@pytest.mark.parametrize("method", fusion.METHODS)
def test_constant_and_empty_lists_do_not_divide_by_zero(method):
    fused = fusion.fuse([{"a": 2.0, "b": 2.0}, {}], method=method)
    assert set(fused) == {"a", "b"}
    assert all(math.isfinite(v) for v in fused.values())
    if method != "rrf":  # rrf ranks by position, so equal scores still get ranks 1 and 2
        assert fused["a"] == fused["b"]


def test_single_list_keeps_order():
    for method in fusion.METHODS:
        fused = fusion.fuse([BM25], method=method)
        assert [k for k, _ in fusion.top(fused, 3)] == ["b", "d", "a"]


def test_bad_method_and_weights_are_named():
    with pytest.raises(ValueError, match="Unknown fusion method 'sum'"):
        fusion.fuse([DENSE], method="sum")
    with pytest.raises(ValueError, match="2 weights for 1 result lists"):
        fusion.fuse([DENSE], weights=[0.5, 0.5])


def test_collapse_keeps_best_passage_per_document():
    hits = [("d1#0", 0.2), ("d2#0", 0.5), ("d1#1", 0.7), ("d2#1", 0.1)]
    docs = fusion.collapse(hits, lambda cid: cid.split("#")[0])
    assert docs == {"d1": 0.7, "d2": 0.5}


def test_top_breaks_ties_by_id():
    assert fusion.top({"b": 1.0, "a": 1.0, "c": 2.0}, 2) == [("c", 2.0), ("a", 1.0)]


def test_top_of_many_candidates_equals_a_full_sort_with_ties():
    import random

    rng = random.Random(5)
    scores = {f"c{i}": float(rng.randint(0, 30)) for i in range(500)}  # many ties at every value
    expected = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    assert fusion.top(scores, 10) == expected


def test_weighted_fusion_matches_the_definition_on_random_runs():
    import random

    rng = random.Random(9)
    a = {i: rng.random() for i in rng.sample(range(300), 100)}
    b = {i: rng.random() * 20 for i in rng.sample(range(300), 100)}
    for method in ("minmax", "zscore", "dbsf"):
        na, nb = fusion.normalize(a, method), fusion.normalize(b, method)
        fa, fb = min(na.values()), min(nb.values())
        fused = fusion.fuse([a, b], method=method, weights=[0.3, 0.7])
        for key in set(a) | set(b):
            assert fused[key] == pytest.approx(0.3 * na.get(key, fa) + 0.7 * nb.get(key, fb))


def test_rocchio_moves_the_query_towards_feedback_and_stays_unit_length():
    import numpy as np

    q = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    fb = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype=np.float32)
    out = fusion.rocchio(q, fb, beta=1.0)
    assert np.allclose(out, np.array([1.0, 0.5, 0.5]) / np.sqrt(1.5))
    assert fusion.rocchio(q, fb[:0], beta=1.0) is q
    assert fusion.rocchio(q, fb, beta=0.0) is q


# Two documents whose best dense passage and best BM25 passage differ (a1 vs a2): passage-level
# fusion gives each of them one list's floor, document-level fusion credits document a with both.
G_DENSE = {"a1": 0.9, "a2": 0.5, "b1": 0.7}
G_BM25 = {"a2": 10.0, "b1": 8.0, "c1": 2.0}


def _doc(passage: str) -> str:
    return passage[0]


def test_fuse_grouped_blends_passage_and_document_scores():
    # passages (minmax): dense a1=1 a2=0 b1=.5, bm25 a2=1 b1=.75 c1=0 -> a1=.5 a2=.5 b1=.625 c1=0
    # documents: dense a=.9->1 b=.7->0, bm25 a=10->1 b=8->.75 c=2->0 -> a=1 b=.375 c=0
    fused = fusion.fuse_grouped([G_DENSE, G_BM25], _doc, doc_weight=0.5, weights=[0.5, 0.5])
    assert fused == pytest.approx({"a1": 0.75, "a2": 0.75, "b1": 0.5, "c1": 0.0})
    passage_only = fusion.fuse_grouped([G_DENSE, G_BM25], _doc, doc_weight=0.0, weights=[0.5, 0.5])
    assert passage_only == fusion.fuse([G_DENSE, G_BM25], weights=[0.5, 0.5])
    assert fusion.top(passage_only, 1)[0][0] == "b1"  # without document evidence b1 wins
    assert fusion.top(fused, 1)[0][0] in {"a1", "a2"}


def test_fuse_grouped_at_weight_one_ranks_documents_then_passages():
    fused = fusion.fuse_grouped([G_DENSE, {"a2": 10.0, "a1": 9.0, "b1": 2.0}], _doc, doc_weight=1.0)
    order = [p for p, _ in fusion.top(fused, 3)]
    # passages: a1 = 1 + .875, a2 = 0 + 1; both of document a first, the better passage a1 leading
    assert order == ["a1", "a2", "b1"]
    assert fused["a1"] == pytest.approx(2.0, abs=1e-5)  # the document score: 1 + 1


@pytest.mark.parametrize("doc_weight", [-0.1, 1.5])
def test_fuse_grouped_rejects_weights_outside_0_1(doc_weight):
    with pytest.raises(ValueError, match="doc_weight"):
        fusion.fuse_grouped([G_DENSE, G_BM25], _doc, doc_weight=doc_weight)


@pytest.mark.parametrize("method", fusion.METHODS)
def test_fuse_grouped_equals_fusing_max_pooled_documents(method):
    # the vectorised path against the definition: fuse(passages) blended with fuse(collapse(runs))
    rng = random.Random(7)
    dense = {f"{d}{i}": rng.random() for d in "abcdefgh" for i in range(3) if rng.random() < 0.7}
    bm25 = {f"{d}{i}": float(rng.randint(0, 5)) for d in "abcdefghij" for i in range(3) if rng.random() < 0.6}
    runs = [dense, bm25]
    passages = fusion.fuse(runs, method=method, weights=[0.4, 0.6], rrf_k=10)
    docs = fusion.fuse(
        [fusion.collapse(r.items(), _doc) for r in runs], method=method, weights=[0.4, 0.6], rrf_k=10
    )
    got = fusion.fuse_grouped(runs, _doc, doc_weight=0.3, method=method, weights=[0.4, 0.6], rrf_k=10)
    assert got == pytest.approx({p: 0.7 * s + 0.3 * docs[p[0]] for p, s in passages.items()})


def test_floor_is_normalised_with_the_list_and_given_to_missing_ids():
    # bm25 list b=12, d=10, a=2 with a known floor 0: minmax over {12, 10, 2, 0}
    fused = fusion.fuse([DENSE, BM25], method="minmax", weights=[0.5, 0.5], floors=[None, 0.0])
    assert fused["a"] == pytest.approx(0.5 * 1.0 + 0.5 * 2 / 12)
    assert fused["c"] == pytest.approx(0.5 * 0.0 + 0.5 * 0.0)  # missing from bm25: its floor, 0
    assert fused["d"] == pytest.approx(0.5 * 0.0 + 0.5 * 10 / 12)  # missing from dense: dense min
    z = fusion.fuse([{"x": 1.0, "y": 3.0}], method="zscore", floors=[-1.0])
    sd = np.std([1.0, 3.0, -1.0])
    assert z == pytest.approx({"x": (1 - 1) / sd, "y": (3 - 1) / sd})
    # rrf ranks only what is listed: a floor changes nothing
    assert fusion.fuse([DENSE, BM25], method="rrf", floors=[None, 0.0]) == fusion.fuse(
        [DENSE, BM25], method="rrf"
    )


def test_floors_must_match_the_runs():
    with pytest.raises(ValueError, match="floors"):
        fusion.fuse([DENSE, BM25], method="minmax", floors=[0.0])


def test_group_runs_replace_a_retrievers_max_pooled_group_scores():
    # BM25 scored whole groups itself: b=20 (both its passages' terms), a=5, z=1 (no candidate
    # passage of z). Groups (minmax): dense a=.9->1 b=.7->0; bm25 b=1 a=4/19 z=0 -> a=.605 b=.5.
    own = {"b": 20.0, "a": 5.0, "z": 1.0}
    w = [0.5, 0.5]
    fused = fusion.fuse_grouped([G_DENSE, G_BM25], _doc, doc_weight=0.5, weights=w, group_runs=[None, own])
    passages = fusion.fuse([G_DENSE, G_BM25], weights=w)
    groups = {"a": 0.5 * 1 + 0.5 * 4 / 19, "b": 0.5 * 0 + 0.5 * 1, "c": 0.5 * 0 + 0.5 * 0}
    assert fused == pytest.approx({p: 0.5 * s + 0.5 * groups[p[0]] for p, s in passages.items()})
    assert "z1" not in fused  # a group only BM25's own list has brings no passage with it
    # None entries (and no group_runs) max-pool that run, as before
    assert fusion.fuse_grouped([G_DENSE, G_BM25], _doc, doc_weight=0.5, group_runs=[None, None]) == (
        fusion.fuse_grouped([G_DENSE, G_BM25], _doc, doc_weight=0.5)
    )


def test_group_runs_must_match_the_runs():
    with pytest.raises(ValueError, match="group_runs"):
        fusion.fuse_grouped([G_DENSE, G_BM25], _doc, doc_weight=0.5, group_runs=[None])


@pytest.mark.parametrize("method", fusion.METHODS)
def test_fuse_rows_on_arrays_equals_fuse_grouped_on_dicts(method):
    rng = np.random.default_rng(3)
    group_of = rng.integers(0, 15, size=60)  # row -> its section
    dense_rows = rng.choice(60, size=25, replace=False)
    bm25_rows = rng.choice(60, size=20, replace=False)
    dense = (dense_rows, rng.random(25))
    bm25 = (bm25_rows, rng.integers(0, 6, size=20).astype(float))  # ties, as BM25 has
    sections = (np.array([3, 7, 14, 40]), np.array([9.0, 4.0, 1.0, 2.0]))  # 40: no candidate row
    kw = {"doc_weight": 0.5, "method": method, "weights": [0.4, 0.6], "rrf_k": 10}
    ids, scores = fusion.fuse_rows([dense, bm25], group_of, group_runs=[None, sections], **kw)
    as_dicts = fusion.fuse_grouped(
        [dict(zip(*map(np.ndarray.tolist, run), strict=True)) for run in (dense, bm25)],
        lambda row: int(group_of[row]),
        group_runs=[None, dict(zip(*map(np.ndarray.tolist, sections), strict=True))],
        **kw,
    )
    assert dict(zip(ids.tolist(), scores.tolist(), strict=True)) == pytest.approx(as_dicts)
    assert list(ids) == sorted(set(dense_rows) | set(bm25_rows))


def test_top_rows_breaks_ties_by_the_smaller_id():
    ids = np.array([9, 4, 7, 2, 5])
    scores = np.array([1.0, 3.0, 3.0, 0.5, 3.0])
    assert fusion.top_rows(ids, scores, 2)[0].tolist() == [4, 5]  # three tie at 3.0 for two places
    assert fusion.top_rows(ids, scores, 10)[0].tolist() == [4, 5, 7, 9, 2]
    assert fusion.top_rows(ids, scores, 0)[0].tolist() == []
