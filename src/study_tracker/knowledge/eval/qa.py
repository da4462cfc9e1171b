"""Question-answering evaluation (``study eval-qa FILE``): does retrieval find the expected source,
and does the answer contain an expected phrase?

The file is JSON Lines, one question per line (blank lines are skipped)::

    {"question": "how does an LSM tree make writes fast?",
     "source": "system-design.md",
     "phrases": ["memtable", "sequential"]}

``source`` is a path, a path suffix (``guides/system-design.md``) or a basename, or a list of
them (any may match); it matches a retrieved document whose file path ends with it on a ``/``
boundary. ``phrases`` (optional) are matched case-insensitively with whitespace collapsed; one is
enough. hit@1 / hit@3: the expected source is the first / among the first three *distinct*
documents of a hybrid search for the question.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from study_tracker.config import Settings
from study_tracker.errors import InvalidInput, KnowledgeError
from study_tracker.knowledge.answer.flow import answer_question
from study_tracker.knowledge.answer.llm import LLMConfig
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase

SEARCH_DEPTH = 30  # passages searched to find the first three distinct documents


class QADataError(KnowledgeError, InvalidInput):
    """The QA file is missing or a line is not a valid question record (the message names both)."""

    status = 422


@dataclass(frozen=True)
class QAItem:
    question: str
    sources: tuple[str, ...]
    phrases: tuple[str, ...] = ()
    line: int = 0


@dataclass
class QAResult:
    item: QAItem
    documents: list[str]  # distinct retrieved document paths, best first (up to 3)
    rank: int | None  # 1-based rank of the expected source among them
    answer: str
    mode: str
    phrase_hit: bool | None  # None when the item lists no phrases
    ms: float


@dataclass
class QAReport:
    results: list[QAResult] = field(default_factory=list)

    def _share(self, values: Sequence[bool]) -> float:
        return sum(values) / len(values) if values else 0.0

    @property
    def hit_at_1(self) -> float:
        return self._share([r.rank == 1 for r in self.results])

    @property
    def hit_at_3(self) -> float:
        return self._share([r.rank is not None and r.rank <= 3 for r in self.results])

    @property
    def phrase_rate(self) -> float:
        return self._share([bool(r.phrase_hit) for r in self.results if r.phrase_hit is not None])

    @property
    def with_phrases(self) -> int:
        return sum(r.phrase_hit is not None for r in self.results)

    @property
    def nothing_relevant(self) -> int:
        return sum(r.mode == "none" for r in self.results)

    def latency(self, q: int) -> float:
        ms = sorted(r.ms for r in self.results)
        if not ms:
            return 0.0
        return statistics.median(ms) if q == 50 else ms[min(len(ms) - 1, round(q / 100 * (len(ms) - 1)))]

    def failures(self) -> list[QAResult]:
        """Questions whose source was not first, or whose answer has none of its phrases."""
        return [r for r in self.results if r.rank != 1 or r.phrase_hit is False]


def _strings(value: object) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def load_qa(path: str | Path) -> list[QAItem]:
    """The questions of a QA JSONL file.

    Raises:
        QADataError: the file cannot be read, is empty, or a line is invalid (file and line named).
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise QADataError(f"{path}: cannot be read ({exc.__class__.__name__}: {exc}).") from None
    items = []
    for no, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        where = f"{path}, line {no}"
        try:
            rec = json.loads(raw)
        except ValueError as exc:
            raise QADataError(f"{where}: not valid JSON ({exc}).") from None
        if not isinstance(rec, dict):
            raise QADataError(f"{where}: expected an object with question, source and phrases.")
        question = rec.get("question")
        if not isinstance(question, str) or not question.strip():
            raise QADataError(f"{where}: field 'question' must be non-empty text.")
        sources = _strings(rec.get("source"))
        if not sources or not all(s.strip() for s in sources):
            raise QADataError(f"{where}: field 'source' must be a file name or path (or a list of them).")
        phrases = _strings(rec.get("phrases", []))
        if phrases is None:
            raise QADataError(f"{where}: field 'phrases' must be a list of text.")
        items.append(QAItem(question.strip(), tuple(s.strip() for s in sources), tuple(phrases), no))
    if not items:
        raise QADataError(f"{path}: no questions in the file.")
    return items


def source_matches(path: str, expected: str) -> bool:
    """Whether a document path is ``expected`` (a path, a ``/``-bounded suffix of it, or its basename)."""
    p = path.replace("\\", "/")
    e = expected.replace("\\", "/").lstrip("./") if not expected.startswith("/") else expected
    return p == e or p.endswith("/" + e)


def contains_phrase(text: str, phrases: Sequence[str]) -> bool:
    """Whether ``text`` contains one of ``phrases`` (case-insensitive, whitespace collapsed)."""
    hay = " ".join(text.lower().split())
    return any(" ".join(p.lower().split()) in hay for p in phrases if p.strip())


def evaluate_qa(
    kb: KnowledgeBase,
    items: Sequence[QAItem],
    *,
    k: int | None = None,
    llm: LLMConfig | None = None,
    settings: Settings | None = None,
) -> QAReport:
    """Retrieval hit@1/@3 and answer phrase hits for each item (answers as ``study ask`` gives them)."""
    report = QAReport()
    for item in items:
        hits = kb.search(item.question, mode="hybrid", k=SEARCH_DEPTH)
        docs: list[str] = []
        for h in hits:
            if h.source not in docs:
                docs.append(h.source)
            if len(docs) == 3:
                break
        rank = next(
            (i for i, d in enumerate(docs, 1) if any(source_matches(d, s) for s in item.sources)), None
        )
        t0 = time.perf_counter()
        answer = answer_question(kb, item.question, k=k, llm=llm, settings=settings)
        ms = (time.perf_counter() - t0) * 1000
        report.results.append(
            QAResult(
                item=item,
                documents=docs,
                rank=rank,
                answer=answer.text,
                mode=answer.mode,
                phrase_hit=contains_phrase(answer.text, item.phrases) if item.phrases else None,
                ms=ms,
            )
        )
    return report
