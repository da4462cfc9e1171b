"""The stages of one ingest run, each a function of the run's state (:class:`IngestRun`).

``pipeline.run_ingest`` calls them in order, under the ingest lock:

1. :func:`scan`: compare the roots with the live generation's catalog; decide what changes.
2. :func:`write_catalog`: in the new generation's catalog copy, drop what is gone and load, chunk
   and store what is new or changed (one transaction; one savepoint per file).
3. :func:`embed_missing`: embed the chunk texts the embedding cache lacks (committed batch by batch,
   so a killed run keeps the vectors it computed).
4. :func:`build_indexes`: number the distinct chunk texts and write FAISS and both BM25 indexes.
5. :func:`commit`: write the metadata and swap the new generation in (``store.commit``).

Nothing before :func:`commit` touches the live generation: a run that stops anywhere leaves the
previous index live.
"""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from study_tracker.knowledge.documents import DISCUSSION_KINDS, Document
from study_tracker.knowledge.embed.base import text_hash
from study_tracker.knowledge.embed.cache import EmbeddingCache
from study_tracker.knowledge.embed.factory import get_encoder
from study_tracker.knowledge.index import catalog
from study_tracker.knowledge.index.backends import create_dense, create_sparse
from study_tracker.knowledge.index.catalog import ChunkRow, FileRecord, connect_catalog
from study_tracker.knowledge.index.metadata import config_mismatch, model_change_note
from study_tracker.knowledge.index.store import SECTIONS_FOLDER, Generation
from study_tracker.knowledge.ingest.chunk import Chunker, load_tokenizer
from study_tracker.knowledge.ingest.clean import index_text
from study_tracker.knowledge.ingest.loaders import load_file
from study_tracker.knowledge.ingest.loaders.base import Skip
from study_tracker.knowledge.ingest.plan import FilePlan, is_under, options_from_json, scan_files
from study_tracker.knowledge.ingest.state import IngestRun, loader_options

# --- 1. scan ---


def scan(run: IngestRun) -> bool:
    """Plan the run against the live generation (``run.plan``); returns whether anything changes.

    Roots that are neither on disk nor known are reported as skipped; a bundled run drops older
    bundled roots; a rebuild (asked for, or forced by other settings) reads every known root again
    with the options it was added with.
    """
    report = run.report
    current = run.store.current()
    run.current = current
    run.old_meta = current.meta() if current else {}
    run.reuse = current is not None and not run.rebuild and not config_mismatch(run.old_meta, run.config)
    if current is not None and run.old_meta.get("model_id") != run.config["model_id"]:
        report.notes.append(model_change_note(str(run.old_meta.get("model_id")), run.config["model_id"]))
    old_db = connect_catalog(current.catalog_path, readonly=True) if current else None
    try:
        known_roots = catalog.roots(old_db) if old_db else {}
        for path in run.roots:
            if not os.path.lexists(path) and path not in known_roots and not run.remove:
                report.skipped.append((path, "no such file or folder"))
        if run.bundled:  # the package moved (reinstall, new venv): forget the old copy of the guides
            run.remove += [p for p, row in known_roots.items() if row["bundled"] and p not in run.roots]
        if not run.reuse:  # rebuild: every known root is read again with the options it was added with
            base = loader_options(run.settings)
            for path, row in known_roots.items():
                if path not in run.roots and not any(is_under(path, r) for r in run.remove):
                    run.roots[path] = (options_from_json(row["options"], base), bool(row["bundled"]))
        removed_files: list[tuple[int, str]] = []
        dropped_roots: list[str] = []
        if run.remove and old_db is not None:
            files = catalog.file_paths(old_db)
            for target in run.remove:
                dropped_roots += [p for p in known_roots if is_under(p, target)]
                removed_files += [(i, p) for i, p in files.items() if is_under(p, target)]
        t = time.perf_counter()
        exclude = str(run.settings.knowledge_path.resolve())
        plan = scan_files(run.roots, old_db if run.reuse else None, exclude, run.progress)
    finally:
        if old_db is not None:
            old_db.close()
    plan.removed += [rf for rf in removed_files if rf not in plan.removed]
    plan.dropped_roots += dropped_roots
    report.timings["scan"] = time.perf_counter() - t
    run.plan = plan
    run.pain_stale = run.reuse and run.old_meta.get("painpoints_version", "") != run.pain_version
    report.files_unchanged = plan.count("unchanged") + plan.count("touched")
    report.skipped += [(f.path, f.reason) for f in plan.files if f.action == "skip"]
    return bool(
        (not run.reuse and (current is not None or bool(plan.root_options)))
        or plan.removed
        or plan.dropped_roots
        or run.pain_stale
        or any(f.action in ("new", "changed", "touched") for f in plan.files)
        or any(
            r not in known_roots or known_roots[r]["options"] != o[0] for r, o in plan.root_options.items()
        )
    )


