"""Time from `study serve` (what `make run` runs once the venv is installed) to the first page, on a
fresh data folder: migrations, app start, and the background prepare of the knowledge base starting
beside it. Optionally also the time until the bundled guides are indexed and Ask answers.

    python bench/first_page.py [--runs 5] [--until-indexed]

Each run uses a new data folder. A bare `python -c pass` is timed in the same loop (the machine is
shared: compare the ratio, not just the number).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from served import pct, serve  # noqa: E402

STUDY = str(Path(sys.executable).with_name("study"))


def one_run(until_indexed: bool, index_on_start: bool = True) -> tuple[float, float | None]:
    data_dir = Path(tempfile.mkdtemp(prefix="bench-first-page-")) / "data"
    indexed = None
    t0 = time.perf_counter()
    try:
        # The console script `make run` uses, and "/" as the first page a user sees.
        with serve(
            data_dir,
            command=[STUDY],
            ready_path="/",
            poll=0.02,
            HF_HUB_OFFLINE="1",
            STUDY_INDEX_ON_START="true" if index_on_start else "false",
        ) as base:
            first = time.perf_counter() - t0
            if until_indexed:
                deadline = time.monotonic() + 900
                while time.monotonic() < deadline:
                    r = httpx.post(
                        base + "/api/ask", json={"question": "what is consistent hashing?"}, timeout=30
                    )
                    if r.status_code == 200:
                        indexed = time.perf_counter() - t0
                        break
                    time.sleep(1)
    finally:
        shutil.rmtree(data_dir.parent, ignore_errors=True)
    return first, indexed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--until-indexed", action="store_true", help="also wait until Ask answers (slow)")
    args = parser.parse_args()
    firsts, bare, indexed, quiet = [], [], [], []
    for i in range(args.runs):  # interleaved, so load spikes hit every variant alike
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - t)
        quiet.append(one_run(False, index_on_start=False)[0])
        first, ready = one_run(args.until_indexed and i == 0)
        firsts.append(first)
        if ready is not None:
            indexed.append(ready)
        print(f"run {i + 1}: first page {first:.2f} s" + (f", Ask ready {ready:.1f} s" if ready else ""))
    load = os.getloadavg()[0]
    print(f"\nfresh data folder, `study serve` -> first page ({args.runs} runs, load average {load:.1f})")
    print(f"  first page served    median {statistics.median(firsts):.2f} s   p95 {pct(firsts, 95):.2f} s")
    print(
        f"  same, no background indexing (STUDY_INDEX_ON_START=false)   median {statistics.median(quiet):.2f} s"
    )
    print(f"  python -c pass       median {statistics.median(bare):.3f} s")
    if indexed:
        print(f"  Ask answering (guides indexed in the background): {indexed[0]:.1f} s after start")


if __name__ == "__main__":
    main()
