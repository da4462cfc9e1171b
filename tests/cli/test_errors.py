"""The CLI's one error map: each class of the error hierarchy gets its exit code, and a message is
printed as written, on one line; and the in-process runner the CLI tests use leaves no trace."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from study_tracker.cli.errors import exit_code
from study_tracker.config import get_settings
from study_tracker.errors import (
    ConfigFileError,
    Conflict,
    IndexNotBuilt,
    IngestBusy,
    InvalidInput,
    InvalidQuery,
    KnowledgeError,
    NotFound,
    PayloadTooLarge,
    RedditCollectError,
    RoadmapError,
    SourceNotFound,
    StudyError,
    Unavailable,
)
from study_tracker.knowledge.answer.flow import InvalidQuestion
from study_tracker.knowledge.answer.llm import LLMError, LLMNotConfigured
from study_tracker.knowledge.eval.qa import QADataError
from tests.cli_helpers import study


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (InvalidInput, 2),
        (PayloadTooLarge, 2),
        (RoadmapError, 2),
        (InvalidQuery, 2),
        (InvalidQuestion, 2),
        (ConfigFileError, 2),
        (StudyError, 2),
        (LLMNotConfigured, 2),
        (QADataError, 2),
        (NotFound, 1),
        (SourceNotFound, 1),
        (Conflict, 1),
        (IngestBusy, 1),
        (Unavailable, 1),
        (IndexNotBuilt, 1),
        (KnowledgeError, 1),
        (LLMError, 1),
        (RedditCollectError, 1),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else str(v),
)
def test_exit_code_of_each_error(error: type[StudyError], code: int) -> None:
    assert exit_code(error("x")) == code


def test_a_message_is_printed_as_written_on_one_line(tmp_path: Path) -> None:
    group = "[bold]" + "x" * 300  # markup is not interpreted, and the long line is not wrapped
    out = study(tmp_path / "data", "today", "--group", group)
    assert out.returncode == 2 and not out.stdout
    assert out.stderr == f"Error: --group must be one of swe, ml_specialist, got {group!r}\n"


def test_the_in_process_runner_leaves_no_trace(tmp_path: Path) -> None:
    before = dict(os.environ)
    out = study(tmp_path / "data", "today", today="2026-12-01", STUDY_LOG_LEVEL="debug")
    assert out.returncode == 0 and "Tuesday 01 December 2026" in out.stdout
    assert dict(os.environ) == before  # STUDY_DATA_DIR, COLUMNS and the STUDY_TODAY --today wrote are gone
    assert get_settings().data_dir != tmp_path / "data"  # the cached settings of the run are dropped
