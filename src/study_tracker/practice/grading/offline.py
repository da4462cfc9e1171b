"""The offline grader: the packaged sentence-embedding model plus lexical evidence, no network.

For each key point it looks for the answer sentence that states it:

1. The answer is split into sentences (``knowledge/answer/sentences.py``; code lines count too).
   A sentence that lists terms rather than states something (see :func:`is_statement`) is never
   evidence: naming "ReLU, He init, residual" is not explaining them.
2. Each sentence is scored against each key point: ``cosine + W_LEX * terms``, where cosine is the
   embedding similarity and terms is the weighted share of the key point's content stems the
   sentence uses (stems and figures; see :func:`_term_weights`).
3. The key point's best sentence decides. If it is aimed at the key point (scores ``ALIGN`` and
   is within ``OWN_MARGIN`` of its own best key point) and the clause sharing most of the key
   point's terms makes the opposite claim (a negation on one side only, an opposite word such as
   "higher"/"lower", a swapped alternative the question contrasts such as L1/L2 or 301/302, or a
   wrong figure for the same quantity), the key point is contradicted. Else it is covered when
   the score reaches ``COVER``, and missed below.

Thresholds were chosen on ``tests/practice/data/grading_tune.jsonl`` only (see docs/grading.md).
Key-point vectors are cached per question, and the answer's sentences are encoded in one batch.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from study_tracker.knowledge.answer.sentences import sentence_spans
from study_tracker.knowledge.embed.base import Encoder
from study_tracker.practice.grading import text
from study_tracker.practice.grading.base import (
    AnswerToGrade,
    Evidence,
    GradeResult,
    KeyPointGrade,
    Status,
    suggest_grade,
)

# Score = cosine + W_LEX * weighted share of the key point's stems (tuned on the tune half).
W_LEX = 1.0
COVER = 0.95  # a sentence scoring this much states the key point
ALIGN = 0.55  # a sentence scoring this much against a key point it speaks to is checked for contradictions
MIN_FUNCTION_SHARE = 0.15  # below this share of function words a sentence may be a list of terms
MAX_TERM_RUN = 4  # more content words in a row than this, without function words, is a list
SHORT_CLAUSE_WORDS = 6  # a sentence this short without function words can still state something
OWN_MARGIN = 0.1  # a sentence speaks to key points scoring within this of its best one
PROMPT_WEIGHT = 0.3  # a stem the prompt already uses counts this much
FIGURE_WEIGHT = 3.0  # a figure of the key point counts as much as this many stems (estimations)
ASIDE_WEIGHT = 0.5  # a term only in the key point's parentheses (an example, a citation) counts this much
_ASIDE = re.compile(r"\([^()]*\)")
MIN_SHARED = 2  # a clause must share this many key-point stems to contradict it
MAX_FLIP_WORDS = 18  # longer clauses are not read for negations and opposite words
CACHE_SIZE = 512  # questions whose key-point vectors are kept


@dataclass(frozen=True)
class _Question:
    """What grading needs of a question, computed once: key-point vectors and stem weights."""

    vectors: np.ndarray  # (key points, dim)
    weights: tuple[dict[str, float], ...]  # per key point: stem -> weight
    figure_weights: tuple[tuple[tuple[float, float], ...], ...]  # per key point: (figure, weight)
    siblings: tuple[tuple[str, str], ...]  # alternatives the question contrasts (L1/L2)
    figures: tuple[tuple[float, ...], ...]  # per key point: the figures it states
    given: tuple[float, ...]  # the figures the prompt gives


@dataclass
class _Sentence:
    n: int  # 1-based position among the answer's sentences
    start: int
    end: int
    text: str
    stems: set[str]
    figures: list[float]
    stated: bool


@dataclass(frozen=True)
class _Scores:
    """Sentence-by-key-point matrices of one answer."""

    score: np.ndarray  # cos + W_LEX * lex
    cos: np.ndarray
    lex: np.ndarray
    own: np.ndarray  # whether the sentence speaks to the key point (near its best score)


def answer_sentences(answer: str) -> list[tuple[int, int]]:
    """``(start, end)`` spans of the answer's sentences, plus its other non-blank lines (code, a
    table row), which the Markdown sentence splitter leaves out."""
    spans = sentence_spans(answer)
    taken = np.zeros(len(answer) + 1, dtype=bool)
    for s, e in spans:
        taken[s:e] = True
    pos = 0
    for line in answer.splitlines(keepends=True):
        body = line.strip()
        start = pos + (len(line) - len(line.lstrip()))
        pos += len(line)
        if not body or body.startswith(("```", "~~~")) or taken[start : start + len(body)].any():
            continue
        if any(ch.isalnum() for ch in body):
            spans.append((start, start + len(body)))
    return sorted(spans)


def is_statement(sentence: str) -> bool:
    """Whether ``sentence`` states something rather than listing terms.

    Prose has function words. Without them, a formula ("dL/dz = p - y") or a short clause with
    no commas and a word after the first that looks like a verb ("L1 produces sparse weights")
    still states something; a longer run of bare terms, a comma-separated list or a row of nouns
    ("Binary search lower upper") does not.
    """
    pieces = [p for p in re.split(r"[,;]", sentence) if p.strip()]
    if len(pieces) >= 4 and sum(len(text.words(p)) <= 3 for p in pieces) >= 0.75 * len(pieces):
        return False  # "ReLU, He init, residual, clipping": short items between commas
    if text.function_share(sentence) >= MIN_FUNCTION_SHARE:
        return True
    if text.longest_term_run(sentence) > MAX_TERM_RUN or sentence.count(",") >= 2:
        return False
    if text.has_relation(sentence):
        return True
    ws = text.words(sentence)
    return len(ws) <= SHORT_CLAUSE_WORDS and any(text.looks_like_verb(w.text) for w in ws[1:])


class OfflineGrader:
    """Grade answers with an embedding encoder (the ONNX one in the app) and lexical rules.

    Args:
        encoder: any :class:`Encoder` returning L2-normalised vectors (all-MiniLM-L6-v2 here;
            the thresholds are calibrated for it).
    """

    name = "offline"

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder
        self._cache: OrderedDict[tuple[str, tuple[str, ...]], _Question] = OrderedDict()
        self._lock = threading.Lock()

    # --- per question, cached ---

    def _question(self, prompt: str, key_points: Sequence[str]) -> _Question:
        key = (prompt, tuple(key_points))
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        q = self._prepare(prompt, key_points)
        with self._lock:
            self._cache[key] = q
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return q

    def _prepare(self, prompt: str, key_points: Sequence[str]) -> _Question:
        vectors = self.encoder.encode(list(key_points))
        weights, figure_weights = _term_weights(prompt, key_points)
        figures = tuple(tuple(text.figures(k, trivial=False)) for k in key_points)
        prompt_figures = text.figures(prompt)
        marked = [text.marked_stems(k) for k in key_points]
        # Alternatives the question contrasts: joined in the prompt ("L1 and L2", "301 or 302"),
        # each named in a key point without the other.
        siblings = tuple(
            (a, b)
            for a, b in sorted(text.alternatives(prompt))
            if any(a in m and b not in m for m in marked) and any(b in m and a not in m for m in marked)
        )
        return _Question(
            vectors=vectors,
            weights=weights,
            figure_weights=figure_weights,
            siblings=siblings,
            figures=figures,
            given=tuple(prompt_figures),
        )

    # --- grading ---

    def grade(self, item: AnswerToGrade) -> GradeResult:
        """Grade one answer (see the module docstring for the rules)."""
        kps = item.key_points
        q = self._question(item.prompt, kps)
        answer = item.answer
        sents = [
            _Sentence(
                n,
                s,
                e,
                answer[s:e],
                set(text.content_stems(answer[s:e])),
                text.figures(answer[s:e], trivial=False),
                is_statement(answer[s:e]),
            )
            for n, (s, e) in enumerate(answer_sentences(answer), 1)
        ]
        if not sents:
            return _result(kps, [_missed(k, kp, "The answer is blank.") for k, kp in enumerate(kps)], None)
        stated = [s for s in sents if s.stated]
        notice = None
        if not stated:
            notice = (
                "The answer lists terms without stating anything about them; key points need a statement."
            )
            verdicts = [
                _missed(k, kp, "Only named in a list of terms, not stated.") for k, kp in enumerate(kps)
            ]
            return _result(kps, verdicts, notice)
        vecs = self.encoder.encode([s.text for s in stated])
        cos = vecs @ q.vectors.T  # (sentences, key points)
        lex = np.array([[_share(s, q, k) for k in range(len(kps))] for s in stated])
        score = cos + W_LEX * lex
        # A sentence speaks to the key points it scores best against: only those can it contradict.
        own = score >= score.max(axis=1, keepdims=True) - OWN_MARGIN
        scores = _Scores(score=score, cos=cos, lex=lex, own=own)
        verdicts = [_verdict(k, kp, q, stated, scores) for k, kp in enumerate(kps)]
        return _result(kps, verdicts, notice)


def _verdict(k: int, kp: str, q: _Question, sents: list[_Sentence], scores: _Scores) -> KeyPointGrade:
    """Key point ``k``'s verdict from its best sentence: contradicted if that sentence speaks to it
    and says the opposite, covered if it scores ``COVER``, else missed."""
    score, cos, lex = scores.score[:, k], scores.cos[:, k], scores.lex[:, k]
    i = int(np.argmax(score))
    sent = sents[i]
    flip = _contradiction(sent, kp, q, k) if score[i] >= ALIGN and scores.own[i, k] else None
    if flip:
        reason = f"Sentence {sent.n} says the opposite: {flip}."
        return KeyPointGrade(
            index=k, key_point=kp, status=Status.contradicted, evidence=_evidence(sent), reason=reason
        )
    if score[i] >= COVER:
        shared = sorted(sent.stems & q.weights[k].keys())[:5]
        shared += [
            f"{x:g}" for x, _ in q.figure_weights[k] if any(text.same_figure(x, y) for y in sent.figures)
        ]
        reason = (
            f"Sentence {sent.n} states it (meaning {cos[i]:.2f}, terms {lex[i]:.2f}: "
            f"{', '.join(shared) or 'none shared'})."
        )
        return KeyPointGrade(
            index=k, key_point=kp, status=Status.covered, evidence=_evidence(sent), reason=reason
        )
    return _missed(k, kp, f"No sentence states it; the closest, sentence {sent.n}, scores {score[i]:.2f}.")


def _term_weights(
    prompt: str, key_points: Sequence[str]
) -> tuple[tuple[dict[str, float], ...], tuple[tuple[tuple[float, float], ...], ...]]:
    """Per key point, the weight of each content stem and figure it states.

    A term weighs ``log(1 + n / df)`` over the question's n key points (one that every key point
    uses tells none apart), times ``PROMPT_WEIGHT`` when the prompt uses it (repeating the question
    earns little) and ``ASIDE_WEIGHT`` when it only appears in parentheses (an example, a citation:
    "(Goyal et al. 2017)"). A figure weighs ``FIGURE_WEIGHT`` times as much as a stem.
    """
    n = len(key_points)
    prompt_stems = set(text.content_stems(prompt))
    prompt_figures = text.figures(prompt)
    mains = [_ASIDE.sub(" ", k) for k in key_points]
    stems = [set(text.content_stems(k)) for k in key_points]
    main_stems = [set(text.content_stems(m)) for m in mains]
    figs = [sorted(set(text.figures(k, trivial=False))) for k in key_points]
    main_figs = [text.figures(m, trivial=False) for m in mains]
    df: dict[str, int] = {}
    for own in stems:
        for t in own:
            df[t] = df.get(t, 0) + 1

    def stem_weight(t: str, k: int) -> float:
        w = math.log(1 + n / df[t])
        w *= PROMPT_WEIGHT if t in prompt_stems else 1.0
        return w * (1.0 if t in main_stems[k] else ASIDE_WEIGHT)

    def figure_weight(x: float, k: int) -> float:
        df_x = sum(any(text.same_figure(x, y) for y in other) for other in figs)
        w = FIGURE_WEIGHT * math.log(1 + n / df_x)
        w *= PROMPT_WEIGHT if any(text.same_figure(x, y) for y in prompt_figures) else 1.0
        return w * (1.0 if any(text.same_figure(x, y) for y in main_figs[k]) else ASIDE_WEIGHT)

    return (
        tuple({t: stem_weight(t, k) for t in own} for k, own in enumerate(stems)),
        tuple(tuple((x, figure_weight(x, k)) for x in own) for k, own in enumerate(figs)),
    )


def _share(sent: _Sentence, q: _Question, k: int) -> float:
    """The weighted share of key point ``k``'s stems and figures that ``sent`` states."""
    stems, figs = q.weights[k], q.figure_weights[k]
    total = sum(stems.values()) + sum(w for _, w in figs)
    if not total:
        return 0.0
    got = sum(w for s, w in stems.items() if s in sent.stems)
    got += sum(w for x, w in figs if any(text.same_figure(x, y) for y in sent.figures))
    return got / total


