"""Helpers for the grading tests: the real embedding model exported to ONNX once per test session,
and the bundled questions the test answers are written for."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from study_tracker.content.curriculum import Question, load_tracks
from study_tracker.knowledge.embed.base import resolve_model
from study_tracker.knowledge.embed.onnx import OnnxEncoder, onnx_path

DATA = Path(__file__).parent / "data"


def exported_knowledge(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A knowledge folder holding the packaged model exported to ONNX (exported once a session:
    the export loads torch and takes tens of seconds)."""
    folder = tmp_path_factory.getbasetemp() / "grading-knowledge"
    if not onnx_path(folder, resolve_model("")).is_file():
        OnnxEncoder.for_model(resolve_model(""), folder)
    return folder


def copy_model(knowledge: Path, data_dir: Path) -> None:
    """Give ``data_dir`` (a ``STUDY_DATA_DIR``) the exported model, so a `study` process needs no export."""
    shutil.copytree(knowledge / "onnx", data_dir / "knowledge" / "onnx", dirs_exist_ok=True)


def question(track: str, day: int, index: int) -> Question:
    """A bundled practice question."""
    return load_tracks()[track].days[day - 1].questions[index]
