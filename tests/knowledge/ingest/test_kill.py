"""A real SIGKILL in the middle of embedding: the previous index stays live and usable, and the
next run completes the work, finding the vectors the killed run had cached."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from study_tracker.knowledge.index.store import KnowledgeStore
from study_tracker.knowledge.ingest.pipeline import ingest_paths
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase
from tests.knowledge.kb_helpers import kb_settings

pytestmark = pytest.mark.model

N_SECTIONS = 900  # one short chunk each: several commits of 256 vectors, so a kill lands mid-embedding


def cached(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        try:
            return db.execute("SELECT count(*) FROM vectors").fetchone()[0]
        finally:
            db.close()
    except sqlite3.OperationalError:  # the table is not created yet
        return 0


def test_sigkill_mid_ingest_keeps_the_previous_index_and_the_rerun_is_cheaper(tmp_path: Path) -> None:
    s = kb_settings(tmp_path)
    first = tmp_path / "first"
    first.mkdir()
    (first / "raft.md").write_text("# Raft\n\nA leader is elected with randomized election timeouts.\n")
    ingest_paths([first], settings=s)
    store = KnowledgeStore(s.knowledge_path)
    live = store.pointer()
    base = cached(store.cache_path)

    big = tmp_path / "big"
    big.mkdir()
    for f in range(30):
        sections = "\n\n".join(
            f"## Topic {f}-{i}\n\nNote {f * 100 + i}: the quokka{f * 100 + i} index tracks item {i} of file {f}."
            for i in range(N_SECTIONS // 30)
        )
        (big / f"notes{f:02d}.md").write_text(f"# Notes {f}\n\n{sections}\n")

    env = {**os.environ, "STUDY_DATA_DIR": str(s.data_dir), "STUDY_INDEX_ON_START": "false"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "study_tracker", "ingest", "--quiet", str(big), str(first)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 300
    try:
        while cached(store.cache_path) - base < 256:  # the first batch of vectors is committed
            assert proc.poll() is None, f"ingest ended before it could be killed: {proc.stderr.read()!r}"
            assert time.monotonic() < deadline, "ingest never started embedding"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    done_before_kill = cached(store.cache_path) - base
    assert 256 <= done_before_kill < N_SECTIONS

    # The previous index is still live and answers; nothing of the killed run is visible.
    assert store.pointer() == live
    kb = KnowledgeBase.open(s)
    for mode in ("bm25", "hybrid"):
        assert kb.search("randomized election timeouts", mode=mode, k=1)[0].source == str(first / "raft.md")
    assert kb.search("quokka1205", mode="bm25", k=5) == []

    # The next run completes the work and reuses every vector the killed run had cached.
    report = ingest_paths([big, first], settings=s)
    assert report.files_new == 30 and report.skipped == []
    assert report.embedded_from_cache >= done_before_kill
    assert report.embedded == N_SECTIONS - report.embedded_from_cache
    assert report.embedded < N_SECTIONS
    assert store.pointer() != live
    hit = kb.search("quokka1205", mode="bm25", k=1)[0]
    assert hit.source == str(big / "notes12.md") and hit.heading_path == ["Notes 12", "Topic 12-5"]
    assert kb.search("randomized election timeouts", mode="hybrid", k=1)[0].source == str(first / "raft.md")
