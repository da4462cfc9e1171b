"""The catalog of a generation: its schema and every query against it (the ONLY catalog SQL).

``catalog.sqlite`` in each generation folder holds the ingested roots, their files, the documents
loaded from them (the original text, whose character offsets every search hit carries) and their
chunks (offsets, heading path, cleaned index text, text hash, pain-point flag, index row). Ingest
writes it; search, the source viewer and the sources list read it. Every module of the knowledge
engine goes through the named functions below, so the schema can change in one place (a test
checks that no other knowledge module holds SQL against these tables). The embedding cache is a
separate store with its own SQL (``embed/cache.py``); ingest attaches it here to join on it.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

SCHEMA = """
CREATE TABLE IF NOT EXISTS roots (
    path TEXT PRIMARY KEY, options TEXT NOT NULL, bundled INTEGER NOT NULL DEFAULT 0, ingested_at TEXT
);
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY, path TEXT UNIQUE NOT NULL, root TEXT NOT NULL, format TEXT,
    size INTEGER, mtime_ns INTEGER, sha256 TEXT, options TEXT,
    n_docs INTEGER DEFAULT 0, n_chunks INTEGER DEFAULT 0, warnings TEXT, ingested_at TEXT
);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL, doc_id TEXT NOT NULL, title TEXT, kind TEXT NOT NULL,
    text TEXT NOT NULL, meta TEXT
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY, document INTEGER NOT NULL, seq INTEGER NOT NULL, start INTEGER NOT NULL,
    "end" INTEGER NOT NULL, heading TEXT NOT NULL, index_text TEXT NOT NULL, hash BLOB NOT NULL,
    n_tokens INTEGER, pain INTEGER NOT NULL DEFAULT 0, row INTEGER
);
CREATE INDEX IF NOT EXISTS documents_file ON documents(file_id);
CREATE INDEX IF NOT EXISTS chunks_document ON chunks(document);
CREATE INDEX IF NOT EXISTS chunks_row ON chunks(row);
"""

# A section is the chunks of one document under one heading path (the whole record or abstract
# when the document has no headings). Search numbers sections 0, 1, ... in this order of the
# chunks table's columns, and the section BM25 index holds section i at row i.
SECTION_ORDER = "document, heading"

# The indexed passage of a chunk, cut from its document's original text (substr is 1-based).
_PASSAGE = 'substr(d.text, c.start + 1, c."end" - c.start)'


# --- connections and transactions ---


def connect_catalog(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection to a generation's catalog (read-only for searchers; rows as ``sqlite3.Row``).

    A writable connection creates the schema if needed; it does not sync to disk, because the whole
    generation folder is fsynced before it goes live.
    """
    if readonly:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    else:
        db = sqlite3.connect(path)
        db.execute("PRAGMA journal_mode=DELETE")
        db.execute("PRAGMA synchronous=OFF")  # the whole folder is fsynced before it goes live
        db.executescript(SCHEMA)
    db.row_factory = sqlite3.Row
    return db


def copy_catalog(source: Path, target: Path) -> None:
    """Copy the catalog at ``source`` (read-only) into a new file ``target`` (SQLite's backup API)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            with dst:
                src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


@contextlib.contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """One explicit transaction on a connection in autocommit mode (``isolation_level = None``)."""
    db.execute("BEGIN")
    try:
        yield
    except BaseException:
        if db.in_transaction:  # SQLite may have rolled back already (e.g. on a full disk)
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


@contextlib.contextmanager
def savepoint(db: sqlite3.Connection) -> Iterator[None]:
    """A savepoint inside the current transaction: an exception undoes what the block wrote (and
    propagates); otherwise the block's writes join the transaction."""
    db.execute("SAVEPOINT block")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK TO block")
        db.execute("RELEASE block")
        raise
    db.execute("RELEASE block")


# --- roots and files (ingest plan, sources) ---


def roots(db: sqlite3.Connection) -> dict[str, sqlite3.Row]:
    """Every ingested root by path (columns ``path``, ``options``, ``bundled``, ``ingested_at``)."""
    return {r["path"]: r for r in db.execute("SELECT path, options, bundled, ingested_at FROM roots")}


def known_files(db: sqlite3.Connection) -> dict[str, sqlite3.Row]:
    """Every file by path, with what the scan compares (``id``, ``root``, ``size``, ``mtime_ns``,
    ``sha256``, ``options``)."""
    return {
        r["path"]: r for r in db.execute("SELECT id, path, root, size, mtime_ns, sha256, options FROM files")
    }


def source_paths(db: sqlite3.Connection) -> list[str]:
    """The path of every root and every file."""
    return [r[0] for r in db.execute("SELECT path FROM roots UNION SELECT path FROM files")]


