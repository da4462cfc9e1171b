"""Split-half check of a tuning choice: each variant's nDCG@10 on two fixed halves of the queries.

    .venv/bin/python bench/quality_halves.py --only 'doc-evidence minmax dw=[0-9.]+ d300 \\+ PRF \\(3'

Queries are split by the parity of crc32(query id), a split that knows nothing of the results. A
setting chosen on half A is trustworthy when it is also at (or near) the top on half B, and on
the other collection.
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import beir_cache  # noqa: E402
import quality  # noqa: E402


def per_query_ndcg(qrels: dict, run: dict) -> dict[str, float]:
    from ranx import Qrels, Run, evaluate

    full = {q: (run.get(q) or {"__none__": 0.0}) for q in qrels}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="unsafe cast from uint64 to int64")
        scores = evaluate(Qrels(qrels), Run(full), "ndcg@10", return_mean=False)
    return dict(zip(Qrels(qrels).keys(), np.asarray(scores).tolist(), strict=True))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", required=True, help="regex over quality.py variant names")
    args = ap.parse_args()
    rows: dict[str, list[str]] = {}
    for name in beir_cache.SPLITS:
        ds = quality.Dataset(name)
        for vname, make in quality.variants(ds).items():
            if not re.search(args.only, vname):
                continue
            pq = per_query_ndcg(ds.coll.qrels, make())
            halves = [[s for q, s in pq.items() if zlib.crc32(q.encode()) % 2 == h] for h in (0, 1)]
            cells = [f"{np.mean(x):.4f} ({len(x)})" for x in halves]
            rows.setdefault(vname, []).extend(cells)
            print(f"{name:9} {vname:60} A={cells[0]} B={cells[1]}", file=sys.stderr, flush=True)
    print("| variant | SciFact A | SciFact B | NFCorpus A | NFCorpus B |")
    print("|---|---|---|---|---|")
    for vname, cells in rows.items():
        print(f"| {vname} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
