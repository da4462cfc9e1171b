"""Retrieval evaluation: a BEIR-format collection loader, per-mode runs, ranx metrics, latency.

The metric code is ranx (the same implementation BEIR-style papers report), so numbers here are
comparable with published nDCG@10. Ranking goes through whatever ``search`` callable is handed in,
so ``study eval`` measures the product's own search path rather than a copy of it.
"""

from __future__ import annotations

import csv
import json
import math
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from study_tracker.config import get_settings
from study_tracker.errors import InvalidInput, KnowledgeError
from study_tracker.knowledge.ingest.pipeline import ingest_paths
from study_tracker.knowledge.search import fusion
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase

METRICS = ("ndcg@10", "recall@100", "mrr@10")


class EvalDataError(KnowledgeError, InvalidInput):
    """A BEIR folder is missing a file or has a malformed line (the message names it)."""

    status = 422


@dataclass
class BeirCollection:
    """A BEIR-format test collection: corpus, queries and relevance judgments of one split."""

    name: str
    corpus: dict[str, dict[str, str]]  # doc id -> {"title": ..., "text": ...}
    queries: dict[str, str]  # query id -> text (only queries judged in ``qrels``)
    qrels: dict[str, dict[str, int]]  # query id -> {doc id: grade}
    split: str = ""

    def duplicates(self) -> dict[str, list[str]]:
        """Documents whose title and text are identical: ``{doc id: [its twins]}`` (NFCorpus has 40)."""
        groups: dict[tuple[str, str], list[str]] = {}
        for doc_id, doc in self.corpus.items():
            groups.setdefault((doc["title"], doc["text"]), []).append(doc_id)
        return {d: [t for t in g if t != d] for g in groups.values() if len(g) > 1 for d in g}

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
                raise EvalDataError(f'{path}, line {line_no}: each line needs an "_id" field.')
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
                raise EvalDataError(
                    f"{path}, line {line_no}: expected 3 tab-separated fields, got {len(row)}."
                )
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
        raise EvalDataError(
            f"{qrels_path}: {len(missing)} query ids are not in queries.jsonl (e.g. {missing[0]})."
        )
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


def score_run(
    qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]], metrics: Sequence[str] = METRICS
) -> dict[str, float]:
    """Mean metrics (ranx) of ``run`` against ``qrels``; queries absent from the run count as zero."""
    from ranx import Qrels, Run, evaluate

    # ranx refuses queries missing from the run; an empty result set is a legitimate zero.
    full_run = {q: (run.get(q) or {"__none__": 0.0}) for q in qrels}
    with warnings.catch_warnings():
        # ranx's numba kernels warn about an internal uint64 cast; harmless, and pytest treats warnings as errors
        warnings.filterwarnings("ignore", message="unsafe cast from uint64 to int64")
        scores = evaluate(Qrels(qrels), Run(full_run), list(metrics))
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


def write_corpus_jsonl(collection: BeirCollection, path: Path) -> Path:
    """The collection's documents as JSONL (``id``, ``title``, ``text``), the form ingest reads."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for doc_id, doc in collection.corpus.items():
            f.write(json.dumps({"id": doc_id, "title": doc["title"], "text": doc["text"]}) + "\n")
    return path


def evaluate_knowledge_base(
    collection: BeirCollection,
    *,
    workdir: Path,
    modes: Sequence[str] = ("dense", "bm25", "hybrid"),
    k: int = 10,
    depth: int = 100,
    settings=None,
    progress=None,
) -> tuple[list[ModeResult], object]:
    """Ingest ``collection`` into ``workdir`` with the product's pipeline and score each search mode.

    Chunks are collapsed to their document by the best chunk (max-passage), ranked, and cut to
    ``depth`` documents for the metrics. The chunk depth searched is ``max(fusion_candidates,
    depth x chunks per document)``; when that is ``fusion_candidates`` (the default: 300 chunks
    for 100 documents of ~2 chunks), hybrid ranks exactly as an interactive query does. Latency is timed on separate ``KnowledgeBase.search``
    calls with ``k`` results, the shape of an interactive query, one query at a time.

    Args:
        collection: a loaded BEIR collection.
        workdir: folder for the corpus file and knowledge index; reusing it skips re-embedding.
        modes: search modes to run.
        k: results per query for the latency pass.
        depth: documents kept per query for the metrics (recall@100 needs 100).
        settings: base settings (fusion etc.); its knowledge/data dirs are replaced by ``workdir``.
        progress: a ``knowledge.progress.Progress`` for the ingest bars (silent by default).

    Returns:
        (one ModeResult per mode, the ingest report).
    """

    base = settings or get_settings()
    workdir = Path(workdir)
    s = base.model_copy(update={"knowledge_dir": workdir / "knowledge", "data_dir": workdir})
    corpus_file = write_corpus_jsonl(collection, workdir / "corpus" / f"{collection.name}.jsonl")
    report = ingest_paths([corpus_file], settings=s, progress=progress)
    kb = KnowledgeBase.open(s)
    # Deep enough in chunks that ~depth distinct documents survive the collapse, and never
    # below fusion_candidates: search fuses max(k, fusion_candidates) chunks per retriever, so at
    # k <= fusion_candidates the fused ranking is exactly the one a k=10 query gets.
    chunks_per_doc = report.chunks_total / max(1, len(collection.corpus))
    deep = max(s.fusion_candidates, math.ceil(depth * max(1.0, chunks_per_doc)))
    qids = list(collection.queries)
    texts = [collection.queries[q] for q in qids]
    twins = collection.duplicates()
    results = []
    for mode in modes:
        run: dict[str, dict[str, float]] = {}
        for qid, hits in zip(qids, kb.batch_search(texts, mode=mode, k=deep), strict=True):
            docs = fusion.collapse(((h.doc_id, h.score) for h in hits), lambda d: d)
            # Ingest stores identical passages once, so of two identical documents only one is
            # ever returned; a per-document system would rank its twin at the same score.
            for doc_id, score in list(docs.items()):
                for twin in twins.get(doc_id, ()):
                    docs.setdefault(twin, score)
            run[qid] = dict(fusion.top(docs, depth))
        latencies = []
        for text in texts:
            t0 = time.perf_counter()
            kb.search(text, mode=mode, k=k)
            latencies.append((time.perf_counter() - t0) * 1000)
        results.append(
            ModeResult(mode=mode, metrics=score_run(collection.qrels, run), latencies_ms=latencies)
        )
    return results, report