@dataclass(frozen=True)
class RootSummary:
    """One root with the totals of its files."""

    path: str
    bundled: bool
    ingested_at: str
    files: int
    documents: int
    chunks: int


def root_summaries(db: sqlite3.Connection) -> list[RootSummary]:
    """Every root by path with its file, document and chunk counts."""
    return [
        RootSummary(r[0], bool(r[1]), r[2], r[3], r[4], r[5])
        for r in db.execute(
            "SELECT r.path, r.bundled, r.ingested_at, count(f.id), coalesce(sum(f.n_docs), 0), "
            "coalesce(sum(f.n_chunks), 0) FROM roots r LEFT JOIN files f ON f.root = r.path "
            "GROUP BY r.path ORDER BY r.path"
        )
    ]


def file_paths(db: sqlite3.Connection) -> dict[int, str]:
    """Every file's path by id."""
    return {r[0]: r[1] for r in db.execute("SELECT id, path FROM files")}


def upsert_root(db: sqlite3.Connection, path: str, *, options: str, bundled: bool, now: str) -> None:
    """Add a root, or update the loader options and bundled flag of a known one."""
    db.execute(
        "INSERT INTO roots (path, options, bundled, ingested_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(path) DO UPDATE SET options=excluded.options, bundled=excluded.bundled, "
        "ingested_at=excluded.ingested_at",
        (path, options, int(bundled), now),
    )


def delete_root(db: sqlite3.Connection, path: str) -> None:
    """Forget a root (its files are deleted separately, by :func:`delete_file`)."""
    db.execute("DELETE FROM roots WHERE path = ?", (path,))


def _delete_file_contents(db: sqlite3.Connection, file_id: int) -> None:
    db.execute(
        "DELETE FROM chunks WHERE document IN (SELECT id FROM documents WHERE file_id = ?)", (file_id,)
    )
    db.execute("DELETE FROM documents WHERE file_id = ?", (file_id,))


def delete_file(db: sqlite3.Connection, file_id: int) -> None:
    """Delete a file with its documents and chunks."""
    _delete_file_contents(db, file_id)
    db.execute("DELETE FROM files WHERE id = ?", (file_id,))


def touch_file(db: sqlite3.Connection, file_id: int, *, root: str, size: int, mtime_ns: int) -> None:
    """Record a file's new size and modification time (its content is unchanged)."""
    db.execute("UPDATE files SET size=?, mtime_ns=?, root=? WHERE id=?", (size, mtime_ns, root, file_id))


def set_file_root(db: sqlite3.Connection, file_id: int, root: str) -> None:
    """Record under which root a file was found this time."""
    db.execute("UPDATE files SET root=? WHERE id=?", (root, file_id))


@dataclass(frozen=True)
class FileRecord:
    """What the catalog stores about a file being (re)loaded."""

    path: str
    root: str
    fmt: str
    size: int
    mtime_ns: int
    sha256: str
    options: str  # the loader options' fingerprint


def save_file(db: sqlite3.Connection, record: FileRecord, *, file_id: int | None, now: str) -> int:
    """Insert a new file (``file_id`` None), or empty a known one of its documents and chunks and
    update it; returns the file's id."""
    values = (record.root, record.fmt, record.size, record.mtime_ns, record.sha256, record.options, now)
    if file_id is not None:
        _delete_file_contents(db, file_id)
        db.execute(
            "UPDATE files SET root=?, format=?, size=?, mtime_ns=?, sha256=?, options=?, ingested_at=? "
            "WHERE id=?",
            (*values, file_id),
        )
        return file_id
    cur = db.execute(
        "INSERT INTO files (path, root, format, size, mtime_ns, sha256, options, ingested_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (record.path, *values),
    )
    assert cur.lastrowid is not None  # an INSERT always sets it
    return cur.lastrowid


def finish_file(
    db: sqlite3.Connection, file_id: int, *, n_docs: int, n_chunks: int, warnings: Sequence[str]
) -> None:
    """Record what loading a file gave: its document and chunk counts and the loader's warnings."""
    db.execute(
        "UPDATE files SET n_docs=?, n_chunks=?, warnings=? WHERE id=?",
        (n_docs, n_chunks, json.dumps(list(warnings)) if warnings else None, file_id),
    )


# --- documents and chunks (ingest) ---


def insert_document(
    db: sqlite3.Connection,
    file_id: int,
    *,
    doc_id: str,
    title: str,
    kind: str,
    text: str,
    meta: dict[str, Any],
) -> int:
    """Add a document of a file; returns its row id (what its chunks point to)."""
    cur = db.execute(
        "INSERT INTO documents (file_id, doc_id, title, kind, text, meta) VALUES (?, ?, ?, ?, ?, ?)",
        (file_id, doc_id, title, kind, text, json.dumps(meta) if meta else None),
    )
    assert cur.lastrowid is not None  # an INSERT always sets it
    return cur.lastrowid


