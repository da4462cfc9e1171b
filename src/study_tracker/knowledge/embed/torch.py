"""The sentence-transformers backend: the model on torch, for ingest when ONNX is not chosen."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from study_tracker.knowledge.embed.base import Encoder, ModelInfo, quiet_transformers


class TorchEncoder(Encoder):
    """sentence-transformers on CPU or CUDA (imported on first use: it takes seconds)."""

    def __init__(self, info: ModelInfo, batch_size: int = 64, *, device: str = "cpu") -> None:
        if info.variant != "fp32":
            raise ValueError(f"The torch backend runs the fp32 model only, not {info.variant}.")
        self.info, self.dim, self.batch_size, self.device = info, info.dim, batch_size, device
        self._model = None

    def _load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub: the folder is all there is
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            quiet_transformers()
            model = SentenceTransformer(str(self.info.path), device=self.device)
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