def keep_current(run: IngestRun, *, changed: bool) -> None:
    """Report the live generation as the result (nothing changed, or a dry run)."""
    run.report.up_to_date = not changed
    run.report.generation = run.current.path.name if run.current else None
    run.report.fill_counts(run.old_meta)


# --- 2. write the catalog ---


def write_catalog(run: IngestRun, db: sqlite3.Connection) -> None:
    """Apply the plan to the new generation's catalog in one transaction (``db`` in autocommit
    mode): removals, roots, file metadata, pain-point flags, then every new or changed file."""
    plan, report = run.plan, run.report
    t = time.perf_counter()
    with catalog.transaction(db):
        for file_id, _ in plan.removed:
            catalog.delete_file(db, file_id)
        report.files_removed = len(plan.removed)
        for root in plan.dropped_roots:
            catalog.delete_root(db, root)
        for root, (options, is_bundled) in plan.root_options.items():
            catalog.upsert_root(db, root, options=options, bundled=is_bundled, now=_now())
        for fp in plan.files:
            if fp.file_id is None:
                continue
            if fp.action == "touched":
                catalog.touch_file(db, fp.file_id, root=fp.root, size=fp.size, mtime_ns=fp.mtime_ns)
            elif fp.action == "unchanged":
                catalog.set_file_root(db, fp.file_id, fp.root)
        if run.pain_stale and run.pain is not None:
            _reflag_pain(db, run.pain)
        to_load = [f for f in plan.files if f.action in ("new", "changed")]
        if to_load:
            tokenizer = load_tokenizer(run.info.path)
            chunker = Chunker(tokenizer, run.config["chunk_tokens"], run.settings.knowledge_chunk_overlap)
            total = sum(f.size for f in to_load)
            with run.progress.step(
                f"Reading {len(to_load)} file(s)", total=total, unit="MB", scale=1e6
            ) as step:
                for fp in to_load:
                    _load_file(run, db, fp, chunker)
                    step.advance(fp.size)
    report.timings["read"] = time.perf_counter() - t


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _pain_text(doc: Document, passage: str) -> str:
    """What the pain-point detector reads: a post's title and passage, a comment's passage alone
    (a comment under a frustrated post is not a pain point by inheritance)."""
    body = index_text(passage, doc.kind)
    if doc.meta.get("reddit_type") == "post" and doc.title and doc.title not in body:
        return f"{doc.title}\n{body}"
    return body


def _reflag_pain(db: sqlite3.Connection, pain: Callable[[str], bool]) -> None:
    flags = []
    for cid, passage, title, kind, meta in catalog.discussion_passages(db, tuple(DISCUSSION_KINDS)):
        doc = Document(
            doc_id="", text="", kind=kind, source="", title=title or "", meta=json.loads(meta or "{}")
        )
        flags.append((int(bool(pain(_pain_text(doc, passage)))), cid))
    catalog.set_pain_flags(db, flags)


def _skip_reason(e: Exception) -> str:
    if isinstance(e, Skip):
        return str(e)
    if isinstance(e, OSError):
        return f"cannot read: {e.strerror or e}"
    if isinstance(e, MemoryError):
        return "out of memory while reading"
    return f"failed to load: {type(e).__name__}: {e}"


