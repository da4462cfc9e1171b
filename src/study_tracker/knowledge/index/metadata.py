"""Index metadata: what a generation must have been built with to be reused or searched.

``meta.json`` beside each generation (written by ``store.KnowledgeStore.commit``) holds these
settings along with counts and backend parameters. Ingest rebuilds an index whose settings differ
from :func:`index_config`; search refuses one (``IndexMismatch``) until it is rebuilt.
"""

from __future__ import annotations

from typing import Any

from study_tracker.config import Settings
from study_tracker.knowledge.embed.base import ModelInfo, variant_of
from study_tracker.knowledge.ingest.chunk import CHUNKER_VERSION

# The files a generation holds; 2 added the section BM25 index. An older index is rebuilt (from
# the embedding cache: nothing is embedded again).
INDEX_LAYOUT = 2


def index_config(settings: Settings, info: ModelInfo) -> dict[str, Any]:
    """What an index must have been built with to be reused (a mismatch forces a rebuild).

    Args:
        settings: chunk size and overlap.
        info: the embedding model (its id and dimension; its window caps the chunk size).

    Returns:
        The settings that decide an index's contents, as stored in its ``meta.json``.
    """
    return {
        "model_id": info.model_id,
        "dim": info.dim,
        "chunker_version": CHUNKER_VERSION,
        "index_layout": INDEX_LAYOUT,
        "chunk_tokens": min(settings.knowledge_chunk_tokens, info.max_seq_length),
        "chunk_overlap": settings.knowledge_chunk_overlap,
    }


def model_change_note(old_id: str, new_id: str) -> str:
    """The sentence that says why an index is rebuilt (or refused) for another embedding model."""
    old, new = variant_of(old_id), variant_of(new_id)
    if old != new and old_id.removesuffix(f"-{old}") == new_id.removesuffix(f"-{new}"):
        return (
            f"The index holds {old} vectors and STUDY_EMBEDDING_VARIANT is {new}: vectors of two variants are "
            "never mixed, so every passage is embedded again from its text."
        )
    return f"The index was built with the embedding model {old_id}, not {new_id}: every passage is embedded again."


def config_mismatch(meta: dict[str, Any], config: dict[str, Any]) -> list[str]:
    """Names of the settings that differ between an index's metadata and ``config``."""
    return [k for k, v in config.items() if meta.get(k) != v]
