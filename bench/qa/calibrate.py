"""Calibrate ``ask_min_score``, the "nothing relevant" threshold, with the real model on the bundled guides.

Prints, for on-topic and off-topic questions (bench/qa/calibration.jsonl, separate from the QA set),
the best dense cosine between the question and any passage, and the threshold range that separates
them. Usage: ``STUDY_DATA_DIR=/tmp/x .venv/bin/python bench/qa/calibrate.py`` (indexes the guides
into that folder first if needed).
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from study_tracker.config import get_settings
from study_tracker.knowledge.answer.flow import retrieve_passages
from study_tracker.knowledge.ingest.sources import ensure_bundled_indexed
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase

HERE = Path(__file__).parent


def main() -> None:
    settings = get_settings()
    ensure_bundled_indexed(settings, wait=True)
    kb = KnowledgeBase.open(settings)
    kb.warm_up()
    rows = [
        json.loads(line) for line in (HERE / "calibration.jsonl").read_text().splitlines() if line.strip()
    ]
    scored = {True: [], False: []}
    for r in rows:
        best = max(retrieve_passages(kb, r["question"], settings.ask_k)[1].values(), default=-1.0)
        scored[r["relevant"]].append((best, r["question"]))
    for relevant, label in ((True, "on-topic"), (False, "off-topic")):
        values = sorted(s for s, _ in scored[relevant])
        print(
            f"{label:9} n={len(values):2}  min {values[0]:.3f}  median {statistics.median(values):.3f}  "
            f"max {values[-1]:.3f}"
        )
    lo = max(s for s, _ in scored[False])
    hi = min(s for s, _ in scored[True])
    print(f"highest off-topic: {lo:.3f} ({max(scored[False])[1]!r})")
    print(f"lowest on-topic:   {hi:.3f} ({min(scored[True])[1]!r})")
    if lo < hi:
        print(
            f"separating thresholds: ({lo:.3f}, {hi:.3f}); midpoint {(lo + hi) / 2:.3f}; "
            f"current ask_min_score {settings.ask_min_score}"
        )
    else:
        print("the sets overlap: no threshold separates them all")


if __name__ == "__main__":
    main()
