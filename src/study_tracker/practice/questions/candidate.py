"""A generated practice question before it is queued: prompt, key points and the passage it cites."""

from __future__ import annotations

from dataclasses import dataclass, field

from study_tracker.content.curriculum import QuestionType

#: How a candidate was made: from the document's structure, or by the LLM.
KINDS = ("explain", "definition", "compare", "list", "llm")

MAX_PROMPT = 300
MAX_KEY_POINT = 300
MAX_KEY_POINTS = 8


@dataclass
class Candidate:
    """A question and where it comes from.

    ``start``/``end`` index the source document's text (the text the knowledge catalog stores
    for ``source``); every key point must be supported by ``text[start:end]``.
    ``topic_key`` is the roadmap topic the passage sits under (roadmaps only).
    """

    prompt: str
    key_points: list[str]
    source: str
    start: int
    end: int
    kind: str
    type: QuestionType = QuestionType.concept
    heading_path: list[str] = field(default_factory=list)
    topic_key: str | None = None
    doc_id: str | None = None
