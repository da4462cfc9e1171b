"""Ask: grounded answers with numbered citations, extractive by default or written by an LLM.

Flow of :func:`stream_answer`: check the question, rewrite a follow-up with the previous turn
(``followup``), retrieve ``k`` passages (hybrid search), check that anything relevant was found
(``relevance.py``: the best dense cosine, and the share of the question's words the passages hold), pick the passage sentences that best answer the
question (by the question's terms they share, weighted by their passage's relevance), then either
return them as the answer, each followed by its citation ``[n]``, or give the numbered passages to
an LLM, stream its reply and check its citations. Any LLM failure falls back to the extractive
answer with a notice saying why.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from study_tracker.config import Settings
from study_tracker.errors import FieldError, IndexNotBuilt, InvalidQuery
from study_tracker.knowledge.answer import followup
from study_tracker.knowledge.answer.followup import Turn
from study_tracker.knowledge.answer.llm import LLMConfig, LLMError, LLMNotConfigured, chat, stream_chat
from study_tracker.knowledge.answer.prompt import build_messages, check_citations
from study_tracker.knowledge.answer.relevance import Evidence, coverage, terms
from study_tracker.knowledge.answer.sentences import (
    asks_for_number,
    has_number,
    is_complete,
    readable,
    sentence_spans,
)
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase, SearchHit

__all__ = [
    "Answer",
    "AnswerEvent",
    "InvalidQuestion",
    "LLMConfig",
    "LLMNotConfigured",
    "NOTHING_RELEVANT",
    "Source",
    "Turn",
    "answer_question",
    "choose_llm",
    "stream_answer",
    "validate_question",
]

Mode = Literal["extractive", "llm", "none"]
AnswerEvent = dict[str, Any]

NOTHING_RELEVANT = "I found nothing in the knowledge base that answers this question."
# Extractive answers: at most this many sentences and characters, so they read as an answer.
MAX_SENTENCES = 3
MAX_ANSWER_CHARS = 700
# Candidate sentences: shorter ones are fragments ("Then:"), longer ones are run-on lists.
MIN_SENTENCE_CHARS, MAX_SENTENCE_CHARS = 30, 500
MAX_CANDIDATES = 80
# Sentence score = weights . (IDF-weighted share of the question's terms, the passage's prior).
# Sentences are not embedded: at ~3.5 ms a sentence on the ONNX encoder, re-scoring the best
# 3-5 by their own cosine cost 15-100 ms an answer without visibly better answers (measured).
W_TERMS, W_PASSAGE = 0.3, 0.2
W_LEAD = 0.1  # bonus for a passage's first sentences, which usually state what the rest explains
SHORT_SENTENCE, SHORT_PENALTY = 60, 0.05  # short lines are often list fragments, not explanations
# A fragment (no sentence end, or wholly bold) names a topic rather than explaining it: a whole
# sentence that shares as many of the question's words is the better quote.
FRAGMENT_PENALTY = 0.06
# A question asking for a number or a time ("which port", "how many") is answered by a sentence that
# states one, often without repeating the question's words ("open http://localhost:5555").
W_NUMBER = 0.08
REDUNDANT_TERMS = 0.8  # a sentence sharing this share of its terms with a chosen one adds nothing
KEEP_RATIO = 0.75  # sentences scoring below this share of the best one are left out
DENSE_DEPTH = 50  # passages whose dense cosine is read (the best is the relevance signal)


class InvalidQuestion(InvalidQuery):
    """The question is empty or too long (the error names the field ``question``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, [FieldError("question", message)])


@dataclass(frozen=True)
class Source:
    """One numbered source shown under the answer."""

    n: int  # citation number, 1-based
    hit: SearchHit  # the retrieved passage
    spans: tuple[tuple[int, int], ...]  # offsets inside hit.text of the cited sentence(s)
    cited: bool  # whether the answer cites it

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "cited": self.cited,
            "spans": [list(s) for s in self.spans],
            **self.hit.to_dict(),
        }


@dataclass(frozen=True)
class Answer:
    """An answer with its numbered sources; ``mode`` "none" means nothing relevant was found."""

    question: str  # as asked
    query: str  # what was retrieved with (the rewritten follow-up, or the question)
    rewritten: bool
    text: str  # the answer, with [n] markers
    sources: tuple[Source, ...]
    mode: Mode
    notice: str | None = None  # why the LLM was not used, citations it invented...
    dropped_citations: tuple[int, ...] = ()  # [n] the LLM invented, removed from text
    best_score: float | None = field(default=None, compare=False)  # the relevance signal measured
    coverage: float | None = field(default=None, compare=False)  # share of the question's words found

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "query": self.query,
            "rewritten": self.rewritten,
            "text": self.text,
            "mode": self.mode,
            "notice": self.notice,
            "dropped_citations": list(self.dropped_citations),
            "best_score": self.best_score,
            "coverage": self.coverage,
            "sources": [s.to_dict() for s in self.sources],
        }


