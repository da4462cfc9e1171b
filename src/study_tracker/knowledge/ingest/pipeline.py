"""Ingest: files and folders -> documents -> chunks -> cached embeddings -> a new index generation.

One run scans the named roots, reloads only new or changed files (size and mtime, then SHA-256),
drops files that are gone, embeds only chunk texts the cache has not seen, rebuilds the FAISS and
BM25 indexes and swaps the new generation in atomically (see ``store.py``). A file that cannot be
read is skipped with a reason; everything else goes in. A run killed at any point leaves the
previous index live, and the next run finds the vectors it had already computed in the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from study_tracker.config import Settings, get_settings
from study_tracker.knowledge.documents import DISCUSSION_KINDS, Document
from study_tracker.knowledge.embed.base import Encoder, ModelInfo, resolve_model, text_hash
from study_tracker.knowledge.embed.cache import EmbeddingCache
from study_tracker.knowledge.embed.factory import get_encoder
from study_tracker.knowledge.index.backends import create_dense, create_sparse
from study_tracker.knowledge.index.store import (
    SECTION_ORDER,
    SECTIONS_FOLDER,
    Generation,
    KnowledgeStore,
    connect_catalog,
)
from study_tracker.knowledge.ingest import painpoints
from study_tracker.knowledge.ingest.chunk import CHUNKER_VERSION, Chunker, load_tokenizer
from study_tracker.knowledge.ingest.clean import index_text
from study_tracker.knowledge.ingest.loaders import load_file
from study_tracker.knowledge.ingest.loaders.base import LoaderOptions, Skip
from study_tracker.knowledge.ingest.plan import (
    FilePlan,
    Plan,
    is_under,
    norm_path,
    options_from_json,
    scan,
)
from study_tracker.knowledge.progress import Progress


@dataclass
class IngestReport:
    """What an ingest (or a removal) did, for the CLI's summary and its skipped-files table."""

    roots: list[str] = field(default_factory=list)
    files_new: int = 0
    files_changed: int = 0
    files_unchanged: int = 0
    files_removed: int = 0
    chunks_added: int = 0
    chunks_total: int = 0
    chunks_indexed: int = 0  # after dropping exact duplicates
    documents: int = 0
    embedded: int = 0  # chunk texts run through the model in this run
    embedded_from_cache: int = 0  # new chunk texts whose vectors were already cached
    skipped: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    up_to_date: bool = False
    generation: str | None = None
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return not self.up_to_date


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# The files a generation holds; 2 added the section BM25 index. An older index is rebuilt (from
# the embedding cache: nothing is embedded again).
INDEX_LAYOUT = 2


def index_config(settings: Settings, info: ModelInfo) -> dict[str, Any]:
    """What an index must have been built with to be reused (a mismatch forces a rebuild)."""
    return {
        "model_id": info.model_id,
        "dim": info.dim,
        "chunker_version": CHUNKER_VERSION,
        "index_layout": INDEX_LAYOUT,
        "chunk_tokens": min(settings.knowledge_chunk_tokens, info.max_seq_length),
        "chunk_overlap": settings.knowledge_chunk_overlap,
    }


def config_mismatch(meta: dict[str, Any], config: dict[str, Any]) -> list[str]:
    """Names of the settings that differ between an index's metadata and ``config``."""
    return [k for k, v in config.items() if meta.get(k) != v]


def _pain_detector() -> tuple[Callable[[str], bool] | None, str]:
    """``is_pain_point`` and a fingerprint of the painpoints module (a change re-flags every chunk)."""
    fn = painpoints.is_pain_point
    try:
        source = Path(painpoints.__file__).read_bytes()
    except (OSError, TypeError):
        source = b""
    return fn, hashlib.sha256(source).hexdigest()[:16]


def _pain_text(doc: Document, passage: str) -> str:
    """What the pain-point detector reads: a post's title and passage, a comment's passage alone
    (a comment under a frustrated post is not a pain point by inheritance)."""
    body = index_text(passage, doc.kind)
    if doc.meta.get("reddit_type") == "post" and doc.title and doc.title not in body:
        return f"{doc.title}\n{body}"
    return body


