"""What each MCP tool does: validated input in, a JSON-ready dict out, by calling the services.

No protocol here (``server.py`` owns that): a tool raises ``StudyError`` for anything the caller
can fix, and the server turns it into a tool error with the message. One :class:`Toolbox` lives
as long as the server: it opens the knowledge base once and prepares the database on first use.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from study_tracker import clock
from study_tracker.config import Settings
from study_tracker.db.engine import session_scope
from study_tracker.errors import InvalidInput
from study_tracker.knowledge.answer.flow import answer_question, choose_llm
from study_tracker.knowledge.ingest.loaders.pdf import page_from_heading, pdf_page
from study_tracker.knowledge.ingest.pipeline import ingest_paths
from study_tracker.knowledge.search.knowledge_base import Filters, KnowledgeBase, SearchHit
from study_tracker.mcp.schemas import (
    AddSourceInput,
    AskInput,
    CompletionInput,
    DueTodayInput,
    ReviewInput,
    SearchInput,
)
from study_tracker.tracker import agenda, service
from study_tracker.tracker.srs import Recall
from study_tracker.tracker.startup import prepare

INGEST_LOCK_SECONDS = 30.0  # wait this long for another ingest (the web app's, a CLI run) to finish


def passage(hit: SearchHit) -> dict[str, Any]:
    """What a client sees of a passage: where it is (file, heading path, offsets, PDF page), its
    text, and whether OCR read it."""
    out: dict[str, Any] = {
        "title": hit.title,
        "source": hit.source,
        "heading_path": hit.heading_path,
        "start": hit.start,
        "end": hit.end,
        "score": round(hit.score, 4),
        "kind": hit.kind,
        "text": hit.text,
    }
    if hit.kind == "pdf":
        page = pdf_page(hit.meta, hit.start)
        if page is not None:
            out["page"] = page["page"]
            if page["ocr"]:
                out["read_by_ocr"] = True
                out["ocr_confidence"] = page["ocr_confidence"]
        else:  # ingested before PDFs kept a page map
            out["page"] = page_from_heading(hit.heading_path)
    return out


class Toolbox:
    """The tools' shared state: settings, the knowledge base (opened once), the prepared database."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._kb: KnowledgeBase | None = None
        self._prepared = False

    def knowledge_base(self) -> KnowledgeBase:
        with self._lock:
            if self._kb is None:
                self._kb = KnowledgeBase.open(self.settings)
            return self._kb

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A database session; the first one migrates the database and reads config.json edits
        (retried on the next call if that fails, e.g. after a bad config.json is fixed)."""
        with self._lock:
            if not self._prepared:
                prepare(self.settings)
                self._prepared = True
        with session_scope(self.settings.db_url) as session:
            yield session

    # --- knowledge ---

    def search(self, args: SearchInput) -> dict[str, Any]:
        """The best passages for a query, with where each one is."""
        filters = Filters(source=args.source or None, kind=args.kind, pain_point=args.pain_point)
        hits = self.knowledge_base().search(args.query, mode=args.mode, k=args.k, filters=filters)
        return {"query": args.query, "passages": [{"rank": i, **passage(h)} for i, h in enumerate(hits, 1)]}

    def ask(self, args: AskInput) -> dict[str, Any]:
        """An answer with [n] citations and the passages it cites (with the cited sentences)."""
        llm = choose_llm(self.settings, args.llm)
        answer = answer_question(
            self.knowledge_base(), args.question, k=args.k, llm=llm, settings=self.settings
        )
        sources = [
            {"n": s.n, **passage(s.hit), "quotes": [s.hit.text[a:b] for a, b in s.spans]}
            for s in answer.sources
            if s.cited
        ]
        return {
            "question": answer.question,
            "answer": answer.text,
            "mode": answer.mode,
            "notice": answer.notice,
            "sources": sources,
        }

    def add_source(self, args: AddSourceInput) -> dict[str, Any]:
        """Ingest a file or folder; what was added, changed, skipped (with why) and warned about."""
        if not os.path.exists(args.path):
            raise InvalidInput.field("path", f"no such file or folder: {args.path}")
        report = ingest_paths([args.path], settings=self.settings, lock_timeout=INGEST_LOCK_SECONDS)
        return {
            "path": args.path,
            "up_to_date": report.up_to_date,
            "files_added": report.files_new,
            "files_changed": report.files_changed,
            "files_unchanged": report.files_unchanged,
            "files_removed": report.files_removed,
            "chunks_added": report.chunks_added,
            "documents": report.documents,
            "chunks_indexed": report.chunks_indexed,
            "skipped": [{"path": p, "reason": r} for p, r in report.skipped],
            "warnings": [{"path": p, "message": m} for p, m in report.warnings],
            "seconds": round(report.seconds, 2),
        }

    # --- tracker ---

    def due_today(self, args: DueTodayInput) -> dict[str, Any]:
        """The group's reviews due today (with their practice questions) and each track's topic."""
        with self.session() as session:
            view = agenda.today_view(session, group=args.group, today=clock.today(self.settings))
            reviews = [
                {
                    "completion_id": r.completion_id,
                    "track": r.track.slug,
                    "day": r.day,
                    "title": r.topic.title,
                    "due_date": r.due_date.isoformat(),
                    "overdue_days": r.overdue_days,
                    "interval_days": r.interval_days,
                    "review_type": r.rtype.key,
                    "questions": [
                        {
                            "type": q.type.value,
                            "level": q.level,
                            "prompt": q.prompt,
                            "key_points": list(q.key_points),
                        }
                        for q in agenda.review_questions(r)
                    ],
                }
                for r in view.reviews
            ]
            tracks = [
                {
                    "track": t.track.slug,
                    "title": t.track.title,
                    "day": t.day,
                    "length": t.track.length,
                    "topic": t.topic.title if t.topic else None,
                    "subtopics": list(t.topic.subtopics) if t.topic else [],
                    "estimated_minutes": t.topic.estimated_minutes if t.topic else None,
                    "completed": t.completion is not None,
                    "status": t.status,
                    "message": t.note,
                    "missed_days": t.missed,
                }
                for t in view.tracks
            ]
        return {"group": view.group, "today": view.today.isoformat(), "reviews": reviews, "tracks": tracks}

    def log_completion(self, args: CompletionInput) -> dict[str, Any]:
        """Mark a track's day complete; its first review is scheduled."""
        with self.session() as session:
            day = args.day or service.track_day(session, track=args.track, today=clock.today(self.settings))
            completion = service.complete_topic(
                session=session,
                track=args.track,
                day=day,
                difficulty=args.difficulty,
                notes=args.notes,
                now=clock.now(self.settings),
                zone=clock.local_zone(self.settings),
            )
            nxt = agenda.next_review_date(session, completion_id=completion.id)
            return {
                "completion_id": completion.id,
                "track": completion.track,
                "title": service.get_topic(completion.track, completion.day).title,
                "day": completion.day,
                "difficulty": completion.difficulty,
                "local_date": completion.local_date.isoformat(),
                "next_review": nxt.isoformat() if nxt else None,
            }

    def log_review(self, args: ReviewInput) -> dict[str, Any]:
        """Record a due review with its recall rating; the next one is scheduled."""
        with self.session() as session:
            review = service.log_review(
                session=session,
                completion_id=args.completion_id,
                rating=Recall[args.rating],
                notes=args.notes,
                now=clock.now(self.settings),
                zone=clock.local_zone(self.settings),
            )
            nxt = agenda.next_review_date(session, completion_id=args.completion_id)
            return {
                "review_id": review.id,
                "completion_id": review.completion_id,
                "rating": args.rating,
                "step": review.step + 1,
                "local_date": review.local_date.isoformat(),
                "next_review": nxt.isoformat() if nxt else None,
                "graduated": nxt is None,
            }


