"""End to end with the real model: torch embeds at ingest, ONNX embeds queries, and a search
process never imports torch once the ONNX file exists."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from study_tracker.knowledge.ingest.pipeline import ingest_paths
from study_tracker.knowledge.search.knowledge_base import KnowledgeBase
from tests.knowledge.kb_helpers import kb_settings

pytestmark = pytest.mark.model

DOCS = {
    "optim.md": "# Optimisation\n\n## Learning rate\n\nThe learning rate scales each gradient descent step; too "
    "large and the loss diverges, too small and training crawls.\n\n## Momentum\n\nMomentum averages past "
    "gradients to damp oscillations in narrow valleys.\n",
    "storage.md": "# Storage\n\n## LSM trees\n\nLog-structured merge trees buffer writes in memory and flush "
    "sorted runs to disk, trading read amplification for write throughput.\n",
    "net.txt": "TCP slow start doubles the congestion window every round trip until loss is detected.\n",
}


@pytest.fixture(scope="module")
def kb_env(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("model-kb")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text)
    s = kb_settings(root)
    report = ingest_paths([corpus], settings=s)
    kb = KnowledgeBase.open(s)
    kb.warm_up()  # exports the ONNX query encoder
    return s, corpus, report, kb


def test_ingest_report(kb_env) -> None:
    _, _, report, _ = kb_env
    assert report.skipped == [] and report.files_new == 3 and report.embedded == report.chunks_indexed == 4


def test_dense_finds_a_paraphrase_that_bm25_misses(kb_env) -> None:
    _, corpus, _, kb = kb_env
    query = "which hyperparameter decides how far every update moves"
    assert all(not h.text.startswith("The learning rate") for h in kb.search(query, mode="bm25", k=1))
    for mode in ("dense", "hybrid"):
        top = kb.search(query, mode=mode, k=1)[0]
        assert top.source == str(corpus / "optim.md") and top.heading_path == [
            "Optimisation",
            "Learning rate",
        ], mode


def test_keyword_query_in_every_mode(kb_env) -> None:
    _, corpus, _, kb = kb_env
    for mode in ("bm25", "dense", "hybrid"):
        assert kb.search("LSM tree write throughput", mode=mode, k=1)[0].source == str(corpus / "storage.md")


def test_search_process_does_not_import_torch(kb_env) -> None:
    s, corpus, _, _ = kb_env
    code = (
        "import json, sys\n"
        "from study_tracker.config import Settings\n"
        "from study_tracker.knowledge.search.knowledge_base import KnowledgeBase\n"
        f"s = Settings(data_dir={str(s.data_dir)!r})\n"
        "kb = KnowledgeBase.open(s)\n"
        "hits = kb.search('congestion window growth', mode='hybrid', k=1)\n"
        "print(json.dumps({'source': hits[0].source, 'torch': 'torch' in sys.modules,"
        " 'st': 'sentence_transformers' in sys.modules}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ},
        timeout=120,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"source": str(corpus / "net.txt"), "torch": False, "st": False}
