"""Ingest speed: throughput against raw ``model.encode``, re-ingest cost, and query latency.

On the first ``--docs`` SciFact abstracts (JSONL files in ``--rounds`` subfolders), with one model
instance loaded up front and shared by both sides so that only the pipeline differs:

1. in each round, a subfolder is added: raw ``SentenceTransformer.encode`` of exactly the chunk
   texts that round's ingest embeds (one call), and the ingest itself (scan, read, clean, chunk,
   embed, rebuild FAISS + BM25, atomic commit). Rounds alternate which side runs first, so load
   changes on the shared machine hit both alike; throughput = chunks / summed time of each side;
2. re-ingest with nothing changed, then after changing one file;
3. query latency through ``KnowledgeBase.search`` (ONNX query encoder) on SciFact queries.

    .venv/bin/python bench/ingest_speed.py [--docs 800] [--rounds 4] [--queries 200]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from study_tracker.config import Settings  # noqa: E402
from study_tracker.knowledge.embed.base import resolve_model  # noqa: E402
from study_tracker.knowledge.embed.torch import TorchEncoder
from study_tracker.knowledge.index.catalog import connect_catalog  # noqa: E402
from study_tracker.knowledge.index.store import KnowledgeStore  # noqa: E402
from study_tracker.knowledge.ingest.pipeline import ingest_paths  # noqa: E402
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase  # noqa: E402

DATA = Path("/work/shared/bench-data/scifact")


def write_corpus(src: Path, folder: Path, n_docs: int, rounds: int, files_per_round: int = 5) -> list[Path]:
    """SciFact abstracts as JSONL: ``rounds`` subfolders of ``files_per_round`` files each."""
    docs = []
    with src.open() as f:
        for line in f:
            docs.append(json.loads(line))
            if len(docs) >= n_docs:
                break
    n_files = rounds * files_per_round
    files = []
    for i in range(n_files):
        p = folder / f"round{i // files_per_round}" / f"part{i:02d}.jsonl"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("".join(json.dumps(d) + "\n" for d in docs[i::n_files]))
        files.append(p)
    return files


class Constant:
    """Stands in for the model in the probe ingest that only lists the texts to embed."""

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def encode(self, texts):
        v = np.zeros((len(texts), self.dim), dtype=np.float32)
        v[:, 0] = 1
        return v


def texts_per_round(corpus: Path, tmp: Path, rounds: int, dim: int) -> list[list[str]]:
    probe = Settings(data_dir=tmp / "probe", index_on_start=False)
    ingest_paths([corpus], settings=probe, encoder=Constant(dim))
    gen = KnowledgeStore(probe.knowledge_path).require_current()
    db = connect_catalog(gen.catalog_path, readonly=True)
    texts: list[list[str]] = [[] for _ in range(rounds)]
    for text, path in db.execute(
        "SELECT c.index_text, f.path FROM chunks c JOIN documents d ON d.id = c.document "
        "JOIN files f ON f.id = d.file_id WHERE c.row IS NOT NULL ORDER BY c.row"
    ):
        texts[int(Path(path).parent.name.removeprefix("round"))].append(text)
    db.close()
    return texts


def percentile(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * q))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=800)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ingest-bench-"))
    corpus = tmp / "corpus"
    files = write_corpus(args.data / "corpus.jsonl", corpus, args.docs, args.rounds)
    s = Settings(data_dir=tmp / "data", index_on_start=False)
    info = resolve_model(s.embedding_model)

    t = time.perf_counter()
    enc = TorchEncoder(info, batch_size=s.knowledge_embed_batch_size)
    enc.encode(["warm up"])
    load_s = time.perf_counter() - t
    texts = texts_per_round(corpus, tmp, args.rounds, info.dim)

    raw_s = ingest_s = 0.0
    report = None
    for r in range(args.rounds):
        roots = [corpus / f"round{i}" for i in range(r + 1)]
        t = time.perf_counter()
        if r % 2 == 0:
            enc.encode(texts[r])
            t_mid = time.perf_counter()
            report = ingest_paths(roots, settings=s, encoder=enc)
            raw_r, ingest_r = t_mid - t, time.perf_counter() - t_mid
        else:
            report = ingest_paths(roots, settings=s, encoder=enc)
            t_mid = time.perf_counter()
            enc.encode(texts[r])
            ingest_r, raw_r = t_mid - t, time.perf_counter() - t_mid
        assert report.embedded == len(texts[r]), (report.embedded, len(texts[r]))
        print(f"round {r}: {len(texts[r])} chunks, raw encode {raw_r:.1f} s, ingest {ingest_r:.1f} s")
        raw_s += raw_r
        ingest_s += ingest_r
    n = sum(len(t) for t in texts)
    roots = [corpus / f"round{i}" for i in range(args.rounds)]

    t = time.perf_counter()
    again = ingest_paths(roots, settings=s, encoder=enc)
    again_s = time.perf_counter() - t
    with files[0].open("a") as f:
        f.write(
            json.dumps({"_id": "bench-new", "title": "A new abstract", "text": "Added for the bench."}) + "\n"
        )
    t = time.perf_counter()
    changed = ingest_paths(roots, settings=s, encoder=enc)
    changed_s = time.perf_counter() - t

    print(
        f"corpus: {args.docs} SciFact abstracts, {len(files)} JSONL files, {n} chunks, {args.rounds} rounds"
    )
    print(f"model load + first encode: {load_s:.1f} s (not counted below)")
    print(f"raw encode: {raw_s:.1f} s -> {n / raw_s:.1f} chunks/s")
    print(
        f"ingest: {ingest_s:.1f} s -> {n / ingest_s:.1f} chunks/s = {raw_s / ingest_s:.1%} of raw encode "
        f"(last round: {', '.join(f'{k} {v:.2f}s' for k, v in report.timings.items())})"
    )
    print(
        f"re-ingest, nothing changed: {again_s:.3f} s (the ingests above: {ingest_s:.1f} s), embedded {again.embedded}"
    )
    print(
        f"re-ingest, 1 of {len(files)} files changed: {changed_s:.2f} s, embedded {changed.embedded}, "
        f"{changed.embedded_from_cache} from cache"
    )

    queries = []
    with (args.data / "queries.jsonl").open() as f:
        for line in f:
            queries.append(json.loads(line)["text"])
            if len(queries) >= args.queries:
                break
    kb = KnowledgeBase.open(s)
    t = time.perf_counter()
    kb.warm_up()
    print(f"search warm-up (load index, ONNX session; export if missing): {time.perf_counter() - t:.1f} s")
    encoder = kb.encoder()
    lat = []
    for q in queries:
        t = time.perf_counter()
        encoder.encode([q])
        lat.append((time.perf_counter() - t) * 1000)
    print(f"ONNX query encode: p50 {statistics.median(lat):.2f} ms, p95 {percentile(lat, 0.95):.2f} ms")
    for mode in ("bm25", "dense", "hybrid"):
        lat = []
        for q in queries:
            t = time.perf_counter()
            kb.search(q, mode=mode, k=10)
            lat.append((time.perf_counter() - t) * 1000)
        print(
            f"search {mode:<6} k=10 over {changed.chunks_indexed} chunks: p50 {statistics.median(lat):.2f} ms, "
            f"p95 {percentile(lat, 0.95):.2f} ms"
        )


if __name__ == "__main__":
    main()
