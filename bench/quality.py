"""Retrieval quality of every fusion variant on the BEIR bench sets (SciFact train, NFCorpus dev).

    .venv/bin/python bench/beir_cache.py      # once: embeds queries, docs, product chunks (~45 min here)
    .venv/bin/python bench/quality.py [--only REGEX] [--json OUT]

Scores whole-document and passage-level (max-passage) dense and BM25 runs as full matrices,
then fuses them with ``study_tracker.knowledge.search.fusion`` (the product's own code), so each
variant is one line in the printed table: nDCG@10, recall@100, MRR@10 (ranx) per collection.
Tune on these splits only; held-out splits check the chosen method.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import beir_cache  # noqa: E402

from study_tracker.knowledge.eval.beir import score_run  # noqa: E402
from study_tracker.knowledge.search import fusion  # noqa: E402

CUT = 100  # documents kept per query in a run (recall@100 needs 100)
ROUND12_TOKENS = 256  # the chunk size of rounds 1 and 2 (the product's default then)


# ----- BM25 -----------------------------------------------------------------------------------


@dataclass
class Bm25Cfg:
    k1: float = 1.5
    b: float = 0.75
    method: str = "lucene"
    stem: bool = True
    stopwords: bool = True
    title_repeat: int = 1  # the title counted this many times (1 = plain "title + text")
    unit: str = "doc"  # "doc" or "psg"


def _tokenizer(cfg: Bm25Cfg):
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english") if cfg.stem else None

    def tok(texts: list[str]) -> list[list[str]]:
        return bm25s.tokenize(
            texts,
            stopwords="en" if cfg.stopwords else None,
            stemmer=stemmer,
            return_ids=False,
            show_progress=False,
        )

    return tok


class Bm25:
    """A bm25s index over docs or passages, scoring every unit for a query (as the product does)."""

    def __init__(self, ds: Dataset, cfg: Bm25Cfg):
        import bm25s

        self.cfg, self.tok = cfg, _tokenizer(cfg)
        if cfg.unit == "doc":
            texts = [
                " ".join([ds.coll.corpus[d]["title"]] * cfg.title_repeat) + "\n" + ds.coll.corpus[d]["text"]
                for d in ds.doc_ids
            ]
        else:  # chunk texts already start with the title line; extra copies go before it
            texts = [
                (ds.coll.corpus[ds.doc_ids[d]]["title"] + "\n") * (cfg.title_repeat - 1) + t
                for d, t in zip(ds.psg_doc, ds.psg_texts, strict=True)
            ]
        self.units = len(texts)
        self.doc_tokens = self.tok(texts)
        self.model = bm25s.BM25(k1=cfg.k1, b=cfg.b, method=cfg.method)
        self.model.index(self.doc_tokens, show_progress=False)
        self.vocab = self.model.vocab_dict
        self._term_cache: dict[str, np.ndarray] = {}

    def scores(self, query: str) -> np.ndarray:
        toks = [t for t in self.tok([query])[0] if t in self.vocab]
        return self.model.get_scores(toks) if toks else np.zeros(self.units, dtype=np.float32)

    def term_scores(self, term: str) -> np.ndarray:
        if term not in self._term_cache:
            self._term_cache[term] = self.model.get_scores([term])
        return self._term_cache[term]

    def rm3(
        self, query: str, first: np.ndarray, fb_docs: int = 10, fb_terms: int = 10, orig_w: float = 0.5
    ) -> np.ndarray:
        """RM3 pseudo-relevance feedback (Lavrenko & Croft; Anserini defaults 10/10/0.5)."""
        q_toks = [t for t in self.tok([query])[0] if t in self.vocab]
        if not q_toks:
            return first
        top = np.argpartition(-first, fb_docs)[:fb_docs]
        w = first[top].astype(np.float64)
        w = w / w.sum() if w.sum() > 0 else np.full(len(top), 1 / len(top))
        rel: dict[str, float] = {}
        for i, wd in zip(top, w, strict=True):
            toks = self.doc_tokens[i]
            if not toks:
                continue
            inc = wd / len(toks)
            for t in toks:
                rel[t] = rel.get(t, 0.0) + inc
        exp = sorted(rel.items(), key=lambda kv: -kv[1])[:fb_terms]
        z = sum(v for _, v in exp) or 1.0
        weights: dict[str, float] = {}
        for t in q_toks:
            weights[t] = weights.get(t, 0.0) + orig_w / len(q_toks)
        for t, v in exp:
            weights[t] = weights.get(t, 0.0) + (1 - orig_w) * v / z
        out = np.zeros(self.units, dtype=np.float64)
        for t, wt in weights.items():
            out += wt * self.term_scores(t)
        return out


# ----- data -----------------------------------------------------------------------------------


class Dataset:
    def __init__(self, name: str):
        self.name = name
        self.coll = beir_cache.collection(name)
        self.doc_ids, self.doc_vecs = beir_cache.doc_vectors(self.coll)
        self.doc_index = {d: i for i, d in enumerate(self.doc_ids)}
        qids_all, qvecs_all = beir_cache.query_vectors(name)
        pos = {q: i for i, q in enumerate(qids_all)}
        self.qids = list(self.coll.queries)
        self.qtexts = [self.coll.queries[q] for q in self.qids]
        self.qvecs = qvecs_all[[pos[q] for q in self.qids]]
        # "passages" are the product's own chunks (core Chunker, 256 tokens: the size rounds 1 and 2
        # were measured at; quality_units.py compares sizes), title prefixed
        psg_doc, self.psg_texts = beir_cache.product_chunks(self.coll, ROUND12_TOKENS)
        self.psg_doc = np.array([self.doc_index[d] for d in psg_doc])
        self.psg_vecs = None
        if (beir_cache.CACHE / f"{name}.chunk.npy").exists():
            self.psg_vecs = beir_cache.chunk_vectors(self.coll, ROUND12_TOKENS)[1]
        # passages are emitted doc by doc, so each doc's passages are one contiguous block
        self.psg_starts = np.flatnonzero(np.r_[True, self.psg_doc[1:] != self.psg_doc[:-1]])
        assert len(self.psg_starts) == len(self.doc_ids)
        self._bm25: dict[str, Bm25] = {}

    def bm25(self, cfg: Bm25Cfg) -> Bm25:
        key = repr(cfg)
        if key not in self._bm25:
            self._bm25[key] = Bm25(self, cfg)
        return self._bm25[key]

    def max_passage(self, psg_scores: np.ndarray) -> np.ndarray:
        """Passage score matrix (Q x P) -> document score matrix (Q x D) by the maximum."""
        return np.maximum.reduceat(psg_scores, self.psg_starts, axis=1)


# ----- runs -----------------------------------------------------------------------------------


def topn(row: np.ndarray, n: int) -> dict[int, float]:
    n = min(n, len(row))
    idx = np.argpartition(-row, n - 1)[:n]
    return dict(zip(idx.tolist(), row[idx].tolist(), strict=True))


def run_from_matrix(ds: Dataset, mat: np.ndarray) -> dict[str, dict[str, float]]:
    return {q: {ds.doc_ids[i]: s for i, s in topn(mat[qi], CUT).items()} for qi, q in enumerate(ds.qids)}


def fused_run(
    ds: Dataset, mats: list[np.ndarray], *, depth: int, exact: bool = False, **kw
) -> dict[str, dict[str, float]]:
    """Top ``depth`` of each matrix row -> fusion.fuse -> top 100 documents.

    ``exact``: every candidate gets its real score from every retriever (both are computed
    exhaustively anyway), instead of the list's floor when it fell outside that list's depth.
    """
    run = {}
    for qi, q in enumerate(ds.qids):
        lists = [topn(m[qi], depth) for m in mats]
        if exact:
            union = set().union(*lists)
            lists = [{i: float(m[qi, i]) for i in union} for m in mats]
        fused = fusion.fuse(lists, **kw)
        run[q] = {ds.doc_ids[i]: s for i, s in fusion.top(fused, CUT)}
    return run


def chunk_fused_run(
    ds: Dataset, pmats: list[np.ndarray], *, depth: int, exact: bool = False, **kw
) -> dict[str, dict[str, float]]:
    """Product-shaped hybrid: fuse at chunk level (top ``depth`` chunks each), then max to documents."""
    run = {}
    for qi, q in enumerate(ds.qids):
        lists = [topn(m[qi], depth) for m in pmats]
        if exact:
            union = set().union(*lists)
            lists = [{i: float(m[qi, i]) for i in union} for m in pmats]
        fused = fusion.fuse(lists, **kw)
        docs = fusion.collapse(fused.items(), lambda p: int(ds.psg_doc[p]))
        run[q] = {ds.doc_ids[i]: s for i, s in fusion.top(docs, CUT)}
    return run


# ----- variants -------------------------------------------------------------------------------


def variants(ds: Dataset) -> dict[str, Callable[[], dict[str, dict[str, float]]]]:
    Q = ds.qvecs
    dense = Q @ ds.doc_vecs.T
    cache: dict[str, np.ndarray] = {}

    def bm(cfg: Bm25Cfg | None = None) -> np.ndarray:
        cfg = cfg or Bm25Cfg()
        key = repr(cfg)
        if key not in cache:
            b = ds.bm25(cfg)
            mat = np.vstack([b.scores(t) for t in ds.qtexts]).astype(np.float64)
            cache[key] = ds.max_passage(mat) if cfg.unit == "psg" else mat
        return cache[key]

    def rm3(cfg: Bm25Cfg | None = None, **kw) -> np.ndarray:
        cfg = cfg or Bm25Cfg()
        key = "rm3" + repr(cfg) + repr(kw)
        if key not in cache:
            b, base = ds.bm25(cfg), bm(cfg)
            cache[key] = np.vstack([b.rm3(t, base[i], **kw) for i, t in enumerate(ds.qtexts)])
        return cache[key]

    def psg_dense() -> np.ndarray:
        if "psg" not in cache:
            cache["psg"] = ds.max_passage(Q @ ds.psg_vecs.T)
        return cache["psg"]

    def rocchio(first: np.ndarray, fb: int = 5, beta: float = 0.5) -> np.ndarray:
        """Dense Rocchio PRF: q' = q + beta * mean(top-fb doc vectors), re-scored over all docs."""
        top = np.argsort(-first, axis=1)[:, :fb]
        q2 = Q + beta * ds.doc_vecs[top].mean(axis=1)
        q2 /= np.linalg.norm(q2, axis=1, keepdims=True)
        return q2 @ ds.doc_vecs.T

    anserini = Bm25Cfg(k1=0.9, b=0.4)
    v: dict[str, Callable] = {
        "bm25 (k1=1.5 b=0.75, stem, stop)": lambda: run_from_matrix(ds, bm()),
        "bm25 k1=0.9 b=0.4": lambda: run_from_matrix(ds, bm(anserini)),
        "bm25 k1=1.2 b=0.75": lambda: run_from_matrix(ds, bm(Bm25Cfg(k1=1.2))),
        "bm25 no stemming": lambda: run_from_matrix(ds, bm(Bm25Cfg(stem=False))),
        "bm25 no stopwords": lambda: run_from_matrix(ds, bm(Bm25Cfg(stopwords=False))),
        "bm25 title x2": lambda: run_from_matrix(ds, bm(Bm25Cfg(title_repeat=2))),
        "bm25 chunks, max": lambda: run_from_matrix(ds, bm(Bm25Cfg(unit="psg"))),
        "bm25 + RM3 (10 docs, 10 terms, 0.5)": lambda: run_from_matrix(ds, rm3()),
        "dense doc (title + text)": lambda: run_from_matrix(ds, dense),
        "dense Rocchio (5 docs, 0.5)": lambda: run_from_matrix(ds, rocchio(dense)),
        "rrf k=60 depth 100": lambda: fused_run(ds, [dense, bm()], depth=100, method="rrf", rrf_k=60),
        "rrf k=60 depth 1000": lambda: fused_run(ds, [dense, bm()], depth=1000, method="rrf", rrf_k=60),
        "rrf k=10 depth 1000": lambda: fused_run(ds, [dense, bm()], depth=1000, method="rrf", rrf_k=10),
        "rrf k=20 depth 1000": lambda: fused_run(ds, [dense, bm()], depth=1000, method="rrf", rrf_k=20),
        "rrf k=100 depth 1000": lambda: fused_run(ds, [dense, bm()], depth=1000, method="rrf", rrf_k=100),
    }
    for method in ("minmax", "zscore", "dbsf"):
        for depth in (100, 1000):
            v[f"{method} 0.5/0.5 depth {depth}"] = lambda method=method, depth=depth: fused_run(
                ds, [dense, bm()], depth=depth, method=method
            )
        for wd in (0.3, 0.4, 0.6, 0.7):
            v[f"{method} dense {wd} depth 100"] = lambda method=method, wd=wd: fused_run(
                ds, [dense, bm()], depth=100, method=method, weights=[wd, 1 - wd]
            )
        v[f"{method} 0.5/0.5 depth 100 exact"] = lambda method=method: fused_run(
            ds, [dense, bm()], depth=100, method=method, exact=True
        )
    for method in ("minmax", "zscore"):
        v[f"{method} depth 1000 exact"] = lambda method=method: fused_run(
            ds, [dense, bm()], depth=1000, method=method, exact=True
        )
        v[f"{method} all docs (exact)"] = lambda method=method: fused_run(
            ds, [dense, bm()], depth=len(ds.doc_ids), method=method
        )
        v[f"{method} title x2 depth 100 exact"] = lambda method=method: fused_run(
            ds, [dense, bm(Bm25Cfg(title_repeat=2))], depth=100, method=method, exact=True
        )
    v["rrf k=60 depth 100 exact"] = lambda: fused_run(ds, [dense, bm()], depth=100, method="rrf", exact=True)
    v["rrf k=60, bm25 k1=0.9 b=0.4"] = lambda: fused_run(ds, [dense, bm(anserini)], depth=100, method="rrf")
    v["minmax, bm25 k1=0.9 b=0.4"] = lambda: fused_run(ds, [dense, bm(anserini)], depth=100, method="minmax")
    v["minmax, bm25 title x2"] = lambda: fused_run(
        ds, [dense, bm(Bm25Cfg(title_repeat=2))], depth=100, method="minmax"
    )
    v["minmax, bm25+RM3"] = lambda: fused_run(ds, [dense, rm3()], depth=100, method="minmax")
    v["minmax, dense Rocchio(dense)"] = lambda: fused_run(
        ds, [rocchio(dense), bm()], depth=100, method="minmax"
    )

    def hybrid_rocchio(method: str = "minmax", fb: int = 5, beta: float = 0.5):
        first = np.zeros_like(dense)
        r = fused_run(ds, [dense, bm()], depth=100, method=method)
        for qi, q in enumerate(ds.qids):
            for d, s in r[q].items():
                first[qi, ds.doc_index[d]] = s + 1.0
        return fused_run(ds, [rocchio(first, fb, beta), bm()], depth=100, method=method)

    v["minmax + Rocchio from hybrid (5, 0.5)"] = lambda: hybrid_rocchio()
    v["minmax + Rocchio from hybrid (3, 1.0)"] = lambda: hybrid_rocchio(fb=3, beta=1.0)
    if ds.psg_vecs is not None:
        pd = psg_dense
        v["dense chunks, max"] = lambda: run_from_matrix(ds, pd())
        v["dense doc+chunks max"] = lambda: run_from_matrix(ds, np.maximum(dense, pd()))
        v["dense doc+chunks mean"] = lambda: run_from_matrix(ds, (dense + pd()) / 2)
        v["minmax, dense chunks"] = lambda: fused_run(ds, [pd(), bm()], depth=100, method="minmax")
        v["minmax, dense doc+chunk mean"] = lambda: fused_run(
            ds, [(dense + pd()) / 2, bm()], depth=100, method="minmax"
        )
        v["minmax 3-way doc, chunk, bm25"] = lambda: fused_run(
            ds, [dense, pd(), bm()], depth=100, method="minmax", weights=[0.25, 0.25, 0.5]
        )
        v["rrf, dense chunks"] = lambda: fused_run(ds, [pd(), bm()], depth=100, method="rrf")
        v["minmax, dense chunks + bm25 chunks"] = lambda: fused_run(
            ds, [pd(), bm(Bm25Cfg(unit="psg"))], depth=100, method="minmax"
        )

        chunk_cache: dict[str, np.ndarray] = {}

        def chunk_level(method: str, depth: int = 100, title_repeat: int = 1, **kw):
            if title_repeat > 1:
                b = ds.bm25(Bm25Cfg(unit="psg", title_repeat=title_repeat))
                B2 = np.vstack([b.scores(t) for t in ds.qtexts]).astype(np.float64)
                chunk_level(method, 1)  # fills P
                return chunk_fused_run(ds, [chunk_cache["P"], B2], depth=depth, method=method, **kw)
            if "P" not in chunk_cache:
                chunk_cache["P"] = Q @ ds.psg_vecs.T
                b = ds.bm25(Bm25Cfg(unit="psg"))
                chunk_cache["B"] = np.vstack([b.scores(t) for t in ds.qtexts]).astype(np.float64)
            return chunk_fused_run(ds, [chunk_cache["P"], chunk_cache["B"]], depth=depth, method=method, **kw)

        for method in ("rrf", "minmax", "zscore", "dbsf"):
            v[f"chunk-level {method} depth 100, then max (product)"] = lambda method=method: chunk_level(
                method
            )
        for method in ("minmax", "zscore"):
            v[f"chunk-level {method} depth 300, then max (product)"] = lambda method=method: chunk_level(
                method, 300
            )
            for wd in (0.4, 0.6):
                v[f"chunk-level {method} dense {wd} depth 100 (product)"] = lambda method=method, wd=wd: (
                    chunk_level(method, weights=[wd, 1 - wd])
                )
        for method in ("minmax", "zscore"):
            for depth in (100, 300):
                v[f"chunk-level {method} depth {depth} exact (product + fill-in)"] = (
                    lambda method=method, depth=depth: chunk_level(method, depth, exact=True)
                )

        def chunk_prf(fb: int, beta: float, depth: int = 300):
            """Hybrid Rocchio at chunk level: q' = q + beta * mean(top-fb fused chunk vectors), re-fused."""
            chunk_level("minmax")  # fills the chunk score matrices
            P, B = chunk_cache["P"], chunk_cache["B"]
            run = {}
            for qi, q in enumerate(ds.qids):
                first = fusion.fuse([topn(P[qi], depth), topn(B[qi], depth)], method="minmax")
                fbk = [i for i, _ in fusion.top(first, fb)]
                q2 = Q[qi] + beta * ds.psg_vecs[fbk].mean(axis=0)
                q2 /= np.linalg.norm(q2)
                fused = fusion.fuse([topn(ds.psg_vecs @ q2, depth), topn(B[qi], depth)], method="minmax")
                docs = fusion.collapse(fused.items(), lambda p: int(ds.psg_doc[p]))
                run[q] = {ds.doc_ids[i]: sc for i, sc in fusion.top(docs, CUT)}
            return run

        v["chunk-level minmax d300 + hybrid Rocchio (3, 1.0) (product + PRF)"] = lambda: chunk_prf(3, 1.0)
        v["chunk-level minmax d300 + hybrid Rocchio (5, 0.5) (product + PRF)"] = lambda: chunk_prf(5, 0.5)
        v["chunk-level minmax depth 300, bm25 title x2 (product + title)"] = lambda: chunk_level(
            "minmax", 300, title_repeat=2
        )
        v["chunk-level rrf k=20 depth 100 (product)"] = lambda: chunk_level("rrf", rrf_k=20)

        # --- document evidence in fusion (fusion.fuse_grouped): passage runs max-pooled to
        # documents and fused there, blended with the passage-level fusion by doc_weight ---
        def grouped(
            doc_weight: float,
            depth: int = 300,
            method: str = "minmax",
            pool: str = "max",
            fill: str = "",
            prf: tuple[int, float] | None = None,
            bm25_doc: bool = False,
            dedup: bool = False,
            bm25_floor: str = "list",
            prf_per_doc: bool = False,
        ):
            """Product-shaped: top ``depth`` chunks per retriever, fused with document evidence.

            pool: "max" (fusion.fuse_grouped) or "top2" (mean of a doc's two best chunks in a list).
            fill: "" none; "dense" every candidate chunk gets its exact dense score; "dense-docs"
                every chunk of every candidate document gets its exact dense score.
            prf: (chunks, beta) hybrid Rocchio from the top fused chunks, then fused again.
            bm25_doc: BM25 over whole documents (not what the product indexes): each chunk of the
                top ``depth`` documents carries its document's BM25 score.
            dedup: as the product's ingest, index identical chunk texts once (NFCorpus has 40
                pairs of identical documents) and credit a found document's identical twin at
                its score, as ``study eval`` does; the bench otherwise keeps both copies.
            bm25_floor: "zero": chunks matching no query term are dropped from the BM25 list, and a
                list shorter than ``depth`` gets the known floor 0 (the product); "list": dropped,
                and a missing chunk gets the list's lowest score (the product before this change).
                (The older rows keep zero-score chunks in the list, which is about "zero".)
            """
            chunk_level("minmax")  # fills the chunk score matrices
            P, B = chunk_cache["P"], chunk_cache["B"]
            grp = ds.psg_doc.__getitem__
            BD = bm() if bm25_doc else None
            if dedup:
                first: dict[str, int] = {}
                for i, t in enumerate(ds.psg_texts):
                    first.setdefault(t, i)
                dup = np.ones(len(ds.psg_texts), dtype=bool)
                dup[list(first.values())] = False
                P = np.where(dup, -np.inf, P)
                B = np.where(dup, -np.inf, B)
                twins = ds.coll.duplicates()
            ends = np.r_[ds.psg_starts[1:], len(ds.psg_doc)]

            def dense_list(prow: np.ndarray, blist: dict[int, float]) -> dict[int, float]:
                d = topn(prow, depth)
                if fill == "dense":
                    d = {i: float(prow[i]) for i in set(d) | set(blist)}
                elif fill == "dense-docs":
                    docs = {int(ds.psg_doc[i]) for i in set(d) | set(blist)}
                    rows = [r for doc in docs for r in range(ds.psg_starts[doc], ends[doc])]
                    d = {r: float(prow[r]) for r in rows}
                return d

            def fuse(d: dict[int, float], b: dict[int, float]) -> dict[int, float]:
                if dedup:  # product-shaped BM25 list: only matching chunks, known floor when short
                    floor = 0.0 if bm25_floor == "zero" and len(b) < depth else None
                    return fusion.fuse_grouped(
                        [d, b], grp, doc_weight=doc_weight, method=method, floors=[None, floor]
                    )
                if method.startswith("tmm"):  # theoretical min-max (Bruch et al.): bm25 >= 0, cos >= lo
                    lo = float(method[3:] or -1)
                    dm, bm = max(d.values(), default=1.0), max(b.values(), default=0.0) or 1.0
                    d = {i: (x - lo) / (dm - lo) for i, x in d.items()}
                    b = {i: x / bm for i, x in b.items()}
                    # a missing id gets the list's lowest normalised score, as in minmax
                    u = set(d) | set(b)
                    d0, b0 = min(d.values(), default=0.0), min(b.values(), default=0.0)
                    d = {i: d.get(i, d0) for i in u}
                    b = {i: b.get(i, b0) for i in u}
                    runs_ = [d, b]
                    passages = {i: 0.5 * d[i] + 0.5 * b[i] for i in u}
                    docs_ = [fusion.collapse(r.items(), grp) for r in runs_]
                    dd = {g: 0.5 * docs_[0][g] + 0.5 * docs_[1][g] for g in docs_[0]}
                    keep = max(1.0 - doc_weight, 1e-6)
                    return {p: keep * sc + doc_weight * dd[int(grp(p))] for p, sc in passages.items()}
                if pool == "bm25sum":  # dense max-pooled, BM25 summed over a document's chunks
                    passages = fusion.fuse([d, b], method=method)
                    bsum: dict[int, float] = {}
                    for i, sc in b.items():
                        bsum[int(grp(i))] = bsum.get(int(grp(i)), 0.0) + sc
                    docs = fusion.fuse([fusion.collapse(d.items(), grp), bsum], method=method)
                    keep = max(1.0 - doc_weight, 1e-6)
                    return {p: keep * sc + doc_weight * docs[int(grp(p))] for p, sc in passages.items()}
                if pool == "max":
                    return fusion.fuse_grouped([d, b], grp, doc_weight=doc_weight, method=method)
                passages = fusion.fuse([d, b], method=method)
                pooled = []
                for run in (d, b):
                    by: dict[int, list[float]] = {}
                    for i, sc in run.items():
                        by.setdefault(int(grp(i)), []).append(sc)
                    pooled.append({g: float(np.mean(sorted(x)[-2:])) for g, x in by.items()})
                docs = fusion.fuse(pooled, method=method)
                keep = max(1.0 - doc_weight, 1e-6)
                return {p: keep * sc + doc_weight * docs[int(grp(p))] for p, sc in passages.items()}

            run = {}
            for qi, q in enumerate(ds.qids):
                if bm25_doc:
                    docb = topn(BD[qi], depth)
                    b = {r: sc for doc, sc in docb.items() for r in range(ds.psg_starts[doc], ends[doc])}
                else:
                    b = topn(B[qi], depth)
                if dedup:
                    b = {i: sc for i, sc in b.items() if sc > 0 and np.isfinite(sc)}
                fused = fuse(dense_list(P[qi], b), b)
                if prf:
                    if prf_per_doc:  # the best chunk of each of the top documents
                        seen: dict[int, int] = {}
                        for i, _ in fusion.top(fused, 50):
                            seen.setdefault(int(grp(i)), i)
                        fbk = list(seen.values())[: prf[0]]
                    else:
                        fbk = [i for i, _ in fusion.top(fused, prf[0])]
                    q2 = fusion.rocchio(Q[qi], ds.psg_vecs[fbk], prf[1])
                    fused = fuse(dense_list(ds.psg_vecs @ q2, b), b)
                docs = fusion.collapse(fused.items(), lambda p: int(ds.psg_doc[p]))
                found = {ds.doc_ids[i]: sc for i, sc in docs.items()}
                if dedup:
                    for doc_id, sc in list(found.items()):
                        for twin in twins.get(doc_id, ()):
                            found.setdefault(twin, sc)
                run[q] = dict(fusion.top(found, CUT))
            return run

        # product-shaped (dedup, BM25 list of matching chunks only): "(product)" is the default
        # settings at that document weight; "zero floor" is fusion_bm25_zero_floor=true
        for dw in (0.0, 0.5, 1.0):
            v[f"dedup dw={dw} d300 + PRF (3, 1.0) (product)"] = lambda dw=dw: grouped(
                dw, prf=(3, 1.0), dedup=True
            )
            v[f"dedup dw={dw} d300 (product)"] = lambda dw=dw: grouped(dw, dedup=True)
            v[f"dedup dw={dw} d300 + PRF (3, 1.0), bm25 zero floor"] = lambda dw=dw: grouped(
                dw, prf=(3, 1.0), dedup=True, bm25_floor="zero"
            )
            v[f"dedup dw={dw} d300, bm25 zero floor"] = lambda dw=dw: grouped(
                dw, dedup=True, bm25_floor="zero"
            )
        for dw in (0.0, 0.5):
            v[f"dedup dw={dw} d300 + PRF (best chunk of top 3 docs, 1.0)"] = lambda dw=dw: grouped(
                dw, prf=(3, 1.0), dedup=True, prf_per_doc=True
            )
        v["dedup dw=0.5 d300 + PRF (2, 1.0)"] = lambda: grouped(0.5, prf=(2, 1.0), dedup=True)
        for dw in (0.5, 1.0):
            v[f"doc-evidence minmax dw={dw} d300"] = lambda dw=dw: grouped(dw)
            v[f"doc-evidence minmax dw={dw} d300 + PRF (3, 1.0)"] = lambda dw=dw: grouped(dw, prf=(3, 1.0))
        v["doc-evidence minmax dw=0.25 d300"] = lambda: grouped(0.25)
        v["doc-evidence minmax dw=0.75 d300"] = lambda: grouped(0.75)
        v["doc-evidence minmax dw=1.0 d100"] = lambda: grouped(1.0, 100)
        v["doc-evidence minmax dw=1.0 d1000"] = lambda: grouped(1.0, 1000)
        v["doc-evidence zscore dw=1.0 d300"] = lambda: grouped(1.0, method="zscore")
        v["doc-evidence rrf dw=1.0 d300"] = lambda: grouped(1.0, method="rrf")
        v["doc-evidence minmax dw=1.0 d300 top2-mean pool"] = lambda: grouped(1.0, pool="top2")
        v["doc-evidence minmax dw=0.5 d300 top2-mean pool"] = lambda: grouped(0.5, pool="top2")
        v["doc-evidence minmax dw=1.0 d300 dense fill"] = lambda: grouped(1.0, fill="dense")
        v["doc-evidence minmax dw=1.0 d300 dense fill docs"] = lambda: grouped(1.0, fill="dense-docs")
        v["doc-evidence minmax dw=0.5 d300 dense fill docs"] = lambda: grouped(0.5, fill="dense-docs")
        for lo in ("-1", "0"):
            v[f"doc-evidence tmm(cos>={lo}) dw=0.5 d300"] = lambda lo=lo: grouped(0.5, method="tmm" + lo)
            v[f"doc-evidence tmm(cos>={lo}) dw=0.5 d300 + PRF (3, 1.0)"] = lambda lo=lo: grouped(
                0.5, method="tmm" + lo, prf=(3, 1.0)
            )
        for dw in (0.0, 0.25, 0.75):
            v[f"doc-evidence minmax dw={dw} d300 + PRF (3, 1.0)"] = lambda dw=dw: grouped(dw, prf=(3, 1.0))
        v["doc-evidence dw=0.5 d300 bm25 sum-pool + PRF (3, 1.0)"] = lambda: grouped(
            0.5, pool="bm25sum", prf=(3, 1.0)
        )
        for dw in (0.5, 1.0):
            v[f"doc-evidence dw={dw} d300, whole-doc bm25 (not product)"] = lambda dw=dw: grouped(
                dw, bm25_doc=True
            )
            v[f"doc-evidence dw={dw} d300, whole-doc bm25 + PRF (3, 1.0) (not product)"] = lambda dw=dw: (
                grouped(dw, bm25_doc=True, prf=(3, 1.0))
            )
        v["doc-evidence minmax dw=0.5 d300 + PRF (5, 0.5)"] = lambda: grouped(0.5, prf=(5, 0.5))
        v["doc-evidence minmax dw=0.5 d1000 + PRF (3, 1.0)"] = lambda: grouped(0.5, 1000, prf=(3, 1.0))
        v["doc-evidence zscore dw=0.5 d300 + PRF (3, 1.0)"] = lambda: grouped(
            0.5, method="zscore", prf=(3, 1.0)
        )
        v["doc-evidence minmax dw=1.0 d300 dense fill docs + PRF (3, 1.0)"] = lambda: grouped(
            1.0, fill="dense-docs", prf=(3, 1.0)
        )
        v["doc-evidence minmax dw=0.5 d300 dense fill docs + PRF (3, 1.0)"] = lambda: grouped(
            0.5, fill="dense-docs", prf=(3, 1.0)
        )
    return v


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", help="regex: run only matching variant names")
    ap.add_argument("--table", action="store_true", help="only print the table of stored results")
    ap.add_argument("--datasets", default=",".join(beir_cache.SPLITS))
    ap.add_argument("--json", type=Path, default=beir_cache.CACHE / "quality.json")
    args = ap.parse_args()
    results: dict[str, dict[str, dict[str, float]]] = {}
    if args.json.exists():
        results = json.loads(args.json.read_text())
    names: list[str] = list(results) if args.table else []
    for name in [] if args.table else args.datasets.split(","):
        ds = Dataset(name)
        for vname, make in variants(ds).items():
            if args.only and not re.search(args.only, vname):
                continue
            t0 = time.perf_counter()
            m = score_run(ds.coll.qrels, make())
            results.setdefault(vname, {})[name] = m
            if vname not in names:
                names.append(vname)
            print(
                f"{name:9} {vname:45} ndcg@10={m['ndcg@10']:.4f} r@100={m['recall@100']:.4f} "
                f"mrr@10={m['mrr@10']:.4f} ({time.perf_counter() - t0:.0f}s)",
                file=sys.stderr,
                flush=True,
            )
        args.json.write_text(json.dumps(results, indent=1))
    print("| variant | SciFact nDCG@10 | R@100 | MRR@10 | NFCorpus nDCG@10 | R@100 | MRR@10 |")
    print("|---|---|---|---|---|---|---|")
    for vname in names:
        r = results[vname]
        cells = []
        for ds_name in beir_cache.SPLITS:
            m = r.get(ds_name, {})
            cells += [f"{m.get(k, float('nan')):.4f}" for k in ("ndcg@10", "recall@100", "mrr@10")]
        print(f"| {vname} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
