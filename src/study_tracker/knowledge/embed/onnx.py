"""Query-time embeddings with onnxruntime: no torch in the process once the model is exported.

The model is exported once (torch is needed for that step only) to ``<knowledge dir>/onnx/<model
id>.onnx`` with pooling and L2 normalisation inside the graph; encoding is then the ``tokenizers``
fast tokenizer plus one ``InferenceSession.run``. ``tests/knowledge/embed/test_onnx.py`` checks
the vectors match sentence-transformers (cosine > 0.999).

The int8 variant is made here from that export by onnxruntime's dynamic quantization (weights
stored as int8, activations quantized per batch), to ``<model id>-int8.onnx``: no download, no
other tool, about a quarter of the size and faster on CPU (bench/embed_speed.py).
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import tempfile
import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from study_tracker.errors import ModelNotFound
from study_tracker.knowledge.embed.base import Encoder, ModelInfo, quiet_transformers

_EXPORT_LOCK = threading.Lock()


def onnx_path(knowledge_dir: Path, info: ModelInfo) -> Path:
    """Where the exported model of ``info`` lives."""
    return knowledge_dir / "onnx" / f"{info.model_id}.onnx"


def export_onnx(info: ModelInfo, dest: Path) -> Path:
    """Export the model to ONNX with mean (or CLS) pooling and normalisation; atomic (temp + rename).

    Raises:
        ModelNotFound: torch/transformers cannot load the folder.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from transformers import AutoModel

    quiet_transformers()

    try:
        model = AutoModel.from_pretrained(str(info.path), attn_implementation="eager").eval()
    except (OSError, ValueError) as e:
        raise ModelNotFound(f"Cannot load the embedding model {info.path} for ONNX export: {e}") from None
    takes_types = "token_type_ids" in inspect.signature(model.forward).parameters
    pooling = info.pooling

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            kwargs = {"token_type_ids": token_type_ids} if takes_types else {}
            hidden = self.model(
                input_ids=input_ids, attention_mask=attention_mask, **kwargs
            ).last_hidden_state
            if pooling == "cls":
                pooled = hidden[:, 0]
            else:
                mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if takes_types else [])
    sample = torch.ones(2, 8, dtype=torch.long)
    args = tuple(sample if n != "token_type_ids" else torch.zeros_like(sample) for n in names)
    axes = {n: {0: "batch", 1: "tokens"} for n in names} | {"embedding": {0: "batch"}}

    def write(tmp: str) -> dict[str, Any]:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # tracer warnings about constant shapes are expected here
            torch.onnx.export(
                Pooled(),
                args,
                tmp,
                input_names=names,
                output_names=["embedding"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        return {"inputs": names, "model_id": info.model_id}

    return _write_model(dest, write)


def _write_model(dest: Path, write: Callable[[str], dict[str, Any]]) -> Path:
    """Write a model file and its JSON sidecar atomically: ``write(tmp)`` writes the model to
    ``tmp`` and returns the sidecar; both are renamed into place only when it succeeded, and
    nothing is left behind when it fails."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".onnx", dir=dest.parent)
    os.close(fd)
    try:
        sidecar = write(tmp)
        Path(tmp + ".json").write_text(json.dumps(sidecar))
        os.replace(tmp + ".json", dest.with_suffix(".json"))
        os.replace(tmp, dest)
    finally:
        for leftover in (tmp, tmp + ".json"):
            if os.path.exists(leftover):
                os.unlink(leftover)
    return dest


def quantize_onnx(source: Path, dest: Path) -> Path:
    """Write the int8 dynamic quantization of the fp32 model ``source`` to ``dest``; atomic.

    Signed int8 weights with a scale per output channel: per tensor, the vectors drift too far
    (mean cosine to fp32 0.943 against 0.994 per channel on SciFact abstracts; unsigned 0.977);
    fusing attention first (onnxruntime's transformer optimizer) made it no faster here
    (bench/README.md, embedding speed).
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    def write(tmp: str) -> dict[str, Any]:
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # it logs a pre-processing tip at WARNING on every call
        try:
            quantize_dynamic(str(source), tmp, weight_type=QuantType.QInt8, per_channel=True)
        finally:
            root.setLevel(level)
        sidecar: dict[str, Any] = (
            json.loads(source.with_suffix(".json").read_text())
            if source.with_suffix(".json").is_file()
            else {}
        )
        sidecar["model_id"] = dest.stem
        return sidecar

    return _write_model(dest, write)


def ensure_model_file(info: ModelInfo, knowledge_dir: Path) -> Path:
    """The ONNX file of ``info``, exported (and quantized, for int8) on first use."""
    path = onnx_path(knowledge_dir, info)
    if path.is_file():
        return path
    with _EXPORT_LOCK:
        if not path.is_file():
            full = info.full_precision()
            source = onnx_path(knowledge_dir, full)
            if not source.is_file():
                export_onnx(full, source)
            if info.variant == "int8":
                quantize_onnx(source, path)
    return path


class OnnxEncoder(Encoder):
    """Encode texts with an exported ONNX model and the model's fast tokenizer."""

    def __init__(
        self,
        model_file: Path,
        tokenizer_file: Path,
        max_seq_length: int,
        dim: int,
        batch_size: int = 64,
        *,
        device: str = "cpu",
    ):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        sidecar = model_file.with_suffix(".json")
        inputs = json.loads(sidecar.read_text())["inputs"] if sidecar.is_file() else None
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        # The arena keeps the largest batch's buffers forever; a server answering one query at a
        # time is better off without it (lower RSS, same latency).
        opts.enable_cpu_mem_arena = False
        providers = ["CPUExecutionProvider"]
        if device == "cuda":
            providers.insert(0, "CUDAExecutionProvider")
        self.session = ort.InferenceSession(str(model_file), opts, providers=providers)
        self.inputs: list[str] = inputs if inputs is not None else [i.name for i in self.session.get_inputs()]
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.enable_truncation(max_seq_length)
        self.tokenizer.enable_padding(pad_id=self.tokenizer.token_to_id("[PAD]") or 0)
        self.dim, self.batch_size = dim, batch_size

    @classmethod
    def for_model(
        cls, info: ModelInfo, knowledge_dir: Path, batch_size: int = 64, *, device: str = "cpu"
    ) -> OnnxEncoder:
        """The encoder of ``info`` (its variant) on ``device``, exporting the model on first use."""
        path = ensure_model_file(info, knowledge_dir)
        return cls(
            path, info.path / "tokenizer.json", info.max_seq_length, info.dim, batch_size, device=device
        )

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")  # similar lengths pad less
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i in range(0, len(texts), self.batch_size):
            idx = order[i : i + self.batch_size]
            enc = self.tokenizer.encode_batch([texts[j] for j in idx])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            feed = {
                "input_ids": ids,
                "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
            }
            if "token_type_ids" in self.inputs:
                feed["token_type_ids"] = np.array([e.type_ids for e in enc], dtype=np.int64)
            out[idx] = self.session.run(None, feed)[0]
        return out
