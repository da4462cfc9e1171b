"""Questions written by an LLM (any OpenAI-compatible endpoint, configured as Ask's) from passages.

The document is cut into passages along its sections; a few numbered passages go in each
request, and the model replies with JSON: questions, each naming the passage it comes from and
its key points. The reply is validated against :data:`REPLY_SCHEMA`; then every key point is
checked against the passage it cites (``support.py``): an unsupported key point is dropped,
and a question left without key points is dropped. A reply that cannot be used (malformed JSON,
wrong shape, a refusal, the endpoint down) loses only its own passages, with a notice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from study_tracker.content.curriculum import QuestionType
from study_tracker.knowledge.answer.llm import LLMConfig, LLMError, chat
from study_tracker.knowledge.documents import Document
from study_tracker.knowledge.embed.base import Encoder
from study_tracker.practice.llm_reply import ReplyError, json_reply
from study_tracker.practice.questions.candidate import MAX_KEY_POINT, MAX_KEY_POINTS, MAX_PROMPT, Candidate
from study_tracker.practice.questions.sections import Section, plain, sections, walk
from study_tracker.practice.questions.support import check_support

PASSAGE_CHARS = 1500
PASSAGES_PER_REQUEST = 3
MAX_PASSAGES = 24
MAX_REPLY_CHARS = 30_000
MIN_PASSAGE = 200  # shorter sections hold too little to ask about

REPLY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["questions"],
    "properties": {
        "questions": {
            "type": "array",
            "maxItems": 20,
            "items": {
                "type": "object",
                "required": ["passage", "prompt", "key_points"],
                "properties": {
                    "passage": {"type": "integer", "minimum": 1},
                    "prompt": {"type": "string", "minLength": 5, "maxLength": MAX_PROMPT},
                    "type": {"enum": [t.value for t in QuestionType]},
                    "key_points": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": MAX_KEY_POINTS,
                        "items": {"type": "string", "minLength": 3, "maxLength": MAX_KEY_POINT},
                    },
                },
            },
        }
    },
}

SYSTEM_PROMPT = (
    "You write interview practice questions from study material. For each numbered passage, write "
    "one or two questions a learner should be able to answer after reading it, each with two to "
    "five short key points a good answer must contain. Every key point must be stated in the "
    "passage the question names: reuse the passage's own words, add nothing it does not say. "
    "Reply with one JSON object only, no other text: "
    '{"questions": [{"passage": 1, "prompt": "...", "type": "concept", "key_points": ["...", "..."]}]}. '
    "type is one of: " + ", ".join(t.value for t in QuestionType) + "."
)


@dataclass(frozen=True)
class Passage:
    start: int
    end: int
    section: Section


@dataclass
class LLMReport:
    """What the LLM gave: candidates kept, key points dropped as unsupported, notices."""

    candidates: list[Candidate] = field(default_factory=list)
    key_points_proposed: int = 0
    key_points_dropped: int = 0
    questions_dropped: int = 0
    notices: list[str] = field(default_factory=list)


def passages(doc: Document, *, limit: int = MAX_PASSAGES) -> list[Passage]:
    """The document cut along its sections: each section's own blocks, in windows of at most
    :data:`PASSAGE_CHARS` characters ending at a block boundary."""
    out: list[Passage] = []
    root = sections(doc)
    for section in [root, *walk(root)]:
        blocks = [b for b in section.blocks if b.kind in ("paragraph", "list", "table", "quote")]
        start = None
        end = 0
        for b in blocks:
            if start is not None and b.end - start > PASSAGE_CHARS:
                out.append(Passage(start, end, section))
                start = None
            if start is None:
                start = b.start
            end = min(b.end, start + PASSAGE_CHARS)
        if start is not None:
            out.append(Passage(start, end, section))
    return [p for p in out if p.end - p.start >= MIN_PASSAGE][:limit]


def build_messages(doc: Document, group: Sequence[Passage]) -> list[dict[str, str]]:
    numbered = []
    for n, p in enumerate(group, 1):
        heading = " > ".join(plain(h) for h in p.section.path) or doc.title
        numbered.append(f"[{n}] {heading}\n{doc.text[p.start : p.end].strip()}")
    # The passages are fenced so that text in them reads as material, not as instructions.
    user = "Passages (between the markers):\n<<<PASSAGES\n" + "\n\n".join(numbered) + "\nPASSAGES>>>"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def parse_reply(reply: str, n_passages: int) -> list[dict[str, Any]]:
    """The reply's questions, validated.

    Raises:
        ReplyError: a refusal, no JSON object, invalid JSON, a schema mismatch, or a question that
            names a passage that was not given.
    """
    data = json_reply(reply, REPLY_SCHEMA, max_chars=MAX_REPLY_CHARS, task="write questions")
    questions: list[dict[str, Any]] = data["questions"]
    for q in questions:
        if q["passage"] > n_passages:
            raise ReplyError(f"a question cites passage {q['passage']}, but only {n_passages} were given")
    return questions


def generate_with_llm(
    doc: Document,
    config: LLMConfig,
    *,
    encoder: Encoder | None = None,
    client: httpx.Client | None = None,
    limit: int = MAX_PASSAGES,
) -> LLMReport:
    """Questions from ``doc`` by the LLM, each key point checked against its cited passage.

    Args:
        doc: the loaded document.
        config: the endpoint (``LLMConfig.from_settings``).
        encoder: the packaged embedding model, to accept paraphrased key points; lexical if None.
        client: an httpx client to reuse (tests).
        limit: at most this many passages are sent.
    """
    report = LLMReport()
    chosen = passages(doc, limit=limit)
    for i in range(0, len(chosen), PASSAGES_PER_REQUEST):
        group = chosen[i : i + PASSAGES_PER_REQUEST]
        try:
            questions = parse_reply(chat(config, build_messages(doc, group), client=client), len(group))
        except LLMError as exc:
            report.notices.append(str(exc))
            if i == 0:
                break  # the endpoint is down or refuses: do not ask again for every group
            continue
        except ReplyError as exc:
            report.notices.append(
                f"The LLM at {config.url} could not be used for passages {i + 1}-{i + len(group)}: {exc}."
            )
            continue
        for q in questions:
            _keep_supported(doc, group[q["passage"] - 1], q, encoder, report)
    return report


def _keep_supported(
    doc: Document, passage: Passage, q: dict[str, Any], encoder: Encoder | None, report: LLMReport
) -> None:
    points = [" ".join(k.split()) for k in q["key_points"]]
    report.key_points_proposed += len(points)
    verdicts = check_support(points, doc.text[passage.start : passage.end], encoder=encoder)
    kept = [p for p, v in zip(points, verdicts, strict=True) if v.supported]
    report.key_points_dropped += len(points) - len(kept)
    if not kept:
        report.questions_dropped += 1
        return
    report.candidates.append(
        Candidate(
            prompt=" ".join(q["prompt"].split()),
            key_points=kept,
            source=doc.source,
            start=passage.start,
            end=passage.end,
            kind="llm",
            type=QuestionType(q.get("type", "concept")),
            heading_path=[plain(h) for h in passage.section.path],
            doc_id=doc.doc_id,
        )
    )
