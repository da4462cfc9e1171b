"""The ONNX query encoder against sentence-transformers: same vectors (cosine > 0.999)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from study_tracker.knowledge.embed.base import resolve_model
from study_tracker.knowledge.embed.onnx import OnnxEncoder, onnx_path
from study_tracker.knowledge.embed.torch import TorchEncoder

pytestmark = pytest.mark.model

TEXTS = [
    "hello",
    "How does consistent hashing limit key movement when a node joins?",
    "Ünïcödé — naïve café résumé ☃ 東京",
    "word " * 400,  # longer than the 256-token window: both must truncate the same way
    "Gradient descent moves against the gradient; the learning rate sets the step size. " * 6,
]


@pytest.fixture(scope="module")
def onnx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("knowledge")


def test_onnx_matches_sentence_transformers(onnx_dir: Path) -> None:
    info = resolve_model("")
    onnx = OnnxEncoder.for_model(
        info, onnx_dir, batch_size=3
    )  # batches of mixed lengths: padding must not leak
    assert onnx_path(onnx_dir, info).is_file()
    a = onnx.encode(TEXTS)
    b = TorchEncoder(info).encode(TEXTS)
    assert a.shape == b.shape == (len(TEXTS), 384)
    cos = np.sum(a * b, axis=1)
    assert cos.min() > 0.999, cos
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)


def test_export_happens_once(onnx_dir: Path) -> None:
    info = resolve_model("")
    path = onnx_path(onnx_dir, info)
    OnnxEncoder.for_model(info, onnx_dir)
    before = path.stat().st_mtime_ns
    again = OnnxEncoder.for_model(info, onnx_dir)
    assert path.stat().st_mtime_ns == before
    assert again.encode([]).shape == (0, 384)
