"""The real encoder and offline grader, shared by the grading tests of a session."""

from __future__ import annotations

import pytest

from study_tracker.knowledge.embed.base import resolve_model
from study_tracker.knowledge.embed.onnx import OnnxEncoder
from study_tracker.practice.grading.offline import OfflineGrader
from tests.practice.helpers import exported_knowledge


@pytest.fixture(scope="session")
def encoder(tmp_path_factory: pytest.TempPathFactory) -> OnnxEncoder:
    return OnnxEncoder.for_model(resolve_model(""), exported_knowledge(tmp_path_factory))


@pytest.fixture(scope="session")
def grader(encoder: OnnxEncoder) -> OfflineGrader:
    return OfflineGrader(encoder)