def _load_file(run: IngestRun, db: sqlite3.Connection, fp: FilePlan, chunker: Chunker) -> None:
    """Load, chunk and store one file inside a savepoint; on any failure the old version stays."""
    report = run.report
    warnings: list[str] = []
    added: list[bytes] = []
    n_docs = n_chunks = 0
    record = FileRecord(fp.path, fp.root, fp.fmt, fp.size, fp.mtime_ns, fp.sha256, fp.options.fingerprint())
    try:
        with catalog.savepoint(db):
            file_id = catalog.save_file(db, record, file_id=fp.file_id, now=_now())
            for doc in load_file(Path(fp.path), fp.options, warnings.append):
                chunks = chunker.chunk(doc)
                if not chunks:
                    continue
                doc_row = catalog.insert_document(
                    db,
                    file_id,
                    doc_id=doc.doc_id,
                    title=doc.title,
                    kind=doc.kind,
                    text=doc.text,
                    meta=doc.meta,
                )
                pain = run.pain if doc.kind in DISCUSSION_KINDS else None
                rows = []
                for c in chunks:
                    h = text_hash(c.index_text)
                    added.append(h)
                    flag = int(bool(pain(_pain_text(doc, c.text)))) if pain is not None else 0
                    heading = json.dumps(c.heading_path)
                    rows.append(
                        ChunkRow(doc_row, c.seq, c.start, c.end, heading, c.index_text, h, c.n_tokens, flag)
                    )
                catalog.insert_chunks(db, rows)
                n_docs += 1
                n_chunks += len(chunks)
            if n_chunks == 0:
                raise Skip("no indexable text")
            catalog.finish_file(db, file_id, n_docs=n_docs, n_chunks=n_chunks, warnings=warnings)
    except Exception as e:  # noqa: BLE001 - one bad file must not stop the ingest; the reason is reported
        kept = " (previous version kept)" if fp.file_id is not None else ""
        report.skipped.append((fp.path, _skip_reason(e) + kept))
    else:
        run.new_hashes.update(added)
        report.chunks_added += n_chunks
        if fp.action == "new":
            report.files_new += 1
        else:
            report.files_changed += 1
    report.warnings.extend((fp.path, w) for w in warnings)


# --- 3. embed what is missing ---


def embed_missing(run: IngestRun, db: sqlite3.Connection, cache: EmbeddingCache) -> None:
    """Embed the chunk texts of the catalog that ``cache`` (attached to ``db``) has no vector of."""
    report, s = run.report, run.settings
    t = time.perf_counter()
    missing = catalog.missing_vectors(db, cache.model)
    report.embedded = len(missing)
    report.embedded_from_cache = len(run.new_hashes - {h for h, _ in missing})
    if missing:
        encoder = run.encoder or get_encoder(
            run.info,
            s.knowledge_embed_backend,
            s.knowledge_path,
            s.knowledge_embed_batch_size,
            device=s.embedding_device,
        )
        with run.progress.step(
            f"Embedding {len(missing)} chunk(s)", total=len(missing), unit="chunks"
        ) as step:
            cache.embed(missing, encoder, on_progress=step.advance)
    report.timings["embed"] = time.perf_counter() - t


# --- 4. build the indexes ---


def section_texts(db: sqlite3.Connection) -> list[str]:
    """The indexed text of each section (its chunks joined), in search's section order.

    Every chunk of a section starts with the same heading-path line; it is kept once, so a section
    cut into many chunks does not count its heading many times over.
    """
    texts = []
    for _, chunks in itertools.groupby(catalog.section_chunks(db), key=lambda r: (r[0], r[1])):
        parts = [r[2].split("\n", 1) for r in chunks]
        header = parts[0][0]
        if len(parts) > 1 and all(len(p) == 2 and p[0] == header for p in parts):
            texts.append("\n".join([header, *(p[1] for p in parts)]))
        else:
            texts.append("\n".join("\n".join(p) for p in parts))
    return texts


