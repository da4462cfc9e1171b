"""``study watch add|list|remove`` as a user runs them (the foreground watcher itself is driven in a
child process by ``tests/knowledge/watch/test_watch_model.py``)."""

from __future__ import annotations

from pathlib import Path

from study_tracker.knowledge.ingest.pipeline import ingest_paths
from study_tracker.knowledge.ingest.sources import list_sources
from tests.cli_helpers import study
from tests.knowledge.kb_helpers import WordHashEncoder, kb_settings


def test_add_list_remove(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "raft.md").write_text("# Raft\n\nLeaders are elected with randomized timeouts.\n")
    data = tmp_path / "data"
    r = study(data, "watch", "list")
    assert r.returncode == 0 and "No watched folders" in r.stdout
    r = study(data, "watch")
    assert r.returncode == 1 and "study watch add PATH" in r.stdout
    r = study(data, "watch", "add", "--no-ingest", str(notes))
    assert r.returncode == 0 and f"Watching {notes}." in r.stdout
    r = study(data, "watch", "add", "--no-ingest", str(notes))
    assert r.returncode == 0 and f"Already watching {notes}." in r.stdout
    r = study(data, "watch", "list")
    assert str(notes) in r.stdout
    ingest_paths([notes], settings=kb_settings(tmp_path), encoder=WordHashEncoder())
    r = study(data, "watch", "remove", "--quiet", str(notes))
    assert r.returncode == 0 and "removed 1 file from the index" in r.stdout
    assert list_sources(kb_settings(tmp_path)) == []
    r = study(data, "watch", "remove", str(notes))
    assert r.returncode == 1 and "is not a watched folder" in r.stderr


def test_refusals_name_the_problem(tmp_path: Path) -> None:
    data = tmp_path / "data"
    r = study(data, "watch", "add", str(tmp_path / "missing"))
    assert r.returncode == 2 and "is not a folder" in r.stderr
    (tmp_path / "file.md").write_text("x")
    r = study(data, "watch", "add", str(tmp_path / "file.md"))
    assert r.returncode == 2 and "is not a folder" in r.stderr


def test_help(tmp_path: Path) -> None:
    for args in (("watch", "--help"), ("watch", "add", "--help"), ("watch", "remove", "--help")):
        r = study(tmp_path / "data", *args)
        assert r.returncode == 0 and "Usage" in r.stdout
