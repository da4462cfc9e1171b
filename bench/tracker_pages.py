"""Tracker speed with three years of history: Today and History through a running server, and
`study today` wall time from a cold start.

    python bench/tracker_pages.py [--requests 300]

Prints medians and p95 per page, and the cold-start time beside a bare `python -c pass` run
measured in the same loop (the machine is shared: compare the ratio, not just the number).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from history_gen import generate  # noqa: E402
from served import pct, serve, server_env  # noqa: E402

END = "2026-11-22"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--cold-runs", type=int, default=15)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="bench-tracker-")) / "data"
    t = time.perf_counter()
    counts = generate(data_dir, years=3, end=__import__("datetime").date.fromisoformat(END))
    print(
        f"generated {counts['completions']} completions + {counts['reviews']} reviews "
        f"= {sum(counts.values())} rows in {time.perf_counter() - t:.1f}s"
    )

    settings = {"STUDY_TODAY": END, "STUDY_TIMEZONE": "UTC", "STUDY_INDEX_ON_START": "false"}
    with serve(data_dir, **settings) as base:
        with httpx.Client(base_url=base, timeout=10) as client:
            pages = [
                "/?group=ml_specialist",
                "/?group=swe",
                "/history?group=ml_specialist",
                "/history?group=swe",
                "/api/today?group=swe",
            ]
            for path in pages:  # warm-up
                for _ in range(10):
                    assert client.get(path).status_code == 200
            timings: dict[str, list[float]] = {p: [] for p in pages}
            for _ in range(args.requests):
                for path in pages:  # interleaved, so load spikes hit every page alike
                    t0 = time.perf_counter()
                    r = client.get(path)
                    timings[path].append((time.perf_counter() - t0) * 1000)
                    assert r.status_code == 200
        print(f"\n{'page':34} {'median ms':>10} {'p95 ms':>8}  ({args.requests} requests each, keep-alive)")
        for path, values in timings.items():
            print(f"{path:34} {statistics.median(values):10.1f} {pct(values, 95):8.1f}")

    # Side by side: the command, a bare interpreter, and the bare import of the libraries the
    # command cannot do without (SQLAlchemy ORM, pydantic-settings, Typer, Rich, PyYAML).
    commands = {
        "study today": [sys.executable, "-m", "study_tracker", "today"],
        "python -c pass": [sys.executable, "-c", "pass"],
        "import of required libraries": [
            sys.executable,
            "-c",
            "import sqlalchemy.orm, pydantic_settings, typer, rich.table, yaml",
        ],
    }
    env = server_env(data_dir, **settings)
    runs: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.cold_runs):
        for name, cmd in commands.items():
            t0 = time.perf_counter()
            subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
            runs[name].append(time.perf_counter() - t0)
    print(f"\ncold start ({args.cold_runs} runs each, interleaved)     median     p95")
    for name, values in runs.items():
        print(f"  {name:40} {statistics.median(values):6.3f}s {pct(values, 95):6.3f}s")


if __name__ == "__main__":
    main()
