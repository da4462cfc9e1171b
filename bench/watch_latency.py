"""Watched folders: seconds from a file save to the passage being searchable.

    python bench/watch_latency.py [--runs 6] [--files 20] [--mode cli|server]

A temporary data folder gets a watched folder of ``--files`` small Markdown notes. Then each run
saves one file (even runs create a new note, odd runs append a section to an existing one), each
with a word no other passage has, and polls a BM25 search in this process (a ``KnowledgeBase``
over the same folder, as the server holds one) every 20 ms until the passage is found.

``--mode cli`` watches with ``study watch`` in a child process (the model stays loaded between
ingests); ``--mode server`` runs the server's watcher (a thread here, each ingest in a child
process of the job runner, as ``study serve`` does). Prints each run and the median, with what
the ingest embedded (unchanged passages come from the cache).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from study_tracker.config import Settings
from study_tracker.errors import IndexNotBuilt
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase
from study_tracker.knowledge.watch.background import WatchThread
from study_tracker.knowledge.watch.folders import add_watched

WORDS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
]


def write_notes(folder: Path, n: int) -> None:
    for i in range(n):
        body = "\n\n".join(
            f"## Part {j}\n\nNote {i} part {j} talks about {WORDS[(i + j) % len(WORDS)]} and caching."
            for j in range(3)
        )
        (folder / f"note{i:03d}.md").write_text(f"# Note {i}\n\n{body}\n")


def save(folder: Path, run: int) -> tuple[str, float]:
    """Save a file with a new word; returns the word and the time the save finished."""
    word = f"zanzibar{run}x{os.getpid()}"
    if run % 2 == 0:
        path = folder / f"new{run:03d}.md"
        path.write_text(f"# New {run}\n\nThe {word} passage was just written.\n")
    else:
        path = folder / "note000.md"
        with path.open("a") as f:
            f.write(f"\n## Added {run}\n\nThe {word} section was appended.\n")
    return word, time.monotonic()


def searchable(kb: KnowledgeBase, word: str, t0: float, timeout: float = 300) -> float:
    while True:
        with contextlib.suppress(IndexNotBuilt):  # before the first index is live
            if kb.search(word, mode="bm25", k=1):
                return time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            raise SystemExit(f"{word} not searchable after {timeout} s")
        time.sleep(0.02)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=6)
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--mode", choices=("cli", "server"), default="cli")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="watch-bench-") as tmp:
        root = Path(tmp)
        folder = root / "notes"
        folder.mkdir()
        write_notes(folder, args.files)
        settings = Settings(data_dir=root / "data", index_on_start=False, knowledge_watch_quiet_ms=200)  # type: ignore[call-arg]
        add_watched(settings, str(folder))
        env = {
            **os.environ,
            "STUDY_DATA_DIR": str(settings.data_dir),
            "STUDY_INDEX_ON_START": "false",
            "STUDY_KNOWLEDGE_WATCH_QUIET_MS": "200",
            "COLUMNS": "300",
            "HF_HUB_OFFLINE": "1",
        }
        log = root / "watch.log"
        child: subprocess.Popen[bytes] | None = None
        thread: WatchThread | None = None
        t_start = time.monotonic()
        if args.mode == "cli":
            with log.open("wb") as out:
                child = subprocess.Popen(
                    [sys.executable, "-m", "study_tracker", "watch", "--quiet"],
                    env=env,
                    stdout=out,
                    stderr=out,
                )
        else:
            thread = WatchThread(settings)
            thread.start()
        kb = KnowledgeBase.open(settings)
        searchable(kb, "caching", t_start)
        print(f"first index of {args.files} notes: {time.monotonic() - t_start:.1f} s (includes model load)")
        # study watch exports the query encoder right after its first index: wait for that too
        while child is not None and "embedded" not in log.read_text():
            time.sleep(0.2)
        time.sleep(1.0)
        seconds = []
        try:
            for run in range(args.runs):
                word, t0 = save(folder, run)
                dt = searchable(kb, word, t0)
                seconds.append(dt)
                print(
                    f"run {run + 1}: {'new file' if run % 2 == 0 else 'edit':8} searchable after {dt:.2f} s"
                )
                time.sleep(0.5)
        finally:
            if child is not None:
                child.send_signal(signal.SIGINT)
                child.wait(60)
            if thread is not None:
                thread.stop()
        print(
            f"mode={args.mode} files={args.files} runs={len(seconds)}: median {statistics.median(seconds):.2f} s, "
            f"min {min(seconds):.2f} s, max {max(seconds):.2f} s (load average {os.getloadavg()[0]:.1f})"
        )
        if child is not None:
            lines = [ln for ln in log.read_text().splitlines() if "embedded" in ln]
            print("what each ingest did (study watch's lines):")
            for ln in lines:
                print("  " + ln)


if __name__ == "__main__":
    main()