class ChunkRow(NamedTuple):
    """One chunk as stored (its index ``row`` is assigned later, by :func:`assign_rows`)."""

    document: int
    seq: int
    start: int
    end: int
    heading: str  # the heading path as JSON
    index_text: str
    hash: bytes
    n_tokens: int
    pain: int


def insert_chunks(db: sqlite3.Connection, rows: Iterable[ChunkRow]) -> None:
    """Add chunks."""
    db.executemany(
        'INSERT INTO chunks (document, seq, start, "end", heading, index_text, hash, n_tokens, pain) '
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def discussion_passages(
    db: sqlite3.Connection, kinds: Sequence[str]
) -> list[tuple[int, str, str | None, str, str | None]]:
    """``(chunk id, passage, document title, kind, document meta JSON)`` of every chunk of a
    document of one of ``kinds`` (to flag pain points again)."""
    marks = ",".join("?" * len(kinds))
    return [
        (r[0], r[1], r[2], r[3], r[4])
        for r in db.execute(
            f"SELECT c.id, {_PASSAGE}, d.title, d.kind, d.meta "
            f"FROM chunks c JOIN documents d ON d.id = c.document WHERE d.kind IN ({marks})",
            tuple(kinds),
        )
    ]


def set_pain_flags(db: sqlite3.Connection, flags: Iterable[tuple[int, int]]) -> None:
    """Set chunks' pain-point flags from ``(flag, chunk id)`` pairs."""
    db.executemany("UPDATE chunks SET pain=? WHERE id=?", flags)


# --- embeddings and the index build (ingest) ---


@contextlib.contextmanager
def attached_cache(db: sqlite3.Connection, cache_path: Path) -> Iterator[None]:
    """Attach the embedding cache as ``cache`` for the joins below; detached when the block ends
    normally (after a failure the connection is closed, which detaches it)."""
    db.execute("ATTACH DATABASE ? AS cache", (str(cache_path),))
    yield
    db.execute("DETACH DATABASE cache")


def missing_vectors(db: sqlite3.Connection, model: int) -> list[tuple[bytes, str]]:
    """``(hash, index text)`` of each distinct chunk text the attached cache has no vector of."""
    return [
        (r[0], r[1])
        for r in db.execute(
            "SELECT c.hash, min(c.index_text) FROM chunks c WHERE NOT EXISTS "
            "(SELECT 1 FROM cache.vectors v WHERE v.model = ? AND v.hash = c.hash) GROUP BY c.hash",
            (model,),
        )
    ]


def assign_rows(db: sqlite3.Connection) -> int:
    """Number the distinct chunk texts 0, 1, ... as index rows (the first copy of a text keeps
    the row, exact duplicates get none), in one transaction; returns how many rows there are."""
    with transaction(db):
        db.execute("UPDATE chunks SET row = NULL")
        seen: set[bytes] = set()
        assign: list[tuple[int, int]] = []
        for cid, h in db.execute("SELECT id, hash FROM chunks ORDER BY id"):
            if h not in seen:
                seen.add(h)
                assign.append((len(assign), cid))
        db.executemany("UPDATE chunks SET row = ? WHERE id = ?", assign)
    return len(assign)


def indexed_vectors(db: sqlite3.Connection, model: int) -> Iterator[tuple[int, bytes]]:
    """``(row, vector bytes)`` of every indexed chunk whose vector the attached cache holds."""
    yield from db.execute(
        "SELECT c.row, v.vec FROM chunks c JOIN cache.vectors v ON v.model = ? AND v.hash = c.hash "
        "WHERE c.row IS NOT NULL",
        (model,),
    )


def indexed_texts(db: sqlite3.Connection) -> list[str]:
    """The index text of every indexed chunk, by row."""
    return [t for (t,) in db.execute("SELECT index_text FROM chunks WHERE row IS NOT NULL ORDER BY row")]


def section_chunks(db: sqlite3.Connection) -> Iterator[tuple[int, str, str]]:
    """``(document, heading JSON, index text)`` of every indexed chunk, by section (in
    :data:`SECTION_ORDER`), then row."""
    yield from db.execute(
        f"SELECT document, heading, index_text FROM chunks WHERE row IS NOT NULL ORDER BY {SECTION_ORDER}, row"
    )


def table_counts(db: sqlite3.Connection) -> dict[str, int]:
    """Rows in each table: ``roots``, ``files``, ``documents``, ``chunks``."""
    row = db.execute(
        "SELECT (SELECT count(*) FROM roots), (SELECT count(*) FROM files), "
        "(SELECT count(*) FROM documents), (SELECT count(*) FROM chunks)"
    ).fetchone()
    return dict(zip(("roots", "files", "documents", "chunks"), row, strict=True))


# --- search ---


def row_attributes(db: sqlite3.Connection) -> Iterator[tuple[int, int, str, int, int]]:
    """``(row, pain flag, document kind, file id, section number)`` of every indexed chunk.

    SQLite numbers the sections itself (0, 1, ... in :data:`SECTION_ORDER`): no heading string
    reaches Python (tens of MB at 100k chunks).
    """
    yield from db.execute(
        f"SELECT c.row, c.pain, d.kind, d.file_id, DENSE_RANK() OVER (ORDER BY {SECTION_ORDER}) - 1 "
        "FROM chunks c JOIN documents d ON d.id = c.document WHERE c.row IS NOT NULL"
    )


def row_ids(db: sqlite3.Connection) -> Iterator[tuple[int, int, str]]:
    """``(row, chunk seq, document id)`` of every indexed chunk."""
    yield from db.execute(
        "SELECT c.row, c.seq, d.doc_id FROM chunks c JOIN documents d ON d.id = c.document "
        "WHERE c.row IS NOT NULL"
    )


def section_keys(db: sqlite3.Connection) -> list[tuple[str, tuple[str, ...]]]:
    """``(doc_id, heading path)`` of every section, by section number."""
    return [
        (doc_id, tuple(json.loads(heading)))
        for doc_id, heading, _ in db.execute(
            f"SELECT DISTINCT d.doc_id, c.heading, DENSE_RANK() OVER (ORDER BY {SECTION_ORDER}) AS s "
            "FROM chunks c JOIN documents d ON d.id = c.document WHERE c.row IS NOT NULL ORDER BY s"
        ).fetchall()
    ]


def passages(db: sqlite3.Connection, rows: Sequence[int], *, context_chars: int) -> dict[int, sqlite3.Row]:
    """What a search hit shows of each index row, by row: ``seq``, ``start``, ``end``, ``heading``,
    ``pain``, ``doc_id``, ``title``, ``kind``, ``meta``, ``path``, the ``passage`` and up to
    ``context_chars`` characters ``before`` and ``after`` it."""
    marks = ",".join("?" * len(rows))
    n = int(context_chars)
    return {
        r["row"]: r
        for r in db.execute(
            f"""SELECT c.row, c.seq, c.start, c."end", c.heading, c.pain, d.doc_id, d.title, d.kind,
                d.meta, f.path, {_PASSAGE} AS passage,
                substr(d.text, max(c.start - {n} + 1, 1), min(c.start, {n})) AS before,
                substr(d.text, c."end" + 1, {n}) AS after
            FROM chunks c JOIN documents d ON d.id = c.document JOIN files f ON f.id = d.file_id
            WHERE c.row IN ({marks})""",
            list(rows),
        )
    }


# --- the source viewer ---


def file_by_path(db: sqlite3.Connection, path: str) -> sqlite3.Row | None:
    """The file indexed at exactly ``path`` (``id``, ``path``, ``size``, ``mtime_ns``), or None."""
    return db.execute("SELECT id, path, size, mtime_ns FROM files WHERE path = ?", (path,)).fetchone()


def count_documents(db: sqlite3.Connection, file_id: int) -> int:
    """How many documents a file holds."""
    return db.execute("SELECT count(*) FROM documents WHERE file_id = ?", (file_id,)).fetchone()[0]


def file_documents(db: sqlite3.Connection, file_id: int, doc_id: str | None = None) -> list[sqlite3.Row]:
    """A file's documents (those with id ``doc_id`` when given) in order, without their text:
    ``id``, ``doc_id``, ``title``, ``kind``, ``meta`` and the text's length ``n``."""
    cols = "id, doc_id, title, kind, meta, length(text) AS n"
    if doc_id is None:
        return db.execute(f"SELECT {cols} FROM documents WHERE file_id = ?", (file_id,)).fetchall()
    return db.execute(
        f"SELECT {cols} FROM documents WHERE file_id = ? AND doc_id = ? ORDER BY id", (file_id, doc_id)
    ).fetchall()


def chunk_heading_at(db: sqlite3.Connection, document: int, start: int, end: int) -> str | None:
    """The heading JSON of a chunk of ``document`` at exactly ``start``-``end``, or None."""
    row = db.execute(
        'SELECT heading FROM chunks WHERE document = ? AND start = ? AND "end" = ? LIMIT 1',
        (document, start, end),
    ).fetchone()
    return row[0] if row is not None else None


def document_text(db: sqlite3.Connection, document: int, start: int, length: int) -> str:
    """``length`` characters of a document's text from offset ``start``: only that window leaves
    SQLite, even for a huge document."""
    return db.execute(
        "SELECT substr(text, ?, ?) FROM documents WHERE id = ?", (start + 1, length, document)
    ).fetchone()[0]
