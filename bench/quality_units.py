"""Round 3 of the retrieval-quality bench: which unit each retriever scores.

    .venv/bin/python bench/quality_units.py                       # 256 and 128-token chunks
    .venv/bin/python bench/quality_units.py --chunkings 256/0,128/0,128/64,64/0

Two questions, measured side by side on SciFact train and NFCorpus dev:

- **Chunk size for the dense model.** The product's chunker cuts each document at ``T`` tokens
  (``knowledge_chunk_tokens``, overlap ``O``); each chunking is embedded once with the product's
  model and cached in bench/.cache/<set>.c<T>o<O>.{npy,json} (about 10 minutes per set and size
  here). all-MiniLM-L6-v2 was fine-tuned on sequences of at most 128 tokens.
- **The unit for BM25.** "chunk": a section's BM25 evidence is its best chunk (the round-2
  product); "section": BM25 over the whole section's text, a separate index
  (``fusion_section_bm25``, the product now); "section only": every chunk carries its section's
  BM25 score and chunk-level BM25 is not used at all.

Every row is product-shaped: 300 candidates per retriever, min-max fusion with equal weights,
section weight ``dw``, identical chunk texts indexed once (NFCorpus twins credited as `study eval`
does), with or without the one-step hybrid Rocchio feedback (3 chunks, weight 1.0). For BEIR
records a section is the whole record. Each row also gives nDCG@10 on the two fixed query halves
of ``quality_halves.py`` (crc32 parity), so a choice can be checked on data it was not read from.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import beir_cache  # noqa: E402
from quality import CUT, Bm25, Bm25Cfg, Dataset, topn  # noqa: E402
from quality_halves import per_query_ndcg  # noqa: E402

from study_tracker.knowledge.eval.beir import score_run  # noqa: E402
from study_tracker.knowledge.search import fusion  # noqa: E402

DEPTH = 300


def chunking(ds: Dataset, tokens: int, overlap: int) -> tuple[list[str], list[str], np.ndarray]:
    """(doc id, index text) of each chunk at this size and their vectors, cached in bench/.cache."""
    stem = beir_cache.CACHE / f"{ds.name}.c{tokens}o{overlap}"
    vec_path, text_path = stem.parent / f"{stem.name}.npy", stem.parent / f"{stem.name}.json"
    if vec_path.exists():
        ids, texts = json.loads(text_path.read_text())
        return ids, texts, np.load(vec_path)
    from study_tracker.config import Settings
    from study_tracker.knowledge.documents import Document
    from study_tracker.knowledge.embed.base import resolve_model
    from study_tracker.knowledge.ingest.chunk import Chunker, load_tokenizer

    chunker = Chunker(load_tokenizer(resolve_model(Settings().embedding_model).path), tokens, overlap)
    ids, texts = [], []
    for did, d in ds.coll.corpus.items():
        for c in chunker.chunk(Document(did, d["text"], "json", "beir", title=d["title"])):
            ids.append(did)
            texts.append(c.index_text)
    t0 = time.perf_counter()
    vecs = beir_cache.model().encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    print(
        f"  embedded {ds.name} at {tokens}/{overlap}: {len(texts)} chunks in {time.perf_counter() - t0:.0f}s",
        file=sys.stderr,
        flush=True,
    )
    np.save(vec_path, vecs.astype(np.float32))
    text_path.write_text(json.dumps([ids, texts]))
    return ids, texts, vecs.astype(np.float32)


class Units:
    """One chunking of a dataset: score matrices of dense and chunk BM25, first copies only."""

    def __init__(self, ds: Dataset, tokens: int, overlap: int):
        ids, self.texts, self.vecs = chunking(ds, tokens, overlap)
        self.doc = np.array([ds.doc_index[d] for d in ids])
        self.starts = np.flatnonzero(np.r_[True, self.doc[1:] != self.doc[:-1]])
        self.ends = np.r_[self.starts[1:], len(self.doc)]
        first: dict[str, int] = {}
        for i, t in enumerate(self.texts):
            first.setdefault(t, i)
        self.dup = np.ones(len(self.texts), dtype=bool)
        self.dup[list(first.values())] = False  # ingest indexes identical chunk texts once

        class _Psg:  # what quality.Bm25 reads for passage units
            coll, doc_ids, psg_doc, psg_texts = ds.coll, ds.doc_ids, self.doc, self.texts

        bm = Bm25(_Psg, Bm25Cfg(unit="psg"))
        self.bm25 = np.where(
            self.dup, -np.inf, np.vstack([bm.scores(t) for t in ds.qtexts]).astype(np.float64)
        )
        self.dense = np.where(self.dup, -np.inf, ds.qvecs @ self.vecs.T)


def run(ds: Dataset, u: Units, sections: np.ndarray, *, bm25_unit: str, dw: float, prf: bool) -> dict:
    """Product-shaped hybrid run; ``sections``: BM25 over whole records (queries x docs)."""
    twins = ds.coll.duplicates()
    grp = u.doc.__getitem__
    out = {}
    for qi, q in enumerate(ds.qids):
        b = {i: s for i, s in topn(u.bm25[qi], DEPTH).items() if s > 0 and np.isfinite(s)}
        sec = {d: s for d, s in topn(sections[qi], DEPTH).items() if s > 0}
        spread = None
        if bm25_unit == "section only":
            spread = {r: s for d, s in sec.items() for r in range(u.starts[d], u.ends[d]) if not u.dup[r]}

        def fuse(row: np.ndarray, b=b, sec=sec, spread=spread) -> dict[int, float]:
            d = {i: s for i, s in topn(row, DEPTH).items() if np.isfinite(s)}
            if spread is not None:
                return fusion.fuse_grouped([d, spread], grp, doc_weight=dw)
            group_runs = [None, sec] if bm25_unit == "section" else None
            return fusion.fuse_grouped([d, b], grp, doc_weight=dw, group_runs=group_runs)

        fused = fuse(u.dense[qi])
        if prf:
            fb = [i for i, _ in fusion.top(fused, 3)]
            q2 = fusion.rocchio(ds.qvecs[qi], u.vecs[fb], 1.0)
            fused = fuse(np.where(u.dup, -np.inf, u.vecs @ q2))
        found = {ds.doc_ids[i]: s for i, s in fusion.collapse(fused.items(), grp).items()}
        for doc_id, s in list(found.items()):
            for twin in twins.get(doc_id, ()):
                found.setdefault(twin, s)
        out[q] = dict(fusion.top(found, CUT))
    return out


def dense_only(ds: Dataset, u: Units) -> dict:
    docs = np.maximum.reduceat(np.where(np.isfinite(u.dense), u.dense, -1.0), u.starts, axis=1)
    return {q: {ds.doc_ids[i]: s for i, s in topn(docs[qi], CUT).items()} for qi, q in enumerate(ds.qids)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chunkings", default="256/0,128/0", help="tokens/overlap, comma-separated")
    ap.add_argument("--datasets", default=",".join(beir_cache.SPLITS))
    args = ap.parse_args()
    print("| set | chunks | BM25 unit | dw | PRF | nDCG@10 | R@100 | MRR@10 | half A | half B |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in args.datasets.split(","):
        ds = Dataset(name)
        whole = ds.bm25(Bm25Cfg())  # "title\ntext": the section text the product indexes
        sections = np.vstack([whole.scores(t) for t in ds.qtexts]).astype(np.float64)
        half = {q: zlib.crc32(q.encode()) % 2 for q in ds.coll.qrels}
        for spec in args.chunkings.split(","):
            tokens, overlap = map(int, spec.split("/"))
            u = Units(ds, tokens, overlap)
            rows = [("dense only", None, None, dense_only(ds, u))]
            for unit in ("chunk", "section", "section only"):
                for dw in (0.5, 1.0):
                    for prf in (False, True):
                        rows.append((unit, dw, prf, run(ds, u, sections, bm25_unit=unit, dw=dw, prf=prf)))
            for unit, dw, prf, r in rows:
                m = score_run(ds.coll.qrels, r)
                per = per_query_ndcg(ds.coll.qrels, r)
                halves = [np.mean([v for q, v in per.items() if half[q] == h]) for h in (0, 1)]
                print(
                    f"| {name} | {spec} ({len(u.texts)}) | {unit} | {dw if dw is not None else ''} | "
                    f"{'' if prf is None else ('yes' if prf else 'no')} | {m['ndcg@10']:.4f} | "
                    f"{m['recall@100']:.4f} | {m['mrr@10']:.4f} | {halves[0]:.4f} | {halves[1]:.4f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