def build_indexes(run: IngestRun, db: sqlite3.Connection, cache: EmbeddingCache) -> None:
    """Assign index rows (first copy of each distinct text wins) and write FAISS and both BM25
    indexes into the new generation; when only file metadata changed, link the live ones."""
    plan, report, gen = run.plan, run.report, run.target
    t = time.perf_counter()
    n = catalog.assign_rows(db)
    content_same = run.reuse and not plan.removed and not run.new_hashes and report.files_changed == 0
    if content_same and run.current is not None:
        _link_indexes(run.current, gen)
        old = run.current.meta()
        sections = old["counts"]["sections"]
        run.backends = {k: old[k] for k in ("dense", "sparse", "sections_sparse")}
    else:
        sections = _write_indexes(run, db, cache, n)
    run.counts = {**catalog.table_counts(db), "indexed": n, "sections": sections}
    report.timings["index"] = time.perf_counter() - t


def _link_indexes(source: Generation, gen: Generation) -> None:
    """Hard-link the index files of ``source``: only file metadata changed (e.g. touched files),
    so they are still exact."""
    for p in source.path.rglob("*"):
        rel = p.relative_to(source.path)
        if p.is_file() and rel.parts[0] in ("dense.faiss", "bm25", SECTIONS_FOLDER):
            (gen.path / rel).parent.mkdir(parents=True, exist_ok=True)
            os.link(p, gen.path / rel)


def _write_indexes(run: IngestRun, db: sqlite3.Connection, cache: EmbeddingCache, n: int) -> int:
    """Write the dense index and both BM25 indexes; returns the number of sections."""
    s, gen, progress = run.settings, run.target, run.progress
    vectors = np.empty((n, run.info.dim), dtype=np.float32)
    got = 0
    for row, vec in catalog.indexed_vectors(db, cache.model):
        vectors[row] = np.frombuffer(vec, dtype=np.float32)
        got += 1
    if got != n:
        raise RuntimeError(f"embedding cache is missing {n - got} vector(s); run the ingest again.")
    dense = create_dense(
        "faiss",
        hnsw_threshold=s.knowledge_hnsw_threshold,
        m=s.knowledge_hnsw_m,
        ef_construction=s.knowledge_hnsw_ef_construction,
        ef_search=s.knowledge_hnsw_ef_search,
    )
    with progress.step(f"Indexing {n} vector(s)", total=n, unit="vectors") as step:
        dense.build(vectors, on_progress=step.advance)
    del vectors
    dense.save(gen.path)
    sparse = create_sparse("bm25")
    texts = catalog.indexed_texts(db)
    with progress.step("Indexing BM25", total=1, unit="indexes") as step:
        sparse.build(texts)
        step.advance()
    del texts
    sparse.save(gen.path)
    # BM25 over whole sections as well: BM25's statistics are made for documents, and a passage cut
    # from an abstract misses the terms of the other half (bench/README.md, round 3). Sections are
    # numbered in the order search numbers them (catalog.SECTION_ORDER), so section i is row i here.
    sections = create_sparse("bm25", folder=SECTIONS_FOLDER)
    texts = section_texts(db)
    n_sections = len(texts)
    with progress.step(f"Indexing BM25 over {n_sections} section(s)", total=1, unit="indexes") as step:
        sections.build(texts)
        step.advance()
    del texts
    sections.save(gen.path)
    run.backends = {
        "dense": dense.describe(),
        "sparse": sparse.describe(),
        "sections_sparse": sections.describe(),
    }
    return n_sections


# --- 5. commit ---


def commit(run: IngestRun) -> None:
    """Write the new generation's metadata and make it live."""
    gen = run.target
    meta = {
        **run.config,
        "model_path": str(run.info.path),
        "counts": run.counts,
        "built_at": _now(),
        "painpoints_version": run.pain_version,
        **run.backends,
    }
    t = time.perf_counter()
    run.store.commit(gen, meta)
    run.report.timings["commit"] = time.perf_counter() - t
    run.report.generation = gen.path.name
    run.report.fill_counts(meta)
