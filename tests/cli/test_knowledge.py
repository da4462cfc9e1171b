"""``study ingest``, ``study search`` and ``study sources`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from study_tracker.config import Settings
from study_tracker.knowledge.index.store import KnowledgeStore
from study_tracker.knowledge.ingest.pipeline import ingest_paths
from study_tracker.knowledge.ingest.sources import ensure_bundled_indexed
from study_tracker.knowledge.jobs.prepare import needs_preparing, settings_env
from tests.cli_helpers import study
from tests.knowledge.kb_helpers import WordHashEncoder, kb_settings


def test_commands_on_an_empty_knowledge_base(tmp_path: Path) -> None:
    r = study(tmp_path, "search", "anything")
    assert r.returncode == 1 and "No knowledge index" in r.stderr and "study ingest" in r.stderr
    r = study(tmp_path, "sources")
    assert r.returncode == 0 and "No sources yet" in r.stdout
    r = study(tmp_path, "search", "x", "--mode", "fuzzy")
    assert r.returncode == 2 and "mode must be one of" in r.stderr
    r = study(tmp_path, "ingest", str(tmp_path / "missing"))
    assert r.returncode == 1 and "no such file or folder" in r.stdout


@pytest.mark.model
def test_ingest_search_sources_remove(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "kafka.md").write_text("# Kafka\n\n## Ordering\n\nKafka keeps order only within a partition.\n")
    (notes / "empty.txt").write_text("")
    r = study(tmp_path, "ingest", "--quiet", str(notes))
    assert r.returncode == 0, r.stderr
    assert "1 new" in r.stdout and "empty.txt" in r.stdout and "empty file" in r.stdout
    r = study(tmp_path, "search", "message order guarantees", "--k", "1")
    assert r.returncode == 0 and "Kafka keeps order only within a partition." in r.stdout
    r = study(tmp_path, "search", "partition order", "--json", "--mode", "bm25", "--kind", "markdown")
    hits = json.loads(r.stdout)
    assert hits[0]["heading_path"] == ["Kafka", "Ordering"] and hits[0]["source"] == str(notes / "kafka.md")
    r = study(tmp_path, "sources")
    assert str(notes) in r.stdout
    r = study(tmp_path, "sources", "remove", str(notes))
    assert r.returncode == 0 and "Removed 1 file;" in r.stdout
    r = study(tmp_path, "search", "partition order", "--json")
    assert json.loads(r.stdout) == []
    r = study(tmp_path, "sources", "remove", str(notes))
    assert r.returncode == 1 and "not an ingested source" in r.stderr


def test_settings_env_recreates_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = kb_settings(tmp_path, knowledge_chunk_tokens=200, knowledge_dir=tmp_path / "k", fusion_method="rrf")
    for key, value in settings_env(s).items():
        monkeypatch.setenv(key, value)
    again = Settings()
    assert again.model_dump() == {
        **s.model_dump(),
        **{k: v for k, v in again.model_dump().items() if k.startswith("reddit_")},
    }


def test_prepare_dry_run_writes_nothing(tmp_path: Path) -> None:
    s = kb_settings(tmp_path)
    assert needs_preparing(s)  # nothing exported, nothing indexed
    report = ensure_bundled_indexed(s, dry_run=True)
    assert report is not None  # the bundled guides exist
    assert not report.up_to_date
    assert KnowledgeStore(s.knowledge_path).pointer() is None
    assert ingest_paths([], settings=s).up_to_date  # nothing to ingest: no empty index is written
    assert KnowledgeStore(s.knowledge_path).pointer() is None
    ensure_bundled_indexed(s, encoder=WordHashEncoder())
    assert ensure_bundled_indexed(s, dry_run=True).up_to_date
