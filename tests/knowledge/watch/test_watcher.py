"""The folder watcher against a real folder, real inotify events and a real index: created, edited,
renamed and deleted files are followed; temporary files and bursts start no extra ingest.

The encoder is the bag-of-words one (these tests are about the watching); the real model is in
``test_watch_model.py``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from study_tracker.config import Settings
from study_tracker.knowledge.ingest.pipeline import IngestReport, ingest_paths
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase
from study_tracker.knowledge.watch.folders import add_watched, remove_watched
from study_tracker.knowledge.watch.watcher import Batch, FolderWatcher
from tests.knowledge.kb_helpers import WordHashEncoder, kb_settings

DEADLINE_S = 30.0  # generous: the machine running the tests may be busy


class Running:
    """A watcher in a thread, the batches it ran, and a knowledge base to search."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.batches: list[Batch] = []
        self.stop = threading.Event()
        encoder = WordHashEncoder()

        def ingest(roots: list[str]) -> IngestReport:
            return ingest_paths(roots, settings=settings, encoder=encoder)

        self.watcher = FolderWatcher(settings, ingest, on_batch=self.batches.append)
        self.thread = threading.Thread(target=self.watcher.run, args=(self.stop,), daemon=True)
        self.kb = KnowledgeBase.open(settings, encoder=WordHashEncoder())

    def wait(self, what: str, check: Callable[[], bool]) -> float:
        t0 = time.monotonic()
        while not check():
            assert time.monotonic() - t0 < DEADLINE_S, (
                f"timed out waiting for {what}",
                self.thread.is_alive(),
                [(b.reason, b.roots, b.error) for b in self.batches],
            )
            time.sleep(0.05)
        return time.monotonic() - t0

    def sources(self, query: str) -> list[str]:
        return [h.source for h in self.kb.search(query, mode="bm25", k=5)]

    def changes(self) -> list[Batch]:
        return [b for b in self.batches if b.reason == "changes"]

    def follows(self, what: str, change: Callable[[], object], query: str, sources: list[str]) -> Batch:
        """Make ``change``, wait until ``query`` finds ``sources`` and for the batch that made it so
        (the index is live a moment before the watcher records the batch)."""
        n = len(self.changes())
        change()
        self.wait(what, lambda: self.sources(query) == sources)
        self.wait(f"the batch of {what}", lambda: len(self.changes()) > n)
        return self.changes()[-1]


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "raft.md").write_text("# Raft\n\nA leader is elected with randomized election timeouts.\n")
    return folder


@pytest.fixture
def running(tmp_path: Path, notes: Path) -> Iterator[Running]:
    s = kb_settings(tmp_path, knowledge_watch_quiet_ms=200)
    add_watched(s, str(notes))
    r = Running(s)
    r.thread.start()
    r.wait("the first watch", lambda: r.watcher.ready.is_set() and len(r.batches) == 1)
    yield r
    r.stop.set()
    r.thread.join(10)
    assert not r.thread.is_alive()


def test_catch_up_at_start(running: Running, notes: Path) -> None:
    (start,) = running.batches
    assert start.reason == "start" and start.roots == [str(notes)] and start.error is None
    assert start.report is not None and start.report.files_new == 1
    assert running.sources("randomized election") == [str(notes / "raft.md")]


def test_create_edit_rename_delete(running: Running, notes: Path) -> None:
    kafka = notes / "kafka.md"
    text = "# Kafka\n\nOrdering holds within one partition.\n"
    running.follows("the new file", lambda: kafka.write_text(text), "partition ordering", [str(kafka)])

    text += "\n## Groups\n\nConsumers share a topic.\n"
    edit = running.follows("the edit", lambda: kafka.write_text(text), "consumers share", [str(kafka)]).report
    assert edit is not None and edit.files_changed == 1 and edit.files_unchanged == 1
    # Only the new passage is embedded; the unchanged ones come from the cache.
    assert edit.embedded == 1

    queues = notes / "queues.md"
    rename = running.follows(
        "the rename", lambda: kafka.rename(queues), "consumers share", [str(queues)]
    ).report
    assert rename is not None and rename.embedded == 0  # same text, new name: nothing to embed

    queues.unlink()
    running.wait("the deletion", lambda: running.sources("consumers share") == [])
    assert running.sources("randomized election") == [str(notes / "raft.md")]
    assert all(b.error is None for b in running.batches)


def test_editor_temporary_files_start_no_ingest(running: Running, notes: Path) -> None:
    for name in (".raft.md.swp", "4913", "raft.md~", ".#raft.md", "raft.md.tmp", "image.png"):
        (notes / name).write_text("temporary partition text")
    (notes / ".hidden").mkdir()
    (notes / ".hidden" / "x.md").write_text("# X\n\nhidden partition text\n")
    time.sleep(1.5)  # several quiet periods
    assert running.changes() == []
    (notes / "real.md").write_text("# Real\n\nA real partition note.\n")
    running.wait("the real file", lambda: len(running.changes()) == 1)
    report = running.changes()[0].report
    assert report is not None and report.files_new == 1
    assert running.changes()[0].events == 1


def test_a_burst_is_ingested_once(running: Running, notes: Path) -> None:
    for i in range(20):
        (notes / f"note{i:02d}.md").write_text(f"# Note {i}\n\nburst item zebra{i}\n")
    running.wait("the burst", lambda: running.sources("zebra19") == [str(notes / "note19.md")])
    time.sleep(1.0)  # any late second ingest would show up here
    (batch,) = running.changes()
    assert batch.report is not None and batch.report.files_new == 20 and batch.events >= 20


def test_a_folder_added_or_removed_while_watching(running: Running, tmp_path: Path) -> None:
    papers = tmp_path / "papers"
    papers.mkdir()
    (papers / "bloom.md").write_text("# Bloom\n\nNo false negatives in a bloom filter.\n")
    add_watched(running.settings, str(papers))
    running.wait("the added folder", lambda: running.sources("bloom filter") == [str(papers / "bloom.md")])
    running.wait("its batch", lambda: running.batches[-1].reason == "added")
    (papers / "hash.md").write_text("# Hashing\n\nConsistent hashing moves few keys.\n")
    running.wait("a change in it", lambda: running.sources("consistent hashing") == [str(papers / "hash.md")])

    remove_watched(running.settings, str(papers))
    assert running.sources("bloom filter") == []
    running.wait("the watcher to drop it", lambda: str(papers) not in running.watcher.watching)
    n = len(running.batches)
    (papers / "late.md").write_text("# Late\n\nnot watched any more\n")
    time.sleep(1.0)
    assert len(running.batches) == n and running.sources("watched any more") == []


def test_a_watched_folder_that_vanishes_leaves_the_index(running: Running, notes: Path) -> None:
    for p in notes.iterdir():
        p.unlink()
    notes.rmdir()
    running.wait("the vanished folder", lambda: running.sources("randomized election") == [])
    notes.mkdir()
    (notes / "back.md").write_text("# Back\n\nThe folder came back with a quasar note.\n")
    running.wait("the folder back", lambda: running.sources("quasar") == [str(notes / "back.md")])
