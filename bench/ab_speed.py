"""Query latency of two source trees of the product, side by side on one index (a code change's cost).

    .venv/bin/python bench/ab_speed.py --a /tmp/before/src --b src [--sections 20000] [--queries 400] \\
        [--query-encoder onnx|hash] [--work bench/.cache/ab20k]

1. Writes a ``corpus_gen.py`` corpus of ``--sections`` Markdown sections (about one chunk each) and
   ingests it with tree B's ``ingest_paths`` and bag-of-words vectors (``HashEncoder``: hashed
   words, no model), so the index is built in a minute or two and is the same for both trees.
2. Starts one worker process per tree (``PYTHONPATH`` = that tree's ``src``), each with a warm
   ``KnowledgeBase`` over the index, and sends every query to both, alternating which goes first, so
   load on the shared machine hits both alike. Each worker times its own calls:
   ``search`` (hybrid, k=10) and ``answer`` (``answer_question``: extractive, ``ask_min_score``
   -1 so every question gets a full answer).
3. Prints p50/p95 per call and tree, and the ratio B/A.

``--query-encoder onnx`` embeds queries with the real MiniLM ONNX encoder (realistic cost; the
vectors do not match the index's bag-of-words ones, which changes what is found, not the work
done); ``hash`` uses the bag-of-words encoder, which leaves only the engine's own work.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import corpus_gen  # noqa: E402
import speed  # noqa: E402


class HashEncoder:
    """Hashed bag-of-words vectors, L2-normalised (as the tests' ``WordHashEncoder``)."""

    dim = 384

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in re.findall(r"\w+", t.lower()):
                out[i, zlib.crc32(w.encode()) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms


def _settings(work: Path):
    from study_tracker.config import Settings

    return Settings(data_dir=work, knowledge_dir=work / "knowledge", index_on_start=False, ask_min_score=-1.0)


def worker(work: Path, query_encoder: str) -> None:
    """Serve timed calls over stdin/stdout: one JSON request per line, one JSON reply per line."""
    import study_tracker
    from study_tracker.knowledge.answer.flow import answer_question
    from study_tracker.knowledge.search.knowledge_base import KnowledgeBase

    s = _settings(work)
    kb = KnowledgeBase.open(s, encoder=HashEncoder() if query_encoder == "hash" else None)
    kb.warm_up()
    for q in ("warm up the caches", "gradient descent learning rate"):
        kb.search(q, mode="hybrid", k=10)
        answer_question(kb, q, settings=s)
    print(json.dumps({"ready": study_tracker.__file__, "meta": kb.stats()["dense"]}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        t0 = time.perf_counter()
        if req["op"] == "search":
            kb.search(req["q"], mode="hybrid", k=10)
        else:
            answer_question(kb, req["q"], settings=s)
        print(json.dumps({"ms": (time.perf_counter() - t0) * 1000}), flush=True)


def build(work: Path, sections: int) -> None:
    """Write the corpus, index it, and export the ONNX query encoder (once, before the workers)."""
    from study_tracker.knowledge.ingest.pipeline import ingest_paths
    from study_tracker.knowledge.search.knowledge_base import KnowledgeBase

    corpus = work / "corpus"
    if not corpus.exists():
        corpus_gen.write_corpus(corpus, sections, per_file=50)
    t0 = time.perf_counter()
    report = ingest_paths([corpus], settings=_settings(work), encoder=HashEncoder())
    print(
        f"index: {report.chunks_indexed:,} chunks ({report.chunks_total:,} before dedup), "
        f"{'up to date' if report.up_to_date else 'built'} in {time.perf_counter() - t0:.0f}s"
    )
    KnowledgeBase.open(_settings(work)).warm_up()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--a", type=Path, required=True, help="src folder of tree A (before)")
    ap.add_argument("--b", type=Path, required=True, help="src folder of tree B (after)")
    ap.add_argument("--work", type=Path, default=speed.CACHE / "ab20k")
    ap.add_argument("--sections", type=int, default=20_000)
    ap.add_argument("--queries", type=int, default=400)
    ap.add_argument("--query-encoder", choices=("onnx", "hash"), default="onnx")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    work = args.work.resolve()
    if args.worker:
        worker(work, args.query_encoder)
        return
    trees = {"A": args.a.resolve(), "B": args.b.resolve()}
    env_b = os.environ | {"PYTHONPATH": str(trees["B"])}
    # The index is built by tree B in its own process, so this process never imports either tree.
    subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; sys.path.insert(0, {str(HERE)!r}); import ab_speed; "
            f"ab_speed.build(__import__('pathlib').Path({str(work)!r}), {args.sections})",
        ],
        env=env_b,
        check=True,
    )
    procs = {}
    for name, src in trees.items():
        procs[name] = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--worker",
                "--work",
                str(work),
                "--query-encoder",
                args.query_encoder,
                "--a",
                str(trees["A"]),
                "--b",
                str(trees["B"]),
            ],
            env=os.environ | {"PYTHONPATH": str(src)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
    try:
        for name, p in procs.items():
            assert p.stdout is not None
            ready = json.loads(p.stdout.readline())
            print(f"{name}: {ready['ready']} ({ready['meta']['type']} index)")

        def call(name: str, op: str, q: str) -> float:
            p = procs[name]
            assert p.stdin is not None and p.stdout is not None
            p.stdin.write(json.dumps({"op": op, "q": q}) + "\n")
            p.stdin.flush()
            return json.loads(p.stdout.readline())["ms"]

        qs = speed.questions(args.queries)
        times: dict[tuple[str, str], list[float]] = {}
        for op in ("search", "answer"):
            for i, q in enumerate(qs):
                for name in ("A", "B") if i % 2 == 0 else ("B", "A"):
                    times.setdefault((op, name), []).append(call(name, op, q))
    finally:
        for p in procs.values():
            if p.stdin is not None:
                p.stdin.close()
            p.wait(60)
    print(
        f"{len(qs)} queries per call, query encoder {args.query_encoder}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print("| call | A p50 ms | B p50 ms | B/A p50 | A p95 ms | B p95 ms | B/A p95 |")
    print("|---|---|---|---|---|---|---|")
    for op in ("search", "answer"):
        a50, a95 = np.percentile(times[(op, "A")], [50, 95])
        b50, b95 = np.percentile(times[(op, "B")], [50, 95])
        print(f"| {op} | {a50:.2f} | {b50:.2f} | {b50 / a50:.2f} | {a95:.2f} | {b95:.2f} | {b95 / a95:.2f} |")


if __name__ == "__main__":
    main()
