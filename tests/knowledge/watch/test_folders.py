"""The watched-folder list: adding, listing and removing folders, and what is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from study_tracker.errors import InvalidInput, NotFound
from study_tracker.knowledge.ingest.pipeline import ingest_paths
from study_tracker.knowledge.ingest.sources import list_sources
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase
from study_tracker.knowledge.watch.folders import (
    add_watched,
    list_watched,
    remove_watched,
    watched_file,
    watched_paths,
)
from tests.knowledge.kb_helpers import WordHashEncoder, kb_settings


def test_add_list_remove(tmp_path: Path) -> None:
    s = kb_settings(tmp_path)
    notes = tmp_path / "notes"
    notes.mkdir()
    assert list_watched(s) == []
    folder, new = add_watched(s, str(notes))
    assert new and folder.path == str(notes.resolve()) and folder.added_at
    again, new = add_watched(s, str(notes) + "/")
    assert not new and again.path == folder.path
    assert watched_paths(s) == [str(notes.resolve())]
    assert remove_watched(s, str(notes)) is None  # nothing of it was indexed yet
    assert list_watched(s) == []
    with pytest.raises(NotFound):
        remove_watched(s, str(notes))


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("", "is required"),
        ("relative/notes", "is not an absolute path"),
        ("{tmp}/missing", "is not a folder"),
        ("{tmp}/notes/a.md", "is not a folder"),
        ("{tmp}/notes/inner", "overlaps the watched folder"),
        ("{tmp}", "overlaps the watched folder"),
        ("{tmp}/data/knowledge", "where the index itself is kept"),
    ],
)
def test_refused_folders_name_the_path_field(tmp_path: Path, path: str, message: str) -> None:
    s = kb_settings(tmp_path)
    (tmp_path / "notes" / "inner").mkdir(parents=True)
    (tmp_path / "notes" / "a.md").write_text("# A\n\ntext\n")
    s.knowledge_path.mkdir(parents=True)
    add_watched(s, str(tmp_path / "notes"))
    with pytest.raises(InvalidInput) as info:
        add_watched(s, path.format(tmp=tmp_path))
    assert [e.field for e in info.value.errors] == ["path"] and message in info.value.errors[0].message


def test_folders_from_the_setting_are_listed_and_not_removed_here(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    s = kb_settings(tmp_path, knowledge_watch_folders=[str(tmp_path / "a"), str(tmp_path / "gone")])
    rows = list_watched(s)
    assert [(r.path, r.from_setting, r.exists) for r in rows] == [
        (str(tmp_path / "a"), True, True),
        (str(tmp_path / "gone"), True, False),
    ]
    with pytest.raises(InvalidInput, match="STUDY_KNOWLEDGE_WATCH_FOLDERS"):
        remove_watched(s, str(tmp_path / "a"))


def test_removing_a_watched_folder_removes_its_sources(tmp_path: Path) -> None:
    s = kb_settings(tmp_path)
    notes, other = tmp_path / "notes", tmp_path / "other"
    notes.mkdir()
    other.mkdir()
    (notes / "raft.md").write_text("# Raft\n\nLeaders are elected with randomized timeouts.\n")
    (other / "kafka.md").write_text("# Kafka\n\nOrder holds within a partition.\n")
    add_watched(s, str(notes))
    ingest_paths([notes, other], settings=s, encoder=WordHashEncoder())
    report = remove_watched(s, str(notes))
    assert report is not None and report.files_removed == 1
    assert [x.path for x in list_sources(s)] == [str(other)]
    kb = KnowledgeBase.open(s, encoder=WordHashEncoder())
    assert kb.search("randomized timeouts", mode="bm25", k=3) == []
    assert kb.search("partition", mode="bm25", k=1)[0].source == str(other / "kafka.md")


def test_a_damaged_list_reads_as_empty_and_is_rewritten(tmp_path: Path) -> None:
    s = kb_settings(tmp_path)
    (tmp_path / "notes").mkdir()
    watched_file(s).parent.mkdir(parents=True)
    watched_file(s).write_text("{not json")
    assert list_watched(s) == []
    add_watched(s, str(tmp_path / "notes"))
    assert watched_paths(s) == [str(tmp_path / "notes")]