def _options(
    settings: Settings, text_field: str | None, id_field: str | None, title_field: str | None
) -> LoaderOptions:
    return LoaderOptions(
        text_field=text_field or settings.knowledge_json_text_field,
        id_field=id_field or settings.knowledge_json_id_field,
        title_field=title_field or settings.knowledge_json_title_field,
        max_file_bytes=int(settings.knowledge_max_file_mb * 1024 * 1024),
    )


def _delete_file_rows(db: sqlite3.Connection, file_id: int) -> None:
    db.execute(
        "DELETE FROM chunks WHERE document IN (SELECT id FROM documents WHERE file_id = ?)", (file_id,)
    )
    db.execute("DELETE FROM documents WHERE file_id = ?", (file_id,))


def _load_one(
    db: sqlite3.Connection,
    fp: FilePlan,
    chunker: Chunker,
    pain: Callable[[str], bool] | None,
    report: IngestReport,
    new_hashes: set[bytes],
) -> None:
    """Load, chunk and store one file inside a savepoint; on any failure the old version stays."""
    warnings: list[str] = []
    db.execute("SAVEPOINT file")
    try:
        if fp.file_id is not None:
            _delete_file_rows(db, fp.file_id)
            db.execute(
                "UPDATE files SET root=?, format=?, size=?, mtime_ns=?, sha256=?, options=?, ingested_at=? WHERE id=?",
                (
                    fp.root,
                    fp.fmt,
                    fp.size,
                    fp.mtime_ns,
                    fp.sha256,
                    fp.options.fingerprint(),
                    _now(),
                    fp.file_id,
                ),
            )
            file_id = fp.file_id
        else:
            file_id = db.execute(
                "INSERT INTO files (path, root, format, size, mtime_ns, sha256, options, ingested_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (fp.path, fp.root, fp.fmt, fp.size, fp.mtime_ns, fp.sha256, fp.options.fingerprint(), _now()),
            ).lastrowid
        n_docs = n_chunks = 0
        added: list[bytes] = []
        for doc in load_file(Path(fp.path), fp.options, warnings.append):
            chunks = chunker.chunk(doc)
            if not chunks:
                continue
            doc_row = db.execute(
                "INSERT INTO documents (file_id, doc_id, title, kind, text, meta) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    file_id,
                    doc.doc_id,
                    doc.title,
                    doc.kind,
                    doc.text,
                    json.dumps(doc.meta) if doc.meta else None,
                ),
            ).lastrowid
            discussion = pain is not None and doc.kind in DISCUSSION_KINDS
            rows = []
            for c in chunks:
                h = text_hash(c.index_text)
                added.append(h)
                flag = int(bool(pain(_pain_text(doc, c.text)))) if discussion else 0
                rows.append(
                    (
                        doc_row,
                        c.seq,
                        c.start,
                        c.end,
                        json.dumps(c.heading_path),
                        c.index_text,
                        h,
                        c.n_tokens,
                        flag,
                    )
                )
            db.executemany(
                'INSERT INTO chunks (document, seq, start, "end", heading, index_text, hash, n_tokens, pain) '
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            n_docs += 1
            n_chunks += len(chunks)
        if n_chunks == 0:
            raise Skip("no indexable text")
        db.execute(
            "UPDATE files SET n_docs=?, n_chunks=?, warnings=? WHERE id=?",
            (n_docs, n_chunks, json.dumps(warnings) if warnings else None, file_id),
        )
        db.execute("RELEASE file")
        new_hashes.update(added)
        report.chunks_added += n_chunks
        if fp.action == "new":
            report.files_new += 1
        else:
            report.files_changed += 1
    except Exception as e:  # noqa: BLE001 - one bad file must not stop the ingest; the reason is reported
        db.execute("ROLLBACK TO file")
        db.execute("RELEASE file")
        if isinstance(e, Skip):
            reason = str(e)
        elif isinstance(e, OSError):
            reason = f"cannot read: {e.strerror or e}"
        elif isinstance(e, MemoryError):
            reason = "out of memory while reading"
        else:
            reason = f"failed to load: {type(e).__name__}: {e}"
        if fp.file_id is not None:
            reason += " (previous version kept)"
        report.skipped.append((fp.path, reason))
    report.warnings.extend((fp.path, w) for w in warnings)


def ingest_paths(
    paths: Sequence[str | os.PathLike],
    *,
    settings: Settings | None = None,
    text_field: str | None = None,
    id_field: str | None = None,
    title_field: str | None = None,
    rebuild: bool = False,
    bundled: bool = False,
    progress: Progress | None = None,
    lock_timeout: float | None = None,
    encoder: Encoder | None = None,
    dry_run: bool = False,
) -> IngestReport:
    """Ingest files and folders into the knowledge base and make the new index live.

    Args:
        paths: files or folders; a folder is read recursively (hidden files left out) and
            re-ingesting it drops the files that are gone from it.
        settings: defaults to ``get_settings()``; the knowledge folder is ``settings.knowledge_path``.
        text_field, id_field, title_field: JSON/JSONL field names (default: the settings).
        rebuild: re-read every known source even if nothing changed.
        bundled: mark these roots as the bundled guides (older bundled roots are dropped).
        progress: progress bars (silent by default).
        lock_timeout: seconds to wait for another ingest (None: wait).
        encoder: embeds chunk texts instead of the configured model (benchmarks with synthetic
            vectors; the cache still files them under the configured model's id).
        dry_run: only decide whether anything would change (``report.up_to_date``); write nothing.

    Returns:
        The report; ``skipped`` names each file left out and why.

    Raises:
        IngestBusy: another ingest holds the lock past ``lock_timeout``.
        ModelNotFound: the embedding model folder is unusable.
    """
    settings = settings or get_settings()
    opts = _options(settings, text_field, id_field, title_field)
    roots = {norm_path(p): (opts, bundled) for p in paths}
    return run_ingest(
        settings,
        roots,
        rebuild=rebuild,
        bundled=bundled,
        progress=progress or Progress(),
        lock_timeout=lock_timeout,
        encoder=encoder,
        dry_run=dry_run,
    )


def run_ingest(
    settings: Settings,
    roots: dict[str, tuple[LoaderOptions, bool]],
    *,
    rebuild: bool = False,
    bundled: bool = False,
    remove: Sequence[str] = (),
    progress: Progress,
    lock_timeout: float | None,
    encoder: Encoder | None = None,
    dry_run: bool = False,
) -> IngestReport:
    t0 = time.perf_counter()
    report = IngestReport(roots=list(roots))
    store = KnowledgeStore(settings.knowledge_path)
    info = resolve_model(settings.embedding_model)
    config = index_config(settings, info)
    base_opts = _options(settings, None, None, None)
    pain, pain_version = _pain_detector()
    with store.lock(lock_timeout):
        current = store.current()
        old_meta = current.meta() if current else {}
        reuse = current is not None and not rebuild and not config_mismatch(old_meta, config)
        old_db = connect_catalog(current.catalog_path, readonly=True) if current else None
        try:
            known_roots = {r["path"]: r for r in old_db.execute("SELECT * FROM roots")} if old_db else {}
            for path in roots:
                if not os.path.lexists(path) and path not in known_roots and not remove:
                    report.skipped.append((path, "no such file or folder"))
            if bundled:  # the package moved (reinstall, new venv): forget the old copy of the guides
                for path, row in known_roots.items():
                    if row["bundled"] and path not in roots:
                        remove = [*remove, path]
            if not reuse:  # rebuild: every known root is read again with the options it was added with
                for path, row in known_roots.items():
                    if path not in roots and not any(is_under(path, r) for r in remove):
                        roots[path] = (options_from_json(row["options"], base_opts), bool(row["bundled"]))
            removed_files: list[tuple[int, str]] = []
            dropped_roots: list[str] = []
            if remove and old_db is not None:
                for target in remove:
                    dropped_roots += [p for p in known_roots if is_under(p, target)]
                    removed_files += [
                        (r["id"], r["path"])
                        for r in old_db.execute("SELECT id, path FROM files")
                        if is_under(r["path"], target)
                    ]
            scan_t = time.perf_counter()
            plan = scan(roots, old_db if reuse else None, str(settings.knowledge_path.resolve()), progress)
            plan.removed += [rf for rf in removed_files if rf not in plan.removed]
            plan.dropped_roots += dropped_roots
            report.timings["scan"] = time.perf_counter() - scan_t
            pain_stale = reuse and old_meta.get("painpoints_version", "") != pain_version
            dirty = (
                (not reuse and (current is not None or bool(plan.root_options)))
                or plan.removed
                or plan.dropped_roots
                or pain_stale
                or any(f.action in ("new", "changed", "touched") for f in plan.files)
                or any(
                    r not in known_roots or known_roots[r]["options"] != o[0]
                    for r, o in plan.root_options.items()
                )
            )
            report.files_unchanged = plan.count("unchanged") + plan.count("touched")
            report.skipped += [(f.path, f.reason) for f in plan.files if f.action == "skip"]
            if not dirty or dry_run:
                report.up_to_date = not dirty
                report.generation = current.path.name if current else None
                _fill_counts(report, old_meta)
                report.seconds = time.perf_counter() - t0
                return report
        finally:
            if old_db is not None:
                old_db.close()
        gen = store.new_generation(copy_from=current if reuse else None)
        try:
            _apply(
                gen,
                plan,
                settings,
                info,
                config,
                pain,
                pain_version,
                pain_stale,
                reuse,
                current,
                report,
                progress,
                encoder,
            )
        except BaseException:
            store.discard(gen)
            raise
    report.seconds = time.perf_counter() - t0
    return report


def _fill_counts(report: IngestReport, meta: dict[str, Any]) -> None:
    counts = meta.get("counts", {})
    report.documents = counts.get("documents", 0)
    report.chunks_total = counts.get("chunks", 0)
    report.chunks_indexed = counts.get("indexed", 0)


def _apply(
    gen: Generation,
    plan: Plan,
    settings: Settings,
    info: ModelInfo,
    config: dict[str, Any],
    pain: Callable[[str], bool] | None,
    pain_version: str,
    pain_stale: bool,
    reuse: bool,
    current: Generation | None,
    report: IngestReport,
    progress: Progress,
    encoder: Encoder | None,
) -> None:
    store = KnowledgeStore(settings.knowledge_path)
    # closing(): a failed embed or a Ctrl-C must not leave the catalog open in a long-lived process.
    with contextlib.closing(connect_catalog(gen.catalog_path)) as db:
        db.isolation_level = None  # explicit transactions and per-file savepoints
        t = time.perf_counter()
        db.execute("BEGIN")
        for file_id, _ in plan.removed:
            _delete_file_rows(db, file_id)
            db.execute("DELETE FROM files WHERE id = ?", (file_id,))
        report.files_removed = len(plan.removed)
        for root in plan.dropped_roots:
            db.execute("DELETE FROM roots WHERE path = ?", (root,))
        for root, (options, is_bundled) in plan.root_options.items():
            db.execute(
                "INSERT INTO roots (path, options, bundled, ingested_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(path) DO UPDATE SET options=excluded.options, bundled=excluded.bundled, "
                "ingested_at=excluded.ingested_at",
                (root, options, int(is_bundled), _now()),
            )
        for fp in plan.files:
            if fp.action == "touched":
                db.execute(
                    "UPDATE files SET size=?, mtime_ns=?, root=? WHERE id=?",
                    (fp.size, fp.mtime_ns, fp.root, fp.file_id),
                )
            elif fp.action == "unchanged" and fp.file_id is not None:
                db.execute("UPDATE files SET root=? WHERE id=?", (fp.root, fp.file_id))
        if pain_stale and pain is not None:
            marks = ",".join("?" * len(DISCUSSION_KINDS))
            rows = db.execute(
                'SELECT c.id, substr(d.text, c.start + 1, c."end" - c.start), d.title, d.kind, d.meta '
                f"FROM chunks c JOIN documents d ON d.id = c.document WHERE d.kind IN ({marks})",
                tuple(DISCUSSION_KINDS),
            ).fetchall()
            flags = []
            for cid, passage, title, kind, meta in rows:
                doc = Document(
                    doc_id="", text="", kind=kind, source="", title=title or "", meta=json.loads(meta or "{}")
                )
                flags.append((int(bool(pain(_pain_text(doc, passage)))), cid))
            db.executemany("UPDATE chunks SET pain=? WHERE id=?", flags)
        to_load = [f for f in plan.files if f.action in ("new", "changed")]
        new_hashes: set[bytes] = set()
        if to_load:
            tokenizer = load_tokenizer(info.path)
            chunker = Chunker(tokenizer, config["chunk_tokens"], settings.knowledge_chunk_overlap)
            total = sum(f.size for f in to_load)
            with progress.step(f"Reading {len(to_load)} file(s)", total=total, unit="MB", scale=1e6) as step:
                for fp in to_load:
                    _load_one(db, fp, chunker, pain, report, new_hashes)
                    step.advance(fp.size)
        db.execute("COMMIT")
        report.timings["read"] = time.perf_counter() - t

        # Embed what the cache does not have (committed batch by batch: a crash keeps the work done).
        t = time.perf_counter()
        cache = EmbeddingCache(store.cache_path, info)
        try:
            db.execute("ATTACH DATABASE ? AS cache", (str(store.cache_path),))
            missing = db.execute(
                "SELECT c.hash, min(c.index_text) FROM chunks c WHERE NOT EXISTS "
                "(SELECT 1 FROM cache.vectors v WHERE v.model = ? AND v.hash = c.hash) GROUP BY c.hash",
                (cache.model,),
            ).fetchall()
            report.embedded = len(missing)
            report.embedded_from_cache = len(new_hashes - {h for h, _ in missing})
            if missing:
                encoder = encoder or get_encoder(
                    info,
                    settings.knowledge_embed_backend,
                    settings.knowledge_path,
                    settings.knowledge_embed_batch_size,
                )
                with progress.step(
                    f"Embedding {len(missing)} chunk(s)", total=len(missing), unit="chunks"
                ) as step:
                    cache.embed(missing, encoder, on_progress=step.advance)
            report.timings["embed"] = time.perf_counter() - t
            t = time.perf_counter()
            content_same = reuse and not plan.removed and not new_hashes and report.files_changed == 0
            counts = _build_index(db, gen, settings, info, cache, current if content_same else None, progress)
            db.execute("DETACH DATABASE cache")
        finally:
            cache.close()
        counts["roots"] = db.execute("SELECT count(*) FROM roots").fetchone()[0]
        counts["files"] = db.execute("SELECT count(*) FROM files").fetchone()[0]
    report.timings["index"] = time.perf_counter() - t
    meta = {
        **config,
        "model_path": str(info.path),
        "counts": counts,
        "built_at": _now(),
        "painpoints_version": pain_version,
        **counts.pop("_backends"),
    }
    t = time.perf_counter()
    store.commit(gen, meta)
    report.timings["commit"] = time.perf_counter() - t
    report.generation = gen.path.name
    _fill_counts(report, meta)


def _section_texts(db: sqlite3.Connection) -> list[str]:
    """The indexed text of each section (its chunks joined), in search's section order.

    Every chunk of a section starts with the same heading-path line; it is kept once, so a section
    cut into many chunks does not count its heading many times over.
    """
    rows = db.execute(
        f"SELECT document, heading, index_text FROM chunks WHERE row IS NOT NULL ORDER BY {SECTION_ORDER}, row"
    )
    texts = []
    for _, chunks in itertools.groupby(rows, key=lambda r: (r[0], r[1])):
        parts = [r[2].split("\n", 1) for r in chunks]
        header = parts[0][0]
        if len(parts) > 1 and all(len(p) == 2 and p[0] == header for p in parts):
            texts.append("\n".join([header, *(p[1] for p in parts)]))
        else:
            texts.append("\n".join("\n".join(p) for p in parts))
    return texts


def _build_index(
    db: sqlite3.Connection,
    gen: Generation,
    settings: Settings,
    info: ModelInfo,
    cache: EmbeddingCache,
    link_from: Generation | None,
    progress: Progress,
) -> dict[str, Any]:
    """Assign index rows (first copy of each distinct text wins) and write FAISS and BM25."""
    db.execute("BEGIN")
    db.execute("UPDATE chunks SET row = NULL")
    seen: set[bytes] = set()
    assign = []
    for cid, h in db.execute("SELECT id, hash FROM chunks ORDER BY id"):
        if h not in seen:
            seen.add(h)
            assign.append((len(assign), cid))
    db.executemany("UPDATE chunks SET row = ? WHERE id = ?", assign)
    db.execute("COMMIT")
    n = len(assign)
    counts: dict[str, Any] = {
        "documents": db.execute("SELECT count(*) FROM documents").fetchone()[0],
        "chunks": db.execute("SELECT count(*) FROM chunks").fetchone()[0],
        "indexed": n,
    }
    if link_from is not None:
        # Only file metadata changed (e.g. touched files): the old index files are still exact.
        old = link_from.meta()
        for p in link_from.path.rglob("*"):
            rel = p.relative_to(link_from.path)
            if p.is_file() and rel.parts[0] in ("dense.faiss", "bm25", SECTIONS_FOLDER):
                (gen.path / rel).parent.mkdir(parents=True, exist_ok=True)
                os.link(p, gen.path / rel)
        counts["sections"] = old["counts"]["sections"]
        counts["_backends"] = {k: old[k] for k in ("dense", "sparse", "sections_sparse")}
        return counts
    vectors = np.empty((n, info.dim), dtype=np.float32)
    got = 0
    for row, vec in db.execute(
        "SELECT c.row, v.vec FROM chunks c JOIN cache.vectors v ON v.model = ? AND v.hash = c.hash "
        "WHERE c.row IS NOT NULL",
        (cache.model,),
    ):
        vectors[row] = np.frombuffer(vec, dtype=np.float32)
        got += 1
    if got != n:
        raise RuntimeError(f"embedding cache is missing {n - got} vector(s); run the ingest again.")
    dense = create_dense(
        "faiss",
        hnsw_threshold=settings.knowledge_hnsw_threshold,
        m=settings.knowledge_hnsw_m,
        ef_construction=settings.knowledge_hnsw_ef_construction,
        ef_search=settings.knowledge_hnsw_ef_search,
    )
    with progress.step(f"Indexing {n} vector(s)", total=n, unit="vectors") as step:
        dense.build(vectors, on_progress=step.advance)
    del vectors
    dense.save(gen.path)
    sparse = create_sparse("bm25")
    texts = [t for (t,) in db.execute("SELECT index_text FROM chunks WHERE row IS NOT NULL ORDER BY row")]
    with progress.step("Indexing BM25", total=1, unit="indexes") as step:
        sparse.build(texts)
        step.advance()
    del texts
    sparse.save(gen.path)
    # BM25 over whole sections as well: BM25's statistics are made for documents, and a passage cut
    # from an abstract misses the terms of the other half (bench/README.md, round 3). Sections are
    # numbered in the order search.py numbers them (SECTION_ORDER), so section i is row i here.
    sections = create_sparse("bm25", folder=SECTIONS_FOLDER)
    texts = _section_texts(db)
    counts["sections"] = len(texts)
    with progress.step(f"Indexing BM25 over {len(texts)} section(s)", total=1, unit="indexes") as step:
        sections.build(texts)
        step.advance()
    del texts
    sections.save(gen.path)
    counts["_backends"] = {
        "dense": dense.describe(),
        "sparse": sparse.describe(),
        "sections_sparse": sections.describe(),
    }
    return counts
