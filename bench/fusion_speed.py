"""Cost of one fusion setting against another on the same index, side by side in one process.

    .venv/bin/python bench/fusion_speed.py --work bench/.cache/speed100k --queries 400 \\
        --a fusion_section_weight=0 --b fusion_section_weight=0.5

Two ``KnowledgeBase`` objects over the same index (``speed.py`` builds it) differ only in the
given settings; each query runs on both, in alternating order, so machine load (a shared 2-core
box) hits both alike. Prints p50/p95/p99 of the whole ``search`` call (query embedding with the
ONNX encoder + dense + BM25 + fusion + feedback + fetch) and the ratio b/a.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import speed  # noqa: E402


def parse(pairs: list[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for p in pairs:
        key, _, value = p.partition("=")
        out[key] = value
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=speed.CACHE / "speed100k")
    ap.add_argument("--queries", type=int, default=400)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--a", nargs="*", default=["fusion_section_weight=0"])
    ap.add_argument("--b", nargs="*", default=["fusion_section_weight=0.5"])
    args = ap.parse_args()

    from study_tracker.config import Settings
    from study_tracker.knowledge.search.knowledge_base import KnowledgeBase

    work = args.work.resolve()
    base = {"data_dir": work, "knowledge_dir": work / "knowledge"}
    kbs = {
        name: KnowledgeBase.open(Settings(**base, **parse(pairs)))  # type: ignore[arg-type]
        for name, pairs in (("a", args.a), ("b", args.b))
    }
    encoder = kbs["a"].encoder()
    kbs["b"]._encoder = encoder  # one ONNX session for both: the encoder is not what is compared
    for kb in kbs.values():
        kb.warm_up()
    qs = speed.questions(args.queries)
    times: dict[str, list[float]] = {"a": [], "b": []}
    for i, q in enumerate(qs):
        order = ("a", "b") if i % 2 == 0 else ("b", "a")
        for name in order:
            t0 = time.perf_counter()
            kbs[name].search(q, mode="hybrid", k=args.k)
            times[name].append((time.perf_counter() - t0) * 1000)
    load = os.getloadavg()[0]
    print(f"{len(qs)} queries, hybrid k={args.k}, load average {load:.1f}")
    print("| config | p50 ms | p95 ms | p99 ms |")
    print("|---|---|---|---|")
    pct = {n: np.percentile(t, [50, 95, 99]) for n, t in times.items()}
    for name, pairs in (("a", args.a), ("b", args.b)):
        print(
            f"| {name}: {' '.join(pairs) or 'defaults'} | " + " | ".join(f"{x:.1f}" for x in pct[name]) + " |"
        )
    print("| ratio b/a | " + " | ".join(f"{x:.2f}" for x in pct["b"] / pct["a"]) + " |")


if __name__ == "__main__":
    main()
