"""Import time of a large generated roadmap: parse vs database, median of several runs.

    .venv/bin/python bench/roadmap_import.py [--lines 2000] [--runs 7]
    .venv/bin/python bench/roadmap_import.py --served-mb 10

``--served-mb N`` instead imports an N MB roadmap through a running `study serve`
(`POST /api/roadmaps`) while another client keeps asking for `GET /`, and prints the import time
and the latency of those page loads (p50/p99/max): the server must keep answering meanwhile.

The document mixes every construct the importer reads: dated phases, bullet subtopics, project
sections with Objective/Steps/Deliverables, nested checklists, resource links and tables, and
code fences. Each run imports into a fresh SQLite file (create), then re-imports an edited copy
(update in place), so both paths are timed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import psutil
from served import pct, serve

from study_tracker.config import Settings
from study_tracker.db.engine import session_scope
from study_tracker.roadmaps import service
from study_tracker.roadmaps.parse import parse_roadmap
from study_tracker.tracker.startup import prepare


def generate(lines: int) -> str:
    out = ["# Generated roadmap", "", "A long plan to time the importer.", ""]
    phase = 0
    while len(out) < lines:
        phase += 1
        out += [f"## Phase {phase}: Topic area {phase} (Weeks {2 * phase - 1}-{2 * phase})", ""]
        out += [f"- Subtopic {phase}.{i} about attention and transformers" for i in range(1, 7)] + [""]
        out += [f"- [ ] Exercise {phase}.{i}" for i in range(1, 4)]
        out += [f"  - [x] Part {phase}.{i}" for i in range(1, 3)] + [""]
        out += [
            f"### Project {phase}: Build thing {phase}",
            "",
            f"**Objective:** make thing {phase} work.",
            "",
        ]
        out += ["**Steps:**", ""] + [f"1. Step {i} of project {phase}" for i in range(1, 5)] + [""]
        out += ["**Deliverables:**", "", "- A repository", "- A write-up", ""]
        out += ["```python", "# not a heading", "- [ ] not a task", "```", ""]
        out += ["### Resources", ""] + [
            f"- [Link {phase}.{i}](https://example.org/{phase}/{i})" for i in range(1, 4)
        ]
        out += [
            "",
            "| Name | Link |",
            "|---|---|",
            f"| Paper {phase} | [pdf](https://example.org/p{phase}) |",
            "",
        ]
    return "\n".join(out[:lines]) + "\n"


def served_import(megabytes: float) -> None:
    """Import a ``megabytes`` roadmap over HTTP while timing concurrent ``GET /``."""
    text = generate(40)
    per_line = len(text) / 40
    text = generate(int(megabytes * 1024 * 1024 / per_line))
    body = text.encode()
    env = {"STUDY_INDEX_ON_START": "false", "STUDY_ROADMAP_MAX_MB": str(len(body) / 1024 / 1024 + 1)}
    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp), timeout=300, **env) as url:
        result: dict[str, object] = {}

        def upload() -> None:
            t = time.perf_counter()
            with httpx.Client(base_url=url, timeout=3600) as c:
                r = c.post("/api/roadmaps", files={"file": ("big.md", body)})
            result.update(status=r.status_code, seconds=time.perf_counter() - t, json=r.json())

        latencies, idle = [], []
        with httpx.Client(base_url=url, timeout=120) as client:
            client.get("/")  # warm
            for _ in range(60):  # the same page with no import running: the machine's own baseline
                t = time.perf_counter()
                client.get("/").raise_for_status()
                idle.append((time.perf_counter() - t) * 1000)
                time.sleep(0.05)
            worker = threading.Thread(target=upload)
            worker.start()
            while worker.is_alive():
                t = time.perf_counter()
                client.get("/").raise_for_status()
                if worker.is_alive():
                    latencies.append((time.perf_counter() - t) * 1000)
                time.sleep(0.05)
            worker.join()
        for p in psutil.Process(os.getpid()).children(recursive=True):
            if "jobs.runner" in " ".join(p.cmdline()):
                p.terminate()  # the roadmap's copy was queued for the knowledge base: not timed here
    counts = result["json"].get("counts") if isinstance(result["json"], dict) else None  # type: ignore[union-attr]
    print(
        f"document: {len(body) / 1024 / 1024:.1f} MB; import answered {result['status']} in {result['seconds']:.1f} s"
    )
    print(f"items: {counts}")
    print(
        f"GET / with no import (baseline): {len(idle)} requests, p50 {pct(idle, 50):.0f} ms, "
        f"p99 {pct(idle, 99):.0f} ms, max {max(idle):.0f} ms"
    )
    print(
        f"GET / during the import: {len(latencies)} requests, p50 {pct(latencies, 50):.0f} ms, "
        f"p99 {pct(latencies, 99):.0f} ms, max {max(latencies):.0f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lines", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--served-mb", type=float, default=0, help="import this many MB through `study serve`")
    args = ap.parse_args()
    if args.served_mb:
        served_import(args.served_mb)
        return
    text = generate(args.lines)
    edited = text.replace("(Weeks 3-4)", "(Weeks 3-5)").replace(
        "- A write-up\n", "- A write-up\n- A demo\n", 3
    )
    now = datetime(2026, 11, 22, 9, tzinfo=UTC)
    parse_s, create_s, update_s = [], [], []
    counts = {}
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(data_dir=Path(tmp), timezone="UTC", index_on_start=False)
            prepare(settings)
            t0 = time.perf_counter()
            parsed = parse_roadmap(text)
            t1 = time.perf_counter()
            with session_scope(settings.db_url) as s:
                result = service.import_roadmap(
                    session=s,
                    text=text,
                    source_name="big.md",
                    start_date=date(2026, 1, 5),
                    slug=None,
                    now=now,
                    zone=UTC,
                    parsed=parsed,
                )
            t2 = time.perf_counter()
            with session_scope(settings.db_url) as s:
                service.import_roadmap(
                    session=s,
                    text=edited,
                    source_name="big.md",
                    start_date=None,
                    slug=None,
                    now=now,
                    zone=UTC,
                )
            t3 = time.perf_counter()
            parse_s.append(t1 - t0)
            create_s.append(t2 - t1)
            update_s.append(t3 - t2)
            counts = result.counts
    print(f"document: {args.lines} lines, {len(text) / 1024:.0f} KB; items: {counts}")
    print(f"runs: {args.runs} (median / max, seconds)")
    for label, values in (("parse", parse_s), ("db create", create_s), ("re-import (parse+db)", update_s)):
        print(f"  {label:22s} {statistics.median(values):.3f} / {max(values):.3f}")
    total = [p + c for p, c in zip(parse_s, create_s, strict=True)]
    print(f"  {'import total':22s} {statistics.median(total):.3f} / {max(total):.3f}")


if __name__ == "__main__":
    main()
