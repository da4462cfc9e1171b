"""The embedding backend chosen by name (the ``knowledge_embed_backend`` setting)."""

from __future__ import annotations

from pathlib import Path

from study_tracker.knowledge.embed.base import Encoder, ModelInfo
from study_tracker.knowledge.embed.onnx import OnnxEncoder
from study_tracker.knowledge.embed.torch import TorchEncoder


def get_encoder(info: ModelInfo, backend: str, knowledge_dir: Path, batch_size: int = 64) -> Encoder:
    """An encoder for ``backend`` ("torch" or "onnx"; onnx exports the model once if needed)."""
    if backend == "onnx":
        return OnnxEncoder.for_model(info, knowledge_dir, batch_size=batch_size)
    if backend == "torch":
        return TorchEncoder(info, batch_size=batch_size)
    raise ValueError(f"Unknown embedding backend {backend!r}; expected torch or onnx.")