@dataclass(frozen=True)
class ToolSpec:
    """One tool as the server lists it: name, what it is for, its input model and its method."""

    name: str
    description: str
    input: type[BaseModel]
    run: Callable[[Toolbox, Any], dict[str, Any]]
    read_only: bool


TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "search",
        "Search the user's knowledge base (their notes, papers, guides): the best passages for a query, "
        "each with its title, file, heading path, character offsets, PDF page and score.",
        SearchInput,
        Toolbox.search,
        read_only=True,
    ),
    ToolSpec(
        "ask",
        "Answer a question from the user's knowledge base, with numbered citations [n] and the cited "
        "passages (file, heading path, offsets, the cited sentences).",
        AskInput,
        Toolbox.ask,
        read_only=True,
    ),
    ToolSpec(
        "due_today",
        "What the study plan asks today: spaced-repetition reviews due (with practice questions) and "
        "each track's topic of the day.",
        DueTodayInput,
        Toolbox.due_today,
        read_only=True,
    ),
    ToolSpec(
        "log_completion",
        "Mark a track's day complete with a difficulty (1-5) and notes; schedules its first review.",
        CompletionInput,
        Toolbox.log_completion,
        read_only=False,
    ),
    ToolSpec(
        "log_review",
        "Record a due review (by the completion id due_today lists) with a recall rating: again, hard, "
        "good or easy; schedules the next one.",
        ReviewInput,
        Toolbox.log_review,
        read_only=False,
    ),
    ToolSpec(
        "add_source",
        "Add a file or folder (Markdown, text, HTML, PDF incl. scanned, JSON/JSONL) to the knowledge "
        "base; reports what was added and what was skipped and why.",
        AddSourceInput,
        Toolbox.add_source,
        read_only=False,
    ),
)
