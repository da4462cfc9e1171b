"""The embedding backend chosen by name (the ``knowledge_embed_backend`` setting) and device."""

from __future__ import annotations

from pathlib import Path

from study_tracker.knowledge.embed.base import Encoder, ModelInfo, resolve_device
from study_tracker.knowledge.embed.onnx import OnnxEncoder
from study_tracker.knowledge.embed.torch import TorchEncoder


def backend_for(info: ModelInfo, backend: str) -> str:
    """The backend that runs ``info``: a quantized variant exists as an ONNX model only."""
    return backend if info.variant == "fp32" else "onnx"


def get_encoder(
    info: ModelInfo, backend: str, knowledge_dir: Path, batch_size: int = 64, *, device: str = "cpu"
) -> Encoder:
    """An encoder for ``backend`` ("torch" or "onnx"; onnx exports the model once if needed).

    Args:
        info: the model and its variant (int8 runs on onnx whatever ``backend`` says).
        backend: "torch" or "onnx".
        knowledge_dir: where the exported ONNX models live.
        batch_size: texts per forward pass.
        device: the ``embedding_device`` setting: "auto", "cpu" or "cuda".

    Raises:
        DeviceUnavailable: ``device`` is "cuda" and the backend cannot use a GPU.
    """
    backend = backend_for(info, backend)
    if backend not in ("onnx", "torch"):
        raise ValueError(f"Unknown embedding backend {backend!r}; expected torch or onnx.")
    where = resolve_device(device, backend)
    if backend == "onnx":
        return OnnxEncoder.for_model(info, knowledge_dir, batch_size=batch_size, device=where)
    return TorchEncoder(info, batch_size=batch_size, device=where)
