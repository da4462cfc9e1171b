"""The int8 variant: made locally from the packaged weights, close to fp32, never mixed with it."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from study_tracker.errors import DeviceUnavailable, IndexMismatch
from study_tracker.knowledge.embed.base import resolve_device, resolve_model, variant_of
from study_tracker.knowledge.embed.factory import get_encoder
from study_tracker.knowledge.embed.onnx import OnnxEncoder, onnx_path
from study_tracker.knowledge.embed.torch import TorchEncoder
from study_tracker.knowledge.ingest.pipeline import ingest_paths
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase
from tests.knowledge.kb_helpers import kb_settings

pytestmark = pytest.mark.model

TEXTS = [
    "How does consistent hashing limit key movement when a node joins?",
    "Gradient descent moves against the gradient; the learning rate sets the step size.",
    "Open http://localhost:5555 in a browser once the server runs.",
    "Raft elects a leader with randomized election timeouts.",
]


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A knowledge folder with the fp32 export and its int8 quantization (made once a module)."""
    folder = tmp_path_factory.mktemp("variant-knowledge")
    OnnxEncoder.for_model(resolve_model("", "int8"), folder)
    return folder


def test_the_variant_is_part_of_the_model_id() -> None:
    fp32, int8 = resolve_model(""), resolve_model("", "int8")
    assert int8.model_id == fp32.model_id + "-int8" and int8.variant == "int8"
    assert variant_of(int8.model_id) == "int8" and variant_of(fp32.model_id) == "fp32"
    assert int8.full_precision() == fp32
    with pytest.raises(ValueError, match="fp16"):
        resolve_model("", "fp16")
    with pytest.raises(ValueError, match="fp32 model only"):
        TorchEncoder(int8)


def test_int8_is_made_here_from_the_fp32_export_and_stays_close(models: Path) -> None:
    fp32_info, int8_info = resolve_model(""), resolve_model("", "int8")
    fp32_file, int8_file = onnx_path(models, fp32_info), onnx_path(models, int8_info)
    assert fp32_file.is_file() and int8_file.is_file()
    assert int8_file.stat().st_size < fp32_file.stat().st_size / 3  # int8 weights: a quarter
    full = OnnxEncoder.for_model(fp32_info, models).encode(TEXTS)
    # whatever backend is asked for, int8 runs on onnx (torch has no such model)
    quant = get_encoder(int8_info, "torch", models, device="cpu")
    assert isinstance(quant, OnnxEncoder)
    small = quant.encode(TEXTS)
    np.testing.assert_allclose(np.linalg.norm(small, axis=1), 1.0, atol=1e-5)
    cos = np.sum(full * small, axis=1)
    assert cos.min() > 0.98, cos  # close to fp32 ...
    assert cos.max() < 0.99999, cos  # ... but really another model: its vectors are not fp32's


def test_device_setting() -> None:
    assert resolve_device("cpu", "onnx") == "cpu"
    import onnxruntime as ort

    if "CUDAExecutionProvider" in ort.get_available_providers():
        assert resolve_device("auto", "onnx") == "cuda"
    else:
        assert resolve_device("auto", "onnx") == "cpu"
        with pytest.raises(DeviceUnavailable, match="STUDY_EMBEDDING_DEVICE is cuda"):
            resolve_device("cuda", "onnx")


def test_switching_the_variant_re_embeds_from_text_with_a_message(tmp_path: Path, models: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "setup.md").write_text(
        "# Setup\n\nStart the server, then open http://localhost:5555 in your browser to see today's plan.\n"
    )
    (corpus / "raft.md").write_text("# Raft\n\nRaft elects a leader with randomized election timeouts.\n")
    base = {"knowledge_embed_backend": "onnx"}
    fp32 = kb_settings(tmp_path, **base)
    shutil.copytree(models / "onnx", fp32.knowledge_path / "onnx")  # no second export
    first = ingest_paths([corpus], settings=fp32)
    assert first.notes == [] and first.embedded == first.chunks_indexed > 0
    assert KnowledgeBase.open(fp32).search("which port does the app use", mode="dense", k=1)

    int8 = kb_settings(tmp_path, embedding_variant="int8", **base)
    with pytest.raises(IndexMismatch, match="fp32 vectors and STUDY_EMBEDDING_VARIANT is int8"):
        KnowledgeBase.open(int8).search("raft leader", mode="dense")
    switched = ingest_paths([], settings=int8)
    assert any("never mixed" in n for n in switched.notes), switched.notes
    assert switched.embedded == switched.chunks_indexed == first.chunks_indexed  # all of it, from text
    hits = KnowledgeBase.open(int8).search("raft leader election", mode="dense", k=1)
    assert hits and "Raft" in hits[0].text
    with sqlite3.connect(int8.knowledge_path / "embeddings.sqlite") as db:
        ids = {row[0] for row in db.execute("SELECT model_id FROM models")}
    assert ids == {resolve_model("").model_id, resolve_model("", "int8").model_id}

    back = ingest_paths([], settings=fp32)  # and back: the fp32 vectors are still cached
    assert back.embedded == 0 and back.notes
