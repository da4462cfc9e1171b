"""The MCP tools' inputs: pydantic models with the JSON API's bounds (the first guard).

The web's request models live in ``web/`` and nothing may import from there, so the bounds are
repeated here: search as ``GET /api/search``, ask as ``POST /api/ask``, completions and reviews as
``POST /api/completions`` and ``POST /api/reviews/{id}``. A refused field becomes a plain sentence
naming it (``errors.invalid``).
"""

from __future__ import annotations

import os
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from study_tracker.content.curriculum import GROUPS

Mode = Literal["hybrid", "dense", "bm25"]
Kind = Literal["markdown", "text", "html", "pdf", "json", "reddit"]
Rating = Literal["again", "hard", "good", "easy"]

MAX_NOTES = 20_000  # as the API's CompletionCreate and ReviewCreate
MAX_PATH = 4096


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SearchInput(_Input):
    query: str = Field(min_length=1, max_length=2000, description="What to look for, in your own words.")
    k: int = Field(10, ge=1, le=200, description="Number of passages to return.")
    mode: Mode = Field("hybrid", description="hybrid (dense + BM25 fused), dense or bm25.")
    source: str | None = Field(
        None, max_length=MAX_PATH, description="Only files at or under this path, or whose path contains it."
    )
    kind: Kind | None = Field(None, description="Only documents of this kind.")
    pain_point: bool | None = Field(None, description="Only passages flagged as pain points (true) or not.")


class AskInput(_Input):
    question: str = Field(description="The question, in your own words.")
    k: int | None = Field(None, ge=1, le=50, description="Passages to retrieve (default: the ask_k setting).")
    llm: bool | None = Field(
        None,
        description="Answer with the configured LLM (default: the llm_enabled setting); else extractive.",
    )


class DueTodayInput(_Input):
    group: str = Field(
        "swe",
        description=f"The curriculum group: {' or '.join(GROUPS)}.",
        json_schema_extra={"enum": list(GROUPS)},
    )

    @field_validator("group")
    @classmethod
    def _known_group(cls, value: str) -> str:
        if value not in GROUPS:
            raise ValueError(f"must be one of {', '.join(GROUPS)}")
        return value


class CompletionInput(_Input):
    track: str = Field(min_length=1, max_length=200, description="Track slug, e.g. ml_algorithms.")
    day: int | None = Field(None, ge=1, description="Day to complete (default: today's day of the track).")
    difficulty: int = Field(ge=1, le=5, description="1 (easy) to 5 (very hard).")
    notes: str = Field("", max_length=MAX_NOTES, description="Notes (Markdown).")


class ReviewInput(_Input):
    completion_id: int = Field(
        ge=1, description="The review to record: its completion id, as listed by due_today."
    )
    rating: Rating = Field(description="How well you recalled it: again, hard, good or easy.")
    notes: str = Field("", max_length=MAX_NOTES, description="Notes (Markdown).")


class AddSourceInput(_Input):
    path: str = Field(
        min_length=1,
        max_length=MAX_PATH,
        description="Absolute path of a file or folder to add (folders are read recursively).",
    )

    @field_validator("path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        path = os.path.expanduser(value.strip())
        # The server's working folder is wherever the MCP client started it: a relative path
        # would name a file the caller did not mean.
        if not os.path.isabs(path):
            raise ValueError("must be an absolute path (or start with ~)")
        return path
