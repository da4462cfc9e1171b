"""Retrieval evaluation: a BEIR-format collection loader, per-mode runs, ranx metrics, latency.

The metric code is ranx (the same implementation BEIR-style papers report), so numbers here are
comparable with published nDCG@10. Ranking goes through whatever ``search`` callable is handed in,
so ``study eval`` measures the product's own search path rather than a copy of it.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

METRICS = ("ndcg@10", "recall@100", "mrr@10")


class EvalDataError(ValueError):
    """A BEIR folder is missing a file or has a malformed line (the message names it)."""


@dataclass
class BeirCollection:
    """A BEIR-format test collection: corpus, queries and relevance judgments of one split."""

    name: str
    corpus: dict[str, dict[str, str]]  # doc id -> {"title": ..., "text": ...}
    queries: dict[str, str]  # query id -> text (only queries judged in ``qrels``)
    qrels: dict[str, dict[str, int]]  # query id -> {doc id: grade}
    split: str = ""

    def doc_text(self, doc_id: str) -> str:
        """Title and body joined the way BEIR baselines index them."""
        doc = self.corpus[doc_id]
        return f"{doc['title']}\n{doc['text']}" if doc.get("title") else doc["text"]


def _read_jsonl(path: Path) -> Iterable[dict]:
    if not path.is_file():
        raise EvalDataError(f"{path} is missing (a BEIR folder holds corpus.jsonl and queries.jsonl).")
    with path.open(encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise EvalDataError(f"{path}, line {line_no}: not valid JSON ({e.msg}).") from None
            if not isinstance(row, dict) or "_id" not in row:
                raise EvalDataError(f"{path}, line {line_no}: each line needs an \"_id\" field.")
            yield row


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """Read a BEIR qrels TSV (header ``query-id corpus-id score``; CRLF tolerated)."""
    if not path.is_file():
        raise EvalDataError(f"{path} is missing (expected a qrels TSV: query-id, corpus-id, score).")
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for line_no, row in enumerate(csv.reader(f, delimiter="\t"), 1):
            row = [c.strip() for c in row]
            if not row or not any(row) or (line_no == 1 and row[0] == "query-id"):
                continue
            if len(row) < 3:
                raise EvalDataError(f"{path}, line {line_no}: expected 3 tab-separated fields, got {len(row)}.")
            try:
                grade = int(float(row[2]))
            except ValueError:
                raise EvalDataError(f"{path}, line {line_no}: score {row[2]!r} is not a number.") from None
            if grade > 0:  # grade 0 means judged non-relevant: no gain, so ranx needs not see it
                qrels.setdefault(row[0], {})[row[1]] = grade
    return qrels


def load_beir(folder: Path, *, split: str | None = None, qrels_path: Path | None = None) -> BeirCollection:
    """Load a BEIR folder (``corpus.jsonl``, ``queries.jsonl``, ``qrels/<split>.tsv``).

    Args:
        folder: the collection folder.
        split: qrels split name; default: ``test`` if present, else the only file in ``qrels/``.
        qrels_path: an explicit qrels file (overrides ``split``).

    Raises:
        EvalDataError: a file is missing or malformed, or the split is ambiguous.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise EvalDataError(f"{folder} is not a folder (expected a BEIR collection).")
    if qrels_path is None:
        qdir = folder / "qrels"
        if split is None:
            available = sorted(p.stem for p in qdir.glob("*.tsv"))
            if "test" in available:
                split = "test"
            elif len(available) == 1:
                split = available[0]
            else:
                raise EvalDataError(
                    f"{qdir}: choose a split with --split (available: {', '.join(available) or 'none'})."
                )
        qrels_path = qdir / f"{split}.tsv"
    qrels = read_qrels(qrels_path)
    corpus = {
        str(r["_id"]): {"title": str(r.get("title") or ""), "text": str(r.get("text") or "")}
        for r in _read_jsonl(folder / "corpus.jsonl")
    }
    all_queries = {str(r["_id"]): str(r.get("text") or "") for r in _read_jsonl(folder / "queries.jsonl")}
    missing = [q for q in qrels if q not in all_queries]
    if missing:
        raise EvalDataError(f"{qrels_path}: {len(missing)} query ids are not in queries.jsonl (e.g. {missing[0]}).")
    # Judgments pointing at documents absent from the corpus can never be retrieved; keep them
    # (they lower recall honestly, as in BEIR) but queries are restricted to judged ones.
    queries = {q: all_queries[q] for q in qrels}
    return BeirCollection(
        name=folder.name, corpus=corpus, queries=queries, qrels=qrels, split=split or qrels_path.stem
    )


@dataclass
class ModeResult:
    """Quality and latency of one search mode over a collection."""

    mode: str
    metrics: dict[str, float]
    latencies_ms: list[float] = field(default_factory=list)

    def latency(self, pct: float) -> float:
        return float(np.percentile(self.latencies_ms, pct)) if self.latencies_ms else float("nan")


def score_run(qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]], metrics: Sequence[str] = METRICS) -> dict[str, float]:
    """Mean metrics (ranx) of ``run`` against ``qrels``; queries absent from the run count as zero."""
    from ranx import Qrels, Run, evaluate

    # ranx refuses queries missing from the run; an empty result set is a legitimate zero.
    full_run = {q: (run.get(q) or {"__none__": 0.0}) for q in qrels}
    scores = evaluate(Qrels(qrels), Run(full_run), list(metrics), make_copy=False)
    if isinstance(scores, float):
        scores = {metrics[0]: scores}
    return {m: float(scores[m]) for m in metrics}


def run_mode(
    collection: BeirCollection,
    search: Callable[[str], dict[str, float]],
    *,
    mode: str,
    metrics: Sequence[str] = METRICS,
) -> ModeResult:
    """Run ``search`` (query text -> {doc id: score}) for every judged query, timing each call."""
    run: dict[str, dict[str, float]] = {}
    latencies: list[float] = []
    for qid, text in collection.queries.items():
        t0 = time.perf_counter()
        run[qid] = search(text)
        latencies.append((time.perf_counter() - t0) * 1000)
    return ModeResult(mode=mode, metrics=score_run(collection.qrels, run, metrics), latencies_ms=latencies)