def _contradiction(sent: _Sentence, kp: str, q: _Question, k: int) -> str | None:
    """Why ``sent`` contradicts key point ``k``, or None.

    Only the clause that carries the sentence's link to the key point (the one sharing the most
    weight of its stems) is read: "the message is never processed, i.e. lost" next to "commits
    first" is about losing messages, and its negation says nothing against "commit, then process".
    """
    weights = q.weights[k]
    best: tuple[float, str] | None = None
    for s, e in text.clauses(sent.text):
        clause = sent.text[s:e]
        shared = set(text.content_stems(clause)) & weights.keys()
        if len(shared) < MIN_SHARED:
            continue
        weight = sum(weights[t] for t in shared)
        if best is None or weight > best[0]:
            best = (weight, clause)
    if best is None:
        return None
    clause = best[1]
    # A long clause holds several claims, and counting negations across them misleads.
    flips = text.polarity_flips(clause, kp, q.siblings) if len(text.words(clause)) <= MAX_FLIP_WORDS else []
    if flips:
        return "; ".join(flips)
    return _wrong_figure(clause, q.figures[k], q.given)


def _wrong_figure(clause: str, expected: tuple[float, ...], given: tuple[float, ...]) -> str | None:
    """Why ``clause`` gives a wrong figure for the key point's quantity, or None.

    Wrong when none of the clause's figures is one of the key point's, or when the result it
    computes (the figure after its last ``=`` or ``≈``) is not: "0.5 x 0.1 = 0.05" against
    "p = 0.5 / (0.5 + 5) ≈ 0.091". Figures within rounding agree (see ``text.same_figure``), and
    figures the prompt ``given`` are context, not claims ("sorting all 10^9 numbers").
    """
    found = [f for f in text.figures(clause, trivial=False) if not any(text.same_figure(f, g) for g in given)]
    if not found or not expected:
        return None
    if not any(text.same_figure(f, x) for f in found for x in expected):
        return f"it gives {_listed(found)} where the key point has {_listed(expected)}"
    result = text.result_figure(clause)
    if result is not None and not any(text.same_figure(result, x) for x in expected):
        return f"it arrives at {result:g} where the key point has {_listed(expected)}"
    return None


def _listed(values: Sequence[float]) -> str:
    return ", ".join(f"{v:g}" for v in values[:4])


def _evidence(sent: _Sentence) -> Evidence:
    return Evidence(start=sent.start, end=sent.end, text=sent.text)


def _missed(k: int, kp: str, reason: str) -> KeyPointGrade:
    return KeyPointGrade(index=k, key_point=kp, status=Status.missed, reason=reason)


def _result(kps: Sequence[str], verdicts: list[KeyPointGrade], notice: str | None) -> GradeResult:
    covered = [v.index for v in verdicts if v.status is Status.covered]
    contradicted = [v.index for v in verdicts if v.status is Status.contradicted]
    return GradeResult(
        key_points=verdicts,
        grade=suggest_grade(len(kps), covered, contradicted),
        grader="offline",
        notice=notice,
    )
