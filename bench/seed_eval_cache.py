"""Seed the embedding cache of a ``study eval --workdir`` folder with the bench's chunk vectors.

    .venv/bin/python bench/seed_eval_cache.py scifact bench/.cache/eval-scifact
    .venv/bin/python -m study_tracker eval /work/shared/bench-data/scifact --workdir bench/.cache/eval-scifact

``beir_cache.py chunk`` embeds exactly the product's chunk texts (``Chunk.index_text``) with the
product's model, so ``study eval`` then re-embeds nothing (its ingest report says how many came
from the cache); any text that differs is simply embedded by the ingest as usual.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import beir_cache  # noqa: E402

from study_tracker.config import Settings  # noqa: E402
from study_tracker.knowledge.embed.base import settings_model, text_hash  # noqa: E402
from study_tracker.knowledge.embed.cache import EmbeddingCache

if __name__ == "__main__":
    name, workdir = sys.argv[1], Path(sys.argv[2])
    coll = beir_cache.collection(name)
    _, texts = beir_cache.product_chunks(coll)
    _, vecs = beir_cache.chunk_vectors(coll)
    info = settings_model(Settings())
    cache = EmbeddingCache(workdir / "knowledge" / "embeddings.sqlite", info)
    cache.put([text_hash(t) for t in texts], vecs)
    print(f"{name}: {cache.count():,} vectors cached in {cache.path}")
    cache.close()
