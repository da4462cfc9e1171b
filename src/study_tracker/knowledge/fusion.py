"""Fusion of ranked lists from several retrievers (dense, BM25) into one ranking.

Pure functions over ``{id: score}`` mappings, with no index or model in sight, so ``search.py``
and the benchmarks share the exact same arithmetic. The product's defaults live in the
``fusion_*`` settings: min-max with equal weights over 300 candidates per retriever, plus one
step of hybrid pseudo-relevance feedback (:func:`rocchio`), the winner of ``bench/quality.py``
(every variant tried is in ``bench/README.md``).

Methods:

- ``rrf``: reciprocal-rank fusion, ``sum w_i / (k + rank_i)``; ignores score magnitudes.
- ``minmax``: each list's scores rescaled to [0, 1] by its own min and max, then a weighted sum.
- ``zscore``: each list standardised (mean 0, sd 1), then a weighted sum.
- ``dbsf``: distribution-based score fusion (as in Qdrant): min-max between mean - 3 sd and
  mean + 3 sd, so one outlier score does not squash the rest of the list.

An id missing from one list contributes that list's lowest normalised score (0 for ``minmax``):
the retriever did not rank it in its top candidates, so it is at best as good as the last one.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

import numpy as np

K = TypeVar("K", bound=Hashable)

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
    runs: Sequence[Mapping[K, float]], *, method: str = "minmax", weights: Sequence[float] | None = None
) -> dict[K, float]:
    """Convex combination of per-list normalised scores; a missing id gets its list's minimum."""
    weights = _weights(runs, weights)
    pos: dict[K, int] = {}
    for run in runs:
        for key in run:
            pos.setdefault(key, len(pos))
    total = np.zeros(len(pos))
    # numpy over the union: the hybrid query path runs this on every search (a few hundred ids)
    for run, w in zip(runs, weights, strict=True):
        if not run:
            continue
        normed = _normalized(np.fromiter(run.values(), dtype=np.float64, count=len(run)), method)
        col = np.full(len(pos), normed.min())
        col[np.fromiter((pos[k] for k in run), dtype=np.int64, count=len(run))] = normed
        total += w * col
    return dict(zip(pos, total.tolist(), strict=True))


def fuse(
    runs: Sequence[Mapping[K, float]],
    *,
    method: str = "minmax",
    weights: Sequence[float] | None = None,
    rrf_k: float = 60.0,
) -> dict[K, float]:
    """Fuse several ``{id: score}`` runs into one (higher is better) by ``method``.

    Args:
        runs: one mapping per retriever (e.g. ``[dense, bm25]``); each holds its top candidates.
        method: ``rrf``, ``minmax``, ``zscore`` or ``dbsf`` (see the module docstring).
        weights: one weight per run; default equal weights.
        rrf_k: the ``k`` of reciprocal-rank fusion (larger flattens the rank curve).

    Returns:
        ``{id: fused score}`` over the union of ids, unsorted (use :func:`top`).

    Raises:
        ValueError: unknown method, or weights not matching the runs.
    """
    if method == "rrf":
        return rrf(runs, k=rrf_k, weights=weights)
    if method in METHODS:
        return weighted(runs, method=method, weights=weights)
    raise ValueError(f"Unknown fusion method {method!r}; expected one of {', '.join(METHODS)}.")


def top(scores: Mapping[K, float], n: int) -> list[tuple[K, float]]:
    """The ``n`` best ``(id, score)`` pairs, best first (ties broken by id for stable output)."""
    items = scores.items()
    if len(scores) > 4 * n:  # partition first: sorting hundreds of candidates for 10 is wasted work
        vals = np.fromiter(scores.values(), dtype=np.float64, count=len(scores))
        kth = np.partition(vals, len(vals) - n)[len(vals) - n]
        items = [(k, v) for k, v in items if v >= kth]  # >=: ties at the cut still compete by id
    return sorted(items, key=lambda kv: (-kv[1], str(kv[0])))[:n]


def collapse(hits: Iterable[tuple[K, float]], group: Callable[[K], Hashable]) -> dict[Hashable, float]:
    """Aggregate passage scores to their parent (e.g. chunk -> document) by the maximum.

    Max-passage is the standard document score for passage retrieval (Dai & Callan, 2019): a
    document is as relevant as its best passage, and long documents are not favoured by summing.
    """
    out: dict[Hashable, float] = {}
    for key, score in hits:
        g = group(key)
        if g not in out or score > out[g]:
            out[g] = score
    return out


def _weights(runs: Sequence[Mapping], weights: Sequence[float] | None) -> Sequence[float]:
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
