"""Fusion of ranked lists from several retrievers (dense, BM25) into one ranking.

Pure functions over ``{id: score}`` mappings, with no index or model in sight, so ``knowledge_base.py``
and the benchmarks share the exact same arithmetic. The product's defaults live in the
``fusion_*`` settings: min-max with equal weights over 300 candidate chunks per retriever, each
chunk's score blended half and half with its section's fused score (:func:`fuse_grouped`; the
search groups chunks by document and heading path), plus one step of hybrid pseudo-relevance
feedback (:func:`rocchio`), the winner of ``bench/quality.py`` (every variant tried is in
``bench/README.md``).

Methods:

- ``rrf``: reciprocal-rank fusion, ``sum w_i / (k + rank_i)``; ignores score magnitudes.
- ``minmax``: each list's scores rescaled to [0, 1] by its own min and max, then a weighted sum.
- ``zscore``: each list standardised (mean 0, sd 1), then a weighted sum.
- ``dbsf``: distribution-based score fusion (as in Qdrant): min-max between mean - 3 sd and
  mean + 3 sd, so one outlier score does not squash the rest of the list.

An id missing from one list contributes that list's lowest normalised score (0 for ``minmax``):
the retriever did not rank it in its top candidates, so it is at best as good as the last one.
When the true score of every missing id is known (a BM25 list shorter than asked for holds every
passage with a matching term; the rest score 0), that ``floors`` score is normalised with the list.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

import numpy as np

K = TypeVar("K", bound=Hashable)
G = TypeVar("G", bound=Hashable)

METHODS = ("rrf", "minmax", "zscore", "dbsf")


def _normalized(s: np.ndarray, method: str) -> np.ndarray:
    if method == "minmax":
        lo, hi = s.min(), s.max()
        return (s - lo) / (hi - lo) if hi > lo else np.ones_like(s)
    if method == "zscore":
        sd = s.std()
        return (s - s.mean()) / sd if sd > 0 else np.zeros_like(s)
    if method == "dbsf":
        mu, sd = s.mean(), s.std()
        lo, hi = mu - 3 * sd, mu + 3 * sd
        return np.clip((s - lo) / (hi - lo), 0.0, 1.0) if sd > 0 else np.ones_like(s)
    raise ValueError(f"Unknown normalisation {method!r}; expected one of minmax, zscore, dbsf.")


def normalize(scores: Mapping[K, float], method: str) -> dict[K, float]:
    """Rescale one retriever's scores by ``method`` (``minmax``, ``zscore`` or ``dbsf``)."""
    if not scores:
        return {}
    s = np.fromiter(scores.values(), dtype=np.float64, count=len(scores))
    return dict(zip(scores, _normalized(s, method).tolist(), strict=True))


def rrf(
    runs: Sequence[Mapping[K, float]], *, k: float = 60.0, weights: Sequence[float] | None = None
) -> dict[K, float]:
    """Reciprocal-rank fusion: ``sum_i w_i / (k + rank_i(id))``, ranks from 1 by descending score."""
    weights = _weights(runs, weights)
    fused: dict[K, float] = {}
    for run, w in zip(runs, weights, strict=True):
        ranked = sorted(run, key=run.__getitem__, reverse=True)
        for rank, key in enumerate(ranked, 1):
            fused[key] = fused.get(key, 0.0) + w / (k + rank)
    return fused


def weighted(
    runs: Sequence[Mapping[K, float]],
    *,
    method: str = "minmax",
    weights: Sequence[float] | None = None,
    floors: Sequence[float | None] | None = None,
) -> dict[K, float]:
    """Convex combination of per-list normalised scores; a missing id gets its list's minimum
    (or the list's known ``floors`` score, see :func:`fuse`)."""
    keys, cols = _union(runs)
    fused = _combine(cols, len(keys), method, _weights(runs, weights), floors=_floors(runs, floors))
    return dict(zip(keys, fused.tolist(), strict=True))


