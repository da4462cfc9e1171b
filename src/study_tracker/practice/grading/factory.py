"""The grader to use: the LLM grader when an endpoint is configured (and wanted), else offline."""

from __future__ import annotations

from study_tracker.config import Settings
from study_tracker.knowledge.answer.flow import choose_llm
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase
from study_tracker.practice.grading.base import Grader
from study_tracker.practice.grading.llm import LLMGrader
from study_tracker.practice.grading.offline import OfflineGrader


def make_grader(
    settings: Settings, *, use_llm: bool | None = None, kb: KnowledgeBase | None = None, export: bool = True
) -> Grader:
    """A grader for ``settings``.

    Args:
        settings: the LLM endpoint (``llm_*``) and the knowledge folder (the ONNX model lives there).
        use_llm: True for the LLM (an error if none is configured), False for offline, None to
            follow the settings (the LLM when ``llm_base_url`` is set and ``llm_enabled``).
        kb: the knowledge base whose encoder and passages to use (one per process); opened if None.
        export: whether this process may export the ONNX model on first use (the web server may
            not: it raises ``EncoderNotReady`` until the background preparation has done it).

    Raises:
        LLMNotConfigured: ``use_llm`` is True but no endpoint is set.
        EncoderNotReady: ``export`` is False and the ONNX model is not exported yet.
        ModelNotFound: the embedding model folder is missing.
    """
    config = choose_llm(settings, use_llm)
    kb = kb or KnowledgeBase.open(settings, export=export)
    offline = OfflineGrader(kb.encoder())
    return offline if config is None else LLMGrader(config, offline, kb=kb)
