"""Offline grading speed: p50/p95 ms per answer over the labelled answers (both halves).

    .venv/bin/python bench/grading_speed.py [--knowledge bench/.cache/grading-knowledge] [--rounds 3]

Each answer is graded with a fresh grader per round ("cold": the first answer of a question also
encodes its key points) and again with the question cached ("warm", what a card loop sees after
the first card). The ONNX model is exported into ``--knowledge`` once (torch is needed for that
step only). Prints the machine's load average, since the box is shared, and the process's CPU
time per answer (all threads), which other jobs on the box inflate far less than wall time.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "practice" / "data"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--knowledge", type=Path, default=ROOT / "bench" / ".cache" / "grading-knowledge")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    from study_tracker.knowledge.embed.base import resolve_model
    from study_tracker.knowledge.embed.onnx import OnnxEncoder
    from study_tracker.practice.grading.evaluate import read_answers
    from study_tracker.practice.grading.offline import OfflineGrader

    encoder = OnnxEncoder.for_model(resolve_model(""), args.knowledge)
    answers = [a for name in ("tune", "report") for a in read_answers(DATA / f"grading_{name}.jsonl")]
    encoder.encode(["warm up"])
    times: dict[str, list[tuple[float, float]]] = {"cold": [], "warm": []}
    for _ in range(args.rounds):
        grader = OfflineGrader(encoder)
        for phase in ("cold", "warm"):  # cold: the first answer of a question encodes its key points
            for a in answers:
                t0, c0 = time.perf_counter(), time.process_time()
                grader.grade(a.item)
                times[phase].append((time.perf_counter() - t0, time.process_time() - c0))
    words = np.array([len(a.item.answer.split()) for a in answers])
    print(
        f"{len(answers)} answers, {words.mean():.0f} words on average (max {words.max()}), {args.rounds} rounds"
    )
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    labels = {"cold": "first pass (key points encoded per question)", "warm": "questions cached"}
    for phase, xs in times.items():
        wall, cpu = (np.array(col) * 1000 for col in zip(*xs, strict=True))
        print(
            f"{labels[phase]:46s} wall p50 {np.percentile(wall, 50):6.1f} ms  p95 {np.percentile(wall, 95):6.1f} ms"
            f" | cpu p50 {np.percentile(cpu, 50):6.1f} ms  p95 {np.percentile(cpu, 95):6.1f} ms"
        )


if __name__ == "__main__":
    main()