def _union(runs: Sequence[Mapping[K, float]]) -> tuple[list[K], list[tuple[np.ndarray, np.ndarray]]]:
    """The ids of all runs (first-seen order) and, per run, (positions in that list, scores)."""
    pos: dict[K, int] = {}
    for run in runs:
        for key in run:
            pos.setdefault(key, len(pos))
    cols = [
        (
            np.fromiter((pos[k] for k in run), dtype=np.int64, count=len(run)),
            np.fromiter(run.values(), dtype=np.float64, count=len(run)),
        )
        for run in runs
    ]
    return list(pos), cols


def _combine(
    cols: Sequence[tuple[np.ndarray, np.ndarray]],
    n: int,
    method: str,
    weights: Sequence[float],
    rrf_k: float = 60.0,
    floors: Sequence[float | None] = (),
) -> np.ndarray:
    """Fused scores of ``n`` ids from per-run (positions, scores): numpy over the union, because
    the hybrid query path runs this several times per search over a few hundred ids."""
    total = np.zeros(n)
    for r, ((idx, vals), w) in enumerate(zip(cols, weights, strict=True)):
        if not len(vals):
            continue
        floor = floors[r] if r < len(floors) else None
        if method == "rrf":
            col = np.zeros(n)
            ranked = idx[np.argsort(-vals, kind="stable")]  # stable: ties keep their list order
            col[ranked] = 1.0 / (rrf_k + np.arange(1, len(ranked) + 1))
        elif floor is None:
            normed = _normalized(vals, method)
            col = np.full(n, normed.min())
            col[idx] = normed
        else:  # the ids not in this list are known to score ``floor``: normalise with it included
            normed = _normalized(np.append(vals, floor), method)
            col = np.full(n, normed[-1])
            col[idx] = normed[:-1]
        total += w * col
    return total


def fuse(
    runs: Sequence[Mapping[K, float]],
    *,
    method: str = "minmax",
    weights: Sequence[float] | None = None,
    rrf_k: float = 60.0,
    floors: Sequence[float | None] | None = None,
) -> dict[K, float]:
    """Fuse several ``{id: score}`` runs into one (higher is better) by ``method``.

    Args:
        runs: one mapping per retriever (e.g. ``[dense, bm25]``); each holds its top candidates.
        method: ``rrf``, ``minmax``, ``zscore`` or ``dbsf`` (see the module docstring).
        weights: one weight per run; default equal weights.
        rrf_k: the ``k`` of reciprocal-rank fusion (larger flattens the rank curve).
        floors: per run, the score every id missing from it is known to have (e.g. 0 for a BM25
            list holding every matching passage), or None: unknown, the list's lowest score.
            The score-fusion methods normalise with the floor included; ``rrf`` ignores it.

    Returns:
        ``{id: fused score}`` over the union of ids, unsorted (use :func:`top`).

    Raises:
        ValueError: unknown method, or weights not matching the runs.
    """
    if method == "rrf":
        return rrf(runs, k=rrf_k, weights=weights)
    if method in METHODS:
        return weighted(runs, method=method, weights=weights, floors=floors)
    raise ValueError(f"Unknown fusion method {method!r}; expected one of {', '.join(METHODS)}.")


def top(scores: Mapping[K, float], n: int) -> list[tuple[K, float]]:
    """The ``n`` best ``(id, score)`` pairs, best first (ties broken by id for stable output)."""
    items: Iterable[tuple[K, float]] = scores.items()
    if len(scores) > 4 * n:  # partition first: sorting hundreds of candidates for 10 is wasted work
        vals = np.fromiter(scores.values(), dtype=np.float64, count=len(scores))
        kth = np.partition(vals, len(vals) - n)[len(vals) - n]
        items = [(k, v) for k, v in items if v >= kth]  # >=: ties at the cut still compete by id
    return sorted(items, key=lambda kv: (-kv[1], str(kv[0])))[:n]


def collapse(hits: Iterable[tuple[K, float]], group: Callable[[K], G]) -> dict[G, float]:
    """Aggregate passage scores to their parent (e.g. chunk -> document) by the maximum.

    Max-passage is the standard document score for passage retrieval (Dai & Callan, 2019): a
    document is as relevant as its best passage, and long documents are not favoured by summing.
    """
    out: dict[G, float] = {}
    for key, score in hits:
        g = group(key)
        if g not in out or score > out[g]:
            out[g] = score
    return out


