"""Query latency and server memory with a 100,000-chunk knowledge base.

    .venv/bin/python bench/speed.py [--chunks 100000] [--work bench/.cache/speed] [--queries 600]

1. Writes a realistic Markdown corpus (``bench/corpus_gen.py``: recombined real sentences,
   Zipf pseudo-words) sized so the product's chunker makes about ``--chunks`` chunks.
2. Ingests it with the product's ``ingest_paths``, but with SYNTHETIC VECTORS: embedding 100k
   chunks for real takes over 30 minutes here, so each chunk gets a real MiniLM vector of a
   SciFact/NFCorpus abstract (bench/.cache, from ``beir_cache.py``) plus Gaussian noise (cosine ~0.85
   to its base), L2-normalised and seeded by the text hash. Everything else (chunking, cleaning,
   BM25, FAISS HNSW, store) is the real ingest. The throughput of real embedding is measured by
   the core's ``bench/ingest_speed.py``, not here.
3. Starts a real server (``uvicorn study_tracker.web.app:create_app``) on the index, sends
   real questions (SciFact + NFCorpus queries) to ``/api/search`` one at a time, and reports
   the server-side search time (``took_ms``: query embedding with onnxruntime + dense + BM25 +
   fusion + fetch) as p50/p95/p99 per mode, and the server's resident memory (VmRSS, VmHWM)
   after loading and after the queries.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import corpus_gen  # noqa: E402

HERE = Path(__file__).parent
CACHE = HERE / ".cache"


class SyntheticEncoder:
    """Realistic vectors without the model: a real chunk embedding + noise, seeded by the text."""

    def __init__(self, noise: float = 0.03):
        bases = [np.load(p) for p in sorted(CACHE.glob("*.doc.npy"))]
        if not bases:
            raise SystemExit("Run bench/beir_cache.py first: the synthetic vectors start from real ones.")
        self.bases = np.vstack(bases).astype(np.float32)
        self.dim = self.bases.shape[1]
        self.noise = noise  # per-dimension sd; 0.03 * sqrt(384) ~ 0.59 norm -> cosine ~0.86 to the base

    def encode(self, texts):
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(t.encode(), digest_size=8).digest(), "little")
            rng = np.random.default_rng(seed)
            v = self.bases[seed % len(self.bases)] + rng.normal(0, self.noise, self.dim).astype(np.float32)
            out[i] = v / np.linalg.norm(v)
        return out


def rss_mb(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, val = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(val.split()[0]) / 1024
    return fields


def questions(n: int) -> list[str]:
    qs = []
    for name in ("scifact", "nfcorpus"):
        with (corpus_gen.DATA / name / "queries.jsonl").open() as f:
            qs += [json.loads(line)["text"] for line in f]
    rng = np.random.default_rng(3)
    return [qs[i] for i in rng.permutation(len(qs))[:n]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser(description="Latency and memory at 100k chunks.")
    ap.add_argument("--chunks", type=int, default=100_000)
    ap.add_argument("--work", type=Path, default=CACHE / "speed")
    ap.add_argument("--queries", type=int, default=600)
    ap.add_argument("--skip-ingest", action="store_true", help="reuse the index in --work")
    args = ap.parse_args()

    from study_tracker.config import Settings

    work = args.work.resolve()
    env_dirs = {"STUDY_DATA_DIR": str(work), "STUDY_KNOWLEDGE_DIR": str(work / "knowledge")}
    settings = Settings(data_dir=work, knowledge_dir=work / "knowledge")
    corpus = work / "corpus"
    if not args.skip_ingest:
        from study_tracker.knowledge.ingest.pipeline import ingest_paths

        if not corpus.exists():
            t0 = time.perf_counter()
            files = corpus_gen.write_corpus(corpus, args.chunks, per_file=50)
            print(f"corpus: {args.chunks:,} sections in {files:,} files ({time.perf_counter() - t0:.0f}s)")
        t0 = time.perf_counter()
        report = ingest_paths([corpus], settings=settings, encoder=SyntheticEncoder())
        print(
            f"ingest (synthetic vectors): {report.chunks_total:,} chunks, {report.embedded:,} vectors, "
            f"{time.perf_counter() - t0:.0f}s"
        )

    # Export the ONNX query encoder here, as `study ingest` does on a real machine: the server
    # then never imports torch (an export inside the server would count torch in its memory).
    from study_tracker.knowledge.search.knowledge_base import KnowledgeBase

    KnowledgeBase.open(settings).warm_up()
    port = free_port()
    env = os.environ | env_dirs | {"STUDY_INDEX_ON_START": "false", "STUDY_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "study_tracker.web.app:create_app",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    import httpx

    try:
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)
        for _ in range(600):
            try:
                client.get("/api/search", params={"q": "warm up", "mode": "hybrid"})
                break
            except httpx.TransportError:
                time.sleep(0.2)
        mem_loaded = rss_mb(server.pid)
        print(f"server after load + first query: VmRSS {mem_loaded['VmRSS']:.0f} MB")
        qs = questions(args.queries)
        print(
            f"{len(qs)} queries per mode, one at a time, k=10 (server-side took_ms; HTTP round trip beside)"
        )
        print("| mode | p50 ms | p95 ms | p99 ms | HTTP p50 ms |")
        print("|---|---|---|---|---|")
        for mode in ("hybrid", "dense", "bm25"):
            took, wall = [], []
            for q in qs:
                t0 = time.perf_counter()
                r = client.get("/api/search", params={"q": q, "mode": mode, "k": 10})
                wall.append((time.perf_counter() - t0) * 1000)
                r.raise_for_status()
                took.append(r.json()["took_ms"])
            p = np.percentile(took, [50, 95, 99])
            print(f"| {mode} | {p[0]:.1f} | {p[1]:.1f} | {p[2]:.1f} | {np.percentile(wall, 50):.1f} |")
        mem = rss_mb(server.pid)
        stats = client.get("/api/search", params={"q": "x", "k": 1}).json()
        print(
            f"server after {3 * len(qs)} queries: VmRSS {mem['VmRSS']:.0f} MB, peak VmHWM {mem['VmHWM']:.0f} MB"
        )
        del stats
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
