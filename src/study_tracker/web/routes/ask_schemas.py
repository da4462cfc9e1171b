"""Request and response bodies of Ask: the question with its history, the answer with its
numbered sources, and the events of the answer's stream."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class HistoryTurn(BaseModel):
    """A previous question and its answer (``query``: what it was searched with, if rewritten)."""

    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=5000)
    answer: str = Field("", max_length=20000)
    query: str = Field("", max_length=5000)


class AskRequest(BaseModel):
    """``POST /api/ask`` and ``POST /api/ask/stream``."""

    model_config = ConfigDict(extra="forbid")
    question: str = Field(description="The question, in your own words.")
    k: int | None = Field(None, ge=1, le=50, description="Passages to retrieve (default: ask_k).")
    history: list[HistoryTurn] = Field(
        default_factory=list, max_length=20, description="Previous turns, oldest first."
    )
    llm: bool | None = Field(None, description="Answer with the LLM (default: the llm_enabled setting).")


class AskSource(BaseModel):
    """One numbered source of an answer: the passage found (a search hit) and what of it is cited."""

    n: int = Field(description="The citation number, [n] in the answer.")
    cited: bool = Field(description="Whether the answer cites it.")
    spans: list[list[int]] = Field(description="[start, end) offsets in `text` of the cited sentences.")
    # The fields of a search hit (``SearchHit``), in its order.
    chunk_id: str
    doc_id: str
    score: float
    text: str
    title: str
    source: str
    kind: str
    heading_path: list[str]
    start: int
    end: int
    pain_point: bool
    meta: dict[str, Any]
    context_before: str
    context_after: str


class AnswerPublic(BaseModel):
    """An answer grounded in the knowledge base; ``mode`` "none" when nothing relevant was found."""

    question: str
    query: str = Field(description="What was searched with: the rewritten follow-up, or the question.")
    rewritten: bool
    text: str = Field(description="The answer, with [n] citation markers.")
    mode: Literal["extractive", "llm", "none"]
    notice: str | None = Field(description="Why the LLM was not used, citations it invented...")
    dropped_citations: list[int] = Field(description="[n] the LLM invented, taken out of the text.")
    best_score: float | None = Field(description="The relevance signal measured (best dense cosine).")
    coverage: float | None = Field(
        None, description="Share of the question's topic words the top passages contain (the second signal)."
    )
    sources: list[AskSource]


class AskEvent(BaseModel):
    """One server-sent event of the answer's stream: ``event:`` is ``type``, ``data:`` this object.

    In order: ``query`` (query, rewritten), ``sources`` (sources), ``notice`` (text) and ``delta``
    (text, a piece of the answer) as they come, then ``done`` (answer; html with ``?html=true``),
    or ``error`` (message) when the answer fails after the stream began.
    """

    type: Literal["query", "sources", "notice", "delta", "done", "error"]
    query: str | None = None
    rewritten: bool | None = None
    sources: list[AskSource] | None = None
    text: str | None = None
    answer: AnswerPublic | None = None
    html: str | None = None
    message: str | None = None