def fuse_grouped(
    runs: Sequence[Mapping[K, float]],
    group: Callable[[K], Hashable],
    *,
    doc_weight: float = 1.0,
    method: str = "minmax",
    weights: Sequence[float] | None = None,
    rrf_k: float = 60.0,
    floors: Sequence[float | None] | None = None,
    group_runs: Sequence[Mapping[Hashable, float] | None] | None = None,
) -> dict[K, float]:
    """Fuse passage runs with group evidence: ``(1 - doc_weight) * passage + doc_weight * group``.

    ``passage`` is :func:`fuse` over the passage runs themselves; ``group`` is :func:`fuse` over
    each run max-pooled to groups (``group(passage)``: its document, or its section), i.e. each
    retriever's group score is its best passage among its candidates. Fusing groups means the
    dense retriever's best passage and BM25's best passage of the same document both count, even
    when they are different passages (each would otherwise get the other list's floor score);
    passage evidence blended with document evidence is the classic recipe (Callan, 1994).
    :func:`fuse_rows` is the same arithmetic on arrays of integer ids (what search uses).

    Args:
        runs: one ``{passage: score}`` mapping per retriever.
        group: passage -> its group (a hashable: document id, (document, heading) ...).
        doc_weight: 0 is plain passage-level fusion, 1 ranks by the group score alone
            (ties between passages of one group then keep their passage-level order).
        method, weights, rrf_k, floors: as in :func:`fuse` (a floor holds for groups too: a
            group missing from a complete list has no passage scoring above it).
        group_runs: per retriever, its own ``{group: score}`` for whole groups (BM25 over whole
            sections), used instead of its best passage per group; None (or a None entry):
            max-pool that retriever's passage run.

    Returns:
        ``{passage: score}`` over the union of passages.

    Raises:
        ValueError: ``doc_weight`` outside 0..1, or as :func:`fuse`.
    """
    keys, cols = _union(runs)
    group_pos: dict[Hashable, int] = {}
    group_of = np.fromiter(
        (group_pos.setdefault(group(k), len(group_pos)) for k in keys), dtype=np.int64, count=len(keys)
    )
    own_runs = None
    if group_runs is not None:
        own_runs = [
            None
            if own is None
            else (
                np.fromiter((group_pos.setdefault(g, len(group_pos)) for g in own), np.int64, len(own)),
                np.fromiter(own.values(), np.float64, len(own)),
            )
            for own in group_runs
        ]
    ids, fused = fuse_rows(
        cols,
        group_of,
        doc_weight=doc_weight,
        method=method,
        weights=weights,
        rrf_k=rrf_k,
        floors=floors,
        group_runs=own_runs,
    )
    return dict(zip([keys[i] for i in ids.tolist()], fused.tolist(), strict=True))


Rows = tuple[np.ndarray, np.ndarray]  # (integer ids, scores) of one result list, in list order


