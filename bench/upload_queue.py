"""Peak memory of the whole process tree (server + ingest workers) while 20 uploads are queued,
one of them a decompression bomb (32 KB of zstd that inflates to 1 GiB).

    .venv/bin/python bench/upload_queue.py [--uploads 20] [--interval 0.2]

Starts `study serve` on a fresh data folder, sends the uploads as fast as it can over real HTTP
(`POST /api/sources/upload`, one file each), samples the resident memory of the server and all
its descendants every ``--interval`` seconds until every job has finished, and prints the peak,
the most ingest processes alive at once, and what became of the bomb. The query encoder export is
skipped (`STUDY_KNOWLEDGE_QUERY_BACKEND=torch`): the bench is about the queue, not the export.
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil
import zstandard
from served import serve

MB = 1 << 20


def bomb() -> bytes:
    buf = io.BytesIO()
    with zstandard.ZstdCompressor(level=3).stream_writer(buf, closefd=False) as w:
        zeros = bytes(MB)
        for _ in range(1024):
            w.write(zeros)
    return buf.getvalue()


class TreeSampler(threading.Thread):
    """Samples the summed RSS of this process's children and their descendants."""

    def __init__(self, interval: float) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.peak_rss = 0
        self.peak_workers = 0
        self.stop = threading.Event()

    def run(self) -> None:
        me = psutil.Process(os.getpid())
        while not self.stop.is_set():
            rss, workers = 0, 0
            for p in me.children(recursive=True):
                try:
                    rss += p.memory_info().rss
                    if "jobs.runner" in " ".join(p.cmdline()):
                        workers += 1
                except psutil.Error:
                    continue
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_workers = max(self.peak_workers, workers)
            self.stop.wait(self.interval)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--uploads", type=int, default=20)
    ap.add_argument("--interval", type=float, default=0.2)
    args = ap.parse_args()
    payload = bomb()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        env = {"STUDY_INDEX_ON_START": "false", "STUDY_KNOWLEDGE_QUERY_BACKEND": "torch"}
        with serve(data, timeout=300, **env) as url, httpx.Client(base_url=url, timeout=300) as client:
            sampler = TreeSampler(args.interval)
            sampler.start()
            started = time.perf_counter()
            ids = []
            for i in range(args.uploads):
                if i == args.uploads // 2:
                    name, body = "dump.json.zst", payload
                else:
                    name = f"note{i}.md"
                    body = f"# Note {i}\n\nQueue fact number {i}: one worker runs the jobs.\n".encode()
                r = client.post("/api/sources/upload", files=[("files", (name, body))])
                r.raise_for_status()
                ids.append(r.json()["id"])
            sent = time.perf_counter() - started
            states: dict[str, dict] = {}  # type: ignore[type-arg]
            while True:
                states = {i: client.get(f"/api/sources/jobs/{i}").json() for i in ids}
                if all(s["state"] in ("done", "failed") for s in states.values()):
                    break
                time.sleep(1)
            took = time.perf_counter() - started
            sampler.stop.set()
            sampler.join()
            for p in psutil.Process(os.getpid()).children(recursive=True):
                if "jobs.runner" in " ".join(p.cmdline()):
                    p.terminate()
        left = sorted(p.name for p in (data / "uploads").iterdir() if p.is_file())
    pids = {s["pid"] for s in states.values()}
    failed = [s for s in states.values() if s["state"] == "failed"]
    skipped = [why for s in states.values() if s["report"] for path, why in s["report"]["skipped"]]
    print(
        f"uploads: {args.uploads} (one a {len(payload) / 1024:.0f} KB zstd bomb of 1 GiB), sent in {sent:.1f} s"
    )
    print(
        f"all jobs finished after {took:.1f} s; failed: {len(failed)}; processes that ran jobs: {len(pids)}"
    )
    print(f"peak RSS, server + workers: {sampler.peak_rss / MB:.0f} MB")
    print(f"most ingest workers alive at once: {sampler.peak_workers}")
    print(f"bomb: {next((w for w in skipped if 'decompress' in w), 'NOT SKIPPED')}")
    print(f"uploads kept: {len(left)} ({'no bomb' if 'dump.json.zst' not in left else 'BOMB KEPT'})")


if __name__ == "__main__":
    main()
