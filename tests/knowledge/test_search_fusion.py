"""Hybrid search ranks with section evidence: its scores are ``fusion.fuse_grouped`` over the two
retrievers' own candidate lists, grouped by section (document + heading path) with
``fusion_section_weight``, and with BM25's floor at 0 when its list holds every matching chunk
and ``fusion_bm25_zero_floor`` is on."""

from __future__ import annotations

from pathlib import Path

import pytest

from study_tracker.knowledge import fusion
from study_tracker.knowledge.ingest import ingest_paths
from study_tracker.knowledge.search import KnowledgeBase
from tests.knowledge.kb_helpers import WordHashEncoder, kb_settings

SENTENCES = [
    "Raft elects a leader with randomized election timeouts and replicates a log.",
    "Paxos reaches consensus among acceptors; Multi-Paxos keeps a stable leader.",
    "Bloom filters answer membership queries with no false negatives.",
    "LRU caches evict the least recently used entry when full.",
    "Consistent hashing moves few keys when a node joins the ring.",
]
QUERY = "leader election timeouts in consensus"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Two Markdown files, each with sections long enough to be cut into several chunks, so a
    section groups chunks and a document groups sections."""
    root = tmp_path / "corpus"
    root.mkdir()
    for f in range(2):
        parts = [f"# Notes {f}\n"]
        for sec in range(3):
            body = " ".join(SENTENCES[(f + sec + j) % len(SENTENCES)] for j in range(30))
            parts.append(f"## Part {sec}\n\n{body}\n")
        (root / f"notes{f}.md").write_text("\n".join(parts))
    return root


@pytest.mark.parametrize(
    ("section_weight", "zero_floor"), [(0.0, False), (0.5, False), (1.0, False), (0.5, True)]
)
def test_hybrid_scores_are_section_grouped_fusion_of_the_retrievers(
    tmp_path: Path, corpus: Path, section_weight: float, zero_floor: bool
):
    s = kb_settings(
        tmp_path,
        fusion_feedback_chunks=0,
        fusion_section_weight=section_weight,
        fusion_bm25_zero_floor=zero_floor,
    )
    report = ingest_paths([corpus], settings=s, encoder=WordHashEncoder())
    kb = KnowledgeBase.open(s, encoder=WordHashEncoder())
    every = kb.search(QUERY, mode="dense", k=report.chunks_total)  # every chunk, with its place
    section = {h.chunk_id: (h.doc_id, tuple(h.heading_path)) for h in every}
    document = {h.chunk_id: h.doc_id for h in every}
    # the grouping is not moot: sections hold several chunks, documents several sections
    assert len(set(document.values())) < len(set(section.values())) < len(section)
    runs = [kb.retrieve([QUERY], mode=m, k=s.fusion_candidates)[0] for m in ("dense", "bm25")]
    # BM25 found fewer chunks than asked for: with the zero floor, every other chunk scores 0
    assert 0 < len(runs[1]) < s.fusion_candidates
    kw = {
        "doc_weight": section_weight,
        "weights": [s.fusion_dense_weight, s.fusion_bm25_weight],
        "floors": [None, 0.0 if zero_floor else None],
    }
    expected = fusion.fuse_grouped(runs, section.__getitem__, **kw)
    hits = kb.search(QUERY, mode="hybrid", k=8)
    assert len(hits) == 8
    for hit in hits:
        assert hit.score == pytest.approx(expected[hit.chunk_id], abs=1e-6)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    if section_weight > 0:  # the unit is the section: grouping by chunk or by file scores differently
        for other in ({c: c for c in section}, document):
            alt = fusion.fuse_grouped(runs, other.__getitem__, **kw)
            assert any(abs(alt[h.chunk_id] - h.score) > 1e-3 for h in hits)
    if zero_floor:  # and the floor is not a no-op here: without it the scores differ
        no_floor = fusion.fuse_grouped(runs, section.__getitem__, **(kw | {"floors": None}))
        assert any(abs(no_floor[h.chunk_id] - h.score) > 1e-3 for h in hits)
