"""The embedding cache: vectors by (model id, hash of the text) in a SQLite file.

Re-ingesting an unchanged corpus embeds nothing, and a changed file re-embeds only the chunks
whose text changed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from study_tracker.knowledge.embed.base import Encoder, ModelInfo


class EmbeddingCache:
    """Vectors by (model id, text hash) in a SQLite file; safe to share between processes (WAL)."""

    def __init__(self, path: Path, info: ModelInfo) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.dim = path, info.dim
        self.db = sqlite3.connect(path, timeout=60)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(
            """
            CREATE TABLE IF NOT EXISTS models (id INTEGER PRIMARY KEY, model_id TEXT UNIQUE NOT NULL, dim INTEGER);
            CREATE TABLE IF NOT EXISTS vectors (
                model INTEGER NOT NULL, hash BLOB NOT NULL, vec BLOB NOT NULL, PRIMARY KEY (model, hash)
            ) WITHOUT ROWID;
            """
        )
        self.db.execute(
            "INSERT OR IGNORE INTO models (model_id, dim) VALUES (?, ?)", (info.model_id, info.dim)
        )
        self.db.commit()
        self.model = self.db.execute("SELECT id FROM models WHERE model_id = ?", (info.model_id,)).fetchone()[
            0
        ]

    def close(self) -> None:
        self.db.close()

    def count(self) -> int:
        """Vectors cached for this model."""
        return self.db.execute("SELECT count(*) FROM vectors WHERE model = ?", (self.model,)).fetchone()[0]

    def put(self, hashes: Sequence[bytes], vectors: np.ndarray) -> None:
        """Store vectors and commit (so work survives a crash)."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.db.executemany(
            "INSERT OR REPLACE INTO vectors (model, hash, vec) VALUES (?, ?, ?)",
            ((self.model, h, v.tobytes()) for h, v in zip(hashes, vectors, strict=True)),
        )
        self.db.commit()

    def get(self, hashes: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        """Cached vectors of ``hashes`` (missing ones are absent from the result)."""
        out: dict[bytes, np.ndarray] = {}
        for i in range(0, len(hashes), 500):
            part = list(hashes[i : i + 500])
            marks = ",".join("?" * len(part))
            for h, v in self.db.execute(
                f"SELECT hash, vec FROM vectors WHERE model = ? AND hash IN ({marks})", (self.model, *part)
            ):
                out[h] = np.frombuffer(v, dtype=np.float32)
        return out

    def embed(
        self,
        items: Iterable[tuple[bytes, str]],
        encoder: Encoder,
        *,
        call_size: int = 256,
        on_progress: Callable[[int], None] | None = None,
    ) -> int:
        """Embed and store the texts whose hash is not cached yet.

        Texts are sorted by length before batching, so each batch pads little; every ``call_size``
        texts are encoded in one call and committed, which keeps the encoder busy with large batches
        while bounding the work lost to a crash.

        Returns:
            The number of texts embedded.
        """
        todo = sorted(items, key=lambda it: len(it[1]))
        for i in range(0, len(todo), call_size):
            part = todo[i : i + call_size]
            vectors = encoder.encode([t for _, t in part])
            self.put([h for h, _ in part], vectors)
            if on_progress:
                on_progress(len(part))
        return len(todo)
