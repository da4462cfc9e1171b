"""Precision, recall and F1 of the pain-point tagger on the held-out labelled set.

    .venv/bin/python bench/painpoints_eval.py            # held-out test set (the reported figures)
    .venv/bin/python bench/painpoints_eval.py --set dev  # development set, used to build the rules
    .venv/bin/python bench/painpoints_eval.py --set dev --errors   # list the mistakes

Also prints the time per call (short texts and a ~1.5 kB chunk), since ingest calls the tagger
on every discussion chunk.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from pathlib import Path

from study_tracker.knowledge.ingest.painpoints import PAIN_POINT_THRESHOLD, pain_point_score

DATA = Path(__file__).resolve().parent.parent / "tests" / "knowledge" / "ingest" / "data"


def load(name: str) -> list[dict]:
    path = DATA / f"painpoints_{name}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def metrics(rows: list[dict], threshold: float) -> dict[str, float]:
    tp = fp = fn = tn = 0
    for row in rows:
        predicted = pain_point_score(row["text"]) >= threshold
        if predicted and row["label"]:
            tp += 1
        elif predicted:
            fp += 1
        elif row["label"]:
            fn += 1
        else:
            tn += 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = (tp + tn) / len(rows)
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "accuracy": accuracy,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=["test", "dev"], default="test")
    parser.add_argument("--errors", action="store_true", help="print every misclassified example")
    args = parser.parse_args()

    rows = load(args.set)
    m = metrics(rows, PAIN_POINT_THRESHOLD)
    print(
        f"set={args.set} examples={len(rows)} positives={sum(r['label'] for r in rows)} "
        f"threshold={PAIN_POINT_THRESHOLD}"
    )
    print(
        f"precision={m['precision']:.3f} recall={m['recall']:.3f} f1={m['f1']:.3f} "
        f"accuracy={m['accuracy']:.3f} (tp={m['tp']} fp={m['fp']} fn={m['fn']} tn={m['tn']})"
    )

    wrong = Counter()
    for row in rows:
        score = pain_point_score(row["text"])
        if (score >= PAIN_POINT_THRESHOLD) != bool(row["label"]):
            wrong[row["kind"]] += 1
            if args.errors:
                print(f"  label={row['label']} score={score:.2f} [{row['kind']}] {row['text']}")
    print("errors by kind:", dict(wrong.most_common()))

    texts = [r["text"] for r in rows]
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for text in texts:
            pain_point_score(text)
        runs.append((time.perf_counter() - start) / len(texts))
    print(f"time per call: median {statistics.median(runs) * 1e6:.0f} us over 5 runs of {len(texts)}")

    # Ingest chunks are longer than the examples: time a ~1.5 kB chunk made of 20 of them.
    chunk = " ".join(texts[:20])
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(100):
            pain_point_score(chunk)
        runs.append((time.perf_counter() - start) / 100)
    print(f"time per {len(chunk)}-character chunk: median {statistics.median(runs) * 1e3:.2f} ms over 5 runs")


if __name__ == "__main__":
    main()
