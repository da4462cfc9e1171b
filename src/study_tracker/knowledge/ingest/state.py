"""The state of one ingest run (:class:`IngestRun`), which every stage reads and fills, and the
report it ends with (:class:`IngestReport`)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from study_tracker.config import Settings
from study_tracker.knowledge.embed.base import Encoder, ModelInfo, settings_model
from study_tracker.knowledge.index.metadata import index_config
from study_tracker.knowledge.index.store import Generation, KnowledgeStore
from study_tracker.knowledge.ingest import painpoints
from study_tracker.knowledge.ingest.loaders.base import LoaderOptions
from study_tracker.knowledge.ingest.plan import Plan
from study_tracker.knowledge.progress import Progress

Roots = dict[str, tuple[LoaderOptions, bool]]  # root path -> (loader options, bundled)


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
    notes: list[str] = field(default_factory=list)  # what the run decided that the user should know
    up_to_date: bool = False
    generation: str | None = None
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return not self.up_to_date

    def fill_counts(self, meta: dict[str, Any]) -> None:
        """Take the document and chunk totals from a generation's metadata."""
        counts = meta.get("counts", {})
        self.documents = counts.get("documents", 0)
        self.chunks_total = counts.get("chunks", 0)
        self.chunks_indexed = counts.get("indexed", 0)


def loader_options(
    settings: Settings,
    *,
    text_field: str | None = None,
    id_field: str | None = None,
    title_field: str | None = None,
) -> LoaderOptions:
    """Loader options: the given JSON field names, else the settings' ones, and the size limit."""
    return LoaderOptions(
        text_field=text_field or settings.knowledge_json_text_field,
        id_field=id_field or settings.knowledge_json_id_field,
        title_field=title_field or settings.knowledge_json_title_field,
        max_file_bytes=int(settings.knowledge_max_file_mb * 1024 * 1024),
        max_line_bytes=int(settings.knowledge_max_line_mb * 1024 * 1024),
        max_inflated_bytes=int(settings.knowledge_max_inflated_mb * 1024 * 1024),
    )


def _pain_detector() -> tuple[Callable[[str], bool] | None, str]:
    """``is_pain_point`` and a fingerprint of the painpoints module (a change re-flags every chunk)."""
    fn = painpoints.is_pain_point
    try:
        source = Path(painpoints.__file__).read_bytes()
    except (OSError, TypeError):
        source = b""
    return fn, hashlib.sha256(source).hexdigest()[:16]


@dataclass
class IngestRun:
    """The state of one ingest run: what was asked, what the scan decided, what the stages did.

    Built by :meth:`start`; :func:`scan` fills ``current`` to ``pain_stale``, the later stages
    ``gen``, ``new_hashes``, ``counts`` and ``backends``, and every stage adds to ``report``.
    """

    settings: Settings
    store: KnowledgeStore
    info: ModelInfo
    config: dict[str, Any]  # index_config: what the index is built with
    roots: Roots
    remove: list[str]
    report: IngestReport
    progress: Progress
    encoder: Encoder | None  # None: the configured model, loaded only if anything must be embedded
    pain: Callable[[str], bool] | None
    pain_version: str
    rebuild: bool = False
    bundled: bool = False
    # decided by scan()
    current: Generation | None = None
    old_meta: dict[str, Any] = field(default_factory=dict)
    reuse: bool = False  # start from a copy of the live catalog (same settings, no rebuild)
    plan: Plan = field(default_factory=Plan)
    pain_stale: bool = False  # the pain-point detector changed: re-flag every discussion chunk
    # built by the later stages
    gen: Generation | None = None
    new_hashes: set[bytes] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)
    backends: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def start(
        cls,
        settings: Settings,
        roots: Roots,
        *,
        remove: Sequence[str] = (),
        progress: Progress,
        encoder: Encoder | None = None,
        rebuild: bool = False,
        bundled: bool = False,
    ) -> IngestRun:
        """A run over ``roots`` (copied: the scan adds known roots to a rebuild).

        Raises:
            ModelNotFound: the embedding model folder is unusable.
        """
        info = settings_model(settings)
        pain, pain_version = _pain_detector()
        return cls(
            settings=settings,
            store=KnowledgeStore(settings.knowledge_path),
            info=info,
            config=index_config(settings, info),
            roots=dict(roots),
            remove=list(remove),
            report=IngestReport(roots=list(roots)),
            progress=progress,
            encoder=encoder,
            pain=pain,
            pain_version=pain_version,
            rebuild=rebuild,
            bundled=bundled,
        )

    @property
    def target(self) -> Generation:
        """The generation being built."""
        if self.gen is None:
            raise RuntimeError("no generation is being built yet")
        return self.gen
