"""``study watch`` as a user runs it, with the packaged model and a real index: search follows
created, edited, renamed and deleted files within a bounded time; a SIGKILL in the middle of a
re-index leaves the previous index live, and the next run catches up from the embedding cache."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from study_tracker.config import Settings
from study_tracker.knowledge.index.store import KnowledgeStore
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase
from study_tracker.knowledge.watch.folders import add_watched
from tests.knowledge.ingest.test_kill import cached
from tests.knowledge.kb_helpers import kb_settings

pytestmark = pytest.mark.model

# Seconds from a save to search seeing it. Measured at about 1-3 s (bench/watch_latency.py); the
# bound is generous because the machine running the tests may be busy with other work.
FOLLOW_S = 90.0


class Watch:
    """``python -m study_tracker watch --quiet`` in a child process, its output read line by line."""

    def __init__(self, settings: Settings) -> None:
        env = {
            **os.environ,
            "STUDY_DATA_DIR": str(settings.data_dir),
            "STUDY_INDEX_ON_START": "false",
            "STUDY_KNOWLEDGE_WATCH_QUIET_MS": "200",
            "COLUMNS": "400",
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "study_tracker", "watch", "--quiet"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def line(self, pattern: str, timeout: float = FOLLOW_S) -> str:
        """The next output line matching ``pattern`` (earlier ones are kept in ``seen``)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"no line matching {pattern!r} in {timeout} s; output: {self.seen}"
            try:
                line = self.lines.get(timeout=min(left, 1.0))
            except queue.Empty:
                assert self.proc.poll() is None, f"study watch exited: {self.seen}"
                continue
            self.seen.append(line)
            if re.search(pattern, line):
                return line

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(60)


def wait_for(what: str, check: Callable[[], bool], timeout: float = FOLLOW_S) -> float:
    t0 = time.monotonic()
    while not check():
        assert time.monotonic() - t0 < timeout, f"search did not follow {what} within {timeout} s"
        time.sleep(0.1)
    return time.monotonic() - t0


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "raft.md").write_text("# Raft\n\nA leader is elected with randomized election timeouts.\n")
    return folder


@pytest.fixture
def watching(tmp_path: Path, notes: Path) -> Iterator[tuple[Watch, KnowledgeBase]]:
    s = kb_settings(tmp_path)
    add_watched(s, str(notes))
    w = Watch(s)
    try:
        w.line(r"notes: 1 new")  # the catch-up at start indexes the folder
        yield w, KnowledgeBase.open(s)
    finally:
        w.stop()


def sources(kb: KnowledgeBase, query: str, mode: str = "bm25") -> list[str]:
    return [h.source for h in kb.search(query, mode=mode, k=3)]


def test_search_follows_created_edited_renamed_and_deleted_files(
    watching: tuple[Watch, KnowledgeBase], notes: Path
) -> None:
    w, kb = watching
    raft = str(notes / "raft.md")
    assert sources(kb, "how is a leader chosen", mode="hybrid")[0] == raft

    kafka = notes / "kafka.md"
    kafka.write_text("# Kafka\n\nMessages keep their order only within one partition.\n")
    wait_for("a new file", lambda: sources(kb, "order within one partition") == [str(kafka)])
    assert sources(kb, "message ordering guarantees", mode="hybrid")[0] == str(kafka)
    w.line(r"notes: 1 new, 0 changed, 0 removed; 1 new chunk, 1 embedded, 0 from the cache")

    # An editor's save: vim's write test and swap file come and go beside the real write.
    (notes / "4913").write_text("")
    (notes / ".kafka.md.swp").write_text("swap")
    kafka.write_text(
        "# Kafka\n\nMessages keep their order only within one partition.\n\n"
        "## Consumer groups\n\nEach partition is read by one consumer of a group.\n"
    )
    (notes / "4913").unlink()
    wait_for("an edit", lambda: sources(kb, "consumer of a group") == [str(kafka)])
    # The unchanged passage comes from the cache: only the new section is embedded.
    edit = w.line(r"notes: 0 new, 1 changed")
    assert "1 embedded" in edit and "4913" not in " ".join(w.seen)

    queues = notes / "queues.md"
    kafka.rename(queues)
    wait_for("a rename", lambda: sources(kb, "consumer of a group") == [str(queues)])
    assert "0 embedded" in w.line(r"notes: 1 new, 0 changed, 1 removed")

    queues.unlink()
    wait_for("a deletion", lambda: sources(kb, "consumer of a group") == [])
    assert sources(kb, "randomized election timeouts") == [raft]
    assert w.stop() == 0  # Ctrl-C stops it cleanly
    w.line(r"^Stopped watching\.$", 30)


def test_sigkill_during_a_watched_reindex_keeps_the_index_and_the_next_run_catches_up(
    tmp_path: Path, notes: Path
) -> None:
    s = kb_settings(tmp_path)
    add_watched(s, str(notes))
    store = KnowledgeStore(s.knowledge_path)
    w = Watch(s)
    try:
        w.line(r"notes: 1 new")
        live = store.pointer()
        base = cached(store.cache_path)
        big = notes / "big"
        big.mkdir()
        n_sections = 600
        for f in range(20):
            sections = "\n\n".join(
                f"## Topic {f}-{i}\n\nNote {f * 100 + i}: the quokka{f * 100 + i} index tracks item {i}."
                for i in range(n_sections // 20)
            )
            (big / f"notes{f:02d}.md").write_text(f"# Notes {f}\n\n{sections}\n")
        deadline = time.monotonic() + 300
        while cached(store.cache_path) - base < 256:  # the re-index has committed its first vectors
            assert w.proc.poll() is None and time.monotonic() < deadline, w.seen
            time.sleep(0.05)
        os.kill(w.proc.pid, signal.SIGKILL)
        assert w.proc.wait(60) == -signal.SIGKILL
    finally:
        w.stop()
    done_before_kill = cached(store.cache_path) - base
    assert 256 <= done_before_kill < n_sections

    # The previous generation is still live and answers; nothing of the killed run shows.
    assert store.pointer() == live
    kb = KnowledgeBase.open(s)
    assert sources(kb, "randomized election timeouts", mode="hybrid") == [str(notes / "raft.md")]
    assert sources(kb, "quokka1205") == []

    # The next run catches up at start, embedding only what the killed run had not.
    w = Watch(s)
    try:
        line = w.line(r"notes: 20 new", timeout=300)
        embedded = int(re.search(r"(\d+) embedded", line).group(1))  # type: ignore[union-attr]
        from_cache = int(re.search(r"(\d+) from the cache", line).group(1))  # type: ignore[union-attr]
        assert from_cache >= done_before_kill and embedded + from_cache == n_sections
        assert sources(kb, "quokka1205") == [str(big / "notes12.md")]
        assert sources(kb, "randomized election timeouts") == [str(notes / "raft.md")]
    finally:
        w.stop()