def validate_question(question: object, settings: Settings) -> str:
    """The question stripped of surrounding space.

    Raises:
        InvalidQuestion: not text, empty, or longer than ``ask_max_question_chars``.
    """
    if not isinstance(question, str):
        raise InvalidQuestion("The question must be text.")
    q = question.strip()
    if not q:
        raise InvalidQuestion("The question is empty: type what you want to know.")
    limit = settings.ask_max_question_chars
    if len(q) > limit:
        raise InvalidQuestion(
            f"The question is {len(q):,} characters long; the limit is {limit:,} "
            "(setting ask_max_question_chars). Ask something shorter."
        )
    return q


def choose_llm(settings: Settings, use_llm: bool | None = None) -> LLMConfig | None:
    """The LLM to answer with: ``use_llm`` None follows the settings (``llm_enabled`` and a base URL).

    Raises:
        LLMNotConfigured: ``use_llm`` is True but ``llm_base_url`` is empty.
    """
    config = LLMConfig.from_settings(settings)
    if use_llm is None:
        return config if settings.llm_enabled else None
    if use_llm and config is None:
        raise LLMNotConfigured(
            "No LLM is configured: set STUDY_LLM_BASE_URL (e.g. http://localhost:11434/v1 for Ollama) "
            "and STUDY_LLM_MODEL, or answer without --llm."
        )
    return config if use_llm else None


# --- extractive answers ---


@dataclass
class _Candidate:
    n: int
    span: tuple[int, int]
    text: str
    index: int = 0  # position among the passage's sentences
    overlap: bool = False  # shares a term with the question
    score: float = 0.0
    terms: frozenset[str] = frozenset()


def _candidates(hits: Sequence[SearchHit]) -> list[_Candidate]:
    out: list[_Candidate] = []
    for n, hit in enumerate(hits, 1):
        for i, (s, e) in enumerate(sentence_spans(hit.text)):
            text = readable(hit.text[s:e])
            if not MIN_SENTENCE_CHARS <= len(text) <= MAX_SENTENCE_CHARS or text.endswith(":"):
                continue
            if len(text.split()) < 4:
                continue
            out.append(_Candidate(n, (s, e), text, i))
    return out[:MAX_CANDIDATES]


def _score(
    query: str,
    hits: Sequence[SearchHit],
    cands: list[_Candidate],
    passage_cosine: dict[str, float],
) -> None:
    """Score candidates in place: the IDF-weighted share of the question's (stemmed) terms each
    contains, plus a prior from its passage's dense cosine and rank, plus a lead bonus."""
    if not cands:
        return
    q_terms = terms(query)
    c_terms = [terms(c.text) for c in cands]
    df = {t: sum(t in ts for ts in c_terms) for t in q_terms}
    idf = {t: math.log(1 + len(cands) / (1 + df[t])) for t in q_terms}
    total = sum(idf.values()) or 1.0
    top = max(passage_cosine.values(), default=0.0)
    floor = min(passage_cosine.values(), default=0.0)
    wants_number = asks_for_number(query)
    for c, ts in zip(cands, c_terms, strict=True):
        c.terms = frozenset(ts)
        share = sum(idf[t] for t in q_terms & ts) / total
        typed = wants_number and has_number(c.text)
        c.overlap = share > 0 or typed
        cos = passage_cosine.get(hits[c.n - 1].chunk_id, floor)
        # Half the passage's dense cosine (relative to the best), half its fused rank: the
        # first passage is the one both retrievers agree on.
        prior = 0.5 * (cos / top if top > 0 else 0.0) + 0.5 / c.n
        c.score = W_TERMS * share + W_PASSAGE * prior + W_LEAD / (1 + c.index)
        if len(c.text) < SHORT_SENTENCE:
            c.score -= SHORT_PENALTY
        if not is_complete(c.text):
            c.score -= FRAGMENT_PENALTY
        if typed:
            c.score += W_NUMBER


