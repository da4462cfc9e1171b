"""The LLM grader: any OpenAI-compatible endpoint grades the answer, validated, with a fallback.

The model is asked for JSON: per key point covered/missed/contradicted with a one-line reason and
the sentence of the answer it relied on, a grade, and a short correction citing numbered passages
from the knowledge base (when one is searchable). The reply is validated against
:data:`REPLY_SCHEMA` (JSON Schema) plus checks a schema cannot express (each key point exactly
once, evidence found in the answer); citations are checked like Ask's. On any failure (endpoint
down, timeout, malformed JSON, a reply that does not fit the schema, a refusal) the offline grader
answers instead, with a notice saying why, so grading never fails because of the LLM.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

import httpx

from study_tracker.errors import KnowledgeError
from study_tracker.knowledge.answer.llm import LLMConfig, LLMError, chat
from study_tracker.knowledge.answer.prompt import check_citations
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase, SearchHit
from study_tracker.practice.grading.base import (
    GRADE_NAMES,
    AnswerToGrade,
    CitedPassage,
    Evidence,
    Grader,
    GradeResult,
    KeyPointGrade,
    Status,
)
from study_tracker.practice.llm_reply import ReplyError, json_reply

log = logging.getLogger(__name__)

PASSAGES = 4  # knowledge-base passages offered for the correction
PASSAGE_CHARS = 900
MAX_REPLY_CHARS = 20_000

REPLY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["key_points", "grade", "correction"],
    "properties": {
        "key_points": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["index", "status", "reason"],
                "properties": {
                    "index": {"type": "integer", "minimum": 0},
                    "status": {"enum": [s.value for s in Status]},
                    "reason": {"type": "string", "minLength": 1, "maxLength": 400},
                    "evidence": {"type": ["string", "null"], "maxLength": 2000},
                },
            },
        },
        "grade": {"enum": list(GRADE_NAMES)},
        "correction": {"type": "string", "maxLength": 2000},
    },
}


SYSTEM_PROMPT = (
    "You grade a learner's typed answer to an interview practice question against its numbered key "
    "points, as a strict interviewer. For each key point decide: 'covered' (the answer states it "
    "correctly, in any words), 'missed' (absent, too vague, or only named without saying what it "
    "does) or 'contradicted' (the answer states the opposite or a wrong value). Then a grade: "
    "'again' (little or nothing right), 'hard' (partly right), 'good' (most key points), 'easy' "
    "(all of them, nothing wrong). Then a correction of two or three sentences fixing what was "
    "missed or wrong, citing the numbered passages like [2] where they support it (cite only the "
    "numbers given); an empty string if nothing needs correcting. Reply with one JSON object only, "
    'no other text: {"key_points": [{"index": 0, "status": "covered", "reason": "one line", '
    '"evidence": "the sentence of the answer you relied on, copied exactly, or null"}, ...], '
    '"grade": "good", "correction": "..."}'
)


def build_messages(item: AnswerToGrade, passages: Sequence[SearchHit]) -> list[dict[str, str]]:
    """The chat messages: instructions, then the question, key points, passages and the answer."""
    points = "\n".join(f"{i}. {kp}" for i, kp in enumerate(item.key_points))
    parts = [f"Question: {item.prompt}", f"Key points:\n{points}"]
    if passages:
        numbered = []
        for n, h in enumerate(passages, 1):
            body = h.text if len(h.text) <= PASSAGE_CHARS else h.text[:PASSAGE_CHARS] + " ..."
            numbered.append(f"[{n}] {h.title}\n{body.strip()}")
        parts.append("Passages:\n\n" + "\n\n".join(numbered))
    else:
        parts.append("Passages: none (do not cite).")
    # The answer is fenced so that text in it reads as the learner's words, not as instructions.
    parts.append(f"Answer (between the markers):\n<<<ANSWER\n{item.answer}\nANSWER>>>")
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": "\n\n".join(parts)}]


def parse_reply(reply: str, n_key_points: int) -> dict[str, Any]:
    """The reply as a validated dict.

    Raises:
        ReplyError: a refusal, no JSON object, invalid JSON, a schema mismatch, or key points that
            are not each graded exactly once.
    """
    data = json_reply(reply, REPLY_SCHEMA, max_chars=MAX_REPLY_CHARS, task="grade")
    indices = sorted(kp["index"] for kp in data["key_points"])
    if indices != list(range(n_key_points)):
        raise ReplyError(
            f"the reply graded key points {indices}, expected each of 0..{n_key_points - 1} once"
        )
    return data


def _locate(answer: str, quote: str | None) -> Evidence | None:
    """Where the quoted evidence sits in the answer (exactly, else with spacing relaxed)."""
    if not quote or not quote.strip():
        return None
    q = quote.strip().strip('"')
    i = answer.find(q)
    if i >= 0:
        return Evidence(start=i, end=i + len(q), text=q)
    pattern = r"\s+".join(re.escape(w) for w in q.split())
    m = re.search(pattern, answer, flags=re.I)
    return Evidence(start=m.start(), end=m.end(), text=answer[m.start() : m.end()]) if m else None


class LLMGrader:
    """Grade with an LLM; the ``fallback`` grader answers whenever the LLM cannot.

    Args:
        config: the endpoint (``LLMConfig.from_settings``).
        fallback: the offline grader.
        kb: a knowledge base to cite passages from in the correction (optional).
        client: an httpx client to reuse (tests, the web server's pool).
    """

    name = "llm"

    def __init__(
        self,
        config: LLMConfig,
        fallback: Grader,
        *,
        kb: KnowledgeBase | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self.config, self.fallback, self.kb, self.client = config, fallback, kb, client

    def _passages(self, item: AnswerToGrade) -> list[SearchHit]:
        if self.kb is None:
            return []
        try:
            return self.kb.search(item.prompt or item.key_points[0], mode="hybrid", k=PASSAGES)
        except KnowledgeError as exc:  # no index yet, encoder not ready: grade without passages
            log.info("grading without passages: %s", exc)
            return []

    def grade(self, item: AnswerToGrade) -> GradeResult:
        """Grade ``item`` with the LLM, or offline (with a notice) when that fails."""
        if not item.answer.strip():
            return self.fallback.grade(item)  # nothing to ask the LLM about
        passages = self._passages(item)
        try:
            reply = chat(self.config, build_messages(item, passages), client=self.client)
            data = parse_reply(reply, len(item.key_points))
        except LLMError as exc:
            return self._offline(item, f"{exc} Graded offline instead.")
        except ReplyError as exc:
            return self._offline(
                item, f"The LLM at {self.config.url} could not be used: {exc}. Graded offline instead."
            )
        return self._result(item, data, passages)

    def _offline(self, item: AnswerToGrade, notice: str) -> GradeResult:
        result = self.fallback.grade(item)
        notices = " ".join(n for n in (notice, result.notice) if n)
        return result.model_copy(update={"notice": notices})

    def _result(
        self, item: AnswerToGrade, data: dict[str, Any], passages: Sequence[SearchHit]
    ) -> GradeResult:
        by_index = {kp["index"]: kp for kp in data["key_points"]}
        verdicts = []
        for i, kp in enumerate(item.key_points):
            got = by_index[i]
            status = Status(got["status"])
            evidence = _locate(item.answer, got.get("evidence")) if status is not Status.missed else None
            verdicts.append(
                KeyPointGrade(
                    index=i,
                    key_point=kp,
                    status=status,
                    evidence=evidence,
                    reason=" ".join(got["reason"].split()),
                )
            )
        correction, cited, dropped = check_citations(data["correction"], len(passages))
        notice = None
        if dropped:
            listed = ", ".join(f"[{n}]" for n in dropped)
            notice = f"The LLM cited {listed}, which is not among the {len(passages)} passages; removed."
        return GradeResult(
            key_points=verdicts,
            grade=data["grade"],
            grader="llm",
            notice=notice,
            correction=correction or None,
            passages=[
                CitedPassage(n=n, title=h.title, source=h.source, text=h.text)
                for n, h in enumerate(passages, 1)
                if n in cited
            ],
        )
