"""Generate practice questions for a roadmap or a file and queue them: the one entry point.

load the document -> candidates (structure, or the LLM with a fallback to structure) -> every key
point checked against its cited passage (unsupported ones dropped; a question left without key
points dropped) -> near-duplicates of bundled, queued, accepted and rejected questions dropped ->
the rest queued for the learner.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
from sqlalchemy.orm import Session

from study_tracker.config import Settings
from study_tracker.content.curriculum import load_tracks
from study_tracker.db.models import PracticeQuestion
from study_tracker.errors import InvalidInput
from study_tracker.knowledge.answer.flow import choose_llm
from study_tracker.knowledge.embed.base import Encoder
from study_tracker.practice.questions import queue
from study_tracker.practice.questions.candidate import Candidate
from study_tracker.practice.questions.dedupe import DuplicateFilter, Known, question_text
from study_tracker.practice.questions.llm import generate_with_llm
from study_tracker.practice.questions.source import (
    SourceDocument,
    attach_topics,
    load_roadmap_source,
    load_source,
)
from study_tracker.practice.questions.structure import generate_structural
from study_tracker.practice.questions.support import check_support

LLM_MAX_TOKENS = 1500  # a few questions with key points need more room than an answer


@dataclass
class Duplicate:
    prompt: str
    of: str  # the label of the question it repeats


@dataclass
class GenerationReport:
    """What a run made, dropped and queued (the figures ``bench/questions_quality.py`` prints)."""

    source: str
    roadmap: str | None
    generator: str  # structure | llm
    made: int = 0  # candidates before any check
    key_points: int = 0  # key points proposed
    key_points_supported: int = 0
    questions_unsupported: int = 0  # dropped: no key point left
    duplicates: list[Duplicate] = field(default_factory=list)
    queued: list[PracticeQuestion] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def support_share(self) -> float:
        return self.key_points_supported / self.key_points if self.key_points else 1.0

    @property
    def duplicate_rate(self) -> float:
        checked = self.made - self.questions_unsupported
        return len(self.duplicates) / checked if checked else 0.0


def bundled_questions() -> Iterator[Known]:
    """Every bundled track question, as the duplicate filter knows it."""
    for track in load_tracks().values():
        for topic in track.days:
            for q in topic.questions:
                yield Known(question_text(q.prompt, q.key_points), f"{track.slug} day {topic.day}", q.prompt)


def known_questions(session: Session) -> list[Known]:
    """The duplicate pool: bundled questions and every question already in the queue."""
    out = list(bundled_questions())
    out.extend(Known(f"{p} {kps}", f"question {i}", p) for i, p, kps in queue.existing_texts(session))
    return out


def _checked(
    text: str, candidates: list[Candidate], report: GenerationReport, encoder: Encoder | None
) -> list[Candidate]:
    """Keep only key points their cited passage (``text[start:end]``) supports, and questions
    with one left."""
    kept = []
    for c in candidates:
        passage = text[c.start : c.end]
        verdicts = check_support(c.key_points, passage, encoder=encoder)
        c.key_points = [k for k, v in zip(c.key_points, verdicts, strict=True) if v.supported]
        report.key_points_supported += len(c.key_points)
        if c.key_points:
            kept.append(c)
        else:
            report.questions_unsupported += 1
    return kept


@dataclass(frozen=True)
class Request:
    """What to generate from: exactly one of ``roadmap`` (a slug) and ``source`` (a file)."""

    roadmap: str | None = None
    source: Path | None = None
    use_llm: bool = False
    limit: int = 200  # queue at most this many

    def __post_init__(self) -> None:
        if (self.roadmap is None) == (self.source is None):
            raise InvalidInput.field("roadmap", "give a roadmap slug or a source file (one of them)")
        if not 1 <= self.limit <= 1000:
            raise InvalidInput.field("limit", "must be from 1 to 1000")


def generate_questions(
    *,
    session: Session,
    settings: Settings,
    request: Request,
    now: datetime,
    encoder: Encoder | None = None,
    client: httpx.Client | None = None,
) -> GenerationReport:
    """Generate questions for a roadmap or a file and queue those that pass every check.

    Args:
        encoder: the packaged embedding model (paraphrase support, semantic duplicates);
            token overlap only when None.
        client: an httpx client for the LLM (tests).

    Raises:
        NotFound: no such roadmap or file. InvalidInput: an unreadable file.
        LLMNotConfigured: ``use_llm`` without an endpoint.
    """
    if request.roadmap is not None:
        src = load_roadmap_source(session=session, data_dir=settings.data_dir, slug=request.roadmap)
    else:
        assert request.source is not None
        src = SourceDocument(load_source(request.source))
    doc = src.document
    config = choose_llm(settings, True) if request.use_llm else None
    report = GenerationReport(source=doc.source, roadmap=request.roadmap, generator="structure")
    candidates: list[Candidate] = []
    if config is not None:
        config = dataclasses.replace(config, max_tokens=max(config.max_tokens, LLM_MAX_TOKENS))
        llm = generate_with_llm(doc, config, encoder=encoder, client=client)
        report.notices.extend(llm.notices)
        report.key_points += llm.key_points_proposed
        report.questions_unsupported += llm.questions_dropped
        report.made += len(llm.candidates) + llm.questions_dropped
        candidates = llm.candidates
        report.generator = "llm"
        if not candidates:
            report.notices.append(
                "The LLM gave no usable question: questions come from the structure instead."
            )
    if not candidates:
        made = generate_structural(doc, noun="topics" if src.roadmap is not None else "points")
        report.generator = "structure"
        report.made += len(made)
        report.key_points += sum(len(c.key_points) for c in made)
        candidates = _checked(doc.text, made, report, encoder)
    else:
        candidates = _checked(doc.text, candidates, report, encoder)  # kept points pass again
    if src.topics:
        attach_topics(candidates, src.topics)
    dupes = DuplicateFilter(known_questions(session), encoder=encoder)
    fresh = []
    for c in candidates:
        of = dupes.duplicate_of(question_text(c.prompt, c.key_points), label=f"“{c.prompt}”", prompt=c.prompt)
        if of is None:
            fresh.append(c)
        else:
            report.duplicates.append(Duplicate(c.prompt, of))
    report.queued = queue.enqueue(
        session=session,
        candidates=fresh[: request.limit],
        generator=report.generator,
        roadmap=src.roadmap,
        now=now,
    )
    return report
