"""Flat (exact) vs HNSW FAISS search: recall@10 and single-query latency at several sizes.

Justifies ``knowledge_hnsw_threshold``: below it, exact search is fast enough that HNSW's
approximate results, build time (every ingest rebuilds the index) and extra memory buy nothing.

Vectors are synthetic but shaped like sentence embeddings: 384-d, L2-normalised, drawn around
2,000 topic centres (real embeddings are clustered, which is what HNSW exploits; uniform random
vectors would understate its recall). Queries come from the same distribution and are not in the
index. Latency is one query per call, single-threaded, as the web server searches (see
``index._single_thread``). Build time uses all threads. Medians of a noisy machine.

    .venv/bin/python bench/hnsw_threshold.py [--sizes 5000,10000,20000,50000,100000] [--queries 300]
"""

from __future__ import annotations

import argparse
import time

import faiss
import numpy as np

DIM = 384


def embeddings(n: int, rng: np.random.Generator, centres: np.ndarray) -> np.ndarray:
    topic = rng.integers(0, len(centres), n)
    v = centres[topic] + rng.standard_normal((n, DIM)).astype(np.float32) * 0.06
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def timed(index, queries: np.ndarray, k: int) -> tuple[np.ndarray, float, float]:
    """Median and p95 latency of one-query searches, single-threaded as the engine runs them."""
    rows = np.empty((len(queries), k), dtype=np.int64)
    lat = []
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    for i, q in enumerate(queries):
        t = time.perf_counter()
        _, r = index.search(q[None, :], k)
        lat.append((time.perf_counter() - t) * 1000)
        rows[i] = r[0]
    faiss.omp_set_num_threads(threads)
    return rows, float(np.median(lat)), float(np.percentile(lat, 95))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="5000,10000,20000,50000,100000")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--m", type=int, default=32)
    ap.add_argument("--ef-construction", type=int, default=80)
    ap.add_argument("--ef-search", default="64,128")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((2000, DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    queries = embeddings(args.queries, rng, centres)
    k = 10
    print(
        f"faiss {faiss.__version__}, {faiss.omp_get_max_threads()} threads, {args.queries} single queries, k={k}"
    )
    print(f"HNSW M={args.m} efConstruction={args.ef_construction}")
    header = f"{'n':>8} {'index':<14} {'build s':>8} {'MB':>7} {'p50 ms':>8} {'p95 ms':>8} {'recall@10':>10}"
    print(header)
    print("-" * len(header))
    for n in [int(x) for x in args.sizes.split(",")]:
        xb = embeddings(n, rng, centres)
        t = time.perf_counter()
        flat = faiss.IndexFlatIP(DIM)
        flat.add(xb)
        flat_build = time.perf_counter() - t
        truth, p50, p95 = timed(flat, queries, k)
        print(
            f"{n:>8} {'flat':<14} {flat_build:>8.2f} {xb.nbytes / 1e6:>7.1f} {p50:>8.3f} {p95:>8.3f} {1.0:>10.3f}"
        )
        t = time.perf_counter()
        hnsw = faiss.IndexHNSWFlat(DIM, args.m, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = args.ef_construction
        hnsw.add(xb)
        build = time.perf_counter() - t
        size = faiss.serialize_index(hnsw).nbytes / 1e6
        for ef in [int(x) for x in args.ef_search.split(",")]:
            hnsw.hnsw.efSearch = ef
            rows, p50, p95 = timed(hnsw, queries, k)
            recall = np.mean([len(set(rows[i]) & set(truth[i])) / k for i in range(len(queries))])
            print(
                f"{n:>8} {'hnsw ef=' + str(ef):<14} {build:>8.2f} {size:>7.1f} {p50:>8.3f} {p95:>8.3f} {recall:>10.3f}"
            )


if __name__ == "__main__":
    main()