def _select(cands: list[_Candidate]) -> list[_Candidate]:
    """The best few non-redundant sentences, in reading order (by source, then position)."""
    chosen: list[_Candidate] = []
    total = 0
    # A sentence sharing no term with the question rarely answers it; keep such sentences only
    # when none shares one (a paraphrase that only dense retrieval found).
    if any(c.overlap for c in cands):
        cands = [c for c in cands if c.overlap]
    ranked = sorted(cands, key=lambda c: -c.score)
    for c in ranked:
        if len(chosen) == MAX_SENTENCES:
            break
        if chosen and c.score < KEEP_RATIO * chosen[0].score:
            break
        if chosen and total + len(c.text) > MAX_ANSWER_CHARS:
            continue
        if any(_similar(c.terms, o.terms) for o in chosen):
            continue
        chosen.append(c)
        total += len(c.text)
    return sorted(chosen, key=lambda c: (c.n, c.span[0]))


def _similar(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two sentences say much the same (the Jaccard overlap of their terms)."""
    return bool(a and b) and len(a & b) / len(a | b) >= REDUNDANT_TERMS


def _extractive_text(chosen: Sequence[_Candidate]) -> str:
    return " ".join(f"{c.text} [{c.n}]" for c in chosen)


def _sources(
    hits: Sequence[SearchHit], spans: dict[int, list[tuple[int, int]]], cited: set[int]
) -> tuple[Source, ...]:
    return tuple(
        Source(n=n, hit=h, spans=tuple(sorted(spans.get(n, []))), cited=n in cited)
        for n, h in enumerate(hits, 1)
    )


def retrieve_passages(kb: KnowledgeBase, query: str, k: int) -> tuple[list[SearchHit], dict[str, float]]:
    """The ``k`` passages to answer from (hybrid search) and the dense cosines (inner products of
    normalised vectors) of the question's ``DENSE_DEPTH`` nearest passages, from one embedding of
    the question.

    The best cosine is the relevance signal: fused hybrid scores are min-max normalised per query,
    so the top hit always scores about the same and cannot tell "relevant" from "closest of nothing".
    """
    return kb.search_with_dense(query, mode="hybrid", k=k, dense_k=DENSE_DEPTH)


def _llm_rewrite(question: str, history: Sequence[Turn], llm: LLMConfig) -> str:
    last = history[-1]
    messages = [
        {
            "role": "system",
            "content": "Rewrite the follow-up question so that it stands alone, using the previous question "
            "for context. Reply with the rewritten question only.",
        },
        {
            "role": "user",
            "content": f"Previous question: {last.query or last.question}\nFollow-up: {question}",
        },
    ]
    text = " ".join(chat(llm, messages).split()).strip().strip('"')
    if not text or len(text) > 400:
        raise LLMError("The LLM's rewrite was empty or too long.")
    return text


# --- the flow ---


def stream_answer(
    kb: KnowledgeBase,
    question: str,
    *,
    k: int | None = None,
    history: Sequence[Turn] = (),
    llm: LLMConfig | None = None,
    settings: Settings | None = None,
) -> Iterator[AnswerEvent]:
    """Answer ``question`` as a stream of events (dicts with a ``type``).

    Events: ``query`` (what is retrieved with), ``sources`` (the numbered passages), ``delta``
    (answer text as it comes; extractive answers come as one delta), ``notice`` (a fallback or a
    dropped citation) and last ``done`` with ``Answer.to_dict()``, which is authoritative: an LLM
    answer streamed in deltas may be replaced by the extractive one or have citations removed.

    Raises:
        InvalidQuestion: empty or too long question (before any event).
        IndexNotBuilt: nothing has been ingested, or the index holds no passages.
        KnowledgeError: other search errors (bad k, index built with another model...).
    """
    for event in _run(kb, question, k=k, history=history, llm=llm, settings=settings):
        if event["type"] == "done":
            yield {"type": "done", "answer": event["answer"].to_dict()}
        else:
            yield event


def answer_question(
    kb: KnowledgeBase,
    question: str,
    *,
    k: int | None = None,
    history: Sequence[Turn] = (),
    llm: LLMConfig | None = None,
    settings: Settings | None = None,
) -> Answer:
    """The whole answer at once (see :func:`stream_answer` for the steps and errors)."""
    for event in _run(kb, question, k=k, history=history, llm=llm, settings=settings):
        if event["type"] == "done":
            return event["answer"]
    raise AssertionError("the answer flow ended without a done event")  # pragma: no cover


def _run(
    kb: KnowledgeBase,
    question: str,
    *,
    k: int | None,
    history: Sequence[Turn],
    llm: LLMConfig | None,
    settings: Settings | None,
) -> Iterator[AnswerEvent]:
    s = settings or kb.settings
    q = validate_question(question, s)
    k = s.ask_k if k is None else k
    if not isinstance(k, int) or not 1 <= k <= 50:
        message = f"k must be a whole number from 1 to 50; got {k!r}."
        raise InvalidQuery(message, [FieldError("k", message)])
    notices: list[str] = []

    query, rewritten = followup.rewrite(q, history)
    if rewritten and llm is not None:
        try:
            query = _llm_rewrite(q, history, llm)
        except LLMError as exc:
            notices.append(f"{exc} The follow-up was rewritten without it.")
    yield {"type": "query", "query": query, "rewritten": rewritten}

    if kb.stats().get("counts", {}).get("indexed", 0) == 0:
        raise IndexNotBuilt(
            "The knowledge base has no documents yet: add some with `study ingest PATH` "
            "(the server indexes the bundled study guides when it starts)."
        )
    hits, cosines = retrieve_passages(kb, query, k)
    if not hits:
        cosines = {}
    evidence = Evidence(cosine=max(cosines.values(), default=-1.0), coverage=coverage(query, hits))
    asked = _Asked(question=q, query=query, rewritten=rewritten, notices=notices, evidence=evidence)
    if not hits or not evidence.answers(s):
        yield {"type": "sources", "sources": []}
        for text in notices:
            yield {"type": "notice", "text": text}
        yield {"type": "delta", "text": NOTHING_RELEVANT}
        yield asked.done(NOTHING_RELEVANT, (), "none")
        return

    cands = _candidates(hits)
    _score(query, hits, cands, cosines)
    chosen = _select(cands)
    spans: dict[int, list[tuple[int, int]]] = {}
    for c in chosen:
        spans.setdefault(c.n, []).append(c.span)
    extractive = _extractive_text(chosen)
    if not extractive:  # passages with no prose (code, tables): point at them instead
        extractive = "The closest passages have no sentence to quote; see the sources below. [1]"
        spans = {1: []}
    sources = _sources(hits, spans, set(spans))
    yield {"type": "sources", "sources": [x.to_dict() for x in sources]}

    if llm is None:
        for text in notices:
            yield {"type": "notice", "text": text}
        yield {"type": "delta", "text": extractive}
        yield asked.done(extractive, sources, "extractive")
        return

    pieces: list[str] = []
    try:
        for piece in stream_chat(llm, build_messages(query, hits)):
            pieces.append(piece)
            yield {"type": "delta", "text": piece}
        reply = "".join(pieces).strip()
        if not reply:
            raise LLMError(f"The LLM at {llm.url} returned an empty answer.")
    except LLMError as exc:
        notices.append(f"{exc} Showing the extractive answer instead.")
        yield {"type": "notice", "text": notices[-1]}
        yield {"type": "delta", "text": extractive}
        yield asked.done(extractive, sources, "extractive")
        return

    text, cited, dropped = check_citations(reply, len(hits))
    if dropped:
        listed = ", ".join(f"[{n}]" for n in dropped)
        notices.append(f"The LLM cited {listed}, which is not among the {len(hits)} sources; removed.")
        yield {"type": "notice", "text": notices[-1]}
    # Highlight in each cited passage the sentences the extractive pass found, else its best one.
    best_of: dict[int, tuple[int, int]] = {}
    for c in sorted(cands, key=lambda c: -c.score):
        best_of.setdefault(c.n, c.span)
    llm_spans = {n: spans.get(n) or ([best_of[n]] if n in best_of else []) for n in cited}
    yield asked.done(text, _sources(hits, llm_spans, cited), "llm", dropped=dropped)


@dataclass
class _Asked:
    """What the flow knows about the question by the time it answers (the ``done`` event's frame)."""

    question: str
    query: str
    rewritten: bool
    notices: list[str]  # appended to as the flow goes; joined into the answer's notice
    evidence: Evidence  # the relevance signals

    def done(
        self, text: str, sources: tuple[Source, ...], mode: Mode, *, dropped: tuple[int, ...] = ()
    ) -> AnswerEvent:
        """The ``done`` event with the final answer."""
        answer = Answer(
            question=self.question,
            query=self.query,
            rewritten=self.rewritten,
            text=text,
            sources=sources,
            mode=mode,
            notice=" ".join(self.notices) or None,
            dropped_citations=dropped,
            best_score=round(self.evidence.cosine, 4),
            coverage=round(self.evidence.coverage, 4),
        )
        return {"type": "done", "answer": answer}
