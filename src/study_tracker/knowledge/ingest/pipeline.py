"""Ingest: files and folders -> documents -> chunks -> cached embeddings -> a new index generation.

One run scans the named roots, reloads only new or changed files (size and mtime, then SHA-256),
drops files that are gone, embeds only chunk texts the cache has not seen, rebuilds the FAISS and
BM25 indexes and swaps the new generation in atomically (see ``index/store.py``). A file that
cannot be read is skipped with a reason; everything else goes in. A run killed at any point leaves
the previous index live, and the next run finds the vectors it had already computed in the cache.

This module holds the entry points; the stages of a run are in ``stages.py``, the state they
share and the report in ``state.py``.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Sequence

from study_tracker.config import Settings, get_settings
from study_tracker.knowledge.embed.base import Encoder
from study_tracker.knowledge.embed.cache import EmbeddingCache
from study_tracker.knowledge.index import catalog
from study_tracker.knowledge.ingest import stages
from study_tracker.knowledge.ingest.plan import norm_path
from study_tracker.knowledge.ingest.state import IngestReport, IngestRun, Roots, loader_options
from study_tracker.knowledge.progress import Progress

__all__ = ["IngestReport", "ingest_paths", "run_ingest"]


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
    opts = loader_options(settings, text_field=text_field, id_field=id_field, title_field=title_field)
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
    roots: Roots,
    *,
    rebuild: bool = False,
    bundled: bool = False,
    remove: Sequence[str] = (),
    progress: Progress,
    lock_timeout: float | None,
    encoder: Encoder | None = None,
    dry_run: bool = False,
) -> IngestReport:
    """Ingest ``roots`` and drop the sources at or under ``remove``, under the ingest lock.

    Args:
        settings: where the knowledge folder is, which model, chunk sizes, index parameters.
        roots: root path (normalised) -> (loader options, bundled).
        rebuild, bundled, progress, lock_timeout, encoder, dry_run: as in :func:`ingest_paths`.
        remove: paths whose roots and files leave the index.

    Returns:
        The report of the run.

    Raises:
        IngestBusy: another ingest holds the lock past ``lock_timeout``.
        ModelNotFound: the embedding model folder is unusable.
    """
    t0 = time.perf_counter()
    run = IngestRun.start(
        settings, roots, remove=remove, progress=progress, encoder=encoder, rebuild=rebuild, bundled=bundled
    )
    with run.store.lock(lock_timeout):
        changed = stages.scan(run)
        if changed and not dry_run:
            _build_generation(run)
        else:
            stages.keep_current(run, changed=changed)
    run.report.seconds = time.perf_counter() - t0
    return run.report


def _build_generation(run: IngestRun) -> None:
    """Run the stages after the scan on a new generation; it is deleted if any of them fails."""
    gen = run.store.new_generation(copy_from=run.current if run.reuse else None)
    run.gen = gen
    try:
        # closing(): a failed embed or a Ctrl-C must not leave the catalog open in a long-lived process.
        with contextlib.closing(catalog.connect_catalog(gen.catalog_path)) as db:
            db.isolation_level = None  # explicit transactions and per-file savepoints
            stages.write_catalog(run, db)
            with (
                contextlib.closing(EmbeddingCache(run.store.cache_path, run.info)) as cache,
                catalog.attached_cache(db, run.store.cache_path),
            ):
                stages.embed_missing(run, db, cache)
                stages.build_indexes(run, db, cache)
        stages.commit(run)
    except BaseException:
        run.store.discard(gen)
        raise