def fuse_rows(
    runs: Sequence[Rows],
    group_of: np.ndarray | None = None,
    *,
    doc_weight: float = 0.0,
    method: str = "minmax",
    weights: Sequence[float] | None = None,
    rrf_k: float = 60.0,
    floors: Sequence[float | None] | None = None,
    group_runs: Sequence[Rows | None] | None = None,
) -> Rows:
    """:func:`fuse_grouped` on arrays: ids are non-negative integers (index rows), ``group_of[id]``
    is an id's group (an integer), and each run is ``(ids, scores)`` with unique ids.

    The search path runs this twice per hybrid query over a few hundred ids, so it stays in numpy
    (no per-id Python work). Returns ``(ids, fused scores)``, ids ascending.
    """
    if not 0.0 <= doc_weight <= 1.0:
        raise ValueError(f"doc_weight must be between 0 and 1; got {doc_weight!r}.")
    if method not in METHODS:
        raise ValueError(f"Unknown fusion method {method!r}; expected one of {', '.join(METHODS)}.")
    if group_runs is not None and len(group_runs) != len(runs):
        raise ValueError(f"fusion group_runs: got {len(group_runs)} for {len(runs)} result lists.")
    weights, floors = _weights(runs, weights), _floors(runs, floors)
    runs = [(np.asarray(i, dtype=np.int64), np.asarray(v, dtype=np.float64)) for i, v in runs]
    ids = np.unique(np.concatenate([i for i, _ in runs])) if runs else np.zeros(0, np.int64)
    cols = [(np.searchsorted(ids, i), v) for i, v in runs]
    passages = _combine(cols, len(ids), method, weights, rrf_k, floors)
    if doc_weight <= 0 or group_of is None:
        return ids, passages
    own_runs = group_runs or [None] * len(runs)
    own = [
        None if r is None else (np.asarray(r[0], np.int64), np.asarray(r[1], np.float64)) for r in own_runs
    ]
    passage_group = np.asarray(group_of)[ids]
    groups = np.unique(np.concatenate([passage_group, *(r[0] for r in own if r is not None)]))
    doc_of = np.searchsorted(groups, passage_group)
    doc_cols = []
    for (idx, vals), mine in zip(cols, own, strict=True):
        if mine is not None:  # the retriever scored whole groups itself
            doc_cols.append((np.searchsorted(groups, mine[0]), mine[1]))
            continue
        codes = doc_of[idx]  # max-pool the run to groups (its best passage per group)
        best = np.full(len(groups), -np.inf)
        np.maximum.at(best, codes, vals)
        present = codes[np.sort(np.unique(codes, return_index=True)[1])]  # first-seen order, as ranks need
        doc_cols.append((present, best[present]))
    docs = _combine(doc_cols, len(groups), method, weights, rrf_k, floors)
    # At doc_weight 1 a 1e-6 share of the passage score still orders the passages of one
    # document; it can only reorder documents whose fused scores differ by less than that.
    keep = max(1.0 - doc_weight, 1e-6)
    return ids, keep * passages + doc_weight * docs[doc_of]


def top_rows(ids: np.ndarray, scores: np.ndarray, n: int) -> Rows:
    """The ``n`` best ``(ids, scores)``, best first, ties broken by the smaller id."""
    if len(ids) > n:
        keep = np.argpartition(-scores, n - 1)[:n] if n > 0 else np.zeros(0, np.int64)
        kth = scores[keep].min() if n > 0 else np.inf
        keep = np.flatnonzero(scores >= kth)  # ties at the cut still compete by id
        ids, scores = ids[keep], scores[keep]
    order = np.lexsort((ids, -scores))[:n]
    return ids[order], scores[order]


def _floors(runs: Sequence[object], floors: Sequence[float | None] | None) -> Sequence[float | None]:
    if floors is None:
        return [None] * len(runs)
    if len(floors) != len(runs):
        raise ValueError(f"fusion floors: got {len(floors)} floors for {len(runs)} result lists.")
    return floors


def _weights(runs: Sequence[object], weights: Sequence[float] | None) -> Sequence[float]:
    if weights is None:
        return [1.0] * len(runs)
    if len(weights) != len(runs):
        raise ValueError(f"fusion weights: got {len(weights)} weights for {len(runs)} result lists.")
    return weights


def rocchio(query: np.ndarray, feedback: np.ndarray, beta: float) -> np.ndarray:
    """Pseudo-relevance feedback on a dense query: ``normalise(q + beta * mean(feedback rows))``.

    With ``feedback`` the vectors of the top few *hybrid* results, the second dense search looks
    for passages like the ones both retrievers agreed on (bench: NFCorpus +0.010 nDCG@10,
    SciFact unchanged).
    """
    if len(feedback) == 0 or beta == 0:
        return query
    q = np.asarray(query, dtype=np.float32) + beta * np.asarray(feedback, dtype=np.float32).mean(axis=0)
    norm = np.linalg.norm(q)
    return q / norm if norm > 0 else q
