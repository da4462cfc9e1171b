"""The catalog's named queries on a real SQLite file: writes, savepoints, rows, summaries, copies."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

import pytest

from study_tracker.knowledge.index import catalog
from study_tracker.knowledge.index.catalog import ChunkRow, FileRecord, connect_catalog


def _file(db: sqlite3.Connection, path: str, root: str, file_id: int | None = None) -> int:
    record = FileRecord(path, root, "markdown", 10, 1, "abc", "text=text")
    return catalog.save_file(db, record, file_id=file_id, now="2024-01-01T00:00:00+00:00")


def _doc(db: sqlite3.Connection, file_id: int, texts: list[str]) -> int:
    doc = catalog.insert_document(
        db, file_id, doc_id=f"d{file_id}", title="T", kind="markdown", text=" ".join(texts), meta={"a": 1}
    )
    catalog.insert_chunks(
        db,
        [
            ChunkRow(doc, i, 0, len(t), json.dumps(["T", f"h{i // 2}"]), t, t.encode(), 3, 0)
            for i, t in enumerate(texts)
        ],
    )
    return doc


@pytest.fixture
def db(tmp_path: Path):
    conn = connect_catalog(tmp_path / "catalog.sqlite")
    conn.isolation_level = None
    yield conn
    conn.close()


def test_files_documents_and_chunks_round_trip(db: sqlite3.Connection) -> None:
    with catalog.transaction(db):
        catalog.upsert_root(db, "/r", options="{}", bundled=False, now="t0")
        catalog.upsert_root(db, "/empty", options="{}", bundled=True, now="t0")
        f = _file(db, "/r/a.md", "/r")
        _doc(db, f, ["alpha", "beta", "alpha"])
        catalog.finish_file(db, f, n_docs=1, n_chunks=3, warnings=["w"])
    assert catalog.source_paths(db) == ["/empty", "/r", "/r/a.md"]
    assert catalog.known_files(db)["/r/a.md"]["sha256"] == "abc"
    assert catalog.root_summaries(db) == [
        catalog.RootSummary("/empty", True, "t0", 0, 0, 0),  # a root without files still counts
        catalog.RootSummary("/r", False, "t0", 1, 1, 3),
    ]
    # Exact duplicate texts get one index row; rows follow chunk order.
    assert catalog.assign_rows(db) == 2
    assert catalog.indexed_texts(db) == ["alpha", "beta"]
    assert [r[0] for r in catalog.row_ids(db)] == [0, 1]
    assert catalog.table_counts(db) == {"roots": 2, "files": 1, "documents": 1, "chunks": 3}
    # Saving a known file again empties it first.
    with catalog.transaction(db):
        assert _file(db, "/r/a.md", "/r", file_id=f) == f
    assert catalog.table_counts(db) == {"roots": 2, "files": 1, "documents": 0, "chunks": 0}


def test_a_failed_savepoint_keeps_the_previous_version(db: sqlite3.Connection) -> None:
    with catalog.transaction(db):
        f = _file(db, "/r/a.md", "/r")
        _doc(db, f, ["old text"])
        with pytest.raises(RuntimeError), catalog.savepoint(db):
            _file(db, "/r/a.md", "/r", file_id=f)  # empties the file...
            raise RuntimeError("loader failed")  # ...and fails: the savepoint undoes it
        _file(db, "/r/b.md", "/r")  # the transaction goes on
    assert catalog.table_counts(db) == {"roots": 0, "files": 2, "documents": 1, "chunks": 1}
    assert catalog.assign_rows(db) == 1 and catalog.indexed_texts(db) == ["old text"]
    assert sorted(catalog.known_files(db)) == ["/r/a.md", "/r/b.md"]


def test_a_failed_transaction_writes_nothing(db: sqlite3.Connection) -> None:
    with pytest.raises(ValueError), catalog.transaction(db):
        catalog.upsert_root(db, "/r", options="{}", bundled=False, now="t0")
        raise ValueError("stop")
    assert catalog.roots(db) == {} and not db.in_transaction


def test_viewer_queries_and_copy(db: sqlite3.Connection, tmp_path: Path) -> None:
    with catalog.transaction(db):
        f = _file(db, "/r/a.md", "/r")
        doc = _doc(db, f, ["alpha", "beta"])
    assert catalog.file_by_path(db, "/r/nope.md") is None
    assert catalog.count_documents(db, f) == 1
    assert [r["n"] for r in catalog.file_documents(db, f)] == [len("alpha beta")]
    assert catalog.file_documents(db, f, "other") == []
    assert catalog.chunk_heading_at(db, doc, 0, 5) == json.dumps(["T", "h0"])
    assert catalog.chunk_heading_at(db, doc, 1, 5) is None
    assert catalog.document_text(db, doc, 6, 4) == "beta"
    copy = tmp_path / "copy.sqlite"
    catalog.copy_catalog(tmp_path / "catalog.sqlite", copy)
    with contextlib.closing(connect_catalog(copy, readonly=True)) as other:
        assert catalog.source_paths(other) == ["/r/a.md"]
