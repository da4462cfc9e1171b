"""Encode throughput of the embedding variants in one run: fp32 on torch (the ingest default),
fp32 on ONNX, int8 on ONNX.

    nice -n 10 .venv/bin/python bench/embed_speed.py --texts 256 --rounds 5 --work bench/.cache/embed-speed

Texts are chunk-sized passages (the first ~128 tokens of SciFact abstracts, or of the bundled
guides when the bench data is absent). Rounds are interleaved (each round runs every variant once,
in a rotating order), so a burst of load from other jobs hits all of them alike; the figures are
medians over rounds, with the load average before and after, since the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

from study_tracker.content import GUIDES_DIR
from study_tracker.knowledge.embed.base import Encoder, resolve_model
from study_tracker.knowledge.embed.onnx import OnnxEncoder
from study_tracker.knowledge.embed.torch import TorchEncoder

SCIFACT = Path("/work/shared/bench-data/scifact/corpus.jsonl")


def passages(n: int) -> list[str]:
    """``n`` chunk-sized texts (about 600 characters, like a 128-token chunk)."""
    if SCIFACT.is_file():
        with SCIFACT.open() as f:
            texts = [json.loads(line)["text"][:600] for _, line in zip(range(n), f, strict=False)]
    else:
        words = " ".join(p.read_text() for p in sorted(GUIDES_DIR.glob("*.md"))).split()
        texts = [" ".join(words[i : i + 100]) for i in range(0, len(words), 100)]
    return (texts * (n // max(len(texts), 1) + 1))[:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--texts", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--work", type=Path, default=Path("bench/.cache/embed-speed"))
    ap.add_argument("--no-torch", action="store_true", help="skip the torch row (it loads in ~10 s)")
    args = ap.parse_args()
    texts = passages(args.texts)
    fp32, int8 = resolve_model(""), resolve_model("", "int8")
    encoders: dict[str, Encoder] = {
        "fp32 onnx": OnnxEncoder.for_model(fp32, args.work, batch_size=args.batch),
        "int8 onnx": OnnxEncoder.for_model(int8, args.work, batch_size=args.batch),
    }
    if not args.no_torch:
        encoders["fp32 torch"] = TorchEncoder(fp32, batch_size=args.batch)
    reference = encoders["fp32 onnx"].encode(texts)
    for enc in encoders.values():
        enc.encode(texts[:8])  # load and warm up outside the timed rounds
    load_before = os.getloadavg()
    times: dict[str, list[float]] = {name: [] for name in encoders}
    names = list(encoders)
    for r in range(args.rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            t = time.perf_counter()
            encoders[name].encode(texts)
            times[name].append(time.perf_counter() - t)
    load_after = os.getloadavg()
    cos = np.sum(encoders["int8 onnx"].encode(texts) * reference, axis=1)
    print(
        f"{len(texts)} texts x {args.rounds} interleaved rounds, batch {args.batch}, cores {os.cpu_count()}"
    )
    print(f"load average before {load_before[0]:.1f}, after {load_after[0]:.1f} (1 min)")
    print("| variant | median s | texts/s | min s | max s |")
    print("|---|---|---|---|---|")
    rate = {}
    for name, ts in times.items():
        med = statistics.median(ts)
        rate[name] = len(texts) / med
        print(f"| {name} | {med:.2f} | {rate[name]:.1f} | {min(ts):.2f} | {max(ts):.2f} |")
    print(f"int8 onnx vs fp32 onnx: {rate['int8 onnx'] / rate['fp32 onnx']:.2f}x")
    if "fp32 torch" in rate:
        print(f"int8 onnx vs fp32 torch (the ingest default): {rate['int8 onnx'] / rate['fp32 torch']:.2f}x")
    print(f"int8 vs fp32 cosine: mean {cos.mean():.4f}, min {cos.min():.4f}")


if __name__ == "__main__":
    main()
