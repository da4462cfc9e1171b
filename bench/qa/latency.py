"""Latency of extractive answers on the bundled guides (real model, warm), in-process.

Runs every question of bench/qa/calibration.jsonl and bench/qa/guides_qa.jsonl ``--rounds`` times
and prints the p50/p95 of the whole answer and of its steps (hybrid search with the dense cosines
used as the relevance signal, from one query embedding; splitting and scoring the sentences). Usage:
``STUDY_DATA_DIR=/tmp/x .venv/bin/python bench/qa/latency.py [--rounds 3]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from study_tracker.config import get_settings
from study_tracker.knowledge.answer import flow as ask
from study_tracker.knowledge.ingest.sources import ensure_bundled_indexed
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase

HERE = Path(__file__).parent


def pct(values: list[float], q: int) -> float:
    values = sorted(values)
    return (
        statistics.median(values)
        if q == 50
        else values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    settings = get_settings()
    ensure_bundled_indexed(settings, wait=True)
    kb = KnowledgeBase.open(settings)
    kb.warm_up()
    questions = [
        json.loads(line)["question"]
        for name in ("calibration.jsonl", "guides_qa.jsonl")
        for line in (HERE / name).read_text().splitlines()
        if line.strip()
    ]
    for q in questions[:5]:
        ask.answer_question(kb, q, settings=settings)  # warm caches (stemmer, tokenizer)
    steps: dict[str, list[float]] = {"answer": [], "search + cosines": [], "sentences": []}
    for _ in range(args.rounds):
        for q in questions:
            t = time.perf_counter()
            ask.answer_question(kb, q, settings=settings)
            steps["answer"].append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            hits, cos = ask.retrieve_passages(kb, q, settings.ask_k)
            steps["search + cosines"].append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            cands = ask._candidates(hits)
            ask._score(q, hits, cands, cos)
            ask._select(cands)
            steps["sentences"].append((time.perf_counter() - t) * 1000)
    print(f"{len(questions)} questions x {args.rounds} rounds, k={settings.ask_k}")
    for name, ms in steps.items():
        print(f"{name:16} p50 {pct(ms, 50):6.1f} ms   p95 {pct(ms, 95):6.1f} ms")


if __name__ == "__main__":
    main()
